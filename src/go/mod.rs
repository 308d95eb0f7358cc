//! Go's own metadata inside a binary: buildinfo (module and build settings) and the
//! pclntab (every function's name and extent, and the source file table).
//!
//! Both survive `-s -w` and `strip`, which is why every verdict goaudit gives on a
//! stripped binary rests on them rather than on the symbol table.

pub mod buildinfo;
pub mod pclntab;
pub mod symname;

pub use buildinfo::BuildInfo;
pub use pclntab::Pclntab;
