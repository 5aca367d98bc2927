//! Line framing with a length cap: an over-long line is skipped without being buffered whole.

use std::io::BufRead;

/// One line (without its terminator) and its 1-based number.
pub(crate) struct Line {
    pub(crate) bytes: Vec<u8>,
    pub(crate) number: u64,
}

pub(crate) enum LineError {
    TooLong { number: u64 },
    Io { number: u64, message: String },
}

pub(crate) struct LineReader {
    reader: Box<dyn BufRead + Send>,
    number: u64,
    max: usize,
    done: bool,
}

impl LineReader {
    pub(crate) fn new(reader: Box<dyn BufRead + Send>, max: usize) -> Self {
        Self {
            reader,
            number: 0,
            max,
            done: false,
        }
    }

    pub(crate) fn next_line(&mut self) -> Option<Result<Line, LineError>> {
        if self.done {
            return None;
        }
        self.number += 1;
        let number = self.number;
        let mut bytes = Vec::new();
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
                    bytes = Vec::new();
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
        Some(Ok(Line { bytes, number }))
    }
}
