//! Finding the physical line where a CSV record starts.
//!
//! `csv::ByteRecord::position` is where the reader *began looking* for the record: right after
//! the previous one. That is one line early after a CRLF (the LF is consumed with the next
//! record) and several lines early after blank lines (skipped silently). Users need the line
//! their editor shows, so [`Tee`] keeps the bytes the csv reader was handed but has not finished
//! with, and [`LineFinder::start_line`] adds the line breaks between where the search began and
//! the record's first byte.

use std::io::Read;
use std::sync::{Arc, Mutex, PoisonError};

/// Forgotten bytes are dropped from the window once this many have piled up, so dropping costs
/// one move per this many bytes rather than one per record.
const COMPACT_AFTER: usize = 64 * 1024;

#[derive(Default)]
struct Window {
    /// Stream offset of `bytes[0]`.
    offset: u64,
    bytes: Vec<u8>,
    /// `bytes[..dead]` are no longer needed.
    dead: usize,
}

/// Shared between the [`Tee`] inside the csv reader and the code reading records. The window
/// holds the csv reader's read-ahead (a few KiB) plus the current record, never the file.
#[derive(Clone, Default)]
pub struct LineFinder(Arc<Mutex<Window>>);

impl LineFinder {
    /// Wraps the input the csv reader will read.
    pub fn tee<R: Read>(&self, inner: R) -> Tee<R> {
        Tee {
            inner,
            finder: self.clone(),
        }
    }

    /// The line where a record starts, given the position csv reported for it and the stream
    /// offset the reader has consumed up to (`csv::Reader::position().byte()` after reading it).
    /// Bytes before `consumed` are forgotten.
    pub fn start_line(&self, reported: &csv::Position, consumed: u64) -> u64 {
        let mut window = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let from =
            usize::try_from(reported.byte().saturating_sub(window.offset)).unwrap_or(usize::MAX);
        let breaks = window
            .bytes
            .get(from..)
            .unwrap_or_default()
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .filter(|&&b| b == b'\n')
            .count() as u64;
        let done = usize::try_from(consumed.saturating_sub(window.offset)).unwrap_or(usize::MAX);
        window.dead = window.dead.max(done.min(window.bytes.len()));
        if window.dead >= COMPACT_AFTER {
            let dead = window.dead;
            window.bytes.drain(..dead);
            window.offset += dead as u64;
            window.dead = 0;
        }
        reported.line() + breaks
    }
}

/// A reader that copies what passes through it into its [`LineFinder`]'s window.
pub struct Tee<R> {
    inner: R,
    finder: LineFinder,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut window = self.finder.0.lock().unwrap_or_else(PoisonError::into_inner);
        window.bytes.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start_lines(text: &[u8]) -> Vec<u64> {
        let finder = LineFinder::default();
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(finder.tee(text));
        let mut record = csv::ByteRecord::new();
        let mut lines = Vec::new();
        while csv.read_byte_record(&mut record).unwrap() {
            let reported = record
                .position()
                .cloned()
                .unwrap_or_else(csv::Position::new);
            lines.push(finder.start_line(&reported, csv.position().byte()));
        }
        lines
    }

    #[test]
    fn records_after_crlf_start_on_their_own_line() {
        assert_eq!(start_lines(b"a,b\r\nc,d\r\ne,f"), vec![1, 2, 3]);
    }

    #[test]
    fn blank_lines_before_a_record_are_counted() {
        assert_eq!(start_lines(b"a\n\n\nb\r\n\r\nc\n"), vec![1, 4, 6]);
    }

    #[test]
    fn quoted_line_breaks_do_not_move_the_start_of_their_record() {
        assert_eq!(
            start_lines(b"a,\"x\r\ny\"\r\nb,\"\n\n\"\nc\n"),
            vec![1, 3, 6]
        );
    }

    #[test]
    fn the_window_is_compacted_on_long_inputs() {
        let mut text = Vec::new();
        for i in 0..50_000u32 {
            text.extend_from_slice(format!("row{i},x\r\n").as_bytes());
            if i.is_multiple_of(1000) {
                text.extend_from_slice(b"\r\n");
            }
        }
        let lines = start_lines(&text);
        assert_eq!(lines.len(), 50_000);
        assert_eq!(lines[1], 3);
        assert_eq!(*lines.last().unwrap_or(&0), 50_000 + 50);
    }
}
