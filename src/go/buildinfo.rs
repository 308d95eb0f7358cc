//! Buildinfo: the `\xff Go buildinf:` blob (placeholder; the reader lands next).

use crate::binary::Binary;
use crate::error::ParseError;

/// One module line of the modinfo (`mod`, `dep`, or a `=>` replacement).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Module {
    /// Module path.
    pub path: String,
    /// Version, `(devel)` for the main module of a local build.
    pub version: String,
    /// `h1:` checksum when recorded.
    pub sum: Option<String>,
    /// The module this one is replaced by.
    pub replace: Option<Box<Module>>,
}

/// Decoded buildinfo.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct BuildInfo {
    /// Toolchain version, e.g. `go1.26.8`.
    pub go_version: String,
    /// Main package path (`path` line).
    pub path: Option<String>,
    /// Main module (`mod` line).
    pub main: Option<Module>,
    /// Dependencies (`dep` lines), in file order.
    pub deps: Vec<Module>,
    /// Build settings (`build KEY=VALUE` lines), in file order.
    pub settings: Vec<(String, String)>,
    /// True when the header was missing and the version was recovered another way.
    pub inferred: bool,
}

impl BuildInfo {
    /// Value of a build setting such as `CGO_ENABLED` or `-tags`.
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Find and decode buildinfo; `Ok(None)` when the binary has none.
pub fn read(_bin: &Binary<'_>) -> Result<Option<BuildInfo>, ParseError> {
    Ok(None)
}

/// Render exactly what `go version -m FILE` prints for this buildinfo.
pub fn format_go_version_m(label: &str, bi: &BuildInfo) -> String {
    format!("{label}: {}\n", bi.go_version)
}
