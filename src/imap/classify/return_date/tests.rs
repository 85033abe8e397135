//! Return dates in the eight languages the classifier reads, with year inference.

use chrono::NaiveDate;

/// The date alone, as most tests want it.
fn extract(text: &str, reference: Option<NaiveDate>) -> Option<NaiveDate> {
    super::extract(text, reference).map(|(date, _)| date)
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[test]
fn return_dates_are_read_in_eight_languages() {
    let sent = Some(d(2026, 12, 28));
    for (text, want) in [
        ("I will be back on 12 January.", d(2027, 1, 12)),
        (
            "I am out of the office until Monday, January 11th, 2027.",
            d(2027, 1, 11),
        ),
        ("Ich bin ab dem 13.01. wieder erreichbar.", d(2027, 1, 13)),
        (
            "Ab Montag, dem 4. Januar 2027 bin ich wieder im Büro.",
            d(2027, 1, 4),
        ),
        ("Ich bin zurück am 12.01.2027.", d(2027, 1, 12)),
        ("Je serai de retour le 12/01.", d(2027, 1, 12)),
        ("Absente jusqu’au 8 janvier inclus.", d(2027, 1, 9)),
        ("Regresaré el 15 de enero de 2027.", d(2027, 1, 15)),
        ("Rientrerò in ufficio il 7 gennaio.", d(2027, 1, 7)),
        ("Ik ben afwezig tot en met 5 januari.", d(2027, 1, 6)),
        ("Jag är tillbaka den 8 januari.", d(2027, 1, 8)),
        ("Estarei de volta em 12 de janeiro.", d(2027, 1, 12)),
        ("Away until 2027-02-03, limited access.", d(2027, 2, 3)),
    ] {
        assert_eq!(extract(text, sent), Some(want), "{text}");
    }
}

#[test]
fn inclusive_until_means_the_next_day() {
    let sent = Some(d(2026, 12, 20));
    assert_eq!(
        extract("bis einschließlich 09.01.2027 nicht im Büro", sent),
        Some(d(2027, 1, 10))
    );
    assert_eq!(
        extract("out of office through January 3", sent),
        Some(d(2027, 1, 4))
    );
}

#[test]
fn a_date_before_the_verb_is_found_in_german_and_dutch() {
    let sent = Some(d(2027, 1, 2));
    assert_eq!(
        extract("Ich bin am 12.01. wieder im Büro.", sent),
        Some(d(2027, 1, 12))
    );
    assert_eq!(
        extract("Op 14 januari ben ik weer terug.", sent),
        Some(d(2027, 1, 14))
    );
}

#[test]
fn english_slashes_read_month_first_and_others_day_first() {
    let sent = Some(d(2027, 1, 2));
    assert_eq!(extract("I'm out until 1/5.", sent), Some(d(2027, 1, 5)));
    assert_eq!(extract("Back 1/15.", sent), Some(d(2027, 1, 15)));
    assert_eq!(extract("De retour le 1/5.", sent), Some(d(2027, 5, 1)));
}

#[test]
fn return_words_win_over_until_words() {
    let sent = Some(d(2027, 1, 2));
    let text = "Vom 2. bis 12. Januar bin ich nicht im Büro, ab 13. Januar wieder erreichbar.";
    assert_eq!(extract(text, sent), Some(d(2027, 1, 13)));
}

#[test]
fn no_date_stale_dates_and_phone_numbers_give_nothing() {
    let sent = Some(d(2027, 1, 2));
    for text in [
        "I am out of the office with limited access to email.",
        "Back soon. Call 030/1234567 if urgent.",
        "I was back on 3 March 2025.",
        "until further notice",
    ] {
        assert_eq!(extract(text, sent), None, "{text}");
    }
    assert_eq!(extract("back on 12 January", None), None);
    assert_eq!(
        extract("back on 12 January 2027", None),
        Some(d(2027, 1, 12))
    );
}

#[test]
fn inclusive_phrasings_in_nordic_and_germanic_languages_mean_the_day_after() {
    let sent = Some(d(2026, 12, 20));
    for (text, want) in [
        ("Out of office through the 31st.", d(2027, 1, 1)),
        ("Away until and including 4 January.", d(2027, 1, 5)),
        (
            "Ich bin bis einschließlich 31. nicht im Büro.",
            d(2027, 1, 1),
        ),
        ("Abwesend bis inkl. 8.1.2027.", d(2027, 1, 9)),
        ("Ich bin bis einschl. 6. Januar im Urlaub.", d(2027, 1, 7)),
        ("Ik ben afwezig t/m 3 januari.", d(2027, 1, 4)),
        (
            "Ik ben er niet tot en met vrijdag 8 januari.",
            d(2027, 1, 9),
        ),
        ("Jag är ledig till och med 6 januari.", d(2027, 1, 7)),
        ("Jag är ledig t.o.m. 6/1.", d(2027, 1, 7)),
        ("Jeg har ferie til og med den 31.", d(2027, 1, 1)),
        ("Jeg er på ferie t.o.m. 3. januar.", d(2027, 1, 4)),
        ("Jeg er på ferie tom 3. januar.", d(2027, 1, 4)),
        ("Jeg er på ferie til og med 5. januar 2027.", d(2027, 1, 6)),
    ] {
        assert_eq!(extract(text, sent), Some(want), "{text}");
    }
}

#[test]
fn exclusive_back_on_means_that_very_day() {
    let sent = Some(d(2026, 12, 20));
    for (text, want) in [
        ("I'll be back on the 4th.", d(2027, 1, 4)),
        ("Ich bin zurück am 7. Januar.", d(2027, 1, 7)),
        ("Jag är tillbaka den 8 januari.", d(2027, 1, 8)),
        ("Jeg er tilbake den 11. januar.", d(2027, 1, 11)),
        ("Jeg er tilbage den 12. januar.", d(2027, 1, 12)),
    ] {
        assert_eq!(extract(text, sent), Some(want), "{text}");
    }
}

#[test]
fn a_preposition_that_is_not_followed_by_a_date_anchors_nothing() {
    let sent = Some(d(2027, 3, 1));
    for text in [
        "Autosvar: Till Anna",
        "Out of office re: invoice 12/3 to Acme",
        "Skickat till Anna Berg 12/3",
        "Tot ziens, uw factuur 12/3",
        "Bis bald! Rechnung 12/3",
        "Hasta luego, factura 12/3",
        "Ich bin bis 17 Uhr erreichbar.",
        "Til Jonas, faktura 12.3.",
    ] {
        assert_eq!(extract(text, sent), None, "{text}");
    }
    assert_eq!(
        extract("Ich bin bis Montag, 8. März nicht da.", sent),
        Some(d(2027, 3, 8))
    );
}

#[test]
fn the_line_that_states_the_date_is_named() {
    let sent = Some(d(2026, 12, 20));
    let text = "Hello,\n\nthanks for your mail.\nI am back on\n12 January.";
    assert_eq!(super::extract(text, sent), Some((d(2027, 1, 12), 4)));
}

#[test]
fn from_and_including_starts_the_absence_when_an_end_is_given() {
    let sent = Some(d(2026, 12, 20));
    for (text, want) in [
        (
            "Jag är ledig från och med 2 januari till och med 5 januari.",
            d(2027, 1, 6),
        ),
        (
            "Jeg er på ferie fra og med 2. januar til og med 5. januar.",
            d(2027, 1, 6),
        ),
        (
            "Ik ben afwezig vanaf 2 januari t/m 5 januari.",
            d(2027, 1, 6),
        ),
        (
            "Absent à partir du 2 janvier jusqu'au 5 janvier inclus.",
            d(2027, 1, 6),
        ),
        (
            "Från och med 8 januari är jag på plats igen.",
            d(2027, 1, 8),
        ),
    ] {
        assert_eq!(extract(text, sent), Some(want), "{text}");
    }
}
