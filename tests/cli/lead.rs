//! `outreachd lead persona`: the persona of an imported lead, generated once by an
//! OpenAI-compatible server (wiremock) and printed as JSON; asked again, the stored one is
//! printed without a model call; a lead with nothing to go on fails with the product's words. The
//! call is in `api_usage` when the command ends.

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{outreachd, stderr, stdout};
use crate::ops::{Ops, apply_file, campaign};
use crate::support::database::usage_rows;

fn persona() -> serde_json::Value {
    serde_json::json!({
        "title": "VP Operations",
        "industry": "Freight",
        "painPoints": ["late trucks"],
        "priorities": ["on-time delivery"],
        "icebreakerHooks": ["the Columbus depot"],
        "openingLines": ["Saw the Columbus depot opening."],
        "companyContext": "Acme runs 400 trucks.",
        "keyTakeaways": ["measures lateness in hours"]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_persona_is_generated_once_and_printed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": "persona-model",
            "choices": [{"index": 0, "finish_reason": "stop",
                "message": {"role": "assistant", "content": persona().to_string()}}],
            "usage": {"prompt_tokens": 800, "completion_tokens": 200, "total_tokens": 1000}
        })))
        .mount(&server)
        .await;
    let ops = Ops::new();
    ops.write_apply(&apply_file("127.0.0.1", 25, "", &campaign("Open", "")));
    ops.apply();
    let csv = ops.path("leads.csv");
    std::fs::write(
        &csv,
        "email,first_name,linkedin\nann@rcpt.test,Ann,https://www.linkedin.com/in/ann\nbo@rcpt.test,Bo,\n",
    )
    .unwrap();
    ops.ok(&["import-leads", "-w", "ops", &csv]);
    let mut env = ops.env.clone();
    for (key, value) in [
        ("OUTREACHD__PERSONAS__PROVIDER", "openai_compatible"),
        ("OUTREACHD__PERSONAS__MODEL", "persona-model"),
        (
            "OUTREACHD__AI__OPENAI_COMPATIBLE__BASE_URL",
            server.uri().as_str(),
        ),
    ] {
        env.insert(key.to_owned(), value.to_owned());
    }
    let args = ["lead", "persona", "ann@rcpt.test", "-w", "ops"];

    let first = tokio::task::spawn_blocking({
        let env = env.clone();
        move || outreachd(&args, &env)
    })
    .await
    .unwrap();
    let again = tokio::task::spawn_blocking({
        let env = env.clone();
        move || outreachd(&args, &env)
    })
    .await
    .unwrap();
    let none = tokio::task::spawn_blocking(move || {
        outreachd(&["lead", "persona", "bo@rcpt.test", "-w", "ops"], &env)
    })
    .await
    .unwrap();

    assert!(first.status.success(), "{}", stderr(&first));
    let printed: serde_json::Value = serde_json::from_str(&stdout(&first)).unwrap();
    assert_eq!(printed, persona());
    assert!(
        stderr(&first).contains("Generated with openai_compatible persona-model"),
        "{}",
        stderr(&first)
    );
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(stdout(&again), stdout(&first));
    assert!(!none.status.success());
    assert!(
        stderr(&none).contains("Either a LinkedIn URL or a website is required"),
        "{}",
        stderr(&none)
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    // The one call was recorded before the process exited.
    let rows = usage_rows(&ops.env["OUTREACHD__DATABASE__URL"], "persona").await;
    assert_eq!(rows, vec![(800, 200, "ok".to_owned(), true)]);
}
