//! Container images: why each image is the size it is.
//!
//! Flow: [`archive`] finds the images in an input (docker-archive, Docker 25+ save, OCI
//! layout or archive, Nix dockerTools output) and streams each layer blob once through
//! [`layers`], which keeps per-path metadata and audits the ELF files it meets without
//! ever unpacking to disk. [`layers::FinalFs`] then applies whiteouts to get the visible
//! filesystem, and [`causes`] explains the bytes: base layers, Go binaries, shared
//! libraries and their closure, Nix store paths, other payload.

pub mod archive;
pub mod causes;
pub mod layers;
pub mod loader;

use std::path::Path;

use serde::Serialize;

use crate::audit::Artifact;
use crate::error::{Error, Result};
use crate::finding::Finding;
use crate::input::detect::{self, InputKind};

/// Default cap on decompressed bytes read from one input (outer archive and layers).
pub const DEFAULT_MAX_DECOMPRESSED: u64 = 8 << 30;
/// Default cap on one ELF file held in memory for analysis.
pub const DEFAULT_MAX_FILE: u64 = 1 << 30;

/// Limits that keep a hostile archive from exhausting memory or time.
#[derive(Debug, Clone)]
pub struct Options {
    /// Decompressed bytes allowed per input, counted separately for the outer archive
    /// and for all layers together (a decompression-bomb guard).
    pub max_decompressed: u64,
    /// Largest single file buffered for analysis; bigger ELF files are only counted.
    pub max_file: u64,
    /// `os/arch[/variant]`: read only the image of that platform (`--platform`).
    pub platform: Option<String>,
    /// The command's output is for people: a slow read may show a progress line on
    /// stderr (only when it is a terminal; see [`crate::progress`]).
    pub progress: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_decompressed: DEFAULT_MAX_DECOMPRESSED,
            max_file: DEFAULT_MAX_FILE,
            platform: None,
            progress: false,
        }
    }
}

/// Everything goaudit reports about one image.
#[derive(Debug, Clone, Serialize)]
pub struct ImageReport {
    /// Always `"image"`.
    pub kind: &'static str,
    /// The archive or layout path as the user gave it.
    pub path: String,
    /// Tag or reference name (`example/app:latest`) when the archive records one.
    pub name: Option<String>,
    /// `os/architecture[/variant]` from the image config (`linux/arm64/v8`).
    pub platform: Option<String>,
    /// How the image was stored: `docker-archive`, `docker-archive+oci-layout` (Docker
    /// 25+ save), `oci-archive`, `oci-layout`; with `+nix` when written by dockerTools.
    pub format: String,
    /// Compression of the outer archive: `none`, `gzip`, `zstd` (`none` for a directory).
    pub outer_compression: &'static str,
    /// Σ of each layer's content size: what classic `docker image ls` shows as SIZE.
    pub content_size: u64,
    /// Bytes of the final filesystem after whiteouts (files and symlinks, hard links once).
    pub visible_size: u64,
    /// Content a later layer overwrote or deleted: `content_size - visible_size`.
    pub wasted_bytes: u64,
    /// `visible_size / content_size` (1 for an empty image): the share of the shipped
    /// content a container can see (dive's efficiency, with each hidden copy once).
    pub efficiency: f64,
    /// Σ of the layer blobs as stored (compressed where the blob is).
    pub blob_size: u64,
    /// The config's Entrypoint followed by its Cmd.
    pub entrypoint: Vec<String>,
    /// Per layer, bottom to top.
    pub layers: Vec<LayerReport>,
    /// The base: layers below the application's.
    pub base: Option<Base>,
    /// Go binaries in the final filesystem, audited as `goaudit` audits a file, with
    /// their path inside the image.
    pub binaries: Vec<Artifact>,
    /// ELF shared libraries and loaders in the final filesystem, with who needs them.
    pub libraries: Vec<Library>,
    /// Nix store paths, with their size and what references each.
    pub store_paths: Vec<StorePath>,
    /// The biggest visible files (a hard-linked file once, its other paths in `links`).
    pub largest_files: Vec<FileSize>,
    /// The biggest overwritten or deleted copies (each once, its hard links in `links`).
    pub wasted_files: Vec<FileSize>,
    /// The wasted bytes by the layer that hides them (adds up to `wasted_bytes`).
    pub wasted_by_layer: Vec<WastedLayer>,
    /// Why the image is this size, biggest first.
    pub causes: Vec<Cause>,
    /// Actionable causes as findings with stable ids and the bytes a fix would save.
    pub findings: Vec<Finding>,
    /// The short narrative: one line per actionable cause, with its fix.
    pub why: Vec<String>,
    /// Things that were seen but not analysed (ELF files over the buffer cap, ...).
    pub notes: Vec<String>,
}

/// One layer.
#[derive(Debug, Clone, Serialize)]
pub struct LayerReport {
    /// 1-based layer number, bottom first (as every other layer number in the report).
    pub number: usize,
    /// Blob digest as the manifest names it (`sha256:...`), or the diff ID when the
    /// archive only names the uncompressed tar.
    pub digest: String,
    /// sha256 of the uncompressed tar.
    pub diff_id: String,
    /// `none`, `gzip` or `zstd`, from the blob's magic bytes.
    pub compression: &'static str,
    /// Bytes of the blob as stored.
    pub blob_size: u64,
    /// Bytes of the uncompressed tar stream.
    pub tar_size: u64,
    /// Σ regular-file and symlink bytes, hard links once (the overlay2 rule).
    pub content_size: u64,
    /// Regular files, symlinks and hard links in the layer.
    pub entries: usize,
    /// Whiteouts (`.wh.<name>`) and opaque directories (`.wh..wh..opq`).
    pub whiteouts: usize,
    /// The config history's `created_by` or `comment` for this layer.
    pub history: Option<String>,
    /// Part of the base image.
    pub base: bool,
    /// Nix store paths the layer adds.
    pub store_paths: Vec<String>,
}

/// The base image's share.
#[derive(Debug, Clone, Serialize)]
pub struct Base {
    /// Number of base layers (the first ones).
    pub layers: usize,
    /// Σ of their content sizes.
    pub bytes: u64,
    /// How the base was recognised.
    pub evidence: String,
}

/// A shared library or loader in the image.
#[derive(Debug, Clone, Serialize)]
pub struct Library {
    /// Path in the image.
    pub path: String,
    /// Visible bytes (the file plus the symlinks that lead to it).
    pub bytes: u64,
    /// The binaries (and libraries) that need it, directly or through another library.
    pub needed_by: Vec<String>,
}

/// A Nix store path in the image.
#[derive(Debug, Clone, Serialize)]
pub struct StorePath {
    /// `/nix/store/<hash>-<name>`.
    pub path: String,
    /// Visible bytes under it.
    pub bytes: u64,
    /// Other store paths whose hash its files contain.
    pub references: Vec<String>,
    /// What references it: store paths, files outside the store, `image config`.
    pub referenced_by: Vec<String>,
}

/// A file and its size.
#[derive(Debug, Clone, Serialize)]
pub struct FileSize {
    /// Path in the image.
    pub path: String,
    /// Bytes.
    pub bytes: u64,
    /// Number (1-based) of the layer holding this copy.
    pub layer: usize,
    /// For a hidden copy: the number of the layer that hides it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hidden_by: Option<usize>,
    /// The file's other paths (hard links in the same layer): one file, listed once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
}

/// Wasted bytes hidden by one layer.
#[derive(Debug, Clone, Serialize)]
pub struct WastedLayer {
    /// Number (1-based) of the layer whose copies or whiteouts hide the bytes.
    pub layer: usize,
    /// Bytes of lower-layer content it hides.
    pub bytes: u64,
    /// Its history entry.
    pub history: Option<String>,
}

/// A part of a cause's bytes worth knowing (a binary's symbol table): inside the
/// cause's `bytes`, never added to the total.
#[derive(Debug, Clone, Serialize)]
pub struct Part {
    /// What the part is.
    pub what: String,
    /// Its bytes.
    pub bytes: u64,
}

/// One row of the partition: every visible byte of the image belongs to exactly one
/// cause, and the hidden ones to the one `wasted` row, so the causes add up to
/// `content_size`.
#[derive(Debug, Clone, Serialize)]
pub struct Cause {
    /// Stable kebab-case id: `go-binary`, `duplicate-go-main-module`,
    /// `cgo-libc-closure`, `shared-libraries`, `go-toolchain`, `go-build-cache`,
    /// `config-references-extra-closure`, `nix-store-path`, `duplicate-elf`,
    /// `package-cache`, `docs`, `base`, `certificates`, `tzdata`, `app-layer`, `wasted`.
    pub id: String,
    /// What the bytes are.
    pub what: String,
    /// How many (this row's share of the content: rows never overlap).
    pub bytes: u64,
    /// Why they are in the image.
    pub why: String,
    /// How to get rid of them, for actionable causes.
    pub fix: Option<String>,
    /// Parts of these bytes (a Go binary's symbol table and DWARF), inside `bytes`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Part>,
}

/// Does this file start like an archive goaudit should read as an image (tar, gzip or
/// zstd)? Decided from the first bytes, never from the name.
pub fn looks_like_archive(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 512];
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(_) => return false,
        }
    }
    matches!(
        detect::sniff(&head[..n]),
        InputKind::Tar | InputKind::Gzip | InputKind::Zstd
    )
}

/// Read every image in an archive file or OCI layout directory.
///
/// An archive that holds no image (a plain tarball of files) is
/// [`Error::Unsupported`]; a broken or hostile one is [`Error::Malformed`] naming the
/// layer at fault.
pub fn read(path: &Path, opts: &Options) -> Result<Vec<ImageReport>> {
    let label = path.display().to_string();
    let progress = crate::progress::Progress::stderr(opts.progress);
    let source = archive::Source::open_with(path, opts, &progress)?;
    let mut plans = archive::plan(&source)?;
    if plans.is_empty() {
        return Err(Error::Unsupported {
            path: path.to_path_buf(),
            what: "no container image found (no manifest.json or OCI index.json)".into(),
        });
    }
    if let Some(want) = &opts.platform {
        let available: Vec<String> = plans
            .iter()
            .map(|p| {
                p.platform
                    .clone()
                    .unwrap_or_else(|| "unknown platform".into())
            })
            .collect();
        plans.retain(|p| archive::platform_matches(want, p.platform.as_deref()));
        if plans.is_empty() {
            return Err(Error::Usage(format!(
                "{}: no image for platform {want}; the input has {}",
                path.display(),
                available.join(", ")
            )));
        }
    }
    let scans = archive::scan_layers(&source, &plans, opts, &progress)?;
    progress.finish();
    let mut out = Vec::new();
    for plan in &plans {
        out.push(causes::build_report(&label, &source, plan, &scans)?);
    }
    Ok(out)
}
