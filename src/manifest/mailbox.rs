//! Resolving `[[mailboxes]]`: defaults for omitted limits, SMTP/IMAP settings, and passwords from
//! the environment, a file or (discouraged) the apply file itself.
//!
//! A password is only ever held as a `SecretString`; messages name the variable or the file it
//! should come from, never its value.

use std::ops::Range;

use secrecy::{ExposeSecret, SecretString};
use toml::Spanned;

use super::file::{MailboxDefaultsDoc, MailboxDoc, ServerDoc, WarmupDoc};
use super::resolve::Ctx;
use crate::config::MailboxDefaults;
use crate::domain::{HumanDuration, MailboxSpec, ServerSpec, SmtpSecurity, Warmup, rules};

/// Mailbox settings a file may leave out: the config's `[mailbox_defaults]`, overridden by the
/// file's own `[mailbox_defaults]` table.
pub(super) struct Defaults {
    daily_cap: u32,
    hourly_cap: Option<u32>,
    min_gap: HumanDuration,
    max_gap: HumanDuration,
    timezone: String,
    warmup: Option<Warmup>,
}

/// 0 means "no hourly cap", as in the config.
fn nonzero(cap: u32) -> Option<u32> {
    (cap != 0).then_some(cap)
}

impl Defaults {
    pub fn new(
        cx: &mut Ctx<'_>,
        config: &MailboxDefaults,
        file: Option<MailboxDefaultsDoc>,
    ) -> Self {
        let mut defaults = Self {
            daily_cap: config.daily_cap,
            hourly_cap: nonzero(config.hourly_cap),
            min_gap: config.min_gap,
            max_gap: config.max_gap,
            timezone: config.timezone.clone(),
            warmup: None,
        };
        let Some(doc) = file else {
            return defaults;
        };
        let label = "mailbox_defaults";
        if let Some(cap) = cx.rate_cap(doc.daily_cap, label, "daily_cap") {
            defaults.daily_cap = cap;
        }
        if let Some(cap) = cx.rate_cap(doc.hourly_cap, label, "hourly_cap") {
            defaults.hourly_cap = nonzero(cap);
        }
        if let Some(tz) = doc.timezone {
            cx.check_timezone(&tz, label, "timezone");
            defaults.timezone = tz.into_inner();
        }
        if let Some(w) = doc.warmup {
            defaults.warmup = Some(warmup(cx, w, label));
        }
        (defaults.min_gap, defaults.max_gap) = gaps(
            cx,
            label,
            doc.min_gap,
            doc.max_gap,
            (defaults.min_gap, defaults.max_gap),
        );
        defaults
    }
}

pub(super) fn resolve(cx: &mut Ctx<'_>, defaults: &Defaults, doc: MailboxDoc) -> MailboxSpec {
    let address = doc.address.into_inner();
    let label = format!("mailbox {address}");
    // The From name goes into a header: a line break there would be header injection.
    cx.check_line_text(&doc.from_name, &label, "from_name");
    let smtp = server(cx, &label, "smtp", doc.smtp, address.as_str(), None);
    let imap = doc.imap.map(|imap| {
        let username = smtp.username.clone();
        server(cx, &label, "imap", imap, &username, Some(&smtp.password))
    });
    let timezone = match doc.timezone {
        Some(tz) => {
            cx.check_timezone(&tz, &label, "timezone");
            tz.into_inner()
        }
        None => defaults.timezone.clone(),
    };
    let (min_gap, max_gap) = gaps(
        cx,
        &label,
        doc.min_gap,
        doc.max_gap,
        (defaults.min_gap, defaults.max_gap),
    );
    MailboxSpec {
        from_name: doc.from_name.into_inner(),
        signature: doc.signature,
        smtp,
        imap,
        daily_cap: cx
            .rate_cap(doc.daily_cap, &label, "daily_cap")
            .unwrap_or(defaults.daily_cap),
        hourly_cap: match cx.rate_cap(doc.hourly_cap, &label, "hourly_cap") {
            Some(cap) => nonzero(cap),
            None => defaults.hourly_cap,
        },
        min_gap,
        max_gap,
        warmup: doc
            .warmup
            .map(|w| warmup(cx, w, &label))
            .or(defaults.warmup),
        warmup_started_on: doc.warmup_started_on,
        timezone,
        address,
    }
}

fn warmup(cx: &mut Ctx<'_>, doc: Spanned<WarmupDoc>, label: &str) -> Warmup {
    let w = *doc.get_ref();
    let warmup = Warmup {
        start_per_day: w.start_per_day,
        increment_per_day: w.increment_per_day,
    };
    if let Err(message) = rules::warmup(&warmup) {
        cx.problem(&doc.span(), label, Some("warmup"), message);
    }
    warmup
}

/// The random gap between sends, `[min_gap, max_gap]`; either end may come from the defaults.
fn gaps(
    cx: &mut Ctx<'_>,
    label: &str,
    min: Option<Spanned<HumanDuration>>,
    max: Option<Spanned<HumanDuration>>,
    (default_min, default_max): (HumanDuration, HumanDuration),
) -> (HumanDuration, HumanDuration) {
    let min_value = min.as_ref().map_or(default_min, |m| *m.get_ref());
    let max_value = max.as_ref().map_or(default_max, |m| *m.get_ref());
    if let Err(message) = rules::gaps(min_value, max_value) {
        let (span, key, note) = match (&min, &max) {
            (Some(m), Some(_)) => (m.span(), "min_gap", ""),
            (Some(m), None) => (m.span(), "min_gap", " (max_gap is the default)"),
            (None, Some(m)) => (m.span(), "max_gap", " (min_gap is the default)"),
            // Both defaults: validated with the config.
            (None, None) => return (min_value, max_value),
        };
        cx.problem(&span, label, Some(key), format!("{message}{note}"));
    }
    (min_value, max_value)
}

/// The usual security for well-known ports; a mismatch is worth a warning, not an error.
fn usual_security(kind: &str, port: u16) -> Option<SmtpSecurity> {
    match (kind, port) {
        ("smtp", 465) | ("imap", 993) => Some(SmtpSecurity::Tls),
        ("smtp", 587) | ("imap", 143) => Some(SmtpSecurity::Starttls),
        _ => None,
    }
}

fn server(
    cx: &mut Ctx<'_>,
    label: &str,
    kind: &str,
    doc: Spanned<ServerDoc>,
    default_username: &str,
    inherited_password: Option<&SecretString>,
) -> ServerSpec {
    let span = doc.span();
    let doc = doc.into_inner();
    let key = |k: &str| format!("{kind}.{k}");
    if let Err(message) = rules::host(doc.host.get_ref()) {
        cx.problem(&doc.host.span(), label, Some(&key("host")), message);
    }
    let port = *doc.port.get_ref();
    if let Err(message) = rules::port(port) {
        cx.problem(&doc.port.span(), label, Some(&key("port")), message);
    }
    if let Some(usual) = usual_security(kind, port)
        && usual != doc.security
    {
        let message = format!(
            "port {port} usually uses security = \"{usual}\", not \"{}\"",
            doc.security
        );
        cx.warn(&doc.port.span(), label, Some(&key("security")), message);
    }
    let username = doc
        .username
        .clone()
        .unwrap_or_else(|| default_username.to_owned());
    if let Err(message) = rules::username(&username) {
        cx.problem(&span, label, Some(&key("username")), message);
    }
    let password = password(cx, label, kind, &span, &doc, inherited_password);
    ServerSpec {
        host: doc.host.into_inner(),
        port,
        security: doc.security,
        username,
        password,
    }
}

/// Exactly one source; IMAP without one reuses the SMTP password.
fn password(
    cx: &mut Ctx<'_>,
    label: &str,
    kind: &str,
    span: &Range<usize>,
    doc: &ServerDoc,
    inherited: Option<&SecretString>,
) -> SecretString {
    let key = |k: &str| format!("{kind}.{k}");
    let given = [
        doc.password_env.is_some(),
        doc.password_file.is_some(),
        doc.password.is_some(),
    ];
    if given.iter().filter(|g| **g).count() > 1 {
        let message = "give only one of password_env, password_file and password";
        cx.problem(span, label, Some(&key("password")), message);
    }
    let empty = SecretString::from("");
    if let Some(var) = &doc.password_env {
        let name = var.get_ref().trim();
        let problem = if name.is_empty() {
            "password_env is empty: give the name of an environment variable".to_owned()
        } else {
            match (cx.env)(name) {
                None => format!("environment variable {name} is not set"),
                Some(value) if value.is_empty() => format!("environment variable {name} is empty"),
                Some(value) => return SecretString::from(value),
            }
        };
        cx.problem(&var.span(), label, Some(&key("password_env")), problem);
        return empty;
    }
    if let Some(file) = &doc.password_file {
        let Some(text) = cx.read_relative(file, label, &key("password_file")) else {
            return empty;
        };
        // Files written by `echo` or editors end with a newline that is not part of the password.
        let secret = SecretString::from(text.trim_end_matches(['\r', '\n']).to_owned());
        if secret.expose_secret().is_empty() {
            let message = format!("password file {} is empty", file.get_ref().display());
            cx.problem(&file.span(), label, Some(&key("password_file")), message);
        }
        return secret;
    }
    if let Some(inline) = &doc.password {
        let secret = SecretString::from(inline.get_ref().clone());
        if let Err(message) = rules::password(&secret) {
            cx.problem(&inline.span(), label, Some(&key("password")), message);
        } else {
            let message =
                "the password is written in the apply file; prefer password_env or password_file";
            cx.warn(&inline.span(), label, Some(&key("password")), message);
        }
        return secret;
    }
    match inherited {
        Some(secret) => secret.clone(),
        None => {
            let message = "no password: set password_env (the name of an environment variable), \
                           password_file or password";
            cx.problem(span, label, Some(&key("password_env")), message);
            empty
        }
    }
}
