//! A fetched body as plain text: HTML through `html2text` (scripts and styles dropped, no
//! markup left: no `#` before headings, no brackets around links), plain text as it is. Bytes
//! that are not UTF-8 become U+FFFD: a page in another charset still yields its ASCII words,
//! which is what a prompt needs.

use html2text::render::TrivialDecorator;

use super::error::FetchError;

/// Lines are wrapped at this width; wide enough that prose stays on one line in a prompt.
const WRAP_WIDTH: usize = 120;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKind {
    Html,
    Plain,
}

impl TextKind {
    /// The kind a `Content-Type` header names, or `None` for anything but HTML and plain text.
    pub fn from_content_type(value: &str) -> Option<Self> {
        let essence = value.split(';').next().unwrap_or("").trim();
        if essence.eq_ignore_ascii_case("text/html") {
            Some(Self::Html)
        } else if essence.eq_ignore_ascii_case("text/plain") {
            Some(Self::Plain)
        } else {
            None
        }
    }
}

/// The text of `body`. HTML conversion runs on a blocking thread: a megabyte of markup takes
/// long enough to stall the runtime's other tasks.
pub async fn to_text(kind: TextKind, body: Vec<u8>) -> Result<String, FetchError> {
    let decoded = String::from_utf8_lossy(&body).into_owned();
    match kind {
        TextKind::Plain => Ok(decoded),
        TextKind::Html => tokio::task::spawn_blocking(move || html_to_text(&decoded))
            .await
            .map_err(|e| FetchError::Html(e.to_string()))?,
    }
}

fn html_to_text(html: &str) -> Result<String, FetchError> {
    let text = html2text::config::with_decorator(TrivialDecorator::new())
        .allow_width_overflow()
        .string_from_read(html.as_bytes(), WRAP_WIDTH)
        .map_err(|e| FetchError::Html(e.to_string()))?;
    // Collapse the blank runs layout leaves behind; they cost prompt tokens and say nothing.
    let mut out = String::with_capacity(text.len());
    let mut blank = false;
    for line in text.lines().map(str::trim_end) {
        if line.trim().is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if blank {
            out.push('\n');
            blank = false;
        }
        out.push_str(line);
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_html_and_plain_text_are_accepted() {
        assert_eq!(
            TextKind::from_content_type("text/html; charset=utf-8"),
            Some(TextKind::Html)
        );
        assert_eq!(
            TextKind::from_content_type("TEXT/PLAIN"),
            Some(TextKind::Plain)
        );
        assert_eq!(TextKind::from_content_type("application/json"), None);
        assert_eq!(TextKind::from_content_type("image/png"), None);
    }

    #[test]
    fn html_becomes_text_without_scripts_or_markup() {
        let html = "<html><head><title>T</title><script>var x = 1;</script>\
            <style>p { color: red }</style></head><body><h1>Acme Freight</h1>\
            <p>We move <b>pallets</b>.</p><p></p><p>Since 1990.</p></body></html>";
        let text = html_to_text(html).unwrap();
        assert!(text.contains("Acme Freight"), "{text}");
        assert!(text.contains("We move pallets."), "{text}");
        assert!(text.contains("Since 1990."), "{text}");
        assert!(!text.contains("var x"), "{text}");
        assert!(!text.contains("color"), "{text}");
        assert!(!text.contains('<'), "{text}");
    }
}
