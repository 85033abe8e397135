//! What every operation of the API shares, added to the OpenAPI document in one place rather
//! than repeated on each handler: the bearer scheme, the `Idempotency-Key` header on POSTs,
//! and the error answers any route can give (a body that does not parse, a missing token, a
//! rate limit, an id that is not there).

use utoipa::Modify;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ObjectBuilder, OpenApi, Ref, Required, Type};

pub struct Conventions;

fn problem(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

fn add_error(op: &mut Operation, status: &str, description: &str) {
    op.responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| problem(description).into());
}

fn conventions(op: &mut Operation, path: &str, writes: bool, post: bool) {
    let public = op.security.as_ref().is_some_and(|s| {
        s.iter()
            .all(|req| serde_json::to_value(req).is_ok_and(|v| v == serde_json::json!({})))
    });
    if !public {
        add_error(op, "401", "No valid bearer token");
        add_error(op, "429", "Over the token's rate limit; see Retry-After");
    }
    add_error(
        op,
        "400",
        "Malformed request (query string, JSON syntax, headers)",
    );
    if path.contains('{') {
        add_error(op, "404", "No such resource in this workspace");
    }
    if writes {
        add_error(op, "413", "Body too large");
        add_error(op, "422", "Invalid body: the fields at fault are listed");
    }
    if !public {
        add_error(op, "403", "The caller's role does not allow this");
    }
    if post && !public {
        add_error(
            op,
            "409",
            "A request with this Idempotency-Key is still being handled",
        );
        add_error(
            op,
            "422",
            "Invalid body, or an Idempotency-Key reused for another request",
        );
        let header = ParameterBuilder::new()
            .name("Idempotency-Key")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "Makes a retry safe: the same key with the same request returns the first answer (kept 24 h).",
            ))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some("^[!-~]{1,255}$")),
            ))
            .build();
        op.parameters.get_or_insert_with(Vec::new).push(header);
    }
}

impl Modify for Conventions {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            for (op, writes, post) in [
                (item.get.as_mut(), false, false),
                (item.delete.as_mut(), false, false),
                (item.post.as_mut(), true, true),
                (item.put.as_mut(), true, false),
                (item.patch.as_mut(), true, false),
            ] {
                if let Some(op) = op {
                    conventions(op, path, writes, post);
                }
            }
        }
    }
}
