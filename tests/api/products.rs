//! Products over HTTP: members write them and viewers read them; a deleted product disappears
//! and its name brings it back; an uploaded .txt, .pdf or .docx becomes the description, and a
//! file that cannot be read is refused naming why.

use outreachd::domain::{CampaignSpec, HumanDuration, ProductId, Role, SendingRules, StepSpec};
use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::client::{ApiClient, signed_in};
use crate::helpers::spawn_app;
use crate::support::TestBackend;
use crate::support::documents;

async fn create(client: &ApiClient<'_>, name: &str, description: &str) -> Value {
    let (status, created) = client
        .post(
            "/api/v1/products",
            json!({"name": name, "description": description}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

fn path_of(product: &Value) -> String {
    format!("/api/v1/products/{}", product["id"].as_str().unwrap())
}

/// Posts `bytes` as the multipart field `file` named `file_name`.
pub async fn upload(
    client: &ApiClient<'_>,
    path: &str,
    file_name: &str,
    bytes: &[u8],
) -> (StatusCode, Value) {
    let boundary = "outreachd-test-7MA4YWxkTrZu0gW";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nignored\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; \
         filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let response = client
        .app
        .client
        .post(client.app.url(&format!("{path}/file")))
        .bearer_auth(&client.token)
        .header(
            CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("upload {file_name}: {e}"));
    let status = response.status();
    let value = response.json().await.unwrap_or(Value::Null);
    (status, value)
}

async fn a_member_creates_reads_changes_and_lists_products(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let viewer = signed_in(&app, "acme", Role::Viewer).await;

    let widget = create(&member, "Widget", "Saves time.").await;
    let path = path_of(&widget);
    let (status, read) = viewer.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["description"], "Saves time.");

    let (status, replaced) = member
        .call(
            Method::PUT,
            &path,
            Some(json!({"name": "Widget Pro", "description": "Saves more time."})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(replaced["name"], "Widget Pro");
    let (status, patched) = member
        .call(
            Method::PATCH,
            &path,
            Some(json!({"description": "Ships itself."})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["name"], "Widget Pro");
    assert_eq!(patched["description"], "Ships itself.");

    let (_, list) = viewer.get("/api/v1/products").await;
    assert_eq!(list["items"][0]["name"], "Widget Pro", "{list}");
}

async fn product_lists_are_paged_with_a_cursor(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    for name in ["A", "B", "C"] {
        create(&member, name, "").await;
    }

    let (_, first) = member.get("/api/v1/products?limit=2").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = member
        .get(&format!("/api/v1/products?limit=2&cursor={cursor}"))
        .await;

    let names = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&first), ["A", "B"]);
    assert_eq!(names(&second), ["C"]);
    assert!(second["next_cursor"].is_null());
    let (status, _) = member.get("/api/v1/products?limit=501").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

async fn a_viewer_cannot_write_products(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let viewer = signed_in(&app, "acme", Role::Viewer).await;
    let path = path_of(&create(&member, "Widget", "").await);

    let calls = [
        (
            Method::POST,
            "/api/v1/products".to_owned(),
            Some(json!({"name": "Gadget"})),
        ),
        (Method::PUT, path.clone(), Some(json!({"name": "Gadget"}))),
        (Method::PATCH, path.clone(), Some(json!({"name": "Gadget"}))),
        (Method::DELETE, path.clone(), None),
    ];
    for (method, path, body) in calls {
        let (status, problem) = viewer.call(method.clone(), &path, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {problem}");
    }
    let (status, _) = upload(&viewer, &path, "a.txt", b"text").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn names_are_unique_one_line_and_descriptions_bounded(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    create(&member, "Widget", "").await;
    let gadget = create(&member, "Gadget", "").await;

    let (status, _) = member
        .post("/api/v1/products", json!({"name": "Widget"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = member
        .call(
            Method::PATCH,
            &path_of(&gadget),
            Some(json!({"name": "Widget"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let long = "x".repeat(100_001);
    let (status, problem) = member
        .post(
            "/api/v1/products",
            json!({"name": "Two\nlines", "description": long}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "description"]);
    let (status, problem) = member
        .post(
            "/api/v1/products",
            json!({"name": "Nul", "description": "a\u{0}b"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
}

async fn a_deleted_product_is_gone_until_its_name_is_used_again(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let widget = create(&member, "Widget", "Saves time.").await;
    let path = path_of(&widget);

    let (status, _) = member.delete(&path).await;

    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = member.get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = member.get("/api/v1/products").await;
    assert_eq!(list["items"], json!([]));
    let (status, _) = member
        .call(Method::PATCH, &path, Some(json!({"description": "x"})))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = member.delete(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let back = create(&member, "Widget", "Now faster.").await;
    assert_eq!(back["id"], widget["id"]);
    assert_eq!(back["description"], "Now faster.");
}

async fn a_product_a_campaign_uses_is_kept_and_the_campaign_named(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let widget = create(&member, "Widget", "Saves time.").await;
    let ws = app
        .store
        .workspace_by_name("acme")
        .await
        .unwrap()
        .unwrap()
        .id;
    let spec = CampaignSpec {
        name: "Spring launch".into(),
        goal: String::new(),
        ai: Default::default(),
        product_id: Some(ProductId(widget["id"].as_str().unwrap().parse().unwrap())),
        status: None,
        rules: SendingRules::default(),
        mailbox_ids: Vec::new(),
        steps: vec![StepSpec {
            delay: HumanDuration::ZERO,
            subject_template: Some("Hi".into()),
            body_template: "Hello".into(),
            ai_instructions: None,
        }],
    };
    app.store.upsert_campaign(ws, &spec).await.unwrap();

    let (status, problem) = member.delete(&path_of(&widget)).await;

    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("\"Spring launch\""),
        "{problem}"
    );
}

async fn a_docx_a_pdf_and_a_text_file_become_the_description(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let widget = create(&member, "Widget", "By hand.").await;
    let path = path_of(&widget);

    let docx = documents::docx(&["Widgets ship themselves.", "Fast & safe."]);
    let (status, described) = upload(&member, &path, "Widget brochure.docx", &docx).await;
    assert_eq!(status, StatusCode::OK, "{described}");
    assert_eq!(
        described["description"],
        "Widgets ship themselves.\nFast & safe."
    );
    assert_eq!(described["source_file_name"], "Widget brochure.docx");

    let pdf = documents::pdf("Widgets that ship themselves", "5 0 R");
    let (status, described) = upload(&member, &path, "sheet.PDF", &pdf).await;
    assert_eq!(status, StatusCode::OK, "{described}");
    assert_eq!(described["description"], "Widgets that ship themselves");

    let (status, described) = upload(
        &member,
        &path,
        "notes/2024/widget.txt",
        "Plain\r\nnotes\n".as_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{described}");
    assert_eq!(described["description"], "Plain\nnotes");
    assert_eq!(described["source_file_name"], "widget.txt");
    let (_, read) = member.get(&path).await;
    assert_eq!(read["description"], "Plain\nnotes");

    // A description written by hand is no longer the file's.
    let (_, patched) = member
        .call(
            Method::PATCH,
            &path,
            Some(json!({"description": "By hand again."})),
        )
        .await;
    assert!(patched["source_file_name"].is_null(), "{patched}");
}

async fn unreadable_files_are_refused_naming_the_problem(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let widget = create(&member, "Widget", "Kept.").await;
    let path = path_of(&widget);
    let mut truncated = documents::pdf("Widgets", "5 0 R");
    truncated.truncate(truncated.len() / 2);
    let hostile = documents::pdf("Widgets", "4 0 R");
    let cases: [(&str, &[u8], &str); 7] = [
        ("sheet.xlsx", b"PK\x03\x04", ".xlsx files are not supported"),
        ("notes", b"text", "has no extension"),
        ("fake.pdf", b"Hello, I am text", "%PDF-"),
        ("cut.pdf", &truncated, "not a readable PDF"),
        ("hostile.pdf", &hostile, "could not read this file"),
        ("fake.docx", b"Hello", "not a zip archive"),
        ("latin1.txt", b"caf\xe9", "not UTF-8"),
    ];

    for (name, bytes, says) in cases {
        let (status, problem) = upload(&member, &path, name, bytes).await;

        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {problem}"
        );
        assert_eq!(problem["errors"][0]["field"], "file", "{name}: {problem}");
        let message = problem["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(says), "{name}: {message}");
    }
    let (_, read) = member.get(&path).await;
    assert_eq!(read["description"], "Kept.");

    let (status, problem) = member
        .call(
            Method::POST,
            &format!("{path}/file"),
            Some(json!({"file": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
}

async fn a_file_over_ten_megabytes_is_refused_with_413(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let widget = create(&member, "Widget", "Kept.").await;
    let big = vec![b'a'; 10 * 1024 * 1024 + 1];

    let (status, problem) = upload(&member, &path_of(&widget), "big.txt", &big).await;

    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
    let (_, read) = member.get(&path_of(&widget)).await;
    assert_eq!(read["description"], "Kept.");
}

crate::on_both_backends!(
    a_member_creates_reads_changes_and_lists_products,
    product_lists_are_paged_with_a_cursor,
    a_viewer_cannot_write_products,
    names_are_unique_one_line_and_descriptions_bounded,
    a_deleted_product_is_gone_until_its_name_is_used_again,
    a_product_a_campaign_uses_is_kept_and_the_campaign_named,
    a_docx_a_pdf_and_a_text_file_become_the_description,
    unreadable_files_are_refused_naming_the_problem,
    a_file_over_ten_megabytes_is_refused_with_413,
);
