//! Company insights: what is known about the company behind a web domain (a summary, recent
//! developments, facts and the pages they come from), asked once per (workspace, domain) and
//! kept until `expires_at`. Every lead whose website or email is on that domain shares it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Lead;

/// What the prompt and the templates see (`{{ insight.summary }}`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InsightFacts {
    /// Two or three sentences on what the company does and for whom.
    pub summary: String,
    /// News of the last months (funding, launches, hires, expansions), one item each.
    #[serde(default)]
    pub recent_developments: Vec<String>,
    /// Size, location, founding year, customers, stack: one short fact each.
    #[serde(default)]
    pub facts: Vec<String>,
    /// The pages the above comes from.
    #[serde(default)]
    pub citations: Vec<Citation>,
}

/// A page an insight draws on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Citation {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The page's date as the search reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// An insight as stored for one workspace.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CompanyInsight {
    /// The company's domain (`acme.com`).
    pub domain: String,
    #[serde(flatten)]
    pub facts: InsightFacts,
    /// The provider and model that wrote it.
    pub provider: String,
    pub model: String,
    pub fetched_at: DateTime<Utc>,
    /// After this it is asked again when next needed.
    pub expires_at: DateTime<Utc>,
}

impl CompanyInsight {
    pub fn is_fresh(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }
}

/// Mail providers whose domain says nothing about the sender's company.
const FREEMAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "yahoo.com",
    "ymail.com",
    "rocketmail.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "pm.me",
    "gmx.com",
    "gmx.net",
    "gmx.de",
    "web.de",
    "t-online.de",
    "freenet.de",
    "mail.com",
    "mail.ru",
    "yandex.com",
    "yandex.ru",
    "zoho.com",
    "fastmail.com",
    "hey.com",
    "tutanota.com",
    "qq.com",
    "163.com",
    "126.com",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "libero.it",
    "btinternet.com",
    "comcast.net",
];

/// Free mail providers with a domain per country (`yahoo.co.uk`, `hotmail.fr`).
const FREEMAIL_BRANDS: &[&str] = &["gmail", "hotmail", "outlook", "yahoo", "live", "gmx"];

/// Whether `domain` belongs to a free mail provider.
pub fn is_freemail(domain: &str) -> bool {
    let first = domain.split('.').next().unwrap_or_default();
    FREEMAIL.contains(&domain) || FREEMAIL_BRANDS.contains(&first)
}

/// `domain` lower-cased, without a trailing dot or a leading `www.`, when it looks like a
/// registrable host name (`acme.com`, `eu.acme.co.uk`); else why not.
pub fn normalize_domain(domain: &str) -> Result<String, &'static str> {
    let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let d = d.strip_prefix("www.").unwrap_or(&d).to_owned();
    let labels_ok = d.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    if d.len() > 253 || !d.contains('.') || !labels_ok {
        return Err("not a domain name like acme.com");
    }
    Ok(d)
}

/// The domain of a lead's company: its website's host, else its email's domain, unless that is
/// a free mail provider's.
pub fn company_domain(lead: &Lead) -> Option<String> {
    let from_site = lead.website.as_deref().and_then(website_host);
    let from_email = lead.email.rsplit_once('@').map(|(_, d)| d.to_owned());
    [from_site, from_email]
        .into_iter()
        .flatten()
        .filter_map(|d| normalize_domain(&d).ok())
        .find(|d| !is_freemail(d))
}

/// The host of `https://www.acme.com/about`, `acme.com` or `//acme.com:8080`.
fn website_host(site: &str) -> Option<String> {
    let site = site.trim();
    let rest = site.split_once("://").map_or(site, |(_, r)| r);
    let rest = rest.trim_start_matches('/');
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host.split(':').next()?;
    (!host.is_empty()).then(|| host.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead(email: &str, website: Option<&str>) -> Lead {
        Lead {
            id: crate::domain::LeadId::new(),
            workspace_id: crate::domain::WorkspaceId::new(),
            email: email.into(),
            first_name: None,
            last_name: None,
            title: None,
            company: None,
            website: website.map(str::to_owned),
            linkedin: None,
            phone: None,
            timezone: None,
            custom: Default::default(),
            persona: None,
            unsubscribed_at: None,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn the_website_names_the_company_before_the_email() {
        let l = lead("ann@acme-mail.com", Some("https://www.Acme.com/about?x=1"));
        assert_eq!(company_domain(&l).as_deref(), Some("acme.com"));
        let l = lead("ann@Acme.com", None);
        assert_eq!(company_domain(&l).as_deref(), Some("acme.com"));
    }

    #[test]
    fn free_mail_domains_name_no_company() {
        assert_eq!(company_domain(&lead("ann@gmail.com", None)), None);
        assert_eq!(company_domain(&lead("ann@yahoo.co.uk", None)), None);
        assert_eq!(
            company_domain(&lead("ann@gmail.com", Some("acme.io"))).as_deref(),
            Some("acme.io")
        );
        assert_eq!(company_domain(&lead("ann@hotmail.fr", Some(" "))), None);
    }

    #[test]
    fn domains_are_normalised_or_refused() {
        assert_eq!(normalize_domain("WWW.Acme.COM.").as_deref(), Ok("acme.com"));
        assert!(normalize_domain("localhost").is_err());
        assert!(normalize_domain("acme.com/x").is_err());
        assert!(normalize_domain("-acme.com").is_err());
    }
}
