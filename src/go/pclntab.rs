//! pclntab: Go's function table (placeholder; the reader lands next).

use crate::binary::Binary;
use crate::error::ParseError;

/// One function with its own code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Func {
    /// Full Go symbol name, e.g. `net/http.(*Client).Do`.
    pub name: String,
    /// First instruction address.
    pub entry: u64,
    /// One past the last instruction address.
    pub end: u64,
}

/// A decoded pclntab.
#[derive(Debug, Clone, Default)]
pub struct Pclntab {
    /// Functions in address order.
    pub funcs: Vec<Func>,
    /// The source file table.
    pub files: Vec<String>,
}

/// Locate and decode the pclntab; `Ok(None)` when there is none.
pub fn find(_bin: &Binary<'_>) -> Result<Option<Pclntab>, ParseError> {
    Ok(None)
}
