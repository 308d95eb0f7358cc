//! Typed errors for the library.
//!
//! Messages are lowercase, carry no trailing period and name what was expected, so that
//! `main` can print `goaudit: <path>: <message>` as one clear line per bad input.

use std::path::PathBuf;

/// Every error the library returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened, read or mapped.
    #[error("{}: {}", path.display(), io_message(source))]
    Io {
        /// The file at fault.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The input is not a format goaudit reads (or is not a Go program when one was required).
    #[error("{}: {what}", path.display())]
    Unsupported {
        /// The file at fault.
        path: PathBuf,
        /// What it is, or what was expected.
        what: String,
    },
    /// The input claims a format but its structure is broken (truncated, bad offsets).
    #[error("{}: malformed {format}: {what}", path.display())]
    Malformed {
        /// The file at fault.
        path: PathBuf,
        /// The format whose structure is broken ("ELF", "buildinfo", "pclntab", ...).
        format: &'static str,
        /// What is wrong.
        what: String,
    },
    /// The container's own headers contradict the file (truncated, offsets past the end,
    /// sections outside their segments): nothing read from it can be trusted, least of
    /// all the absence of something.
    #[error("{}: damaged {format}: {what}", path.display())]
    Damaged {
        /// The file at fault.
        path: PathBuf,
        /// The container format ("ELF", "Mach-O", "PE").
        format: &'static str,
        /// What is wrong.
        what: String,
    },
    /// A panic in the analysis of one input, caught so the other inputs are still
    /// reported. Always a bug in goaudit.
    #[error("{}: internal error, please report: {message}", path.display())]
    Internal {
        /// The input being analysed.
        path: PathBuf,
        /// The panic message and where it was raised.
        message: String,
    },
    /// A usage or configuration error, reported as exit 2.
    #[error("{0}")]
    Usage(String),
    /// Anything else, with its context already in the message.
    #[error("{0}")]
    Other(String),
}

/// Result alias used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A format-level problem found while parsing a structure inside a binary.
///
/// Parsers return this without knowing the file name; the caller attaches the path
/// with [`ParseError::at`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{format}: {what}", if *damaged { "damaged " } else { "" })]
pub struct ParseError {
    /// The structure being parsed ("buildinfo", "pclntab", "ELF").
    pub format: &'static str,
    /// What is wrong, e.g. "offset 0x1234 beyond end of section".
    pub what: String,
    /// The container itself is inconsistent ([`Error::Damaged`]), rather than one
    /// structure inside it being unreadable.
    pub damaged: bool,
}

impl ParseError {
    /// A new parse error for `format`.
    pub fn new(format: &'static str, what: impl Into<String>) -> Self {
        ParseError {
            format,
            what: what.into(),
            damaged: false,
        }
    }

    /// The container (`format`: "ELF", "Mach-O", "PE") contradicts the file.
    pub fn damaged(format: &'static str, what: impl Into<String>) -> Self {
        ParseError {
            format,
            what: what.into(),
            damaged: true,
        }
    }

    /// Attach the file path, turning this into a library [`Error`].
    pub fn at(self, path: impl Into<PathBuf>) -> Error {
        if self.damaged {
            return Error::Damaged {
                path: path.into(),
                format: self.format,
                what: self.what,
            };
        }
        Error::Malformed {
            path: path.into(),
            format: self.format,
            what: self.what,
        }
    }
}

/// std's I/O messages start with a capital and end with "(os error N)"; goaudit's lines are
/// lowercase and plain: "no such file or directory".
fn io_message(e: &std::io::Error) -> String {
    let s = e.to_string();
    let s = match s.rfind(" (os error ") {
        Some(i) if s.ends_with(')') => s[..i].to_string(),
        _ => s,
    };
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_read_as_one_lowercase_line() {
        let e = Error::Io {
            path: "/x".into(),
            source: std::io::Error::from_raw_os_error(2),
        };
        assert_eq!(e.to_string(), "/x: no such file or directory");
    }
}
