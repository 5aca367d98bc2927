//! Line framing with a length cap: an over-long line is skipped without being buffered whole.
//! One buffer serves every line, so reading a line allocates nothing once it has grown to the
//! longest line seen.

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

pub(crate) struct LineReader {
    reader: Box<dyn BufRead + Send>,
    number: u64,
    max: usize,
    done: bool,
    /// The last line's bytes.
    line: Vec<u8>,
}

impl LineReader {
    pub(crate) fn new(reader: Box<dyn BufRead + Send>, max: usize) -> Self {
        Self {
            reader,
            number: 0,
            max,
            done: false,
            line: Vec::new(),
        }
    }

    pub(crate) fn next_line(&mut self) -> Option<Result<Line<'_>, LineError>> {
        if self.done {
            return None;
        }
        self.number += 1;
        let number = self.number;
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
                Err(err) => {
                    self.done = true;
                    return Some(Err(LineError::Io {
                        number,
                        message: err.to_string(),
                    }));
                }
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
