//! The recipient's mailbox provider class, a bounded metric label: big providers throttle and
//! filter differently, so outcomes and latency are worth splitting by them. Derived from the
//! recipient's domain only (no DNS): a company domain hosted by Google or Microsoft counts as
//! `other`.

/// A bounded label for the recipient's mailbox provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProviderClass {
    Gmail,
    Outlook,
    Yahoo,
    Other,
}

impl ProviderClass {
    pub const ALL: [ProviderClass; 4] = [Self::Gmail, Self::Outlook, Self::Yahoo, Self::Other];

    pub fn label(self) -> &'static str {
        match self {
            Self::Gmail => "gmail",
            Self::Outlook => "outlook",
            Self::Yahoo => "yahoo",
            Self::Other => "other",
        }
    }

    /// Position in [`Self::ALL`], for handle arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Classifies an address (`user@domain`) or a bare domain; case and a trailing dot are
    /// ignored.
    pub fn of(address_or_domain: &str) -> Self {
        let domain = address_or_domain
            .rsplit_once('@')
            .map_or(address_or_domain, |(_, d)| d)
            .trim()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        // The registrable name without its public suffix: "hotmail.co.uk" -> "hotmail".
        let name = domain.split('.').next().unwrap_or_default();
        match domain.as_str() {
            "gmail.com" | "googlemail.com" => return Self::Gmail,
            "msn.com" | "passport.com" => return Self::Outlook,
            "aol.com" | "ymail.com" | "rocketmail.com" => return Self::Yahoo,
            _ => {}
        }
        // Country variants: outlook.de, hotmail.co.uk, live.fr, yahoo.co.jp, ...
        let labels = domain.split('.').count();
        if !(2..=3).contains(&labels) {
            return Self::Other;
        }
        match name {
            "outlook" | "hotmail" | "live" | "windowslive" => Self::Outlook,
            "yahoo" => Self::Yahoo,
            _ => Self::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ProviderClass::{self, *};

    #[test]
    fn big_providers_are_recognised_by_their_consumer_domains() {
        let cases = [
            ("ann@gmail.com", Gmail),
            ("Ann@GoogleMail.com", Gmail),
            ("bob@outlook.com", Outlook),
            ("bob@hotmail.co.uk", Outlook),
            ("bob@live.fr", Outlook),
            ("bob@msn.com", Outlook),
            ("cy@yahoo.com", Yahoo),
            ("cy@yahoo.co.jp", Yahoo),
            ("cy@ymail.com", Yahoo),
            ("cy@aol.com", Yahoo),
            ("gmail.com.", Gmail),
        ];
        for (input, class) in cases {
            assert_eq!(ProviderClass::of(input), class, "{input}");
        }
    }

    #[test]
    fn company_and_lookalike_domains_are_other() {
        for input in [
            "dan@example.com",
            "dan@mail.google.example",
            "dan@gmail.com.evil.example",
            "dan@yahoo.example.co.uk",
            "dan@notgmail.com",
            "",
            "no-at-sign",
        ] {
            assert_eq!(ProviderClass::of(input), Other, "{input}");
        }
    }

    #[test]
    fn labels_are_bounded_and_indexed_in_order() {
        for (i, class) in ProviderClass::ALL.iter().enumerate() {
            assert_eq!(class.index(), i);
        }
        let labels: Vec<_> = ProviderClass::ALL.iter().map(|c| c.label()).collect();
        assert_eq!(labels, ["gmail", "outlook", "yahoo", "other"]);
    }
}
