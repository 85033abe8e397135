//! Rendering a step's subject and body: spintax first (seeded per lead and step), then minijinja.
//!
//! The environment is locked down: no loader (so `include`, `import` and `extends` find nothing),
//! no `debug()` global (it would dump the context into an email), no auto-escaping (plain text),
//! and undefined values fail when printed, iterated or passed to a filter. `SemiStrict` rather
//! than `Strict`: `{% if company %}` on a lead without a company is false instead of an error, so
//! optional fields can be handled in the template, while `{{ company }}` still fails the step.
//! A null is refused when printed, for the same reason.
//!
//! Sizes are capped (template and output), which stops a runaway loop that prints. A loop that
//! spins without printing (`range(100000)` nested in another) is stopped by minijinja's fuel.
//!
//! Compiled templates are reused across renders (see compiled.rs); each is compiled in a clone
//! of this one environment, so the rules above hold for cached and fresh ones alike.

use std::io;
use std::sync::LazyLock;

use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, Error, ErrorKind, UndefinedBehavior, Value};

use super::compiled;
use super::context::{LEAD_FIELDS, RenderContext, TOP_LEVEL_NAMES};
use super::error::{ContentError, TemplatePart};
use super::spintax;

/// Largest template accepted, in bytes.
pub const MAX_TEMPLATE_BYTES: usize = 64 * 1024;
/// Largest rendered output accepted, in bytes: far above any sane email, far below trouble.
pub const MAX_OUTPUT_BYTES: usize = 256 * 1024;
/// Longest subject kept by [`normalize_subject`], in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;

/// A rendered step: what goes to the provider as the draft.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Draft {
    pub subject: String,
    pub body: String,
}

/// Spintax seeds for subject and body differ so their choices are not lock-stepped.
const SUBJECT_SEED_SALT: u64 = 0x5375_626A_6563_7421;

/// Renders a step's subject (normalised to one line) and body with the same seed.
pub fn render_draft(
    subject_template: &str,
    body_template: &str,
    ctx: &RenderContext,
    seed: u64,
) -> Result<Draft, ContentError> {
    // Converted once for both parts: turning the context into minijinja values is a quarter of
    // the work of a render.
    let ctx = context_value(ctx);
    let subject = render_value(
        TemplatePart::Subject,
        subject_template,
        &ctx,
        seed ^ SUBJECT_SEED_SALT,
    )?;
    Ok(Draft {
        subject: normalize_subject(&subject),
        body: render_value(TemplatePart::Body, body_template, &ctx, seed)?,
    })
}

/// Expands spintax with `seed` (see [`spintax::spin_seed`]), then renders with `ctx`.
pub fn render(
    part: TemplatePart,
    template: &str,
    ctx: &RenderContext,
    seed: u64,
) -> Result<String, ContentError> {
    render_value(part, template, &context_value(ctx), seed)
}

fn context_value(ctx: &RenderContext) -> Value {
    Value::from(Serde(ctx))
}

/// `render` with the context already converted.
fn render_value(
    part: TemplatePart,
    template: &str,
    ctx: &Value,
    seed: u64,
) -> Result<String, ContentError> {
    check_size(part, template)?;
    let source = spintax::expand(template, seed);
    let cached =
        compiled::compiled(&ENV, part, &source).map_err(|e| from_minijinja(part, &e, &source))?;
    let compiled = match &cached {
        Some(env) => env.get_template(part.name()),
        None => ENV.template_from_named_str(part.name(), &source),
    }
    .map_err(|e| from_minijinja(part, &e, &source))?;
    let mut out = CappedWriter {
        buf: Vec::with_capacity(source.len() + 256),
        overflowed: false,
    };
    match compiled.render_captured_to(ctx.clone(), &mut out) {
        Ok(_) => {}
        Err(_) if out.overflowed => {
            return Err(ContentError::TooLarge {
                part,
                what: "rendered text",
                limit_bytes: MAX_OUTPUT_BYTES,
            });
        }
        Err(e) if e.kind() == minijinja::ErrorKind::OutOfFuel => {
            return Err(ContentError::TooLarge {
                part,
                what: "rendering work",
                limit_bytes: MAX_OUTPUT_BYTES,
            });
        }
        Err(e) => return Err(from_minijinja(part, &e, &source)),
    }
    String::from_utf8(out.buf).map_err(|e| ContentError::Render {
        part,
        detail: e.to_string(),
        line: None,
    })
}

/// Apply-time check: size, syntax, and variable names no lead can have (typos). Spintax picks can
/// change what minijinja sees, so a sample of expansions is checked.
pub fn validate(part: TemplatePart, template: &str) -> Result<(), ContentError> {
    check_size(part, template)?;
    let samples: u64 = if template.contains('|') { 16 } else { 1 };
    for seed in 0..samples {
        let source = spintax::expand(template, seed);
        let compiled = ENV
            .template_from_named_str(part.name(), &source)
            .map_err(|e| from_minijinja(part, &e, &source))?;
        let mut unknown: Vec<String> = compiled
            .undeclared_variables(true)
            .into_iter()
            .filter(|name| !known_name(name))
            .collect();
        unknown.sort();
        if let Some(name) = unknown.into_iter().next() {
            return Err(ContentError::UndefinedVariable {
                part,
                name,
                line: None,
            });
        }
    }
    Ok(())
}

/// One line, no control characters, runs of whitespace collapsed, at most
/// [`MAX_SUBJECT_CHARS`] characters (cut on a character boundary).
pub fn normalize_subject(subject: &str) -> String {
    let mut out = String::with_capacity(subject.len().min(MAX_SUBJECT_CHARS * 4));
    let mut chars = 0;
    for word in subject
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
    {
        for c in (!out.is_empty())
            .then_some(' ')
            .into_iter()
            .chain(word.chars())
        {
            if chars == MAX_SUBJECT_CHARS {
                return out.trim_end().to_owned();
            }
            out.push(c);
            chars += 1;
        }
    }
    out
}

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    // Bounds CPU per render: output caps stop loops that print, fuel stops nested loops that
    // print nothing (templates may one day come through the API).
    env.set_fuel(Some(50_000));
    env.set_auto_escape_callback(|_| AutoEscape::None);
    // Debug info is what names the undefined variable in the error ("`first_nme` is undefined").
    env.set_debug(true);
    env.remove_global("debug");
    env.set_formatter(|out, state, value| {
        if value.is_none() {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "refusing to print a null value",
            ));
        }
        minijinja::escape_formatter(out, state, value)
    });
    env
});

fn check_size(part: TemplatePart, template: &str) -> Result<(), ContentError> {
    if template.len() > MAX_TEMPLATE_BYTES {
        return Err(ContentError::TooLarge {
            part,
            what: "template",
            limit_bytes: MAX_TEMPLATE_BYTES,
        });
    }
    Ok(())
}

/// `first_name`, `lead.company`, `custom.anything`, `persona.anything`: could be defined for
/// some lead. `first_nme` or `lead.compnay` cannot.
fn known_name(path: &str) -> bool {
    let mut parts = path.splitn(3, '.');
    let (root, child) = (parts.next().unwrap_or_default(), parts.next());
    if LEAD_FIELDS.contains(&root) {
        return true;
    }
    if !TOP_LEVEL_NAMES.contains(&root) {
        // `range`, `dict`, `namespace`: minijinja's own functions, reported as undeclared.
        return ENV.globals().any(|(global, _)| global == root);
    }
    let fields: &[&str] = match root {
        "lead" => LEAD_FIELDS,
        "product" => &["name", "description"],
        "campaign" => &["name", "goal"],
        "insight" => &["summary", "recent_developments", "facts", "citations"],
        "sender" => &["address", "name", "first_name", "signature"],
        _ => return true,
    };
    child.is_none_or(|c| fields.contains(&c))
}

fn from_minijinja(part: TemplatePart, err: &Error, source: &str) -> ContentError {
    let line = err.line();
    match err.kind() {
        ErrorKind::UndefinedError => {
            let name = err
                .detail()
                .and_then(|d| d.split('`').nth(1))
                .or_else(|| err.range().and_then(|r| source.get(r)))
                .unwrap_or("?")
                .trim()
                .to_owned();
            ContentError::UndefinedVariable { part, name, line }
        }
        ErrorKind::SyntaxError => ContentError::Syntax {
            part,
            detail: err.detail().unwrap_or("invalid template").to_owned(),
            line,
        },
        ErrorKind::TemplateNotFound => ContentError::IncludeNotAllowed { part, line },
        _ => ContentError::Render {
            part,
            detail: describe(err),
            line,
        },
    }
}

/// "invalid operation: refusing to print a null value", without minijinja's "(in body:1)".
fn describe(err: &Error) -> String {
    match err.detail() {
        Some(detail) => format!("{}: {detail}", err.kind()),
        None => err.kind().to_string(),
    }
}

/// Collects output and fails the render once it passes [`MAX_OUTPUT_BYTES`]. A write is taken
/// whole or not at all, so the buffer always holds complete UTF-8 pieces.
struct CappedWriter {
    buf: Vec<u8>,
    overflowed: bool,
}

impl io::Write for CappedWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len() + data.len() > MAX_OUTPUT_BYTES {
            self.overflowed = true;
            return Err(io::Error::other("rendered text too large"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
