//! Size attribution: every byte of the file owned by exactly one item, rolled up to
//! packages, modules and sections. The owners add up to the file size exactly.
//!
//! (The attribution engine lands here; these types are the stable report shape.)

use serde::Serialize;

/// A name with a byte count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Named {
    /// Module, section or other owner name.
    pub name: String,
    /// Bytes of the file it owns.
    pub bytes: u64,
}

/// One package's share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageSize {
    /// Import path (`net/http`, `main`, `github.com/x/y/z`), or a pseudo-package such as
    /// `runtime/pclntab` or `C` for cgo-linked C code.
    pub name: String,
    /// The module it belongs to (`std`, the main module path, a dependency path).
    pub module: String,
    /// Total bytes owned.
    pub bytes: u64,
    /// Bytes of machine code (`.text`) owned.
    pub text_bytes: u64,
}

/// The size attribution of one binary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SizeReport {
    /// The file size; equals the sum of every list below.
    pub total: u64,
    /// Bytes whose owner is not known (counted in `by_section` as `unattributed <section>`).
    pub unattributed: u64,
    /// Per module, largest first.
    pub by_module: Vec<Named>,
    /// Per package, largest first.
    pub by_package: Vec<PackageSize>,
    /// Per section (plus headers and padding), largest first.
    pub by_section: Vec<Named>,
}
