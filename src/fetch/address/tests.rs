//! Every refused address form, and the public addresses that must pass.

use super::*;

fn class(ip: &str) -> Option<AddressClass> {
    refusal(ip.parse().unwrap())
}

#[test]
fn loopback_addresses_are_refused() {
    assert_eq!(class("127.0.0.1"), Some(AddressClass::Loopback));
    assert_eq!(class("127.255.1.2"), Some(AddressClass::Loopback));
    assert_eq!(class("::1"), Some(AddressClass::Loopback));
}

#[test]
fn private_ranges_are_refused() {
    for ip in ["10.0.0.5", "172.16.0.1", "172.31.255.255", "192.168.1.1"] {
        assert_eq!(class(ip), Some(AddressClass::Private), "{ip}");
    }
    assert_eq!(class("172.32.0.1"), None);
    assert_eq!(class("172.15.0.1"), None);
}

#[test]
fn link_local_and_the_metadata_address_are_refused() {
    assert_eq!(class("169.254.169.254"), Some(AddressClass::LinkLocal));
    assert_eq!(class("169.254.0.1"), Some(AddressClass::LinkLocal));
    assert_eq!(class("fe80::1"), Some(AddressClass::LinkLocal));
    assert_eq!(class("febf::1"), Some(AddressClass::LinkLocal));
}

#[test]
fn carrier_grade_nat_is_refused() {
    assert_eq!(class("100.64.0.1"), Some(AddressClass::SharedCgnat));
    assert_eq!(class("100.100.100.200"), Some(AddressClass::SharedCgnat));
    assert_eq!(class("100.127.255.255"), Some(AddressClass::SharedCgnat));
    assert_eq!(class("100.128.0.1"), None);
}

#[test]
fn unspecified_addresses_are_refused() {
    assert_eq!(class("0.0.0.0"), Some(AddressClass::Unspecified));
    assert_eq!(class("0.1.2.3"), Some(AddressClass::Unspecified));
    assert_eq!(class("::"), Some(AddressClass::Unspecified));
}

#[test]
fn multicast_and_broadcast_are_refused() {
    assert_eq!(class("224.0.0.1"), Some(AddressClass::Multicast));
    assert_eq!(class("239.255.255.250"), Some(AddressClass::Multicast));
    assert_eq!(class("255.255.255.255"), Some(AddressClass::Broadcast));
    assert_eq!(class("ff02::1"), Some(AddressClass::Multicast));
}

#[test]
fn reserved_and_documentation_ranges_are_refused() {
    for ip in [
        "192.0.2.1",
        "198.51.100.7",
        "203.0.113.9",
        "2001:db8::1",
        "3fff::1",
    ] {
        assert_eq!(class(ip), Some(AddressClass::Documentation), "{ip}");
    }
    for ip in [
        "240.0.0.1",
        "192.0.0.8",
        "198.18.0.1",
        "192.88.99.1",
        "100::1",
        "2001::1",
    ] {
        assert_eq!(class(ip), Some(AddressClass::Reserved), "{ip}");
    }
}

#[test]
fn unique_local_ipv6_is_refused() {
    assert_eq!(class("fc00::1"), Some(AddressClass::UniqueLocal));
    assert_eq!(class("fd00:ec2::254"), Some(AddressClass::UniqueLocal));
}

#[test]
fn ipv4_mapped_and_compatible_ipv6_are_judged_by_the_ipv4_address() {
    assert_eq!(class("::ffff:127.0.0.1"), Some(AddressClass::Loopback));
    assert_eq!(class("::ffff:10.0.0.5"), Some(AddressClass::Private));
    assert_eq!(
        class("::ffff:169.254.169.254"),
        Some(AddressClass::LinkLocal)
    );
    assert_eq!(class("::127.0.0.1"), Some(AddressClass::Loopback));
    assert_eq!(class("::192.168.0.1"), Some(AddressClass::Private));
    assert_eq!(class("::ffff:93.184.216.34"), None);
}

#[test]
fn nat64_and_6to4_are_judged_by_the_embedded_ipv4_address() {
    assert_eq!(class("64:ff9b::127.0.0.1"), Some(AddressClass::Loopback));
    assert_eq!(class("64:ff9b::a9fe:a9fe"), Some(AddressClass::LinkLocal));
    assert_eq!(class("2002:7f00:1::"), Some(AddressClass::Loopback));
    assert_eq!(class("2002:0a00:0005::1"), Some(AddressClass::Private));
    assert_eq!(class("64:ff9b::93.184.216.34"), None);
    assert_eq!(class("2002:5db8:d822::1"), None);
    // The local-use NAT64 prefix is never a public host.
    assert_eq!(class("64:ff9b:1::10.0.0.1"), Some(AddressClass::Reserved));
}

#[test]
fn public_unicast_addresses_pass() {
    for ip in [
        "93.184.216.34",
        "8.8.8.8",
        "1.1.1.1",
        "2606:2800:220:1::1",
        "2a00:1450::1",
    ] {
        assert_eq!(class(ip), None, "{ip}");
    }
}

#[test]
fn cloud_metadata_and_local_names_are_refused() {
    for name in [
        "metadata.google.internal",
        "METADATA.google.internal.",
        "metadata",
        "instance-data.ec2.internal",
        "localhost",
        "app.localhost",
        "printer.local",
        "db.corp.internal",
    ] {
        assert!(refused_name(name), "{name}");
    }
    assert!(!refused_name("example.com"));
    assert!(!refused_name("metadata.example.com"));
}

#[test]
fn refusals_read_as_a_sentence() {
    assert_eq!(AddressClass::Private.to_string(), "a private address");
}
