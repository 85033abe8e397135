//! The API as a client sees it: a signed-in `ApiClient` per test, made the way an operator
//! bootstraps a daemon (`outreachd user create`, which calls `service::access::create_user`),
//! then a real login over HTTP.

use outreachd::domain::{EmailAddress, Role};
use outreachd::service::access;
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::helpers::TestApp;

pub const PASSWORD: &str = "correct horse battery staple";

/// A bearer token and the app it talks to.
pub struct ApiClient<'a> {
    pub app: &'a TestApp,
    pub token: String,
}

/// Creates `email` with `role` in `workspace` (created if missing).
pub async fn create_user(app: &TestApp, email: &str, workspace: &str, role: Role) {
    let ws = app.store.upsert_workspace(workspace).await.unwrap().value;
    let email = EmailAddress::parse(email).unwrap();
    access::create_user(
        app.store.as_ref(),
        &email,
        SecretString::from(PASSWORD),
        ws.id,
        role,
    )
    .await
    .unwrap();
}

/// Signs in over HTTP and returns the client, panicking unless the login succeeds.
pub async fn login<'a>(app: &'a TestApp, email: &str) -> ApiClient<'a> {
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        response.text().await.unwrap()
    );
    let body: Value = response.json().await.unwrap();
    ApiClient {
        app,
        token: body["token"].as_str().unwrap().to_owned(),
    }
}

/// A user with `role` in a new workspace `workspace`, signed in.
pub async fn signed_in<'a>(app: &'a TestApp, workspace: &str, role: Role) -> ApiClient<'a> {
    let email = format!("{role}@{workspace}.example");
    create_user(app, &email, workspace, role).await;
    login(app, &email).await
}

impl ApiClient<'_> {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .app
            .client
            .request(method.clone(), self.app.url(path))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status();
        let text = response.text().await.unwrap();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, None).await
    }
}
