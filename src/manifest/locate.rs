//! Turning byte offsets and toml errors into `Problem`s that name the line, the object (campaign
//! "Q4", step 2) and the key.
//!
//! toml's own report spans several lines with a source excerpt; we keep its position and message
//! but not the excerpt, which could show a password written inline. The object is found with a
//! lenient second parse (an "outline") that only reads names and table positions.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::error::Problem;

/// 1-based line and column of a byte offset (columns count characters).
pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before
        .get(line_start..)
        .map_or(1, |s| s.chars().count() + 1);
    (line, column)
}

pub(super) fn line_of(text: &str, span: &Range<usize>) -> usize {
    line_col(text, span.start).0
}

/// A toml parse or schema error as a `Problem`.
pub(super) fn toml_problem(text: &str, err: &toml::de::Error) -> Problem {
    let (line, column) = match err.span() {
        Some(span) => {
            let (l, c) = line_col(text, span.start);
            (Some(l), Some(c))
        }
        None => (None, None),
    };
    let path = key_path(err);
    let (object, key) = match (&path, err.span()) {
        (Some(path), Some(span)) => name_object(text, path, span.start),
        (Some(path), None) => (None, Some(path.join("."))),
        (None, _) => (None, None),
    };
    // A mistyped password (`password = 1234`) would be quoted back in serde's type error.
    let message = match path.as_ref().and_then(|p| p.last()) {
        Some(last) if last == "password" => {
            "invalid password (value not shown): expected a quoted string".to_owned()
        }
        _ => err.message().to_owned(),
    };
    Problem {
        line,
        column,
        object,
        key,
        message,
    }
}

/// The dotted key path toml attaches to schema errors ("campaigns.steps.delay"). It is only
/// printed when the error has no input attached, so render a copy without it.
fn key_path(err: &toml::de::Error) -> Option<Vec<String>> {
    let mut bare = err.clone();
    bare.set_input(None);
    let rendered = bare.to_string();
    let last = rendered.lines().next_back()?.trim();
    let path = last.strip_prefix("in `")?.strip_suffix('`')?;
    Some(path.split('.').map(str::to_owned).collect())
}

#[derive(Deserialize)]
struct Outline {
    #[serde(default)]
    mailboxes: Vec<Spanned<Named>>,
    #[serde(default)]
    products: Vec<Spanned<Named>>,
    #[serde(default)]
    campaigns: Vec<Spanned<CampaignOutline>>,
}

#[derive(Deserialize)]
struct Named {
    name: Option<toml::Value>,
    address: Option<toml::Value>,
}

#[derive(Deserialize)]
struct CampaignOutline {
    name: Option<toml::Value>,
    #[serde(default)]
    steps: Vec<Spanned<toml::Value>>,
}

/// Which element of an array of tables holds `offset`: the last one starting at or before it
/// (an element's span is its `[[header]]` or inline table, and its keys follow it).
fn holder<T>(items: &[Spanned<T>], offset: usize) -> Option<(usize, &T)> {
    items
        .iter()
        .enumerate()
        .rev()
        .find(|(_, item)| item.span().start <= offset)
        .map(|(i, item)| (i, item.get_ref()))
}

fn quoted(value: Option<&toml::Value>, kind: &str, index: usize) -> String {
    match value.and_then(toml::Value::as_str) {
        Some(name) => format!("{kind} {name:?}"),
        None => format!("{kind} #{}", index + 1),
    }
}

/// Splits a key path into the object it belongs to and the key within it.
fn name_object(text: &str, path: &[String], offset: usize) -> (Option<String>, Option<String>) {
    let rest = |n: usize| (path.len() > n).then(|| path[n..].join("."));
    let Some(first) = path.first() else {
        return (None, None);
    };
    let outline: Option<Outline> = toml::from_str(text).ok();
    let object = match (first.as_str(), &outline) {
        ("workspace" | "mailbox_defaults", _) => Some(first.clone()),
        ("mailboxes", Some(o)) => holder(&o.mailboxes, offset).map(|(i, m)| {
            match m.address.as_ref().and_then(toml::Value::as_str) {
                Some(address) => format!("mailbox {address}"),
                None => format!("mailbox #{}", i + 1),
            }
        }),
        ("products", Some(o)) => {
            holder(&o.products, offset).map(|(i, p)| quoted(p.name.as_ref(), "product", i))
        }
        ("campaigns", Some(o)) => holder(&o.campaigns, offset).map(|(i, c)| {
            let campaign = quoted(c.name.as_ref(), "campaign", i);
            match (path.get(1).map(String::as_str), holder(&c.steps, offset)) {
                (Some("steps"), Some((step, _))) => format!("{campaign} step {}", step + 1),
                _ => campaign,
            }
        }),
        _ => None,
    };
    match object {
        None => (None, rest(0)),
        Some(object) => {
            let depth = if path.get(1).is_some_and(|k| k == "steps") && first == "campaigns" {
                2
            } else {
                1
            };
            (Some(object), rest(depth))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_one_based_lines_and_columns() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, 10), (2, 4));
        assert_eq!(line_col(text, 999), (3, 1));
    }
}
