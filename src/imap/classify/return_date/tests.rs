//! Return dates in the eight languages the classifier reads, with year inference.

use chrono::NaiveDate;

use super::extract;

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
