//! Criterion micro benches of the per-message work on the hot path: rendering a step's
//! templates with spintax, building the message, classifying the server's reply, parsing an
//! address, pushing a due time into a sending window, and judging the inbound golden corpus. Each is microseconds or less, so a
//! regression here shows long before it shows in `benches/pipeline`.
//!
//! Kept short (small samples, 1-2 s per bench): `cargo bench --bench micro`.
//! Setup uses `expect`: a bench whose fixed inputs do not parse is a broken bench.

use std::hint::black_box;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use outreachd::content::{CampaignVars, LeadVars, RenderContext, SenderVars, render_draft};
use outreachd::domain::{EmailAddress, SendId, SendWindow};
use outreachd::smtp::{self, Cause, ListUnsubscribe, OutgoingMessage, Phase, Reply, SendError};

const SUBJECT: &str = "{Quick question|A thought|Idea} for {{ company }}";
const BODY: &str = "{Hi|Hello|Hey} {{ first_name }},\n\nI noticed {{ company }} is hiring for \
its sales team, which usually means outbound is about to become a priority. We help teams like \
yours book more first calls {without adding headcount|with the team you have}.\n\n{Would|Could} \
a 15-minute call next week be useful?\n\nBest,\n{{ sender.signature }}";

fn context() -> RenderContext {
    RenderContext {
        lead: LeadVars {
            email: "ada@example.com".into(),
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            full_name: Some("Ada Lovelace".into()),
            company: Some("Analytical Engines".into()),
            ..LeadVars::default()
        },
        campaign: CampaignVars {
            name: "Q4".into(),
            goal: Some("Book a call".into()),
            banned_phrases: Vec::new(),
        },
        sender: SenderVars {
            address: "sam@acme.test".into(),
            name: Some("Sam Seller".into()),
            first_name: Some("Sam".into()),
            signature: Some("Sam Seller\nAcme".into()),
        },
        step: 1,
        ..RenderContext::default()
    }
}

fn render(c: &mut Criterion) {
    let ctx = context();
    let mut seed = 0u64;
    c.bench_function("content::render_draft (spintax + minijinja)", |b| {
        b.iter(|| {
            seed = seed.wrapping_add(1);
            render_draft(black_box(SUBJECT), black_box(BODY), &ctx, seed).expect("renders")
        })
    });
}

fn message() -> OutgoingMessage {
    let from = EmailAddress::parse("sam@acme.test").expect("valid sender");
    OutgoingMessage {
        from_name: "Sam Seller".into(),
        from,
        to: EmailAddress::parse("ada@example.com").expect("valid recipient"),
        to_name: Some("Ada Lovelace".into()),
        subject: "Quick question for Analytical Engines".into(),
        text_body: "Hi Ada,\n\nI noticed Analytical Engines is hiring for its sales team. \
                    Would a 15-minute call next week be useful?\n\nBest,\nSam Seller\nAcme"
            .into(),
        html_body: None,
        message_id: smtp::message_id_for(SendId::new(), "acme.test"),
        in_reply_to: Some(smtp::message_id_for(SendId::new(), "acme.test")),
        references: vec![smtp::message_id_for(SendId::new(), "acme.test")],
        list_unsubscribe: Some(ListUnsubscribe {
            mailto: Some("mailto:sam@acme.test?subject=unsubscribe".into()),
            https_url: Some("https://t.acme.test/unsubscribe/abc/def".into()),
        }),
        date: Utc::now(),
    }
}

/// What an LLM tends to write: about 800 bytes, curly quotes and dashes (non-ASCII, so
/// quoted-printable has work to do), LF line ends.
const LLM_BODY: &str = "Hi Ada,\n\nI noticed Analytical Engines is hiring three SDRs this quarter \u{2014} \
usually a sign that outbound is about to become a priority. Teams in that spot often tell us \
the hardest part isn\u{2019}t the sequences, it\u{2019}s keeping reply rates up once volume \
grows.\n\nWe help sales teams like yours book more first calls without adding headcount: \
personalised first lines, sending windows that follow each lead\u{2019}s time zone, and \
follow-ups that stop the moment someone replies.\n\nA customer of ours, a 40-person \
logistics software company, went from 1.8% to 4.1% positive replies in six weeks.\n\nWould \
a 15-minute call next week be useful? If the timing is off, just say \u{201c}later\u{201d} \
and I\u{2019}ll check back next quarter.\n\nBest,\nSam Seller\nAcme";

fn build(c: &mut Criterion) {
    let message = message();
    c.bench_function("smtp::build (text message, threaded, unsubscribe)", |b| {
        b.iter(|| smtp::build(black_box(&message)).expect("builds"))
    });
    let long = OutgoingMessage {
        text_body: LLM_BODY.into(),
        ..message
    };
    c.bench_function("smtp::build (800-byte LLM body)", |b| {
        b.iter(|| smtp::build(black_box(&long)).expect("builds"))
    });
}

fn classify(c: &mut Criterion) {
    let rejected = |phase: Phase, line: &str| {
        Err(SendError::new(
            phase,
            Cause::Rejected(Reply::parse(line).expect("a reply line")),
        ))
    };
    let results: Vec<Result<Reply, SendError>> = vec![
        Ok(Reply::new(250, "2.0.0 Ok: queued as 4F1B2")),
        rejected(
            Phase::Rcpt,
            "550 5.1.1 The email account that you tried to reach does not exist",
        ),
        rejected(
            Phase::Rcpt,
            "450 4.2.0 Greylisted, please try again in 300 seconds",
        ),
        rejected(
            Phase::AfterData,
            "421 4.7.0 Try again later, closing connection",
        ),
        rejected(
            Phase::AfterData,
            "550 5.7.1 Our system has detected that this message is likely unsolicited mail",
        ),
        rejected(
            Phase::AfterData,
            "552 5.2.2 The recipient's inbox is out of storage space",
        ),
        Err(SendError::new(
            Phase::AfterData,
            Cause::Timeout(Duration::from_secs(120)),
        )),
    ];
    c.bench_function("smtp::classify (7 typical results)", |b| {
        b.iter(|| {
            for r in &results {
                black_box(smtp::classify(black_box(r)));
            }
        })
    });
}

/// The inbound classifier over every message of the golden corpus (`tests/data/inbound`):
/// replies, auto-replies, DSNs and free-text bounces, complaints, unsubscribes.
fn judge_inbound(c: &mut Criterion) {
    use outreachd::imap::classify::{ClassifyContext, judge};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/inbound");
    let messages: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .expect("the corpus directory")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .map(|p| std::fs::read(p).expect("a corpus message"))
        .collect();
    let domains = vec!["brightlane.io".to_owned()];
    let ctx = ClassifyContext::without_leads().with_domains(&domains);
    let name = format!("imap::classify::judge ({} corpus messages)", messages.len());
    c.bench_function(&name, |b| {
        b.iter(|| {
            for m in &messages {
                let _ = black_box(judge(black_box(m), &ctx));
            }
        })
    });
}

fn parse_address(c: &mut Criterion) {
    c.bench_function("EmailAddress::parse (valid, then invalid)", |b| {
        b.iter(|| {
            let ok = EmailAddress::parse(black_box("Ada.Lovelace+q4@Analytical-Engines.co.uk"));
            let bad = EmailAddress::parse(black_box("ada lovelace@example"));
            black_box((ok.is_ok(), bad.is_err()))
        })
    });
}

fn next_open(c: &mut Criterion) {
    let window = SendWindow::parse("mon-fri", "09:00", "17:00").expect("valid window");
    let tz: chrono_tz::Tz = "Europe/Berlin".parse().expect("known zone");
    // A Saturday evening: the answer is Monday 09:00 local, the longest common search.
    let closed = Utc
        .with_ymd_and_hms(2025, 3, 29, 19, 30, 0)
        .single()
        .expect("valid instant");
    let open = Utc
        .with_ymd_and_hms(2025, 3, 26, 10, 0, 0)
        .single()
        .expect("valid instant");
    c.bench_function("SendWindow::next_open (closed weekend)", |b| {
        b.iter(|| window.next_open(black_box(closed), tz))
    });
    c.bench_function("SendWindow::next_open (already open)", |b| {
        b.iter(|| window.next_open(black_box(open), tz))
    });
}

criterion_group! {
    name = micro;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    targets = render, build, classify, judge_inbound, parse_address, next_open
}
criterion_main!(micro);
