//! PDF text through `pdf-extract` (text objects in reading order, fonts' encodings and
//! ToUnicode maps applied). Images are not read: a scanned PDF has no text.

use super::ExtractError;

/// Where the `%PDF-` header may start: readers accept some bytes before it (PDF 32000 §7.5.2
/// notes), as long as it comes within the first kilobyte.
const HEADER_WITHIN: usize = 1024;

pub(super) fn extract(bytes: &[u8]) -> Result<String, ExtractError> {
    let head = &bytes[..bytes.len().min(HEADER_WITHIN)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(ExtractError::NotPdf(
            "it has no %PDF- header in its first kilobyte".to_owned(),
        ));
    }
    pdf_extract::extract_text_from_mem(bytes).map_err(|e| ExtractError::NotPdf(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real PDFs, a hostile one among them, are read in tests/api/products.rs.

    #[test]
    fn a_file_without_a_pdf_header_is_not_a_pdf() {
        let e = extract(b"Hello, I am text").unwrap_err();
        assert!(e.to_string().contains("%PDF-"), "{e}");
    }
}
