//! Unsubscribe requests in replies: explicit phrases in eight languages anywhere in the new
//! text, a bare "stop"-like word when it is nearly all the sender wrote, or an unsubscribe
//! subject (what a `mailto:` List-Unsubscribe link sends).
//!
//! Only the new text counts (see `quote.rs`): our quoted footer says "unsubscribe" too.

use super::inbound::Inbound;
use super::quote::new_text;
use super::subject::normalize_subject;
use super::text::{clip, collapse_ws, fold, line_number, words};

/// Phrases (matched at a word start, so stems like "descadastr" cover their endings).
#[rustfmt::skip]
const PHRASES: &[&str] = &[
    // English
    "unsubscrib", "remove me", "remove my email", "remove my address", "remove us from",
    "remove this email", "take me off", "take us off", "opt out", "opt me out", "do not contact me",
    "don t contact me", "dont contact me", "do not email me", "don t email me", "stop emailing",
    "stop sending", "stop contacting", "no more emails",
    // German
    "abmelden", "abbestellen", "austragen", "tragen sie mich", "tragt mich", "entfernen sie mich",
    "loschen sie mich", "keine weiteren e mails", "keine weiteren mails", "keine e mails mehr",
    "keine mails mehr", "nicht mehr kontaktieren", "nicht mehr anschreiben",
    // French
    "desabonn", "desinscri", "retirez moi", "supprimez moi", "ne plus recevoir",
    "ne me contactez plus", "arretez de m",
    // Spanish
    "darme de baja", "dar de baja", "darse de baja", "denme de baja", "eliminarme", "elimineme",
    "borrarme", "quitarme", "no me contacten", "no quiero recibir", "dejen de enviar",
    "cancelar suscripcion", "cancelar mi suscripcion",
    // Italian
    "disiscriv", "cancellami", "cancellarmi", "cancellatemi", "rimuovimi", "rimuovetemi",
    "rimuovermi", "togliermi", "toglietemi", "non contattatemi", "non voglio ricevere",
    // Dutch
    "afmelden", "uitschrijven", "schrijf me uit", "schrijf mij uit", "verwijder me",
    "verwijder mij", "geen e mails meer", "geen mails meer", "niet meer mailen",
    // Swedish
    "avregistrera", "avprenumerera", "avsluta prenumeration", "ta bort mig", "sluta skicka",
    "sluta maila", "sluta mejla", "inga fler mejl", "inga fler mail",
    // Portuguese
    "descadastr", "cancelar inscricao", "cancelar subscricao", "me remova", "me remover",
    "remova me", "remover me", "me tire da", "me retire da", "nao quero receber", "parem de enviar",
];

/// Words that are an unsubscribe request when they are (almost) all the new text says.
#[rustfmt::skip]
const SHORT_WORDS: &[&str] = &[
    "stop", "stopp", "stoppen", "stoppa", "arret", "arrete", "arretez", "basta", "baja", "pare",
    "parem", "remove", "unsubscribe",
];
/// Words that may stand beside a short word in its clause ("Stop please", "STOP!! thanks").
#[rustfmt::skip]
const POLITE: &[&str] = &[
    "please", "pls", "plz", "thanks", "thank", "you", "thx", "now", "it", "me", "bitte", "danke",
    "merci", "svp", "gracias", "por", "favor", "grazie", "graag", "aub", "tack", "obrigado",
    "obrigada", "ok",
];
const SHORT_LIMIT_WORDS: usize = 4;

/// Words that negate a phrase right after them (English, German, French, Dutch, Swedish,
/// Italian, "no need to"); Spanish and Portuguese phrases carry their own "no"/"nao".
const NEGATIONS: &[&str] = &[
    "no", "don", "dont", "not", "never", "nicht", "nie", "pas", "niet", "inte", "non",
];
/// Words that may sit between a negation and the phrase it negates ("don't you dare remove
/// me" is rare; "please don't ever remove me", "I do not want you to remove me" are not).
#[rustfmt::skip]
const NEGATION_FILLERS: &[&str] = &[
    "t", "do", "does", "please", "you", "ever", "want", "need", "to", "should", "will", "won",
    "wouldn", "shouldn", "can", "go", "just", "yet", "i", "we", "bitte", "uns", "mich",
];

/// Objects that turn a "take me off" / "remove me from" into a change of who is in a
/// conversation (the CC line, an invite), not an opt-out.
#[rustfmt::skip]
const CONVERSATION_OBJECTS: &[&str] = &[
    "cc", "bcc", "invite", "invitation", "meeting", "call", "calendar", "invoice", "copy",
    "copia", "copie", "kopie", "kopia", "kopian", "termin", "webinar", "event", "demo",
];
/// Objects that make "remove me from this thread" a hand-over when the text names someone to
/// take over, and otherwise leave it for a person: in cold outreach the thread is our mail.
#[rustfmt::skip]
const THREAD_OBJECTS: &[&str] = &[
    "thread", "chain", "loop", "conversation", "hilo", "fil", "trad", "traden", "draad",
];
/// Words (`text::words` form) that hand the conversation to someone else.
#[rustfmt::skip]
const HANDOVER: &[&str] = &[
    " colleague", " take over", " takes over", " instead ", " add ", " loop in ", " forward",
    " kollege", " kollegin", " collegue", " colega", " collega", " kollega", " cc ",
];

/// Words after "unsubscribe"/"opt out" that make it a noun or adjective ("unsubscribe rates in
/// your case study", "the opt-out link"), and words before it that do the same.
#[rustfmt::skip]
const NOUN_AFTER: &[&str] = &[
    "rate", "rates", "ratio", "metrics", "numbers", "stats", "statistics", "data", "figures",
    "flow", "flows", "process", "feature", "link", "links", "button", "page", "footer", "header",
    "headers", "requests", "compliance", "handling", "management", "events", "tracking", "trend",
    "trends", "option", "options", "form", "mechanism", "url",
];
#[rustfmt::skip]
const NOUN_BEFORE: &[&str] = &[
    "the", "our", "your", "their", "an", "low", "high", "higher", "lower", "reduce", "reducing",
    "track", "tracking", "about", "many", "more", "fewer", "of",
];
/// Phrases that `NOUN_AFTER`/`NOUN_BEFORE` apply to.
const NOUN_PHRASES: &[&str] = &["unsubscrib", "opt out"];
/// Phrases that ask us to stop only when what follows is us, our mail, or nothing
/// ("stop sending me these", "stop emailing") and not another object ("we need to stop sending
/// invoices by hand").
const OBJECT_PHRASES: &[&str] = &["stop sending", "stop emailing", "stop contacting"];
#[rustfmt::skip]
const OUR_MAIL: &[&str] = &[
    "me", "us", "these", "this", "them", "emails", "email", "mails", "mail", "e", "messages",
    "your", "any", "so", "please", "thanks", "thank", "i", "we", "anything", "stuff",
];

/// Words that make a request conditional ("if this isn't relevant, remove me").
#[rustfmt::skip]
const CONDITIONALS: &[&str] = &[
    "if", "unless", "wenn", "falls", "sofern", "si", "tenzij", "caso",
];
/// Words after a conditional that make it a polite request instead ("if you could remove me").
#[rustfmt::skip]
const POLITE_IF: &[&str] = &[
    "you could", "you can", "you would", "you wouldn", "you don", "possible", "moglich", "sie mich",
    "vous pouvez", "vous pourriez", "usted", "puede", "possibile", "mogelijk", "mojligt",
    "possivel",
];
/// Words that offer an alternative to the request ("… otherwise, what does it cost?").
#[rustfmt::skip]
const OTHERWISE: &[&str] = &[
    "otherwise", "sonst", "ansonsten", "sinon", "altrimenti", "anders", "annars", "ellers",
    "contrario", "senao",
];
/// Phrases (`text::words` form) that put a request off rather than end the conversation
/// ("remove me for now, check back in Q3"). A bare "for now" is not one: "not for now,
/// remove me" is a plain refusal.
#[rustfmt::skip]
const DEFERRALS: &[&str] = &[
    " check back", " reach out again", " try again in", " next quarter ", " later this year",
    " in a few months", " in q1 ", " in q2 ", " in q3 ", " in q4 ", " melden sie sich gern",
    " recontactez moi", " vuelva a contactar", " ricontattatemi",
];

/// Words of a buying question ("what does it cost?", "can we do a demo?").
#[rustfmt::skip]
const INTEREST: &[&str] = &[
    "cost", "costs", "price", "prices", "pricing", "priced", "demo", "trial", "quote", "budget",
    "call", "meeting", "meet", "integrate", "integration", "kosten", "kostet", "preis", "preise",
    "termin", "prix", "tarif", "tarifs", "cout", "coute", "precio", "precios", "coste", "cuesta",
    "prezzo", "prezzi", "costo", "costa", "prijs", "prijzen", "kost", "pris", "priser", "kostar",
    "preco", "precos", "custo", "custa",
];

/// Closing lines of mobile and webmail clients ("Sent from my iPhone"): not words the sender
/// chose, so they must not push a bare "STOP" past the short-word limit.
#[rustfmt::skip]
const CLIENT_SIGNATURES: &[&str] = &[
    "sent from my ", "sent from yahoo mail", "sent from outlook", "sent from mail for windows",
    "sent from the ", "sent via ", "sent with ", "get outlook for ", "von meinem ",
    "gesendet von ", "gesendet mit ", "envoye de mon ", "envoye depuis ", "enviado desde mi ",
    "enviado desde ", "enviado de meu ", "enviado do meu ", "enviado do ", "inviato da ",
    "inviato dal mio ", "verstuurd vanaf mijn ", "verzonden vanaf mijn ", "verzonden met ",
    "skickat fran min ", "skickat fran ", "sendt fra min ", "sendt fra ", "lahetetty ",
];

/// Subjects (after prefix stripping) that are a request on their own.
#[rustfmt::skip]
const SUBJECTS: &[&str] = &[
    "unsubscribe", "remove", "remove me", "stop", "opt out", "abmelden", "abbestellen",
    "desabonner", "desinscription", "desinscrire", "baja", "darme de baja", "cancellazione",
    "disiscrizione", "afmelden", "uitschrijven", "avregistrera", "avregistrering", "descadastrar",
    "descadastro",
];

/// What a reply's text says about being mailed again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ask {
    /// Nothing, or opt-out words in another sense.
    No,
    /// A clear request to stop.
    Stop,
    /// An opt-out phrase that is hedged, conditional or beside a buying question: a person
    /// decides, and the best guess is a reply.
    Unsure,
}

/// Where and how the new text asks to stop.
#[derive(Debug, PartialEq, Eq)]
struct Found {
    ask: Ask,
    /// 1-based line of the body.
    line: usize,
    text: String,
}

/// Whether a reply asks us to stop writing (noting the subject or phrase as evidence).
pub(super) fn requested(inbound: &Inbound<'_>) -> Ask {
    if is_unsubscribe_subject(&inbound.subject) {
        inbound.note("unsubscribe-subject", "subject", &inbound.subject);
        return Ask::Stop;
    }
    let Some(found) = find(&new_text(&inbound.body)) else {
        return Ask::No;
    };
    let rule = match found.ask {
        Ask::Unsure => "unsubscribe-or-reply",
        _ => "unsubscribe-wording",
    };
    inbound.note(rule, format!("body line {}", found.line), &found.text);
    found.ask
}

/// Whether the subject alone is an unsubscribe request.
pub(super) fn is_unsubscribe_subject(subject: &str) -> bool {
    let normalized = words(&normalize_subject(subject));
    SUBJECTS.iter().any(|s| normalized.trim() == *s)
}

/// One sentence of the new text: where it starts, its first body line, its text, whether it
/// asks something. A sentence may run over line breaks (hard-wrapped text); a blank line
/// ends it.
struct Sentence<'a> {
    start: usize,
    text: &'a str,
    question: bool,
}

/// Sentences kept per message: far more than any real reply has.
const MAX_SENTENCES: usize = 512;

/// The sentences of `text`: split after ".", "!", "?", ";" and at blank lines.
fn sentences(text: &str) -> Vec<Sentence<'_>> {
    let mut out = Vec::new();
    let mut push = |start: usize, end: usize| {
        let piece = &text[start..end];
        if out.len() < MAX_SENTENCES && piece.chars().any(char::is_alphanumeric) {
            out.push(Sentence {
                start,
                text: piece,
                question: piece.trim_end().ends_with('?'),
            });
        }
    };
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, b) in bytes.iter().enumerate() {
        let end = match b {
            b'.' | b'!' | b'?' | b';' => Some(i + 1),
            b'\n' if blank_line_follows(&bytes[i + 1..]) => Some(i),
            _ => None,
        };
        if let Some(end) = end.filter(|e| *e > start) {
            push(start, end);
            start = end;
        }
    }
    push(start, text.len());
    out
}

/// Whether the next line is blank (spaces and tabs only).
fn blank_line_follows(rest: &[u8]) -> bool {
    rest.iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\r'))
        .is_none_or(|b| *b == b'\n')
}

/// The new text with client signature lines blanked (line numbering kept).
fn without_client_signatures(text: &str) -> String {
    text.lines()
        .map(|line| {
            let f = fold(line.trim());
            let signature = CLIENT_SIGNATURES.iter().any(|s| f.starts_with(s));
            if signature { "" } else { line }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn find(new_text: &str) -> Option<Found> {
    let text = without_client_signatures(clip(new_text, 8 * 1024));
    let all = sentences(&text);
    let whole = words(&text);
    let otherwise = OTHERWISE.iter().any(|o| whole.contains(&format!(" {o} ")))
        || DEFERRALS.iter().any(|d| whole.contains(d));
    for (k, sentence) in all.iter().enumerate() {
        let Some(phrase) = phrase_in(sentence.text) else {
            continue;
        };
        let handover = HANDOVER.iter().any(|h| whole.contains(h));
        if phrase.thread && handover {
            continue;
        }
        let buying_question = all.iter().enumerate().any(|(j, other)| {
            j != k && other.question && {
                let w = words(other.text);
                INTEREST.iter().any(|i| w.contains(&format!(" {i} ")))
            }
        });
        let ask = if phrase.conditional || phrase.thread || otherwise || buying_question {
            Ask::Unsure
        } else {
            Ask::Stop
        };
        return Some(Found {
            ask,
            line: line_number(&text, sentence.start + phrase.at),
            text: collapse_ws(sentence.text),
        });
    }
    short_request(&text)
}

/// A bare "STOP" / "Remove" / "Unsubscribe": at most four words in all, and a clause of only
/// short and polite words.
fn short_request(text: &str) -> Option<Found> {
    if words(text).split_whitespace().count() > SHORT_LIMIT_WORDS {
        return None;
    }
    text.lines()
        .enumerate()
        .flat_map(|(i, line)| clauses(line).into_iter().map(move |c| (i, line, c.1)))
        .find(|(_, _, clause)| {
            let w = words(clause);
            let mut any_short = false;
            let only_short = w.split_whitespace().all(|word| {
                let short = SHORT_WORDS.contains(&word);
                any_short |= short;
                short || POLITE.contains(&word)
            });
            only_short && any_short
        })
        .map(|(i, line, _)| Found {
            ask: Ask::Stop,
            line: i + 1,
            text: line.trim().to_owned(),
        })
}

/// Clauses of a sentence with their byte offsets: split at commas, colons, parentheses and
/// dashes between words. Line breaks stay inside (see `clause_words`).
fn clauses(sentence: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev = ' ';
    let mut chars = sentence.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map_or(' ', |(_, n)| *n);
        let boundary = matches!(c, ',' | ':' | '(' | ')' | '\u{2013}' | '\u{2014}')
            || (c == '-' && prev.is_whitespace() && next.is_whitespace());
        if boundary {
            out.push((start, &sentence[start..i]));
            start = i + c.len_utf8();
        }
        prev = c;
    }
    out.push((start, &sentence[start..]));
    out
}

/// A clause as a `text::words` string, with the offset in it where each of its lines starts.
fn clause_words(clause: &str) -> (String, Vec<usize>) {
    let mut w = String::from(" ");
    let mut starts = Vec::new();
    for line in clause.split('\n') {
        starts.push(w.len() - 1);
        w.push_str(words(line).trim_start());
    }
    (w, starts)
}

/// An affirmed opt-out phrase in `sentence`.
struct Phrase {
    /// Byte offset in the sentence of the line the phrase starts on.
    at: usize,
    /// An "if"/"unless" in the sentence hedges it.
    conditional: bool,
    /// It asks to leave a thread ("remove me from this thread").
    thread: bool,
}

fn phrase_in(sentence: &str) -> Option<Phrase> {
    let (at, thread) = clauses(sentence).into_iter().find_map(|(offset, clause)| {
        let (w, starts) = clause_words(clause);
        let (at, thread) = PHRASES.iter().find_map(|p| affirmed(&w, &starts, p))?;
        let line = starts.iter().rposition(|s| *s <= at).unwrap_or(0);
        // The byte offset of that line in the sentence.
        let line_offset: usize = clause.split('\n').take(line).map(|l| l.len() + 1).sum();
        Some((offset + line_offset, thread))
    })?;
    // Spanish "Sí" (yes) folds to the conditional "si".
    let yes = sentence.contains("sí") || sentence.contains("Sí");
    Some(Phrase {
        at,
        conditional: conditional(&words(sentence), yes),
        thread,
    })
}

/// Whether a `text::words` string holds a conditional that is not a polite "if you could".
fn conditional(w: &str, spanish_yes: bool) -> bool {
    let tokens: Vec<&str> = w.split_whitespace().collect();
    tokens.iter().enumerate().any(|(i, t)| {
        CONDITIONALS.contains(t) && !(spanish_yes && *t == "si") && {
            let next = tokens
                .get(i + 1..(i + 3).min(tokens.len()))
                .unwrap_or_default();
            let next = next.join(" ");
            !POLITE_IF.iter().any(|p| next.starts_with(p))
        }
    })
}

/// The offset of `phrase` in `w` (one clause as a `text::words` string) where it is a request:
/// not negated ("don't remove me from the thread"), not a noun ("unsubscribe rates"), not
/// about a conversation ("take me off the CC"), not another object ("stop sending invoices").
fn affirmed(w: &str, line_starts: &[usize], phrase: &str) -> Option<(usize, bool)> {
    let needle = format!(" {phrase}");
    let mut from = 0;
    while let Some(found) = w.get(from..).and_then(|rest| rest.find(&needle)) {
        let at = from + found;
        let end = at + needle.len();
        // A negation never reaches back over a line break.
        let line_start = line_starts
            .iter()
            .rev()
            .find(|s| **s <= at)
            .copied()
            .unwrap_or(0);
        let before: Vec<&str> = w[line_start..at].split_whitespace().rev().take(4).collect();
        // The rest of the word the phrase ends in ("unsubscrib|ing"), then the words after.
        let tail = w[end..].split_once(' ').map_or("", |(_, t)| t);
        let after: Vec<&str> = tail.split_whitespace().take(5).collect();
        let negated = before
            .iter()
            .position(|word| NEGATIONS.contains(word))
            .is_some_and(|n| before[..n].iter().all(|f| NEGATION_FILLERS.contains(f)));
        let noun = NOUN_PHRASES.contains(&phrase)
            && (after.first().is_some_and(|a| NOUN_AFTER.contains(a))
                || before.first().is_some_and(|b| NOUN_BEFORE.contains(b)));
        let conversation = after.iter().any(|a| CONVERSATION_OBJECTS.contains(a));
        let other_object = OBJECT_PHRASES.contains(&phrase)
            && after.first().is_some_and(|a| !OUR_MAIL.contains(a));
        if !(negated || noun || conversation || other_object) {
            let thread = after.iter().any(|a| THREAD_OBJECTS.contains(a));
            return Some((at, thread));
        }
        from = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule on a subject and a body alone.
    fn ask(subject: &str, body: &str) -> Ask {
        if is_unsubscribe_subject(subject) {
            return Ask::Stop;
        }
        find(&new_text(body)).map_or(Ask::No, |f| f.ask)
    }

    fn requested(subject: &str, body: &str) -> bool {
        ask(subject, body) == Ask::Stop
    }

    #[test]
    fn explicit_requests_in_eight_languages_are_found() {
        for body in [
            "Please remove me from your list.",
            "Bitte tragen Sie mich aus Ihrem Verteiler aus.",
            "Merci de me désinscrire.",
            "Por favor, darme de baja.",
            "Vi prego di cancellarmi dalla lista.",
            "Graag afmelden voor deze mails.",
            "Ta bort mig från er lista, tack.",
            "Por favor me descadastrem.",
        ] {
            assert!(requested("Re: Quick question", body), "{body}");
        }
    }

    #[test]
    fn a_bare_stop_is_a_request_but_stop_in_a_sentence_is_not() {
        assert!(requested("Re: x", "STOP\n"));
        assert!(requested("Re: x", "Stop please."));
        assert!(!requested(
            "Re: x",
            "We cannot stop by next week, but Friday works."
        ));
        assert!(!requested("Re: x", "Stop by tomorrow?"));
        assert!(!requested("Re: x", "Remove the setup fee?"));
    }

    #[test]
    fn a_one_word_opt_out_above_a_mobile_client_signature_is_a_request() {
        for signature in [
            "Sent from my iPhone",
            "Get Outlook for Android",
            "Von meinem iPhone gesendet",
            "Envoyé de mon iPhone",
            "Enviado desde mi iPhone",
            "Verstuurd vanaf mijn iPhone",
            "Skickat från min iPhone",
            "Sent from Yahoo Mail on Android",
            "Sent from my Galaxy",
        ] {
            for word in ["Unsubscribe", "STOP", "Remove"] {
                let body = format!("{word}\n\n{signature}\n");
                assert!(requested("Re: x", &body), "{body}");
            }
        }
    }

    #[test]
    fn a_negative_opening_does_not_negate_the_next_sentence() {
        for body in [
            "No thanks. Please remove me.",
            "Not interested, take me off your list",
            "Not interested - please remove me.",
            "Not now!\nUnsubscribe me",
            "Nicht interessiert. Bitte tragen Sie mich aus.",
        ] {
            assert!(requested("Re: x", body), "{body}");
        }
        assert!(!requested("Re: x", "Please don't remove me from the list."));
        assert!(!requested("Re: x", "I do not want you to unsubscribe me."));
        assert!(!requested(
            "Re: x",
            "No need to remove me, just write less often."
        ));
    }

    #[test]
    fn opt_out_words_in_another_sense_are_no_request() {
        for body in [
            "Can you remove the setup fee?",
            "We'd like to stop using our current tool by March.",
            "Please take me off the CC and add my colleague Anna.",
            "Your case study mentions unsubscribe rates - how were they measured?",
            "Where is the opt-out link in your templates?",
            "We need to stop sending invoices by hand.",
            "Please remove me from this thread, Anna will take over.",
        ] {
            assert_eq!(ask("Re: x", body), Ask::No, "{body}");
        }
    }

    #[test]
    fn a_plain_refusal_with_for_now_stays_a_request() {
        assert_eq!(
            ask("Re: x", "Not for now, thanks. Please remove me."),
            Ask::Stop
        );
    }

    #[test]
    fn opt_out_words_only_in_quoted_text_are_no_request() {
        for body in [
            "Sounds good.\n\n> Reply STOP to unsubscribe",
            "Sounds good.\n\nAm 04.01.2027 um 10:12 schrieb Jonas <j@b.io>:\nabmelden: https://x",
            "Sounds good.\n-----Original Message-----\nFrom: Jonas\nunsubscribe",
            "Sounds good.\n\nFrom: Jonas\nSent: Monday\nTo: Mark\nunsubscribe",
            "Sounds good.\n\nLe 4 janv. 2027, Jonas a écrit :\nse désinscrire",
        ] {
            assert_eq!(ask("Re: x", body), Ask::No, "{body}");
        }
    }

    #[test]
    fn a_hedged_or_mixed_request_is_unsure() {
        for body in [
            "If this isn't relevant, remove me - otherwise what does it cost?",
            "Remove me unless you support SAP.",
            "Please take me off your list. Or wait: what does the pro plan cost?",
            "Remove me for now, and check back in Q3 when budgets reopen.",
            "Please remove me from this thread.",
        ] {
            assert_eq!(ask("Re: x", body), Ask::Unsure, "{body}");
        }
        assert_eq!(
            ask("Re: x", "If you could remove me from your list, thanks."),
            Ask::Stop
        );
    }

    #[test]
    fn a_phrase_wrapped_over_two_lines_is_found_but_negation_stops_at_the_break() {
        assert!(requested(
            "Re: x",
            "We are not looking for this right now. Please take\nme off your list."
        ));
        assert!(requested("Re: x", "Not interested\nremove me please"));
        let found =
            find("Hi Jonas, thanks for\nthe note but please remove\nme from your list").unwrap();
        assert_eq!(found.line, 2);
    }

    #[test]
    fn the_deciding_line_is_named() {
        let found = find("Hi Jonas,\n\nNo thanks. Please remove me.\n").unwrap();
        assert_eq!(found.line, 3);
        assert_eq!(found.text, "Please remove me.");
    }

    #[test]
    fn our_quoted_footer_does_not_count() {
        let body = "Sounds interesting, send details.\n\nOn Mon, Jonas wrote:\n> Reply STOP or unsubscribe: https://x";
        assert!(!requested("Re: x", body));
    }

    #[test]
    fn unsubscribe_subjects_count_on_their_own() {
        assert!(requested("unsubscribe", ""));
        assert!(requested("Re: Abmelden", "Danke"));
        assert!(!requested("Unsubscribe link broken on your site?", ""));
    }
}
