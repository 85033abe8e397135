//! Which addresses and host names an outbound fetch may reach: public unicast only.
//!
//! A URL from a lead's row or a webhook setting is attacker-controlled, so every address the
//! fetcher would connect to is judged here first. Forms that embed an IPv4 address in an IPv6
//! one (mapped, compatible, NAT64, 6to4) are judged by the embedded address, so
//! `::ffff:127.0.0.1` is loopback and not "some IPv6 host".

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is refused; `Display` reads "a private address" so an error can say
/// "refused: 10.0.0.5 is a private address".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressClass {
    Loopback,
    Private,
    LinkLocal,
    SharedCgnat,
    Unspecified,
    Multicast,
    Broadcast,
    Documentation,
    Reserved,
    UniqueLocal,
}

impl std::fmt::Display for AddressClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Loopback => "a loopback address",
            Self::Private => "a private address",
            Self::LinkLocal => "a link-local address",
            Self::SharedCgnat => "a shared (carrier-grade NAT) address",
            Self::Unspecified => "an unspecified address",
            Self::Multicast => "a multicast address",
            Self::Broadcast => "a broadcast address",
            Self::Documentation => "a documentation address",
            Self::Reserved => "a reserved address",
            Self::UniqueLocal => "a unique-local address",
        })
    }
}

/// `None` when `ip` is public unicast, else why it is refused.
pub fn refusal(ip: IpAddr) -> Option<AddressClass> {
    match ip {
        IpAddr::V4(v4) => refusal_v4(v4),
        IpAddr::V6(v6) => refusal_v6(v6),
    }
}

fn refusal_v4(ip: Ipv4Addr) -> Option<AddressClass> {
    let [a, b, c, _] = ip.octets();
    let class = match (a, b, c) {
        _ if ip == Ipv4Addr::BROADCAST => AddressClass::Broadcast,
        (0, _, _) => AddressClass::Unspecified,
        (10, _, _) => AddressClass::Private,
        (100, 64..=127, _) => AddressClass::SharedCgnat,
        (127, _, _) => AddressClass::Loopback,
        (169, 254, _) => AddressClass::LinkLocal,
        (172, 16..=31, _) => AddressClass::Private,
        // 192.0.0.0/24 IETF protocol assignments, 192.88.99.0/24 the retired 6to4 relay.
        (192, 0, 0) | (192, 88, 99) => AddressClass::Reserved,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => AddressClass::Documentation,
        (192, 168, _) => AddressClass::Private,
        // Benchmarking networks, 198.18.0.0/15.
        (198, 18..=19, _) => AddressClass::Reserved,
        (224..=239, _, _) => AddressClass::Multicast,
        (240..=255, _, _) => AddressClass::Reserved,
        _ => return None,
    };
    Some(class)
}

fn refusal_v6(ip: Ipv6Addr) -> Option<AddressClass> {
    if ip.is_unspecified() {
        return Some(AddressClass::Unspecified);
    }
    if ip.is_loopback() {
        return Some(AddressClass::Loopback);
    }
    if let Some(v4) = embedded_v4(ip) {
        return refusal_v4(v4);
    }
    let s = ip.segments();
    let class = match s[0] {
        0xfe80..=0xfebf => AddressClass::LinkLocal,
        // Deprecated site-local fec0::/10: private by intent.
        0xfec0..=0xfeff => AddressClass::Private,
        0xfc00..=0xfdff => AddressClass::UniqueLocal,
        0xff00..=0xffff => AddressClass::Multicast,
        0x2001 if s[1] == 0x0db8 => AddressClass::Documentation,
        0x3fff if s[1] <= 0x0fff => AddressClass::Documentation,
        // Teredo (2001::/32) tunnels to an obfuscated IPv4 client; the rest of 2001::/23 is
        // protocol assignments. Neither is a web server's address.
        0x2001 if s[1] < 0x0200 => AddressClass::Reserved,
        // Global unicast is 2000::/3; everything else (discard 100::/64, the local-use NAT64
        // 64:ff9b:1::/48, unassigned space) is not a public host.
        0x2000..=0x3fff => return None,
        _ => AddressClass::Reserved,
    };
    Some(class)
}

/// The IPv4 address an IPv6 address carries: mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`,
/// NAT64 `64:ff9b::a.b.c.d` and 6to4 `2002:aabb:ccdd::`.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] | [0, 0, 0, 0, 0, 0, _, _] => Some(tail()),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(tail()),
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        _ => None,
    }
}

/// Host names that point at a cloud's instance metadata or at this machine, refused before any
/// lookup (a resolver inside a cloud answers them with a link-local or private address, but a
/// custom resolver might not).
pub fn refused_name(host: &str) -> bool {
    const NAMES: &[&str] = &[
        "localhost",
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.azure.com",
        "metadata.platformequinix.com",
        "metadata.packet.net",
    ];
    // A trailing dot names the same host; case never matters in DNS.
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    NAMES.contains(&host.as_str())
        || host.ends_with(".localhost")
        // `.internal` is reserved for private networks (cloud-internal names live there) and
        // `.local` is multicast DNS on the local link: neither is a public website.
        || host.ends_with(".internal")
        || host.ends_with(".local")
}

#[cfg(test)]
mod tests;
