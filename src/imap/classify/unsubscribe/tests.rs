//! The unsubscribe rules on a subject and a body alone.

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
