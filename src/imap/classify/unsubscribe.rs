//! Unsubscribe requests in replies: explicit phrases in eight languages anywhere in the new
//! text, a bare "stop"-like word when it is nearly all the sender wrote, or an unsubscribe
//! subject (what a `mailto:` List-Unsubscribe link sends).
//!
//! Only the new text counts (see `quote.rs`): our quoted footer says "unsubscribe" too.

use super::inbound::Inbound;
use super::quote::new_text;
use super::subject::normalize_subject;
use super::text::{clip, words};

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
const SHORT_LIMIT_WORDS: usize = 4;

/// Words that negate a phrase right after them (English, German, French, Dutch, Swedish,
/// Italian; Spanish and Portuguese phrases carry their own "no"/"nao").
const NEGATIONS: &[&str] = &[
    "don", "dont", "not", "never", "nicht", "nie", "pas", "niet", "inte", "non",
];

/// Subjects (after prefix stripping) that are a request on their own.
#[rustfmt::skip]
const SUBJECTS: &[&str] = &[
    "unsubscribe", "remove", "remove me", "stop", "opt out", "abmelden", "abbestellen",
    "desabonner", "desinscription", "desinscrire", "baja", "darme de baja", "cancellazione",
    "disiscrizione", "afmelden", "uitschrijven", "avregistrera", "avregistrering", "descadastrar",
    "descadastro",
];

/// Whether a reply asks us to stop writing (noting the subject or phrase as evidence).
pub(super) fn requested(inbound: &Inbound<'_>) -> bool {
    if is_unsubscribe_subject(&inbound.subject) {
        inbound.note("unsubscribe-subject", "subject", &inbound.subject);
        return true;
    }
    let fresh = new_text(&inbound.body);
    let found = text_requests(&fresh);
    if found {
        inbound.note("unsubscribe-wording", "body (new text)", &fresh);
    }
    found
}

/// Whether the subject alone is an unsubscribe request.
pub(super) fn is_unsubscribe_subject(subject: &str) -> bool {
    let normalized = words(&normalize_subject(subject));
    SUBJECTS.iter().any(|s| normalized.trim() == *s)
}

fn text_requests(new_text: &str) -> bool {
    let w = words(clip(new_text, 8 * 1024));
    if PHRASES.iter().any(|p| affirmed(&w, p)) {
        return true;
    }
    let count = w.split_whitespace().count();
    count <= SHORT_LIMIT_WORDS && w.split_whitespace().any(|word| SHORT_WORDS.contains(&word))
}

/// Whether `phrase` occurs in `w` (a `text::words` string) without a negation in the three
/// words before it ("don't remove me from the thread" is no request).
fn affirmed(w: &str, phrase: &str) -> bool {
    let needle = format!(" {phrase}");
    let mut from = 0;
    while let Some(found) = w.get(from..).and_then(|rest| rest.find(&needle)) {
        let at = from + found;
        let negated = w[..at]
            .split_whitespace()
            .rev()
            .take(3)
            .any(|word| NEGATIONS.contains(&word));
        if !negated {
            return true;
        }
        from = at + needle.len();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule on a subject and a body alone.
    fn requested(subject: &str, body: &str) -> bool {
        is_unsubscribe_subject(subject) || text_requests(&new_text(body))
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
