//! Integration tests for `fetch`: the SSRF-safe fetcher against a local HTTP server on
//! 127.0.0.1, which each test allows explicitly (the default fetcher refuses it).

use std::time::Duration;

use outreachd::fetch::{AddressClass, FetchError, SafeFetcher};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn allowing_loopback() -> SafeFetcher {
    SafeFetcher::builder()
        .allow("127.0.0.1/32".parse().unwrap())
        .build()
        .unwrap()
}

async fn serve(route: &str, response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

fn redirect_to(location: &str) -> ResponseTemplate {
    ResponseTemplate::new(302).insert_header("location", location)
}

fn html(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.as_bytes().to_vec(), "text/html; charset=utf-8")
}

#[tokio::test]
async fn an_html_page_comes_back_as_plain_text() {
    let server = serve(
        "/about",
        html(
            "<html><body><h1>Acme Freight</h1><script>track()</script>\
              <p>We run <a href=\"/fleet\">400 trucks</a> across Ohio.</p></body></html>",
        ),
    )
    .await;

    let page = allowing_loopback()
        .fetch_text(&format!("{}/about", server.uri()))
        .await
        .unwrap();

    assert!(page.text.contains("Acme Freight"), "{}", page.text);
    assert!(
        page.text.contains("We run 400 trucks across Ohio."),
        "{}",
        page.text
    );
    assert!(!page.text.contains("track()"), "{}", page.text);
    assert!(!page.truncated);
}

#[tokio::test]
async fn the_default_fetcher_refuses_a_server_on_loopback() {
    let server = serve("/", html("<p>secret</p>")).await;

    let err = SafeFetcher::new()
        .unwrap()
        .fetch_text(&server.uri())
        .await
        .unwrap_err();

    assert_eq!(err.to_string(), "refused: 127.0.0.1 is a loopback address");
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
}

#[tokio::test]
async fn a_redirect_to_a_private_address_is_refused() {
    let server = serve("/", redirect_to("http://10.0.0.5/admin")).await;

    let err = allowing_loopback()
        .fetch_text(&server.uri())
        .await
        .unwrap_err();

    assert_eq!(err.to_string(), "refused: 10.0.0.5 is a private address");
}

#[tokio::test]
async fn a_redirect_to_loopback_outside_the_allowed_network_is_refused() {
    let server = serve("/", redirect_to("http://127.0.0.2/")).await;

    let err = allowing_loopback()
        .fetch_text(&server.uri())
        .await
        .unwrap_err();

    assert!(
        matches!(
            err,
            FetchError::Address {
                class: AddressClass::Loopback,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_redirect_to_another_scheme_is_refused() {
    let server = serve("/", redirect_to("file:///etc/passwd")).await;

    let err = allowing_loopback()
        .fetch_text(&server.uri())
        .await
        .unwrap_err();

    assert_eq!(
        err.to_string(),
        "refused: scheme \"file\" is not http or https"
    );
}

#[tokio::test]
async fn three_redirects_are_followed_and_a_fourth_is_refused() {
    let server = MockServer::start().await;
    for hop in 0..4 {
        Mock::given(method("GET"))
            .and(path(format!("/r{hop}")))
            .respond_with(redirect_to(&format!("/r{}", hop + 1)))
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/r4"))
        .respond_with(html("<p>end</p>"))
        .mount(&server)
        .await;
    let fetcher = allowing_loopback();

    let page = fetcher
        .fetch_text(&format!("{}/r1", server.uri()))
        .await
        .unwrap();
    assert!(page.url.ends_with("/r4"), "{}", page.url);
    assert!(page.text.contains("end"));

    let err = fetcher
        .fetch_text(&format!("{}/r0", server.uri()))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "too many redirects (more than 3)");
}

#[tokio::test]
async fn a_body_over_one_megabyte_is_cut_and_marked_truncated() {
    let body = "a".repeat(3 * 1024 * 1024);
    let server = serve(
        "/big",
        ResponseTemplate::new(200).set_body_raw(body.into_bytes(), "text/plain"),
    )
    .await;

    let page = allowing_loopback()
        .fetch_text(&format!("{}/big", server.uri()))
        .await
        .unwrap();

    assert!(page.truncated);
    assert_eq!(page.text.len(), 1024 * 1024);
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let server = serve("/", html("<p>late</p>").set_delay(Duration::from_secs(3))).await;
    let fetcher = SafeFetcher::builder()
        .allow("127.0.0.1/32".parse().unwrap())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();

    let err = fetcher.fetch_text(&server.uri()).await.unwrap_err();

    assert!(matches!(err, FetchError::Timeout(_)), "{err}");
}

#[tokio::test]
async fn a_non_http_scheme_is_refused_before_any_connection() {
    let err = allowing_loopback()
        .fetch_text("ftp://127.0.0.1/file.txt")
        .await
        .unwrap_err();

    assert!(
        matches!(err, FetchError::Scheme(ref s) if s == "ftp"),
        "{err}"
    );
}

#[tokio::test]
async fn a_page_that_is_not_text_is_refused_by_content_type() {
    let server = serve(
        "/logo.png",
        ResponseTemplate::new(200).set_body_raw(vec![0x89, b'P', b'N', b'G'], "image/png"),
    )
    .await;

    let err = allowing_loopback()
        .fetch_text(&format!("{}/logo.png", server.uri()))
        .await
        .unwrap_err();

    assert_eq!(
        err.to_string(),
        "unsupported content type \"image/png\" (only text/html and text/plain)"
    );
}

#[tokio::test]
async fn an_error_status_is_reported() {
    let server = serve("/", ResponseTemplate::new(404)).await;

    let err = allowing_loopback()
        .fetch_text(&server.uri())
        .await
        .unwrap_err();

    assert_eq!(err.to_string(), "HTTP status 404");
}
