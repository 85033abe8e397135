//! The new text of a reply: what the sender wrote above the quoted original. Our own quoted
//! message carries an unsubscribe footer, so phrase rules must never read it.
//!
//! Cut at the first quote header ("On … wrote:", "Am … schrieb:", "Le … a écrit :", an
//! Outlook "From:/Sent:" block, "-----Original Message-----", a "____" rule) or signature
//! delimiter ("-- "); lines quoted with ">" are blanked wherever they are. The new text keeps
//! the body's line numbering (dropped lines become empty), so evidence can name "body line N".

use super::text::{find_at_word_start, fold};

/// Endings of attribution lines: English, German, French, Spanish, Italian, Dutch, Swedish,
/// Portuguese (folded).
#[rustfmt::skip]
const WROTE: &[&str] = &[
    "wrote:", "schrieb:", "a ecrit :", "a ecrit:", "escribio:", "ha scritto:", "schreef:", "skrev:",
    "escreveu:", "geschreven:",
];

/// Attribution verbs as words, for lines that end with the author's address instead
/// ("Am 04.01.2027 um 10:12 schrieb Jonas Weber <jonas@brightlane.io>:"), plus Danish,
/// Norwegian, Finnish and Polish ones.
#[rustfmt::skip]
const WROTE_WORDS: &[&str] = &[
    " wrote ", " writes ", " schrieb ", " a ecrit ", " escribio ", " ha scritto ", " schreef ",
    " skrev ", " escreveu ", " kirjoitti ", " napisal ", " geschreven ",
];

/// How an attribution line starts ("On …", "Am …", "Le …", "El …", "Il …", "Op …", "Den …",
/// "Em …", "Kl. …").
#[rustfmt::skip]
const ATTRIBUTION_STARTS: &[&str] = &[
    "on ", "am ", "le ", "el ", "il ", "op ", "den ", "em ", "kl ", "kl. ", "dnia ", "w dniu ",
];

/// Outlook-style header blocks: a "From:" line followed closely by one of the others.
const FROM_LABELS: &[&str] = &[
    "from:",
    "von:",
    "de:",
    "de :",
    "da:",
    "van:",
    "fran:",
    "fra:",
    "lahettaja:",
];
#[rustfmt::skip]
const NEXT_LABELS: &[&str] = &[
    "sent:", "date:", "to:", "subject:", "gesendet:", "datum:", "an:", "betreff:", "envoye :",
    "envoye:", "a :", "objet :", "enviado", "para:", "asunto:", "inviato:", "data:", "a:",
    "oggetto:", "verzonden:", "aan:", "onderwerp:", "skickat:", "till:", "amne:", "enviada em:",
    "assunto:", "cc:", "sendt:", "til:", "emne:", "dato:", "lahetetty:", "vastaanottaja:",
    "aihe:",
];

/// The new text of `body` (see the module comment).
pub(super) fn new_text(body: &str) -> String {
    let lines: Vec<&str> = body.lines().collect();
    let folded: Vec<String> = lines.iter().map(|l| fold(l.trim())).collect();
    let mut kept = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let f = folded[i].as_str();
        if line.trim_end() == "--" || is_quote_header(&folded, i) {
            // Gmail wraps a long attribution: "On Mon, … Jonas Weber <" / "jonas@b.io> wrote:".
            if i > 0 && wrapped_attribution(&folded[i - 1], &folded[i]) {
                kept.pop();
                kept.push("");
            }
            break;
        }
        if f.starts_with('>') {
            kept.push("");
            continue;
        }
        // HTML converted to text can put the header block mid-line ("… for iOS From: Jonas").
        if let Some(cut) = inline_header_start(line, &folded, i) {
            kept.push(&line[..cut]);
            break;
        }
        kept.push(*line);
    }
    kept.join("\n")
}

fn is_quote_header(folded: &[String], i: usize) -> bool {
    // Plain text from HTML mail marks bold labels with stars ("*From:* Jonas").
    let line = folded[i].trim_start_matches(['*', ' ']);
    if line.starts_with("-----") && line.chars().any(char::is_alphabetic) {
        return true;
    }
    if line.len() >= 10 && line.chars().all(|c| c == '_') {
        return true;
    }
    if WROTE.iter().any(|w| line.ends_with(w)) || is_attribution(line) {
        return true;
    }
    FROM_LABELS.iter().any(|l| line.starts_with(l)) && header_lines_follow(folded, i)
}

/// Whether `first` is the start of an attribution that `second` (a quote header) ends.
fn wrapped_attribution(first: &str, second: &str) -> bool {
    !first.is_empty()
        && !first.ends_with(':')
        && is_attribution(&format!(
            "{first} {}",
            second.trim_start_matches(['*', ' '])
        ))
}

/// "On <date>, <name> <address> wrote:" in any of its shapes: an attribution start, a
/// "wrote"-like verb as a word, and a colon at the end (an address or a name may sit between).
fn is_attribution(line: &str) -> bool {
    if !line.ends_with(':') || line.len() > 400 {
        return false;
    }
    let spaced = format!(" {} ", line.replace(|c: char| !c.is_alphanumeric(), " "));
    // iOS drops the opening word in some languages ("4 jan. 2027 kl. 10:12 skrev …:").
    let starts = ATTRIBUTION_STARTS.iter().any(|s| line.starts_with(s))
        || line.starts_with(|c: char| c.is_ascii_digit());
    starts && WROTE_WORDS.iter().any(|w| spaced.contains(w))
}

fn header_lines_follow(folded: &[String], i: usize) -> bool {
    folded.iter().skip(i + 1).take(4).any(|next| {
        let next = next.trim_start_matches(['*', ' ']);
        NEXT_LABELS.iter().any(|l| next.starts_with(l))
    })
}

/// The byte offset of a "From:"-style label after the start of `line`, when header lines follow.
fn inline_header_start(line: &str, folded: &[String], i: usize) -> Option<usize> {
    let lower = line.to_ascii_lowercase();
    let at = [
        "from:", "von:", "de:", "de :", "da:", "van:", "från:", "fra:",
    ]
    .iter()
    .filter_map(|label| find_at_word_start(&lower, label, 1))
    .min()?;
    header_lines_follow(folded, i).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmail_attribution_and_quoted_lines_are_cut() {
        let body = "Sounds good, call me.\n\nOn Mon, 4 Jan 2027 at 10:00, Jonas <j@b.io> wrote:\n> Hi\n> unsubscribe here\n";
        assert_eq!(new_text(body).trim(), "Sounds good, call me.");
    }

    #[test]
    fn attributions_ending_in_the_authors_address_are_cut() {
        for line in [
            "Am 04.01.2027 um 10:12 schrieb Jonas Weber <jonas@brightlane.io>:",
            "Le lun. 4 janv. 2027 à 10:12, Jonas Weber <jonas@brightlane.io> a écrit :",
            "Den 4 jan. 2027 kl. 10:12 skrev Jonas Weber <jonas@brightlane.io>:",
            "On Mon, Jan 4, 2027, 10:12 Jonas Weber <jonas@brightlane.io> wrote:",
            "4 jan. 2027 kl. 10:12 skrev Jonas Weber <jonas@brightlane.io>:",
            "Op 4 jan. 2027 om 10:12 heeft Jonas Weber <jonas@brightlane.io> het volgende geschreven:",
        ] {
            let body = format!("Call me Tuesday.\n\n{line}\nHi, unsubscribe here\n");
            assert_eq!(new_text(&body).trim(), "Call me Tuesday.", "{line}");
        }
    }

    #[test]
    fn a_gmail_attribution_wrapped_over_two_lines_is_cut_whole() {
        let body = "STOP\n\nOn Mon, Jan 4, 2027 at 10:12 AM Jonas Weber <\njonas@brightlane.io> wrote:\n\n> Hi";
        assert_eq!(new_text(body).trim(), "STOP");
    }

    #[test]
    fn nordic_outlook_header_blocks_are_cut() {
        let body = "Tak, ring mig.\n\nFra: Jonas Weber <jonas@brightlane.io>\nSendt: 4. januar 2027 10:12\nTil: Sara\nEmne: x\nafmeld";
        assert_eq!(new_text(body).trim(), "Tak, ring mig.");
    }

    #[test]
    fn bold_header_labels_from_converted_html_are_cut() {
        let body =
            "Sure, send pricing.\n\n*From:* Jonas Weber\n*Sent:* Monday\n*To:* Mark\nunsubscribe";
        assert_eq!(new_text(body).trim(), "Sure, send pricing.");
    }

    #[test]
    fn quoted_lines_keep_the_line_numbering() {
        let body = "> quoted\nnew line\n> more\nlast";
        assert_eq!(new_text(body), "\nnew line\n\nlast");
    }

    #[test]
    fn outlook_header_blocks_in_several_languages_are_cut() {
        for block in [
            "From: Jonas\nSent: Monday\nTo: Lena\nSubject: x",
            "Von: Jonas\nGesendet: Montag, 4. Januar 2027\nAn: Lena",
            "De : Jonas\nEnvoyé : lundi 4 janvier 2027\nÀ : Lena",
            "-----Ursprüngliche Nachricht-----\nVon: Jonas",
            "________________________________\nFrom: Jonas",
        ] {
            let body = format!("Danke!\n\n{block}\n\nTo unsubscribe reply stop");
            assert_eq!(new_text(&body).trim(), "Danke!", "{block}");
        }
    }

    #[test]
    fn a_from_line_in_prose_is_not_a_quote_header() {
        let body = "From: the team, with thanks.\nWe would like a demo.";
        assert_eq!(new_text(body), body);
    }

    #[test]
    fn a_header_block_mid_line_from_converted_html_is_cut() {
        let body = "Happy to chat.\nGet Outlook for iOS From: Jonas <j@b.io>\n Sent:Monday\n To:Priya\n Not interested? unsubscribe";
        assert_eq!(new_text(body), "Happy to chat.\nGet Outlook for iOS ");
    }

    #[test]
    fn signatures_are_cut() {
        assert_eq!(
            new_text("Yes please\n-- \nLena\nunsubscribe").trim(),
            "Yes please"
        );
    }
}
