//! `CheckedResolver`: the only DNS resolution the fetcher's HTTP client does. It looks a name
//! up and hands the client only addresses that pass [`address::refusal`], so the connection
//! goes to an address that was checked: a name that resolves to a public address for a check
//! and to a private one for the connect (DNS rebinding) cannot slip through.

use std::net::SocketAddr;
use std::sync::Arc;

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::address;
use super::error::FetchError;

/// The networks that pass although their class is refused (tests allow 127.0.0.1/32).
#[derive(Clone, Debug, Default)]
pub struct Allowances(Arc<Vec<IpNet>>);

impl Allowances {
    pub fn new(nets: Vec<IpNet>) -> Self {
        Self(Arc::new(nets))
    }

    /// `Err` names why `ip` may not be reached.
    pub fn check(&self, ip: std::net::IpAddr) -> Result<(), FetchError> {
        match address::refusal(ip) {
            Some(_) if self.0.iter().any(|net| net.contains(&ip)) => Ok(()),
            Some(class) => Err(FetchError::Address { ip, class }),
            None => Ok(()),
        }
    }
}

pub struct CheckedResolver {
    pub allowances: Allowances,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allowances = self.allowances.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            if address::refused_name(&host) {
                return Err(FetchError::HostName(host).into());
            }
            // Port 0: reqwest puts the URL's port (or the scheme's) in its place.
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| FetchError::Resolve {
                    host: host.clone(),
                    reason: e.to_string(),
                })?
                .collect();
            // One refused address refuses the name: a host that answers with both a public and
            // a private address is either misconfigured or probing us.
            for addr in &found {
                allowances.check(addr.ip())?;
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// The resolver's own error inside a reqwest error (a refusal or a failed lookup), so the
/// caller sees it typed rather than as "error sending request".
pub fn resolver_error_in(error: &(dyn std::error::Error + 'static)) -> Option<FetchError> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<FetchError>() {
            return Some(found.clone());
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    async fn resolve(allowances: Allowances, name: &str) -> Result<Vec<SocketAddr>, FetchError> {
        let resolver = CheckedResolver { allowances };
        match resolver.resolve(Name::from_str(name).unwrap()).await {
            Ok(addrs) => Ok(addrs.collect()),
            Err(e) => Err(resolver_error_in(e.as_ref()).unwrap()),
        }
    }

    #[tokio::test]
    async fn a_name_that_resolves_to_loopback_is_refused_at_resolution() {
        let err = resolve(Allowances::default(), "127.0.0.1")
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "refused: 127.0.0.1 is a loopback address");
    }

    #[tokio::test]
    async fn metadata_names_are_refused_without_a_lookup() {
        let err = resolve(Allowances::default(), "metadata.google.internal")
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::HostName(_)), "{err}");
    }

    #[tokio::test]
    async fn an_allowed_network_resolves() {
        let allowances = Allowances::new(vec!["127.0.0.1/32".parse().unwrap()]);
        let addrs = resolve(allowances, "127.0.0.1").await.unwrap();
        assert_eq!(addrs[0].ip().to_string(), "127.0.0.1");
    }
}
