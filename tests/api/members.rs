//! Members: admins add people to their workspace and change or remove their roles; only an
//! owner touches owners; the last owner stays; a role change ends the member's sessions.

use outreachd::domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::client::{PASSWORD, login, signed_in};
use crate::helpers::spawn_app;
use crate::support::TestBackend;

crate::on_both_backends!(
    an_admin_adds_a_new_person_who_then_signs_in_with_that_role,
    an_admin_cannot_grant_or_touch_the_owner_role,
    the_last_owner_can_be_neither_demoted_nor_removed,
    a_changed_role_ends_the_members_sessions,
);

async fn an_admin_adds_a_new_person_who_then_signs_in_with_that_role(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = signed_in(&app, "acme", Role::Admin).await;

    let (status, added) = admin
        .post(
            "/api/v1/members",
            json!({"email": "new@acme.example", "role": "member", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let newcomer = login(&app, "new@acme.example").await;

    let (_, me) = newcomer.get("/api/v1/auth/me").await;
    assert_eq!(me["role"], "member");
    let (status, listed) = admin.get("/api/v1/members").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["items"].as_array().unwrap().len(), 2, "{listed}");
    let (status, again) = admin
        .post(
            "/api/v1/members",
            json!({"email": "new@acme.example", "role": "viewer"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
}

async fn an_admin_cannot_grant_or_touch_the_owner_role(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let owner = signed_in(&app, "acme", Role::Owner).await;
    let admin = signed_in(&app, "acme", Role::Admin).await;
    let (_, me) = owner.get("/api/v1/auth/me").await;
    let owner_id = me["user_id"].as_str().unwrap().to_owned();

    let (grant, _) = admin
        .post(
            "/api/v1/members",
            json!({"email": "x@acme.example", "role": "owner", "password": PASSWORD}),
        )
        .await;
    let (demote, _) = admin
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/members/{owner_id}"),
            Some(json!({"role": "viewer"})),
        )
        .await;
    let (remove, _) = admin.delete(&format!("/api/v1/members/{owner_id}")).await;

    assert_eq!(grant, StatusCode::FORBIDDEN);
    assert_eq!(demote, StatusCode::FORBIDDEN);
    assert_eq!(remove, StatusCode::FORBIDDEN);
}

async fn the_last_owner_can_be_neither_demoted_nor_removed(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let owner = signed_in(&app, "acme", Role::Owner).await;
    let (_, me) = owner.get("/api/v1/auth/me").await;
    let owner_id = me["user_id"].as_str().unwrap().to_owned();

    let (demote, problem) = owner
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/members/{owner_id}"),
            Some(json!({"role": "admin"})),
        )
        .await;
    let (remove, _) = owner.delete(&format!("/api/v1/members/{owner_id}")).await;

    assert_eq!(demote, StatusCode::CONFLICT, "{problem}");
    assert_eq!(remove, StatusCode::CONFLICT);
}

async fn a_changed_role_ends_the_members_sessions(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let owner = signed_in(&app, "acme", Role::Owner).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let (_, me) = member.get("/api/v1/auth/me").await;
    let member_id = me["user_id"].as_str().unwrap().to_owned();

    let (status, changed) = owner
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/members/{member_id}"),
            Some(json!({"role": "viewer"})),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["role"], "viewer");
    let (status, _) = member.get("/api/v1/auth/me").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the old session kept the old role"
    );
}
