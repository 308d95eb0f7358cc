//! `.goaudit/baseline.json`: the committed record of each artifact's size and per-module
//! sizes that `check` measures growth against.
//!
//! A file rather than a rebuild of the base branch: rebuilding inside a pre-push hook is
//! too slow, and a reviewed baseline makes every accepted growth visible in a diff.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Bumped only when a key is renamed or removed.
pub const BASELINE_SCHEMA_VERSION: u32 = 1;

/// Largest baseline read; real ones are a few kilobytes per artifact.
const MAX_BASELINE_BYTES: u64 = 64 << 20;

/// A module's share of an artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleSize {
    /// Module path (`std`, the main module, a dependency).
    pub name: String,
    /// Bytes of the file it owns.
    pub bytes: u64,
}

/// One artifact's recorded sizes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineEntry {
    /// Path relative to the config root, `/`-separated.
    pub path: String,
    /// File size in bytes.
    pub size: u64,
    /// Per-module sizes, largest first; empty when attribution was unavailable.
    #[serde(default)]
    pub by_module: Vec<ModuleSize>,
    /// Per-kind sizes (code, data, DWARF, ...), largest first; empty when attribution
    /// was unavailable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_kind: Vec<ModuleSize>,
    /// Build settings from buildinfo (`[key, value]` pairs in file order), so growth can
    /// name the flags that changed; empty without buildinfo.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settings: Vec<(String, String)>,
}

/// The whole baseline file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// [`BASELINE_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Who wrote it (informational).
    #[serde(default)]
    pub tool: Option<serde_json::Value>,
    /// One entry per artifact, sorted by path.
    pub artifacts: Vec<BaselineEntry>,
}

impl Baseline {
    /// A baseline of `entries`, sorted by path for stable diffs.
    pub fn new(mut entries: Vec<BaselineEntry>) -> Self {
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        Baseline {
            schema_version: BASELINE_SCHEMA_VERSION,
            tool: Some(serde_json::json!({
                "name": "goaudit",
                "version": env!("CARGO_PKG_VERSION"),
            })),
            artifacts: entries,
        }
    }

    /// The entry recorded for `path`.
    pub fn get(&self, path: &str) -> Option<&BaselineEntry> {
        self.artifacts.iter().find(|e| e.path == path)
    }
}

impl BaselineEntry {
    /// Record what the rules see of an artifact or image.
    pub fn of(f: super::rules::Facts<'_>) -> Self {
        BaselineEntry {
            path: f.key.to_string(),
            size: f.size,
            by_module: f
                .by_module
                .unwrap_or_default()
                .iter()
                .map(|m| ModuleSize {
                    name: m.name.clone(),
                    bytes: m.bytes,
                })
                .collect(),
            by_kind: f
                .by_kind
                .unwrap_or_default()
                .iter()
                .map(|m| ModuleSize {
                    name: m.name.clone(),
                    bytes: m.bytes,
                })
                .collect(),
            settings: f.settings.unwrap_or_default().to_vec(),
        }
    }
}

/// Read a baseline. A missing file is `Ok(None)`; anything unreadable is an error.
pub fn read(path: &Path) -> Result<Option<Baseline>, Error> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    if meta.len() > MAX_BASELINE_BYTES {
        return Err(Error::Usage(format!(
            "{}: baseline is larger than {MAX_BASELINE_BYTES} bytes",
            path.display()
        )));
    }
    let bytes = std::fs::read(path).map_err(io)?;
    parse(&bytes).map(Some).map_err(|what| {
        Error::Usage(format!(
            "{}: {what}; rewrite it with `goaudit baseline write`",
            path.display()
        ))
    })
}

/// Parse baseline JSON; the error names the line and column.
pub fn parse(bytes: &[u8]) -> Result<Baseline, String> {
    let mut b: Baseline = serde_json::from_slice(bytes).map_err(|e| {
        format!(
            "{}:{}: invalid baseline: {}",
            e.line(),
            e.column(),
            strip_position(&e.to_string())
        )
    })?;
    if b.schema_version != BASELINE_SCHEMA_VERSION {
        return Err(format!(
            "baseline schema_version {} is not supported (expected {BASELINE_SCHEMA_VERSION})",
            b.schema_version
        ));
    }
    // A baseline written before the runtime's row moved under `std` names it `runtime`.
    for m in b.artifacts.iter_mut().flat_map(|a| a.by_module.iter_mut()) {
        m.name = crate::size::canonical_module(&m.name).to_string();
    }
    Ok(b)
}

fn strip_position(s: &str) -> &str {
    s.find(" at line ").map_or(s, |i| &s[..i])
}

/// Write `b` to `path`, creating the directory, replacing the file atomically so that an
/// interrupted write never leaves half a baseline behind.
pub fn write(path: &Path, b: &Baseline) -> Result<(), Error> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(io)?;
    let mut text = serde_json::to_string_pretty(b).map_err(|e| Error::Other(e.to_string()))?;
    text.push('\n');
    let tmp = tempfile::NamedTempFile::new_in(&dir).map_err(io)?;
    std::fs::write(tmp.path(), text).map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_sorts() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(".goaudit/baseline.json");
        let b = Baseline::new(vec![
            BaselineEntry {
                path: "z".into(),
                size: 2,
                by_module: vec![],
                by_kind: vec![],
                settings: vec![],
            },
            BaselineEntry {
                path: "a".into(),
                size: 1,
                by_module: vec![ModuleSize {
                    name: "std".into(),
                    bytes: 1,
                }],
                by_kind: vec![],
                settings: vec![],
            },
        ]);
        write(&p, &b).unwrap();
        let back = read(&p).unwrap().unwrap();
        assert_eq!(back.artifacts[0].path, "a");
        assert_eq!(back.get("z").unwrap().size, 2);
        assert_eq!(back, b);
        assert!(read(&dir.path().join("missing.json")).unwrap().is_none());
    }

    #[test]
    fn an_old_runtime_row_is_read_under_std() {
        let b = parse(
            br#"{"schema_version": 1, "artifacts": [{"path": "a", "size": 3,
                "by_module": [{"name": "std", "bytes": 2}, {"name": "runtime", "bytes": 1}]}]}"#,
        )
        .unwrap();
        let names: Vec<&str> = b.artifacts[0]
            .by_module
            .iter()
            .map(|m| m.name.as_str())
            .collect();
        assert_eq!(names, ["std", "std/runtime"]);
    }

    #[test]
    fn bad_files_are_errors_with_position() {
        let e = parse(b"{\"schema_version\": 1,\n \"artifacts\": [{\"path\": 3}]}").unwrap_err();
        assert!(e.starts_with("2:"), "{e}");
        let e = parse(b"{\"schema_version\": 9, \"artifacts\": []}").unwrap_err();
        assert!(e.contains("schema_version 9"), "{e}");
    }
}
