//! From the parsed file to validated desired state: defaults filled in, secrets looked up,
//! cross-field rules checked. Every problem is collected (not just the first) with its line, so
//! an admin fixes a file in one round.
//!
//! References to other objects stay names here; whether they exist is a question for the store,
//! answered by the planner.

use crate::domain::{MailboxSpec, ProductSpec, rules};
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use toml::Spanned;

use super::CampaignDecl;
use super::campaign::campaign;
use super::error::Problem;
use super::file::{FileDoc, ProductDoc};
use super::locate::line_of;
use super::mailbox::{self, Defaults};
use crate::config::MailboxDefaults;
use crate::domain::{Cap, MailboxStatus};
use crate::service::mailboxes::WantedStatus;

/// The validated contents of a file, before it becomes a `Manifest`.
pub(super) struct Parts {
    pub workspace: String,
    pub products: Vec<ProductSpec>,
    pub mailboxes: Vec<MailboxSpec>,
    /// Inbound options of each mailbox, in `mailboxes` order.
    pub mailbox_options: Vec<crate::domain::InboundOptions>,
    /// The `status` each mailbox asks for, in `mailboxes` order.
    pub mailbox_status: Vec<Option<WantedStatus>>,
    pub campaigns: Vec<CampaignDecl>,
    pub warnings: Vec<Problem>,
}

/// What resolving needs to read and where it collects findings.
pub(super) struct Ctx<'a> {
    pub text: &'a str,
    pub base_dir: &'a Path,
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub problems: Vec<Problem>,
    pub warnings: Vec<Problem>,
}

impl Ctx<'_> {
    pub fn line(&self, span: &Range<usize>) -> Option<usize> {
        Some(line_of(self.text, span))
    }

    pub fn finding(
        &self,
        span: &Range<usize>,
        object: &str,
        key: Option<&str>,
        message: String,
    ) -> Problem {
        Problem {
            line: self.line(span),
            column: None,
            object: Some(object.to_owned()),
            key: key.map(str::to_owned),
            message,
        }
    }

    pub fn problem(
        &mut self,
        span: &Range<usize>,
        object: &str,
        key: Option<&str>,
        message: impl Into<String>,
    ) {
        let p = self.finding(span, object, key, message.into());
        self.problems.push(p);
    }

    pub fn warn(
        &mut self,
        span: &Range<usize>,
        object: &str,
        key: Option<&str>,
        message: impl Into<String>,
    ) {
        let w = self.finding(span, object, key, message.into());
        self.warnings.push(w);
    }

    /// A name (or other one-line text): the rule of [`rules::line_text`].
    pub fn check_line_text(&mut self, value: &Spanned<String>, object: &str, key: &str) {
        if let Err(message) = rules::line_text(key, value.get_ref()) {
            self.problem(&value.span(), object, Some(key), message);
        }
    }

    pub fn check_timezone(&mut self, tz: &Spanned<String>, object: &str, key: &str) {
        if let Err(message) = rules::timezone(tz.get_ref()) {
            self.problem(&tz.span(), object, Some(key), message);
        }
    }

    /// A mailbox cap written as a count or a rate (see [`Cap`]), checked as [`Self::cap`].
    pub fn rate_cap<const P: u64>(
        &mut self,
        value: Option<Spanned<Cap<P>>>,
        object: &str,
        key: &str,
    ) -> Option<u32> {
        let value = value.map(|v| Spanned::new(v.span(), v.into_inner().0));
        self.cap(value, object, key)
    }

    /// A count or cap: the rule of [`rules::cap`].
    pub fn cap(&mut self, value: Option<Spanned<u32>>, object: &str, key: &str) -> Option<u32> {
        let value = value?;
        if let Err(message) = rules::cap(key, *value.get_ref()) {
            self.problem(&value.span(), object, Some(key), message);
        }
        Some(value.into_inner())
    }

    /// Reads a file named relative to the apply file. Errors name the path, never the content.
    pub fn read_relative(
        &mut self,
        path: &Spanned<std::path::PathBuf>,
        object: &str,
        key: &str,
    ) -> Option<String> {
        let full = self.base_dir.join(path.get_ref());
        match std::fs::read_to_string(&full) {
            Ok(text) => Some(text),
            Err(e) => {
                self.problem(
                    &path.span(),
                    object,
                    Some(key),
                    format!("cannot read {}: {e}", full.display()),
                );
                None
            }
        }
    }
}

/// Remembers the first line each identity was declared on, to report duplicates.
pub(super) struct Seen(HashMap<String, Option<usize>>);

impl Seen {
    pub fn new() -> Self {
        Self(HashMap::new())
    }

    /// The line of an earlier declaration of `identity`, if there was one.
    pub fn earlier(&mut self, identity: String, line: Option<usize>) -> Option<Option<usize>> {
        match self.0.get(&identity) {
            Some(first) => Some(*first),
            None => {
                self.0.insert(identity, line);
                None
            }
        }
    }
}

fn first_on(line: Option<usize>) -> String {
    line.map(|l| format!(" (first on line {l})"))
        .unwrap_or_default()
}

pub(super) fn resolve(
    doc: FileDoc,
    text: &str,
    base_dir: &Path,
    config_defaults: &MailboxDefaults,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Parts, Vec<Problem>> {
    let mut cx = Ctx {
        text,
        base_dir,
        env,
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    cx.check_line_text(&doc.workspace.name, "workspace", "name");
    let workspace = doc.workspace.name.into_inner();

    let mut seen = Seen::new();
    let mut products = Vec::new();
    for p in doc.products {
        let line = cx.line(&p.name.span());
        if let Some(first) = seen.earlier(p.name.get_ref().clone(), line) {
            let message = format!(
                "product {:?} is declared twice{}",
                p.name.get_ref(),
                first_on(first)
            );
            cx.problem(&p.name.span(), "products", Some("name"), message);
        }
        products.push(product(&mut cx, p));
    }

    let defaults = Defaults::new(&mut cx, config_defaults, doc.mailbox_defaults);
    let mut seen = Seen::new();
    let mut mailboxes = Vec::new();
    let mut mailbox_options = Vec::new();
    let mut mailbox_status = Vec::new();
    for mut m in doc.mailboxes {
        let line = cx.line(&m.address.span());
        if let Some(first) = seen.earlier(m.address.get_ref().normalized(), line) {
            let message = format!(
                "mailbox {} is declared twice{}",
                m.address.get_ref(),
                first_on(first)
            );
            cx.problem(&m.address.span(), "mailboxes", Some("address"), message);
        }
        mailbox_options.push(crate::domain::InboundOptions {
            sent_folder_is_authoritative: m.sent_folder_is_authoritative.unwrap_or(false),
            append_sent: m.append_sent.unwrap_or(false),
        });
        let label = format!("mailbox {}", m.address.get_ref());
        mailbox_status.push(
            m.status
                .take()
                .and_then(|s| wanted_status(&mut cx, &label, s)),
        );
        mailboxes.push(mailbox::resolve(&mut cx, &defaults, m));
    }

    let mut seen = Seen::new();
    let mut campaigns = Vec::new();
    for c in doc.campaigns {
        let line = cx.line(&c.name.span());
        if let Some(first) = seen.earlier(c.name.get_ref().clone(), line) {
            let message = format!(
                "campaign {:?} is declared twice{}",
                c.name.get_ref(),
                first_on(first)
            );
            cx.problem(&c.name.span(), "campaigns", Some("name"), message);
        }
        campaigns.push(campaign(&mut cx, c));
    }

    if !cx.problems.is_empty() {
        cx.problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
        return Err(cx.problems);
    }
    Ok(Parts {
        workspace,
        products,
        mailboxes,
        mailbox_options,
        mailbox_status,
        campaigns,
        warnings: cx.warnings,
    })
}

/// A mailbox's `status`: an operator may ask for `active` or `paused`; `cooling` is the
/// daemon's own back-off and cannot be asked for.
fn wanted_status(
    cx: &mut Ctx<'_>,
    label: &str,
    status: Spanned<MailboxStatus>,
) -> Option<WantedStatus> {
    match status.get_ref() {
        MailboxStatus::Active => Some(WantedStatus::Active),
        MailboxStatus::Paused => Some(WantedStatus::Paused),
        MailboxStatus::Cooling => {
            let message = "status must be \"active\" or \"paused\" (cooling is set by the daemon)";
            cx.problem(&status.span(), label, Some("status"), message);
            None
        }
    }
}

fn product(cx: &mut Ctx<'_>, doc: ProductDoc) -> ProductSpec {
    let label = format!("product {:?}", doc.name.get_ref());
    cx.check_line_text(&doc.name, &label, "name");
    let (description, source_file_name) = match (doc.description, doc.description_file) {
        (Some(_), Some(file)) => {
            cx.problem(
                &file.span(),
                &label,
                Some("description_file"),
                "give description or description_file, not both",
            );
            (String::new(), None)
        }
        (Some(text), None) => (text, None),
        (None, Some(file)) => {
            let text = cx
                .read_relative(&file, &label, "description_file")
                .unwrap_or_default();
            let name = file
                .get_ref()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned());
            (text, name)
        }
        (None, None) => (String::new(), None),
    };
    if let Err(message) = rules::description(&description) {
        cx.problem(&doc.name.span(), &label, Some("description"), message);
    }
    ProductSpec {
        name: doc.name.into_inner(),
        description,
        source_file_name,
    }
}
