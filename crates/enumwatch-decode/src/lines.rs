//! Line framing with a length cap: an over-long line is skipped without being buffered whole.
//! A line whole in the reader's buffer is lent from it; one buffer serves the lines that straddle
//! two fills, so reading a line allocates nothing once it has grown to the longest such line.

use std::io::BufRead;

/// One line (without its terminator) and its 1-based number.
pub(crate) struct Line<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) number: u64,
}

/// The largest line buffer kept from one line to the next.
const KEEP_CAPACITY: usize = 1 << 20;

pub(crate) enum LineError {
    TooLong { number: u64 },
    Io { number: u64, message: String },
}

/// The error of a stream that broke at line `number`, after which nothing more is read.
fn broken(done: &mut bool, number: u64, err: &std::io::Error) -> LineError {
    *done = true;
    LineError::Io {
        number,
        message: err.to_string(),
    }
}

pub(crate) struct LineReader {
    reader: Box<dyn BufRead + Send>,
    number: u64,
    max: usize,
    done: bool,
    /// The last line's bytes, when it had to be copied.
    line: Vec<u8>,
    /// Bytes of the reader's buffer lent as the last line, consumed on the next call.
    lent: usize,
}

impl LineReader {
    pub(crate) fn new(reader: Box<dyn BufRead + Send>, max: usize) -> Self {
        Self {
            reader,
            number: 0,
            max,
            done: false,
            line: Vec::new(),
            lent: 0,
        }
    }

    pub(crate) fn next_line(&mut self) -> Option<Result<Line<'_>, LineError>> {
        if self.lent > 0 {
            self.reader.consume(self.lent);
            self.lent = 0;
        }
        if self.done {
            return None;
        }
        self.number += 1;
        let number = self.number;
        // A line whole in the reader's buffer is lent from it, not copied. (Deciding first and
        // borrowing the buffer again keeps the slow path free to read.)
        let whole = match self.reader.fill_buf() {
            Ok(buf) => memchr::memchr(b'\n', buf).filter(|&i| i <= self.max),
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => None,
            // Reported here: a broken stream need not fail twice.
            Err(err) => return Some(Err(broken(&mut self.done, number, &err))),
        };
        if let Some(end) = whole {
            return Some(match self.reader.fill_buf() {
                Ok(buf) => {
                    let line = buf.get(..end).unwrap_or(buf);
                    self.lent = (end + 1).min(buf.len());
                    let bytes = line.strip_suffix(b"\r").unwrap_or(line);
                    Ok(Line { bytes, number })
                }
                Err(err) => Err(broken(&mut self.done, number, &err)),
            });
        }
        // A rare long line (a policy document, up to the length cap) does not keep its buffer.
        if self.line.capacity() > KEEP_CAPACITY {
            self.line = Vec::new();
        }
        let bytes = &mut self.line;
        bytes.clear();
        let mut too_long = false;
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(buf) => buf,
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(err) => return Some(Err(broken(&mut self.done, number, &err))),
            };
            if buf.is_empty() {
                self.done = true;
                if bytes.is_empty() && !too_long {
                    return None;
                }
                break;
            }
            let (chunk, found_newline) = match memchr::memchr(b'\n', buf) {
                Some(i) => (buf.get(..i).unwrap_or_default(), true),
                None => (buf, false),
            };
            let chunk_len = chunk.len();
            if !too_long {
                if bytes.len() + chunk_len > self.max {
                    too_long = true;
                    bytes.clear();
                } else {
                    bytes.extend_from_slice(chunk);
                }
            }
            self.reader.consume(chunk_len + usize::from(found_newline));
            if found_newline {
                break;
            }
        }
        if too_long {
            return Some(Err(LineError::TooLong { number }));
        }
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        Some(Ok(Line {
            bytes: bytes.as_slice(),
            number,
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufReader, Cursor};

    use proptest::prelude::*;

    use super::{LineError, LineReader};

    /// What the reader must give: the text split at `\n`, one trailing `\r` dropped, a line
    /// longer than `max` (its `\r` counted) an error, nothing after a final `\n`.
    fn expected(text: &[u8], max: usize) -> Vec<Result<Vec<u8>, u64>> {
        let mut pieces: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        if pieces.last().is_some_and(|p| p.is_empty()) {
            pieces.pop();
        }
        (1u64..)
            .zip(pieces)
            .map(|(number, piece)| {
                if piece.len() > max {
                    Err(number)
                } else {
                    Ok(piece.strip_suffix(b"\r").unwrap_or(piece).to_vec())
                }
            })
            .collect()
    }

    proptest! {
        /// Lent or copied, whole in one fill or straddling several, every line is the same.
        #[test]
        fn lines_are_the_split_text_whatever_the_buffer(
            text in prop::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), Just(b'a'), Just(b'b')], 0..200),
            capacity in 1usize..40,
            max in 0usize..20,
        ) {
            let reader = BufReader::with_capacity(capacity, Cursor::new(text.clone()));
            let mut lines = LineReader::new(Box::new(reader), max);
            let mut got = Vec::new();
            while let Some(line) = lines.next_line() {
                got.push(match line {
                    Ok(line) => Ok(line.bytes.to_vec()),
                    Err(LineError::TooLong { number }) => Err(number),
                    Err(LineError::Io { number, .. }) => Err(number + 1_000_000),
                });
            }
            prop_assert_eq!(got, expected(&text, max));
        }
    }
}
