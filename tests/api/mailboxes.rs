//! Mailboxes over HTTP: admins create, replace, delete and test them; passwords go in and never
//! come out; every invalid field is named; a mailbox campaigns still use is not deleted.

use outreachd::domain::{
    CampaignSpec, EmailAddress, HumanDuration, MailboxId, Role, SendingRules, WorkspaceId,
};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::client::{ApiClient, signed_in};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use crate::support::TestBackend;
use crate::support::mail_peers::MailPeers;

const PASSWORD: &str = "Tr0ub4dor&3-never-shown";

fn body(address: &str, smtp_port: u16) -> Value {
    json!({
        "address": address,
        "from_name": "Ada Sender",
        "signature": "Ada\nAcme",
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "plain", "password": PASSWORD},
    })
}

async fn create(client: &ApiClient<'_>, body: Value) -> Value {
    let (status, created) = client.post("/api/v1/mailboxes", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn workspace(app: &TestApp, name: &str) -> WorkspaceId {
    app.store.workspace_by_name(name).await.unwrap().unwrap().id
}

fn mailbox_id(view: &Value) -> MailboxId {
    MailboxId(view["id"].as_str().unwrap().parse().unwrap())
}

async fn an_admin_creates_a_mailbox_and_no_answer_carries_its_password(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = signed_in(&app, "acme", Role::Admin).await;
    let mut with_imap = body("ada@acme.test", 2525);
    with_imap["imap"] = json!({"host": "127.0.0.1", "port": 1143, "security": "plain"});

    let created = create(&admin, with_imap).await;

    let id = created["id"].as_str().unwrap();
    assert_eq!(created["smtp"]["username"], "ada@acme.test");
    assert_eq!(created["imap"]["username"], "ada@acme.test");
    let (_, one) = admin.get(&format!("/api/v1/mailboxes/{id}")).await;
    let (_, all) = admin.get("/api/v1/mailboxes").await;
    for answer in [&created, &one, &all] {
        let text = answer.to_string();
        assert!(!text.contains(PASSWORD), "{text}");
        assert!(!text.contains("password"), "{text}");
    }
    let ws = workspace(&app, "acme").await;
    let stored = app
        .store
        .mailbox_credentials(ws, mailbox_id(&created))
        .await
        .unwrap();
    assert_eq!(stored.smtp_password.expose_secret(), PASSWORD);
    // IMAP without its own password logs in with the SMTP one, as in apply files.
    assert_eq!(stored.imap_password.unwrap().expose_secret(), PASSWORD);
}

async fn left_out_limits_take_the_defaults_and_given_ones_read_as_in_apply_files(
    backend: TestBackend,
) {
    let app = spawn_app_with(backend, &[("OUTREACHD__MAILBOX_DEFAULTS__DAILY_CAP", "77")]).await;
    let admin = signed_in(&app, "acme", Role::Admin).await;
    let plain = create(&admin, body("plain@acme.test", 2525)).await;
    let mut tuned = body("tuned@acme.test", 2525);
    tuned["daily_cap"] = json!("30/day");
    tuned["hourly_cap"] = json!(5);
    tuned["min_gap"] = json!("90s");
    tuned["max_gap"] = json!("3m");
    tuned["timezone"] = json!("Europe/Berlin");
    tuned["warmup"] = json!({"start_per_day": 5, "increment_per_day": 2});
    tuned["append_sent"] = json!(true);

    let tuned = create(&admin, tuned).await;

    assert_eq!(plain["daily_cap"], 77);
    assert_eq!(plain["timezone"], "UTC");
    assert_eq!(plain["inbound"]["append_sent"], false);
    assert_eq!(tuned["daily_cap"], 30);
    assert_eq!(tuned["hourly_cap"], 5);
    assert_eq!(tuned["min_gap_ms"], 90_000);
    assert_eq!(tuned["max_gap_ms"], 180_000);
    assert_eq!(tuned["timezone"], "Europe/Berlin");
    assert_eq!(tuned["warmup_start_per_day"], 5);
    assert_eq!(tuned["inbound"]["append_sent"], true);
}

async fn every_invalid_field_is_named(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = signed_in(&app, "acme", Role::Admin).await;
    let bad = json!({
        "address": "not an address",
        "from_name": "Ada\r\nBcc: victim@example.com",
        "smtp": {"host": "smtp .acme.test", "port": 70000, "security": "ssl"},
        "imap": {"host": "imap.acme.test", "port": -1, "security": "tls"},
        "daily_cap": "50/week",
        "min_gap": "90",
        "timezone": "Mars/Olympus",
    });

    let (status, problem) = admin.post("/api/v1/mailboxes", bad).await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for field in [
        "address",
        "smtp.port",
        "smtp.security",
        "imap.port",
        "daily_cap",
        "min_gap",
    ] {
        assert!(fields.contains(&field), "{field} not in {fields:?}");
    }

    // Well-formed values that break a rule: the rules apply files use.
    let mut rules = body("ada@acme.test", 587);
    rules["from_name"] = json!("Ada\r\nBcc: victim@example.com");
    rules["smtp"]["host"] = json!("smtp .acme.test");
    rules["smtp"]["password"] = json!("");
    rules["min_gap"] = json!("5m");
    rules["max_gap"] = json!("1m");
    rules["timezone"] = json!("Mars/Olympus");
    let (status, problem) = admin.post("/api/v1/mailboxes", rules).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "from_name",
            "min_gap",
            "timezone",
            "smtp.host",
            "smtp.password"
        ],
        "{problem}"
    );

    let mut numeric = body("ada@acme.test", 587);
    numeric["smtp"]["password"] = json!(8_675_309);
    let (status, problem) = admin.post("/api/v1/mailboxes", numeric).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "smtp.password", "{problem}");
    assert!(!problem.to_string().contains("8675309"), "{problem}");

    let mut no_password = body("ada@acme.test", 587);
    no_password["smtp"]
        .as_object_mut()
        .unwrap()
        .remove("password");
    let (status, problem) = admin.post("/api/v1/mailboxes", no_password).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "smtp.password", "{problem}");
}

async fn a_second_mailbox_with_the_same_address_conflicts(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = signed_in(&app, "acme", Role::Admin).await;
    create(&admin, body("ada@acme.test", 2525)).await;

    let (status, problem) = admin
        .post("/api/v1/mailboxes", body("ADA@acme.test", 2525))
        .await;

    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
}

async fn a_replace_without_a_password_keeps_the_stored_one(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = signed_in(&app, "acme", Role::Admin).await;
    let mut first = body("ada@acme.test", 2525);
    first["imap"] = json!({"host": "127.0.0.1", "port": 1143, "security": "plain"});
    let created = create(&admin, first).await;
    let path = format!("/api/v1/mailboxes/{}", created["id"].as_str().unwrap());
    let ws = workspace(&app, "acme").await;
    let id = mailbox_id(&created);

    let mut renamed = body("Ada@acme.test", 2526);
    renamed["from_name"] = json!("Ada Lovelace");
    renamed["smtp"].as_object_mut().unwrap().remove("password");
    renamed["imap"] = json!({"host": "127.0.0.1", "port": 1143, "security": "plain"});
    let (status, replaced) = admin.call(Method::PUT, &path, Some(renamed)).await;

    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(replaced["from_name"], "Ada Lovelace");
    assert_eq!(replaced["smtp"]["port"], 2526);
    let stored = app.store.mailbox_credentials(ws, id).await.unwrap();
    assert_eq!(stored.smtp_password.expose_secret(), PASSWORD);

    // A new SMTP password is taken by an IMAP login that had none of its own.
    let mut new_password = body("ada@acme.test", 2526);
    new_password["smtp"]["password"] = json!("a-new-one");
    new_password["imap"] = json!({"host": "127.0.0.1", "port": 1143, "security": "plain"});
    let (status, _) = admin.call(Method::PUT, &path, Some(new_password)).await;
    assert_eq!(status, StatusCode::OK);
    let stored = app.store.mailbox_credentials(ws, id).await.unwrap();
    assert_eq!(stored.smtp_password.expose_secret(), "a-new-one");
    assert_eq!(stored.imap_password.unwrap().expose_secret(), "a-new-one");

    let (status, problem) = admin
        .call(Method::PUT, &path, Some(body("bob@acme.test", 2525)))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "address", "{problem}");
}

async fn viewers_and_members_cannot_write_mailboxes(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = signed_in(&app, "acme", Role::Admin).await;
    let created = create(&admin, body("ada@acme.test", 2525)).await;
    let path = format!("/api/v1/mailboxes/{}", created["id"].as_str().unwrap());
    let member = signed_in(&app, "acme", Role::Member).await;
    let viewer = signed_in(&app, "acme", Role::Viewer).await;

    for client in [&member, &viewer] {
        let calls = [
            (
                Method::POST,
                "/api/v1/mailboxes".to_owned(),
                Some(body("eve@acme.test", 25)),
            ),
            (Method::PUT, path.clone(), Some(body("ada@acme.test", 25))),
            (Method::DELETE, path.clone(), None),
            (Method::POST, format!("{path}/test"), None),
        ];
        for (method, path, body) in calls {
            let (status, problem) = client.call(method.clone(), &path, body).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {problem}");
        }
        let (status, _) = client.get(&path).await;
        assert_eq!(status, StatusCode::OK, "reading stays open to every role");
    }
}

async fn a_mailbox_a_campaign_uses_is_kept_and_the_campaign_named(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = signed_in(&app, "acme", Role::Admin).await;
    let created = create(&admin, body("ada@acme.test", 2525)).await;
    let path = format!("/api/v1/mailboxes/{}", created["id"].as_str().unwrap());
    let ws = workspace(&app, "acme").await;
    let mut spring = CampaignSpec {
        name: "Spring launch".into(),
        goal: String::new(),
        ai: Default::default(),
        product_id: None,
        status: None,
        rules: SendingRules::default(),
        mailbox_ids: vec![mailbox_id(&created)],
        steps: vec![outreachd::domain::StepSpec {
            delay: HumanDuration::ZERO,
            subject_template: Some("Hi".into()),
            body_template: "Hello".into(),
            ai_instructions: None,
        }],
    };
    app.store.upsert_campaign(ws, &spring).await.unwrap();

    let (status, problem) = admin.delete(&path).await;

    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("\"Spring launch\""),
        "{problem}"
    );
    let (status, _) = admin.get(&path).await;
    assert_eq!(status, StatusCode::OK);

    spring.mailbox_ids.clear();
    app.store.upsert_campaign(ws, &spring).await.unwrap();
    let (status, _) = admin.delete(&path).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = admin.get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let address = EmailAddress::parse("ada@acme.test").unwrap();
    assert!(
        app.store
            .mailbox_by_address(ws, &address)
            .await
            .unwrap()
            .is_none()
    );
}

/// `POST /mailboxes/{id}/test` of a mailbox as created.
async fn test_logins(client: &ApiClient<'_>, mailbox: &Value) -> (StatusCode, Value) {
    let id = mailbox["id"].as_str().unwrap();
    client
        .post(&format!("/api/v1/mailboxes/{id}/test"), json!({}))
        .await
}

/// The steps' names and outcomes, e.g. `smtp_auth:false`.
fn outcomes(check: &Value) -> Vec<String> {
    check["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("{}:{}", s["step"].as_str().unwrap(), s["ok"]))
        .collect()
}

async fn a_login_test_of_an_unreachable_server_reports_the_failed_connect(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = signed_in(&app, "acme", Role::Owner).await;
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    let created = create(&admin, body("ada@acme.test", 1)).await;
    let outbox = create(&admin, {
        let mut b = body("demo@acme.test", 25);
        b["smtp"]["host"] = json!("outbox");
        b
    })
    .await;

    let (status, check) = test_logins(&admin, &created).await;

    assert_eq!(status, StatusCode::OK, "{check}");
    assert_eq!(check["ok"], false);
    assert_eq!(outcomes(&check), ["smtp_connect:false"]);
    assert!(
        check["steps"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1:1"),
        "{check}"
    );
    let (_, check) = test_logins(&admin, &outbox).await;
    assert_eq!(outcomes(&check), ["smtp_outbox:true"]);
}

/// A mailbox of the mail peers: `sender1@<domain>` on `smtp_port` (plain or STARTTLS) and
/// Dovecot's IMAP, logging in with `password`.
fn peer_mailbox(peers: &MailPeers, smtp_port: u16, security: &str, password: &str) -> Value {
    json!({
        "address": format!("sender1@{}", peers.domain),
        "from_name": "Sender One",
        "smtp": {"host": "localhost", "port": smtp_port, "security": security, "password": password},
        "imap": {"host": "127.0.0.1", "port": peers.imap_port, "security": "plain"},
    })
}

async fn a_login_test_passes_every_step_against_the_real_servers(backend: TestBackend) {
    let Some(peers) = MailPeers::from_env() else {
        return;
    };
    let app = spawn_app_with(
        backend,
        &[("OUTREACHD__SECURITY__TLS_CA_FILE", peers.ca.as_str())],
    )
    .await;
    let admin = signed_in(&app, "acme", Role::Admin).await;
    let plain = create(
        &admin,
        peer_mailbox(&peers, peers.submit_port, "plain", &peers.password),
    )
    .await;

    let (status, check) = test_logins(&admin, &plain).await;

    assert_eq!(status, StatusCode::OK, "{check}");
    assert_eq!(
        outcomes(&check),
        [
            "smtp_connect:true",
            "smtp_greeting:true",
            "smtp_ehlo:true",
            "smtp_auth:true",
            "imap_connect:true",
            "imap_greeting:true",
            "imap_login:true"
        ],
        "{check}"
    );
    assert_eq!(check["ok"], true);
    assert!(
        check["steps"][3]["detail"]
            .as_str()
            .unwrap()
            .starts_with("235"),
        "{check}"
    );

    // Through STARTTLS with the relay's private CA trusted.
    let path = format!("/api/v1/mailboxes/{}", plain["id"].as_str().unwrap());
    let tls = peer_mailbox(&peers, peers.starttls_port, "starttls", &peers.password);
    let (status, _) = admin.call(Method::PUT, &path, Some(tls)).await;
    assert_eq!(status, StatusCode::OK);
    let (_, check) = admin.post(&format!("{path}/test"), json!({})).await;
    assert!(
        outcomes(&check).contains(&"smtp_starttls:true".to_owned()),
        "{check}"
    );
    assert_eq!(check["ok"], true, "{check}");
}

async fn a_wrong_password_is_a_failed_step_and_is_never_echoed(backend: TestBackend) {
    let Some(peers) = MailPeers::from_env() else {
        return;
    };
    let app = spawn_app(backend).await;
    let admin = signed_in(&app, "acme", Role::Admin).await;
    let wrong = "wrong-Pa55word-xyzzy";
    let created = create(
        &admin,
        peer_mailbox(&peers, peers.submit_port, "plain", wrong),
    )
    .await;

    let (status, check) = test_logins(&admin, &created).await;

    assert_eq!(status, StatusCode::OK, "{check}");
    assert_eq!(check["ok"], false);
    let steps = outcomes(&check);
    assert!(steps.contains(&"smtp_auth:false".to_owned()), "{check}");
    assert!(steps.contains(&"imap_login:false".to_owned()), "{check}");
    let auth = check["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "smtp_auth")
        .unwrap();
    assert!(auth["detail"].as_str().unwrap().contains("535"), "{check}");
    assert!(!check.to_string().contains(wrong), "{check}");
}

crate::on_both_backends!(
    an_admin_creates_a_mailbox_and_no_answer_carries_its_password,
    left_out_limits_take_the_defaults_and_given_ones_read_as_in_apply_files,
    every_invalid_field_is_named,
    a_second_mailbox_with_the_same_address_conflicts,
    a_replace_without_a_password_keeps_the_stored_one,
    viewers_and_members_cannot_write_mailboxes,
    a_mailbox_a_campaign_uses_is_kept_and_the_campaign_named,
    a_login_test_of_an_unreachable_server_reports_the_failed_connect,
    a_login_test_passes_every_step_against_the_real_servers,
    a_wrong_password_is_a_failed_step_and_is_never_echoed,
);
