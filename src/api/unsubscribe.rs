//! `/unsubscribe/{send}/{token}`: the https target of every message's `List-Unsubscribe`.
//!
//! POST is the RFC 8058 one-click unsubscribe (mail clients send `List-Unsubscribe=One-Click`);
//! GET only shows a page with a button, because link scanners fetch every URL in a message and
//! must not unsubscribe anyone. The token is an HMAC of the send id: nobody can unsubscribe an
//! address they did not receive a message for.

use actix_web::{HttpResponse, web};
use chrono::Utc;

use super::ApiState;
use crate::domain::SendId;

fn verified(state: &ApiState, send: &str, token: &str) -> Option<SendId> {
    let id = uuid::Uuid::try_parse(send).ok().map(SendId)?;
    state.signer.verify(id, token).then_some(id)
}

fn not_valid() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/plain; charset=utf-8")
        .body("This unsubscribe link is not valid.")
}

pub async fn confirm_page(
    state: web::Data<ApiState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (send, token) = path.into_inner();
    if verified(&state, &send, &token).is_none() {
        return not_valid();
    }
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(
        "<!doctype html><meta charset=utf-8><title>Unsubscribe</title>\
         <p>Stop receiving these emails?</p>\
         <form method=post><button type=submit name=List-Unsubscribe value=One-Click>Unsubscribe</button></form>",
    )
}

pub async fn unsubscribe(
    state: web::Data<ApiState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (send, token) = path.into_inner();
    let Some(id) = verified(&state, &send, &token) else {
        return not_valid();
    };
    match state.store.unsubscribe_by_send(id, Utc::now()).await {
        Ok(Some(_)) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body("You are unsubscribed and will not receive further emails."),
        Ok(None) => not_valid(),
        Err(e) => {
            tracing::error!(error = %e, "Cannot record an unsubscribe; the sender will retry.");
            HttpResponse::ServiceUnavailable().body("Please try again in a minute.")
        }
    }
}
