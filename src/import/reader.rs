//! Opening a CSV stream: strip a UTF-8 byte-order mark, sniff the delimiter from the header
//! line, and hand back a streaming `csv::Reader` over the whole input.
//!
//! Only the header record is read ahead (to sniff); it is then chained back in front of the rest
//! of the stream, so the csv reader sees every byte and line numbers are the file's physical
//! line numbers (see `lines`). Records are read as bytes: a field that is not UTF-8 spoils its
//! row, not the whole import.

use std::io::{BufRead, BufReader, Chain, Cursor, Read};

use super::error::ImportError;
use super::lines::{LineFinder, Tee};

/// The delimiters we recognise, in tie-break order (comma wins ties).
const CANDIDATES: [u8; 3] = [b',', b';', b'\t'];

/// The header record is read ahead whole; past this size we stop looking for its end.
const MAX_HEADER_BYTES: usize = 1 << 20;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The input as the csv reader sees it: the header bytes read ahead, then the rest.
pub type Source<R> = Tee<Chain<Cursor<Vec<u8>>, BufReader<R>>>;

/// A csv reader positioned before the header record, and what was sniffed.
pub struct Opened<R: Read> {
    pub csv: csv::Reader<Source<R>>,
    /// Turns a record's reported position into the line where it starts.
    pub lines: LineFinder,
    pub delimiter: u8,
    /// Bytes before the csv reader's byte 0 (a stripped BOM), for progress against file size.
    pub skipped_bytes: u64,
}

/// Reads the header record ahead, strips a BOM, picks the delimiter and builds the reader.
/// Fails only when the input cannot be read or is empty.
pub fn open<R: Read>(input: R) -> Result<Opened<R>, ImportError> {
    let mut input = BufReader::new(input);
    let mut head = Vec::new();
    let mut skipped_bytes = 0;
    // Blank lines before the header are skipped by the csv reader too; a quoted header may span
    // lines: read until there is text and its quotes balance.
    loop {
        let read = input
            .read_until(b'\n', &mut head)
            .map_err(ImportError::Read)?;
        if skipped_bytes == 0 && head.starts_with(BOM) {
            head.drain(..BOM.len());
            skipped_bytes = BOM.len() as u64;
        }
        let blank = head.iter().all(u8::is_ascii_whitespace);
        if read == 0 || (!blank && quotes_balanced(&head)) || head.len() > MAX_HEADER_BYTES {
            break;
        }
    }
    if head.iter().all(u8::is_ascii_whitespace) {
        return Err(ImportError::Empty);
    }
    let delimiter = sniff_delimiter(&head);
    let lines = LineFinder::default();
    let csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        // Rows with too few or too many fields are read as they are; missing fields are empty.
        .flexible(true)
        .from_reader(lines.tee(Cursor::new(head).chain(input)));
    Ok(Opened {
        csv,
        lines,
        delimiter,
        skipped_bytes,
    })
}

fn quotes_balanced(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .filter(|&&b| b == b'"')
        .count()
        .is_multiple_of(2)
}

/// The candidate giving the header line the most fields (delimiters outside quotes); ties and
/// single-column headers give a comma.
pub fn sniff_delimiter(header: &[u8]) -> u8 {
    let mut counts = [0usize; CANDIDATES.len()];
    let mut in_quotes = false;
    for &byte in header {
        if byte == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes && let Some(i) = CANDIDATES.iter().position(|&c| c == byte) {
            counts[i] += 1;
        }
    }
    let mut best = 0;
    for i in 1..CANDIDATES.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    CANDIDATES[best]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records as text, with the line each starts on.
    type Rows = Vec<(u64, Vec<String>)>;

    fn records(text: &[u8]) -> (u8, Vec<String>, Rows) {
        let mut opened = open(text).unwrap();
        let headers = opened
            .csv
            .byte_headers()
            .unwrap()
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect();
        let mut rows = Vec::new();
        let mut record = csv::ByteRecord::new();
        while opened.csv.read_byte_record(&mut record).unwrap() {
            let reported = record
                .position()
                .cloned()
                .unwrap_or_else(csv::Position::new);
            let line = opened
                .lines
                .start_line(&reported, opened.csv.position().byte());
            rows.push((
                line,
                record
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect(),
            ));
        }
        (opened.delimiter, headers, rows)
    }

    #[test]
    fn the_delimiter_giving_the_most_header_fields_wins() {
        assert_eq!(sniff_delimiter(b"email,first name,company\n"), b',');
        assert_eq!(sniff_delimiter(b"email;first name;company\n"), b';');
        assert_eq!(sniff_delimiter(b"email\tfirst name\tcompany\n"), b'\t');
        assert_eq!(sniff_delimiter(b"\"a;b\",c,d;e\n"), b',');
        assert_eq!(sniff_delimiter(b"\"Name, full\";Email\n"), b';');
    }

    #[test]
    fn ties_and_single_columns_fall_back_to_comma() {
        assert_eq!(sniff_delimiter(b"email\n"), b',');
        assert_eq!(sniff_delimiter(b"a,b;c\n"), b',');
        assert_eq!(sniff_delimiter(b"a\tb;c\n"), b';');
    }

    #[test]
    fn a_byte_order_mark_is_stripped_from_the_first_header() {
        let (delimiter, headers, rows) = records(b"\xEF\xBB\xBFEmail;Name\r\na@x.com;Ann\r\n");
        assert_eq!(delimiter, b';');
        assert_eq!(headers, vec!["Email", "Name"]);
        assert_eq!(
            rows,
            vec![(2, vec!["a@x.com".to_owned(), "Ann".to_owned()])]
        );
    }

    #[test]
    fn quoted_newlines_stay_in_their_field_and_lines_are_physical() {
        let text = b"email,note\na@x.com,\"two\nlines\"\nb@x.com,plain\n\nc@x.com,\"x\r\ny\r\nz\"\nd@x.com,end\n";
        let (_, _, rows) = records(text);
        let lines: Vec<u64> = rows.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![2, 4, 6, 9]);
        assert_eq!(rows[0].1[1], "two\nlines");
        assert_eq!(rows[2].1[1], "x\r\ny\r\nz");
    }

    #[test]
    fn a_header_with_a_quoted_newline_is_sniffed_whole() {
        let (delimiter, headers, rows) = records(b"\"Email\nAddress\";\"a,b\";c\nx@y.com;1;2\n");
        assert_eq!(delimiter, b';');
        assert_eq!(headers, vec!["Email\nAddress", "a,b", "c"]);
        assert_eq!(rows[0].0, 3);
    }

    #[test]
    fn short_and_long_rows_are_read_as_they_are() {
        let (_, _, rows) = records(b"a,b,c\n1\n1,2,3,4\n");
        assert_eq!(rows[0].1, vec!["1"]);
        assert_eq!(rows[1].1.len(), 4);
    }

    #[test]
    fn an_empty_input_is_an_error() {
        assert!(matches!(open(&b""[..]), Err(ImportError::Empty)));
        assert!(matches!(
            open(&b"\xEF\xBB\xBF\n"[..]),
            Err(ImportError::Empty)
        ));
    }

    #[test]
    fn blank_lines_before_the_header_are_skipped() {
        let (delimiter, headers, rows) = records(b"\xEF\xBB\xBF\n\r\nemail;name\na@x.com;Ann\n");
        assert_eq!(delimiter, b';');
        assert_eq!(headers, vec!["email", "name"]);
        assert_eq!(rows[0].0, 4);
    }

    #[test]
    fn a_header_without_trailing_newline_is_read() {
        let (_, headers, rows) = records(b"email,name");
        assert_eq!(headers, vec!["email", "name"]);
        assert!(rows.is_empty());
    }
}
