//! Header mapping: which CSV column feeds which lead field.
//!
//! People export leads from many tools, each with its own column names ("First Name",
//! `first_name`, "Given name"). A header is normalised (trimmed, lower-cased, everything but
//! letters and digits dropped) and looked up in one alias table, so "E-mail", "email" and
//! "EMAIL " all land on the email field. A column matching no alias is kept as a custom field
//! under its original (trimmed) header text, so nothing the user uploaded is thrown away.

use std::collections::HashSet;

use super::row::clean_field;

/// A lead field a column can feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Email,
    FirstName,
    LastName,
    Company,
    Title,
    Website,
    Linkedin,
    Phone,
    Timezone,
}

/// Normalised aliases per field. Keep them unambiguous: each alias maps to exactly one field.
const ALIASES: &[(Field, &[&str])] = &[
    (
        Field::Email,
        &[
            "email",
            "emailaddress",
            "mail",
            "emailaddr",
            "workemail",
            "businessemail",
        ],
    ),
    (
        Field::FirstName,
        &["firstname", "first", "givenname", "fname", "forename"],
    ),
    (
        Field::LastName,
        &["lastname", "last", "surname", "familyname", "lname"],
    ),
    (
        Field::Company,
        &[
            "company",
            "companyname",
            "organization",
            "organisation",
            "org",
            "employer",
        ],
    ),
    (Field::Title, &["title", "jobtitle", "position", "role"]),
    (
        Field::Website,
        &[
            "website",
            "url",
            "domain",
            "companywebsite",
            "web",
            "companyurl",
            "companydomain",
        ],
    ),
    (
        Field::Linkedin,
        &[
            "linkedin",
            "linkedinurl",
            "linkedinprofile",
            "linkedinprofileurl",
        ],
    ),
    (
        Field::Phone,
        &[
            "phone",
            "phonenumber",
            "mobile",
            "tel",
            "telephone",
            "mobilephone",
            "mobilenumber",
        ],
    ),
    (Field::Timezone, &["timezone", "tz"]),
];

/// Lower-cased letters and digits of `header`, nothing else: "E-Mail Address " -> "emailaddress".
pub fn normalize(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The field a header names, if it is one we know.
pub fn field_for(header: &str) -> Option<Field> {
    let key = normalize(header);
    ALIASES
        .iter()
        .find(|(_, aliases)| aliases.contains(&key.as_str()))
        .map(|(field, _)| *field)
}

/// Where one column's values go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Field(Field),
    /// A custom field, under this (cleaned, unique) name.
    Custom(String),
}

/// The mapping of every column of a file, by position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderMap {
    columns: Vec<Target>,
    /// Every header as written (cleaned), for error messages.
    originals: Vec<String>,
}

impl HeaderMap {
    /// Maps headers to targets. The first column naming a field wins; a later column naming the
    /// same field is kept as a custom field so its values are not lost. Custom names are made
    /// unique ("Notes", "Notes (2)") and an empty header becomes "column N" (1-based).
    pub fn new<S: AsRef<str>>(headers: &[S]) -> Self {
        Self::with_overrides(headers, &[])
    }

    /// As [`HeaderMap::new`], but column `index` of each `(index, field)` in `overrides` feeds
    /// `field` (an accepted mapping proposal) unless the alias table placed it or an earlier
    /// column already feeds that field.
    pub fn with_overrides<S: AsRef<str>>(headers: &[S], overrides: &[(usize, Field)]) -> Self {
        let mut seen_fields = HashSet::new();
        // Fields the alias table places win over proposals for the same field.
        let named: HashSet<Field> = headers
            .iter()
            .filter_map(|h| field_for(&clean_field(h.as_ref())))
            .collect();
        let mut custom_names = HashSet::new();
        let mut columns = Vec::with_capacity(headers.len());
        let mut originals = Vec::with_capacity(headers.len());
        for (index, raw) in headers.iter().enumerate() {
            let text = clean_field(raw.as_ref());
            let proposed = overrides
                .iter()
                .find(|(i, f)| *i == index && !named.contains(f))
                .map(|(_, f)| *f);
            let target = match field_for(&text).or(proposed) {
                Some(field) if seen_fields.insert(field) => Target::Field(field),
                _ => {
                    let base = if text.is_empty() {
                        format!("column {}", index + 1)
                    } else {
                        text.clone()
                    };
                    let mut name = base.clone();
                    let mut n = 2;
                    while !custom_names.insert(name.clone()) {
                        name = format!("{base} ({n})");
                        n += 1;
                    }
                    Target::Custom(name)
                }
            };
            columns.push(target);
            originals.push(text);
        }
        Self { columns, originals }
    }

    pub fn has(&self, field: Field) -> bool {
        self.columns.contains(&Target::Field(field))
    }

    /// The target of column `index`; `None` for a field past the header's end.
    pub fn target(&self, index: usize) -> Option<&Target> {
        self.columns.get(index)
    }

    pub fn len(&self) -> usize {
        self.columns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// The headers as found in the file.
    pub fn originals(&self) -> &[String] {
        &self.originals
    }

    /// The columns the alias table could not place (kept as custom fields), by position.
    pub fn unplaced(&self) -> Vec<usize> {
        (0..self.columns.len())
            .filter(|&i| matches!(self.columns[i], Target::Custom(_)))
            .collect()
    }

    /// The custom field names, in column order.
    pub fn custom_names(&self) -> Vec<String> {
        self.columns
            .iter()
            .filter_map(|t| match t {
                Target::Custom(name) => Some(name.clone()),
                Target::Field(_) => None,
            })
            .collect()
    }

    /// A column's header for messages: its original text, else "column N".
    pub fn describe(&self, index: usize) -> String {
        match self.originals.get(index) {
            Some(text) if !text.is_empty() => format!("{text:?}"),
            _ => format!("column {}", index + 1),
        }
    }
}

impl Field {
    pub const ALL: [Self; 9] = [
        Self::Email,
        Self::FirstName,
        Self::LastName,
        Self::Company,
        Self::Title,
        Self::Website,
        Self::Linkedin,
        Self::Phone,
        Self::Timezone,
    ];

    /// The lead field's name (`first_name`), as the API and a mapping proposal spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::FirstName => "first_name",
            Self::LastName => "last_name",
            Self::Company => "company",
            Self::Title => "title",
            Self::Website => "website",
            Self::Linkedin => "linkedin",
            Self::Phone => "phone",
            Self::Timezone => "timezone",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_override_places_a_column_the_aliases_left_custom() {
        let map = HeaderMap::with_overrides(
            &["E-Mail Adresse", "Firma", "Email"],
            &[(0, Field::Email), (1, Field::Company)],
        );
        assert_eq!(map.target(1), Some(&Target::Field(Field::Company)));
        // "Email" names the field itself: the proposal for column 0 yields to it.
        assert_eq!(map.target(2), Some(&Target::Field(Field::Email)));
        assert_eq!(
            map.target(0),
            Some(&Target::Custom("E-Mail Adresse".into()))
        );
        assert_eq!(HeaderMap::new(&["Firma", "email"]).unplaced(), [0]);
    }

    #[test]
    fn common_spellings_of_each_field_are_recognised() {
        let cases: &[(&str, Field)] = &[
            ("First Name", Field::FirstName),
            ("first_name", Field::FirstName),
            ("firstname", Field::FirstName),
            ("first", Field::FirstName),
            ("Given Name", Field::FirstName),
            ("Last Name", Field::LastName),
            ("surname", Field::LastName),
            ("Email Address", Field::Email),
            ("E-mail", Field::Email),
            ("mail", Field::Email),
            ("EMAIL ", Field::Email),
            ("Company Name", Field::Company),
            ("organization", Field::Company),
            ("Organisation", Field::Company),
            ("Job Title", Field::Title),
            ("position", Field::Title),
            ("role", Field::Title),
            ("url", Field::Website),
            ("Domain", Field::Website),
            ("Company Website", Field::Website),
            ("LinkedIn URL", Field::Linkedin),
            ("linkedin_url", Field::Linkedin),
            ("LinkedIn Profile", Field::Linkedin),
            ("Phone Number", Field::Phone),
            ("mobile", Field::Phone),
            ("tel", Field::Phone),
            ("tz", Field::Timezone),
            ("Time Zone", Field::Timezone),
        ];
        for (header, field) in cases {
            assert_eq!(field_for(header), Some(*field), "{header:?}");
        }
    }

    #[test]
    fn headers_are_normalised_before_matching() {
        assert_eq!(normalize("  E-Mail_Address! "), "emailaddress");
        assert_eq!(normalize("Time Zone"), "timezone");
        assert_eq!(field_for("Industry"), None);
    }

    #[test]
    fn unknown_columns_become_custom_fields_under_their_trimmed_header() {
        let map = HeaderMap::new(&["Email", "  Industry ", "Deal Size"]);
        assert_eq!(map.target(0), Some(&Target::Field(Field::Email)));
        assert_eq!(map.target(1), Some(&Target::Custom("Industry".into())));
        assert_eq!(
            map.custom_names(),
            vec!["Industry".to_owned(), "Deal Size".to_owned()]
        );
        assert_eq!(map.target(3), None);
    }

    #[test]
    fn a_second_column_for_the_same_field_is_kept_as_custom() {
        let map = HeaderMap::new(&["email", "Work Email", "Notes", "notes", "Notes", ""]);
        assert_eq!(map.target(0), Some(&Target::Field(Field::Email)));
        assert_eq!(map.target(1), Some(&Target::Custom("Work Email".into())));
        assert_eq!(map.target(2), Some(&Target::Custom("Notes".into())));
        assert_eq!(map.target(3), Some(&Target::Custom("notes".into())));
        assert_eq!(map.target(4), Some(&Target::Custom("Notes (2)".into())));
        assert_eq!(map.target(5), Some(&Target::Custom("column 6".into())));
    }
}
