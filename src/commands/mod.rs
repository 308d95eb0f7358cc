//! One module per subcommand: each turns its arguments into reports, renders them and
//! returns the exit code.

pub mod audit;
pub mod baseline;
pub mod buildinfo;
pub mod check;
pub mod debug;
pub mod diff;
pub mod docs;
pub mod guard;
pub mod hook;
pub mod init;
pub mod shrink;
pub mod size;

use std::io::Write;

use crate::error::Error;

/// Process exit codes. A policy failure (1) never mixes with a tool error (2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything given was processed (and, for `check`, passed).
    Ok = 0,
    /// A `check` rule at deny level failed.
    Policy = 1,
    /// Usage, configuration or I/O error, or an input that could not be read.
    Error = 2,
}

/// Print one error line to stderr, `goaudit: <message>`.
pub fn report_error(err: &mut dyn Write, e: &Error) {
    let _ = writeln!(err, "goaudit: {e}");
}

/// An input that could not be read: its line on stderr now, and its entry for the
/// report's `errors` (so JSON lists it and the exit code is 2).
pub(crate) fn input_failed(
    err: &mut dyn Write,
    errors: &mut Vec<crate::render::json::InputError>,
    path: String,
    e: Error,
) {
    report_error(err, &e);
    errors.push(crate::render::json::InputError {
        path,
        error: e.to_string(),
    });
}
