//! `--json`: one document, `{"schema_version": 1, "artifacts": [...]}`.

use std::io::Write;

use serde::Serialize;

use crate::audit::{Artifact, SCHEMA_VERSION};

/// The top-level JSON document of an audit.
#[derive(Debug, Serialize)]
pub struct Document<'a, A: Serialize = Artifact> {
    /// Bumped only on breaking changes.
    pub schema_version: u32,
    /// goaudit's own name and version.
    pub tool: Tool,
    /// One entry per audited artifact.
    pub artifacts: &'a [A],
    /// Inputs that could not be audited: `{path, error}`.
    pub errors: &'a [InputError],
}

/// Tool identification.
#[derive(Debug, Serialize)]
pub struct Tool {
    /// Always "goaudit".
    pub name: &'static str,
    /// Crate version.
    pub version: &'static str,
}

impl Tool {
    /// This build.
    pub fn this() -> Tool {
        Tool {
            name: "goaudit",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// An input that failed, as recorded in JSON.
#[derive(Debug, Clone, Serialize)]
pub struct InputError {
    /// The path.
    pub path: String,
    /// The one-line message.
    pub error: String,
}

/// Write the audit document, pretty-printed, followed by a newline. `A` is
/// [`Artifact`], or [`AnyArtifact`] when binaries and images are mixed.
pub fn write_audit<A: Serialize>(
    w: &mut dyn Write,
    artifacts: &[A],
    errors: &[InputError],
) -> std::io::Result<()> {
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        tool: Tool::this(),
        artifacts,
        errors,
    };
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}

/// One entry of `artifacts` when binaries and images are mixed: each serialises as its
/// own report (`kind: "binary"` or `kind: "image"`).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum AnyArtifact<'a> {
    /// A binary's audit.
    Binary(&'a Artifact),
    /// An image's report.
    Image(&'a crate::image::ImageReport),
}
