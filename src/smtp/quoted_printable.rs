//! The quoted-printable body encoding, byte for byte what lettre writes (it calls the
//! `quoted_printable` crate, 0.5, text mode, 76-character lines), without its detours: lettre
//! first scans the text to suggest an encoding we do not use, inserts each CR of a CRLF one by
//! one, and the crate builds its output a `char` at a time. Together they were most of the
//! cost of building a message with a long body.
//!
//! The algorithm, including where it breaks lines and how it encodes a space or tab before a
//! line end, is the crate's, transcribed to bytes; a property test holds it to lettre's output.

/// Longest encoded line, soft break `=` included, CRLF excluded (RFC 2045 6.7).
const LIMIT: usize = 76;

/// `text` (LF line ends only, as `clean_body_text` leaves it) with CRLF line ends, encoded.
pub(super) fn encode_text(text: &str) -> Vec<u8> {
    encode(text.replace('\n', "\r\n").as_bytes())
}

/// Quoted-printable of `input`: CRLF pairs stay line breaks, any other CR or LF is encoded.
fn encode(input: &[u8]) -> Vec<u8> {
    // Room for a few escapes and soft breaks: most bodies then never reallocate.
    let mut out = Vec::with_capacity(input.len() + input.len() / 8 + 16);
    let mut line = Line {
        on_line: 0,
        backup_pos: 0,
    };
    let mut was_cr = false;
    let mut i = 0;
    while i < input.len() {
        let byte = input[i];
        i += 1;
        if was_cr {
            if byte == b'\n' {
                line.encode_trailing_space_tab(&mut out);
                out.extend_from_slice(b"\r\n");
                line.on_line = 0;
                was_cr = false;
                continue;
            }
            line.append(&mut out, b"=0D");
        }
        if byte == b'\r' {
            was_cr = true;
            continue;
        }
        was_cr = false;
        // A run of bytes that need no encoding is copied whole, up to two short of the limit
        // (`on_line` never exceeds LIMIT, see `Line::append`).
        if LIMIT - line.on_line >= 3 && !needs_encoding(byte) {
            let max_run = LIMIT - line.on_line - 2;
            let mut run = 1;
            while run < max_run && i < input.len() && !needs_encoding(input[i]) {
                run += 1;
                i += 1;
            }
            out.extend_from_slice(&input[i - run..i]);
            line.on_line += run;
            line.backup_pos = out.len();
            continue;
        }
        line.encode_byte(&mut out, byte);
    }
    if was_cr {
        line.append(&mut out, b"=0D");
    } else {
        line.encode_trailing_space_tab(&mut out);
    }
    out
}

fn needs_encoding(byte: u8) -> bool {
    !matches!(byte, b'\t' | b' '..=b'~') || byte == b'='
}

/// Where the current output line stands.
struct Line {
    /// Bytes on the current line.
    on_line: usize,
    /// Where the last piece appended starts: a soft break goes there when the line is full.
    backup_pos: usize,
}

impl Line {
    /// Appends one piece (a byte or an `=XX` escape), first breaking the line when it would
    /// not fit. Keeps `on_line <= LIMIT`.
    fn append(&mut self, out: &mut Vec<u8>, piece: &[u8]) {
        if self.on_line + piece.len() > LIMIT {
            if self.on_line == LIMIT {
                // No room even for the `=`: break before the last piece instead.
                self.on_line = out.len() - self.backup_pos;
                out.splice(self.backup_pos..self.backup_pos, *b"=\r\n");
            } else {
                out.extend_from_slice(b"=\r\n");
                self.on_line = 0;
            }
        }
        out.extend_from_slice(piece);
        self.on_line += piece.len();
        self.backup_pos = out.len() - piece.len();
    }

    fn encode_byte(&mut self, out: &mut Vec<u8>, byte: u8) {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        match byte {
            b'=' => self.append(out, b"=3D"),
            b'\t' | b' '..=b'~' => self.append(out, &[byte]),
            _ => self.append(
                out,
                &[
                    b'=',
                    HEX[usize::from(byte >> 4)],
                    HEX[usize::from(byte & 0x0f)],
                ],
            ),
        }
    }

    /// A space or tab may not end an encoded line (RFC 2045 6.7 rule 3): re-encodes one.
    fn encode_trailing_space_tab(&mut self, out: &mut Vec<u8>) {
        let escape: &[u8] = match out.last() {
            Some(b' ') => b"=20",
            Some(b'\t') => b"=09",
            _ => return,
        };
        out.pop();
        self.on_line -= 1;
        self.append(out, escape);
    }
}

#[cfg(test)]
mod tests {
    use lettre::message::Body;
    use lettre::message::header::ContentTransferEncoding;
    use proptest::prelude::*;

    use super::*;

    /// What lettre makes of the same text.
    fn lettre(text: &str) -> Vec<u8> {
        Body::new_with_encoding(text.to_owned(), ContentTransferEncoding::QuotedPrintable)
            .expect("quoted-printable takes any text")
            .into_vec()
    }

    #[test]
    fn a_typical_body_is_encoded_as_lettre_encodes_it() {
        let text = "Hi L\u{e9}a,\n\nthe plan isn\u{2019}t 100% = done \u{2014} yet. \n\t\nSam\t";
        assert_eq!(encode_text(text), lettre(text));
        let long = format!("{}=\n{} \n", "a".repeat(200), "é".repeat(60));
        assert_eq!(encode_text(&long), lettre(&long));
    }

    proptest! {
        /// Lines long enough to be broken, made of what the encoder treats specially: spaces
        /// and tabs (escaped before a line end), `=`, multi-byte characters, line ends.
        #[test]
        fn any_text_is_encoded_as_lettre_encodes_it(
            text in "[a \t=.\né€😀]{0,400}",
        ) {
            prop_assert_eq!(encode_text(&text), lettre(&text));
        }

        #[test]
        fn long_lines_break_where_lettre_breaks_them(
            words in proptest::collection::vec("[a-z]{1,90}|[=é ]{1,4}|\n", 0..40),
        ) {
            let text = words.concat();
            prop_assert_eq!(encode_text(&text), lettre(&text));
        }
    }
}
