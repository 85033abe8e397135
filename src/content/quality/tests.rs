use super::*;

fn settings() -> QualitySettings {
    QualitySettings::default()
}

fn phrases(list: &[&str]) -> Vec<String> {
    list.iter().map(|p| (*p).to_owned()).collect()
}

#[test]
fn a_clean_email_passes_every_gate() {
    let body = "Hi Ada,\n\nSaw that Acme [PDF] ships <b>fast</b>; worth a chat?\n\n-- Bob";
    assert_eq!(
        check(
            "Quick question",
            body,
            &settings(),
            &phrases(&["guarantee"])
        ),
        Ok(())
    );
}

#[test]
fn empty_and_overlong_parts_are_named() {
    use TemplatePart::{Body, Subject};
    let long_subject = "s".repeat(121);
    let long_body = "b".repeat(5001);
    let cases: &[(&str, &str, Defect)] = &[
        ("", "body", Defect::Empty(Subject)),
        ("   ", "body", Defect::Empty(Subject)),
        ("Subject", " \n ", Defect::Empty(Body)),
        (
            &long_subject,
            "body",
            Defect::TooLong {
                part: Subject,
                chars: 121,
                max: 120,
            },
        ),
        (
            "Subject",
            &long_body,
            Defect::TooLong {
                part: Body,
                chars: 5001,
                max: 5000,
            },
        ),
    ];
    for (subject, body, want) in cases {
        assert_eq!(
            check(subject, body, &settings(), &[]),
            Err(want.clone()),
            "{subject:?}"
        );
    }
}

#[test]
fn unresolved_placeholders_of_every_style_are_caught() {
    let cases = [
        ("Hi {{ first_name }},", "{{ first_name }}"),
        ("Hi {{first_name}},", "{{first_name}}"),
        ("{% if company %}Hi{% endif %}", "{% if company %}"),
        ("Hi {first_name},", "{first_name}"),
        ("Hi [First Name],", "[First Name]"),
        ("I love what [Company] does", "[Company]"),
        ("Best, [Your Name Here]", "[Your Name Here]"),
        ("Hi [first_name],", "[first_name]"),
        ("Congrats to <COMPANY> on the raise", "<COMPANY>"),
        ("Hi <FIRST NAME>", "<FIRST NAME>"),
    ];
    for (body, found) in cases {
        assert_eq!(
            check("Subject", body, &settings(), &[]),
            Err(Defect::Placeholder {
                part: TemplatePart::Body,
                text: found.into()
            }),
            "{body:?}"
        );
    }
}

#[test]
fn ordinary_brackets_and_braces_are_not_placeholders() {
    for body in [
        "See the attached [PDF] and <b>notes</b>.",
        "Our API returns {} or [] when empty.",
        "Costs dropped (by 30%) [1].",
        "Spintax like {a|b} is resolved before this runs, and a|b alone is fine.",
        "Mail me at <ada@example.com>.",
    ] {
        assert_eq!(check("Subject", body, &settings(), &[]), Ok(()), "{body:?}");
    }
}

#[test]
fn banned_phrases_match_whole_words_in_any_case_and_spacing() {
    let banned = phrases(&["free", "act now", "100% guaranteed!"]);
    let cases: &[(&str, Option<&str>)] = &[
        ("It is FREE for you", Some("free")),
        ("Please act\n  now before Friday", Some("act now")),
        ("Results 100% GUARANTEED!", Some("100% guaranteed!")),
        ("Freedom of choice, carefree", None),
        ("We react nowadays", None),
    ];
    for (body, want) in cases {
        let got = check("Subject", body, &settings(), &banned);
        let want = want.map(|p| Defect::BannedPhrase {
            part: TemplatePart::Body,
            phrase: p.into(),
        });
        assert_eq!(got, want.map_or(Ok(()), Err), "{body:?}");
    }
}

#[test]
fn the_subject_is_checked_before_the_body() {
    let got = check("Free offer", "Also free", &settings(), &phrases(&["free"]));
    assert_eq!(
        got,
        Err(Defect::BannedPhrase {
            part: TemplatePart::Subject,
            phrase: "free".into()
        })
    );
}

#[test]
fn a_defect_reads_as_the_reason_of_a_failed_step() {
    let d = Defect::Placeholder {
        part: TemplatePart::Body,
        text: "[Company]".into(),
    };
    assert_eq!(
        d.to_string(),
        r#"the body has an unresolved placeholder "[Company]""#
    );
    assert!(Defect::REASONS.contains(&d.reason()));
}
