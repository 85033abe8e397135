//! `.docx` text: the document is a zip archive whose body is `word/document.xml`; its text
//! runs are `w:t` elements, paragraphs `w:p`, with `w:tab` and `w:br` inside them. Headers,
//! footers and comments (other parts of the archive) are not part of the description.

use std::io::{Cursor, Read};

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;

use super::ExtractError;

const DOCUMENT: &str = "word/document.xml";

/// Largest `document.xml` read (decompressed): a few megabytes of text at most in practice,
/// while a zip bomb would expand to gigabytes.
const MAX_XML_BYTES: u64 = 32 * 1024 * 1024;

fn not_docx(why: impl Into<String>) -> ExtractError {
    ExtractError::NotDocx(why.into())
}

pub(super) fn extract(bytes: &[u8]) -> Result<String, ExtractError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| not_docx(format!("it is not a zip archive ({e})")))?;
    let part = archive
        .by_name(DOCUMENT)
        .map_err(|_| not_docx(format!("it has no {DOCUMENT}")))?;
    let mut xml = Vec::new();
    part.take(MAX_XML_BYTES + 1)
        .read_to_end(&mut xml)
        .map_err(|e| not_docx(format!("{DOCUMENT} cannot be unpacked ({e})")))?;
    if xml.len() as u64 > MAX_XML_BYTES {
        return Err(not_docx(format!(
            "{DOCUMENT} unpacks to more than {} MB",
            MAX_XML_BYTES / 1024 / 1024
        )));
    }
    let xml =
        std::str::from_utf8(&xml).map_err(|_| not_docx(format!("{DOCUMENT} is not UTF-8 XML")))?;
    paragraphs(xml)
}

/// The text of the runs, a line per paragraph.
fn paragraphs(xml: &str) -> Result<String, ExtractError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = String::new();
    let mut in_text = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| not_docx(format!("{DOCUMENT} is not well-formed XML ({e})")))?;
        match event {
            Event::Start(e) => in_text = e.local_name().as_ref() == "t",
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_text = false,
                "p" => out.push('\n'),
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                "tab" => out.push('\t'),
                "br" | "cr" | "p" => out.push('\n'),
                _ => {}
            },
            Event::Text(t) if in_text => out.push_str(&t.xml10_content()),
            Event::CData(t) if in_text => out.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_text => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    _ => resolve_predefined_entity(&r).map(str::to_owned),
                };
                out.push_str(resolved.as_deref().unwrap_or(""));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_join_and_paragraphs_break_lines() {
        let xml = r#"<?xml version="1.0"?><w:document xmlns:w="urn:w"><w:body>
            <w:p><w:r><w:t>Fast </w:t></w:r><w:r><w:t xml:space="preserve">&amp; safe</w:t></w:r></w:p>
            <w:p/><w:p><w:r><w:t>a</w:t><w:tab/><w:t>b&#233;</w:t><w:br/><w:t>c</w:t></w:r></w:p>
            </w:body></w:document>"#;
        assert_eq!(paragraphs(xml).unwrap(), "Fast & safe\n\na\tbé\nc\n");
    }

    #[test]
    fn bytes_that_are_not_a_zip_are_not_a_docx() {
        let e = extract(b"hello").unwrap_err();
        assert!(e.to_string().contains("not a zip archive"), "{e}");
    }
}
