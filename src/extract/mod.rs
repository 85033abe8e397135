//! Plain text out of an uploaded document (`.txt`, `.pdf`, `.docx`), for a product's
//! description. The kind comes from the file name and is confirmed by the content's first bytes,
//! so a renamed file is named for what it is. Every failure is an [`ExtractError`] a person can
//! act on; a parser that panics on a hostile file is caught and reported the same way.
//!
//! Extraction is CPU-bound and synchronous: callers run it on a blocking thread. It knows
//! nothing of HTTP or the store.

mod docx;
mod pdf;

use std::panic::{AssertUnwindSafe, catch_unwind};

/// What a file holds, by its name's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentKind {
    Text,
    Pdf,
    Docx,
}

impl DocumentKind {
    /// The kind `file_name` names, or an error listing what is accepted.
    pub fn from_file_name(file_name: &str) -> Result<Self, ExtractError> {
        let extension = file_name
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_ascii_lowercase())
            .unwrap_or_default();
        match extension.as_str() {
            "txt" | "text" | "md" => Ok(Self::Text),
            "pdf" => Ok(Self::Pdf),
            "docx" => Ok(Self::Docx),
            "" => Err(ExtractError::UnsupportedType(format!(
                "{file_name:?} has no extension"
            ))),
            other => Err(ExtractError::UnsupportedType(format!(".{other} files"))),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("{0} are not supported; upload a .txt, .pdf or .docx file")]
    UnsupportedType(String),
    #[error("the file is not UTF-8 text (invalid byte at offset {0}); save it as UTF-8")]
    NotUtf8(usize),
    #[error("the file is not a readable PDF document: {0}")]
    NotPdf(String),
    #[error("the file is not a readable .docx document: {0}")]
    NotDocx(String),
    #[error("no text found in the file{0}")]
    NoText(&'static str),
    #[error("the {0} reader could not read this file (it may be damaged)")]
    Crashed(&'static str),
}

/// The file's text, tidied: line ends as `\n`, control characters (NUL included, which a
/// database text column refuses) removed, trailing spaces and runs of blank lines trimmed.
pub fn extract(kind: DocumentKind, bytes: &[u8]) -> Result<String, ExtractError> {
    let raw = match kind {
        DocumentKind::Text => text(bytes)?,
        DocumentKind::Pdf => guarded("PDF", || pdf::extract(bytes))?,
        DocumentKind::Docx => guarded("docx", || docx::extract(bytes))?,
    };
    let tidy = tidy(&raw);
    if tidy.is_empty() {
        let hint = match kind {
            DocumentKind::Pdf => " (a scanned PDF holds only images of text)",
            _ => "",
        };
        return Err(ExtractError::NoText(hint));
    }
    Ok(tidy)
}

/// Runs a third-party parser, turning a panic on a malformed file into an error.
fn guarded(
    reader: &'static str,
    parse: impl FnOnce() -> Result<String, ExtractError>,
) -> Result<String, ExtractError> {
    // The closure only reads the caller's bytes: nothing observable is left half-updated.
    match catch_unwind(AssertUnwindSafe(parse)) {
        Ok(result) => result,
        Err(_) => {
            tracing::warn!(reader, "A document reader panicked on an uploaded file.");
            Err(ExtractError::Crashed(reader))
        }
    }
}

fn text(bytes: &[u8]) -> Result<String, ExtractError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|e| ExtractError::NotUtf8(e.valid_up_to()))
}

fn tidy(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut blank_run = 0;
    for line in raw.replace("\r\n", "\n").replace('\r', "\n").lines() {
        let line: String = line
            .chars()
            .filter(|c| *c == '\t' || !c.is_control())
            .collect();
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            // One blank line separates paragraphs; more is layout noise.
            if blank_run > 1 || out.is_empty() {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_comes_from_the_extension_in_any_case() {
        assert_eq!(
            DocumentKind::from_file_name("Brochure.PDF").unwrap(),
            DocumentKind::Pdf
        );
        assert_eq!(
            DocumentKind::from_file_name("a.b.docx").unwrap(),
            DocumentKind::Docx
        );
        let e = DocumentKind::from_file_name("sheet.xlsx").unwrap_err();
        assert_eq!(
            e.to_string(),
            ".xlsx files are not supported; upload a .txt, .pdf or .docx file"
        );
    }

    #[test]
    fn text_is_tidied_and_loses_control_characters() {
        let raw = "Title  \r\n\r\n\r\n\r\nBody\0 text\x07\n\n";
        let text = extract(DocumentKind::Text, raw.as_bytes()).unwrap();
        assert_eq!(text, "Title\n\nBody text");
    }

    #[test]
    fn a_byte_order_mark_is_not_text() {
        let text = extract(DocumentKind::Text, b"\xEF\xBB\xBFHello").unwrap();
        assert_eq!(text, "Hello");
    }

    #[test]
    fn latin1_text_is_refused_with_where_it_breaks() {
        let e = extract(DocumentKind::Text, b"caf\xe9").unwrap_err();
        assert!(matches!(e, ExtractError::NotUtf8(3)), "{e}");
    }

    #[test]
    fn an_empty_file_has_no_text() {
        assert!(matches!(
            extract(DocumentKind::Text, b"  \n\n "),
            Err(ExtractError::NoText(_))
        ));
    }
}
