//! Target checks before any connection: schemes, IP literals in every form the URL parser
//! accepts, and refused names.

use super::*;

fn refused(url: &str) -> FetchError {
    let fetcher = SafeFetcher::new().unwrap();
    fetcher.check_target(&Url::parse(url).unwrap()).unwrap_err()
}

fn refused_text(url: &str) -> String {
    refused(url).to_string()
}

#[test]
fn only_http_and_https_are_fetched() {
    assert_eq!(
        refused_text("ftp://example.com/x"),
        "refused: scheme \"ftp\" is not http or https"
    );
    assert!(matches!(
        refused("file:///etc/passwd"),
        FetchError::Scheme(_)
    ));
    assert!(matches!(
        refused("gopher://example.com/"),
        FetchError::Scheme(_)
    ));
}

#[test]
fn a_private_literal_is_refused_naming_the_address() {
    assert_eq!(
        refused_text("http://10.0.0.5/"),
        "refused: 10.0.0.5 is a private address"
    );
}

#[test]
fn odd_ipv4_forms_are_normalised_before_the_check() {
    for url in [
        "http://2130706433/",
        "http://0x7f.1/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://0x7f000001/",
    ] {
        assert_eq!(
            refused_text(url),
            "refused: 127.0.0.1 is a loopback address",
            "{url}"
        );
    }
    assert_eq!(
        refused_text("http://0/"),
        "refused: 0.0.0.0 is an unspecified address"
    );
}

#[test]
fn ipv6_literals_are_checked_including_embedded_ipv4() {
    assert!(matches!(
        refused("http://[::1]:8080/"),
        FetchError::Address {
            class: AddressClass::Loopback,
            ..
        }
    ));
    assert!(matches!(
        refused("http://[::ffff:127.0.0.1]/"),
        FetchError::Address {
            class: AddressClass::Loopback,
            ..
        }
    ));
    assert!(matches!(
        refused("https://[::ffff:a9fe:a9fe]/latest/meta-data/"),
        FetchError::Address {
            class: AddressClass::LinkLocal,
            ..
        }
    ));
    assert!(matches!(
        refused("http://[64:ff9b::10.1.2.3]/"),
        FetchError::Address {
            class: AddressClass::Private,
            ..
        }
    ));
    assert!(matches!(
        refused("http://[2002:a9fe:a9fe::]/"),
        FetchError::Address {
            class: AddressClass::LinkLocal,
            ..
        }
    ));
    assert!(matches!(
        refused("http://[fd00::1]/"),
        FetchError::Address {
            class: AddressClass::UniqueLocal,
            ..
        }
    ));
    assert!(matches!(
        refused("http://[fe80::1]/"),
        FetchError::Address {
            class: AddressClass::LinkLocal,
            ..
        }
    ));
}

#[test]
fn metadata_addresses_and_names_are_refused() {
    assert_eq!(
        refused_text("http://169.254.169.254/latest/meta-data/"),
        "refused: 169.254.169.254 is a link-local address"
    );
    assert_eq!(
        refused_text("http://metadata.google.internal/computeMetadata/v1/"),
        "refused: metadata.google.internal is a cloud metadata or local host name"
    );
    assert!(matches!(
        refused("http://LOCALHOST./"),
        FetchError::HostName(_)
    ));
}

#[test]
fn an_allowed_network_passes_and_nothing_else_does() {
    let fetcher = SafeFetcher::builder()
        .allow("127.0.0.1/32".parse().unwrap())
        .build()
        .unwrap();
    let check = |url: &str| fetcher.check_target(&Url::parse(url).unwrap());
    assert!(check("http://127.0.0.1:8080/").is_ok());
    assert!(check("http://127.0.0.2/").is_err());
    assert!(check("http://10.0.0.1/").is_err());
}

#[test]
fn public_targets_pass_the_check() {
    let fetcher = SafeFetcher::new().unwrap();
    for url in [
        "https://example.com/about",
        "http://93.184.216.34/",
        "https://[2606:2800:220:1::1]/",
    ] {
        assert!(
            fetcher.check_target(&Url::parse(url).unwrap()).is_ok(),
            "{url}"
        );
    }
}

#[test]
fn refusals_are_told_apart_from_failures_that_may_pass() {
    assert!(refused("http://10.0.0.5/").is_refusal());
    assert!(!FetchError::Timeout(DEFAULT_TIMEOUT).is_refusal());
}
