//! `goaudit init [DIR]`: write a commented starter goaudit.toml from the Go binaries
//! found under DIR (see [`crate::check::starter`] for what goes in it).

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use super::audit::{FileError, audit_file_slices};
use super::{Exit, report_error};
use crate::check::starter::{self, Found};
use crate::error::Error;

/// Directories never searched for binaries: version control, build caches, packages.
const SKIP_DIRS: &[&str] = &[".git", ".hg", ".svn", "target", "node_modules", ".goaudit"];

/// `goaudit init [DIR] [--force] [--dry-run] [--headroom PERCENT]`
#[derive(Debug, Args, Clone)]
pub struct InitArgs {
    /// The repository root: searched for Go binaries (skipping .git, target and
    /// node_modules); goaudit.toml is written here.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Replace an existing goaudit.toml.
    #[arg(long)]
    pub force: bool,
    /// Print the file on stdout instead of writing it.
    #[arg(long)]
    pub dry_run: bool,
    /// Size budgets are each binary's current size plus this many percent.
    #[arg(long, value_name = "PERCENT", default_value_t = 10)]
    pub headroom: u32,
}

/// Find the binaries, render the file, write it (or print it).
pub fn run(args: &InitArgs, out: &mut dyn Write, err: &mut dyn Write) -> std::io::Result<Exit> {
    let target = args.dir.join("goaudit.toml");
    if !args.dry_run && !args.force && target.exists() {
        report_error(
            err,
            &Error::Usage(format!(
                "{}: already exists; edit it, or pass --force to replace it",
                target.display()
            )),
        );
        return Ok(Exit::Error);
    }
    if !args.dir.is_dir() {
        report_error(
            err,
            &Error::Usage(format!("{}: not a directory", args.dir.display())),
        );
        return Ok(Exit::Error);
    }
    let mut files = Vec::new();
    walk(&args.dir, &mut files);
    files.sort();
    let mut found = Vec::new();
    for f in &files {
        let key = key_of(&args.dir, f);
        let slices = audit_file_slices(f, &key, false);
        let fat = slices.len() > 1;
        for (label, res) in slices {
            match res {
                Ok(a) => found.push(Found {
                    key: label,
                    size: a.size,
                    findings: a.findings.iter().map(|x| x.id).collect(),
                    slice: fat,
                }),
                Err(FileError::Skip) => {}
                // A damaged file is not audited, and not silently dropped either.
                Err(FileError::Fail(e)) => {
                    writeln!(err, "goaudit: init: skipped {e}")?;
                }
            }
        }
    }
    if found.is_empty() {
        report_error(
            err,
            &Error::Usage(format!(
                "{}: no Go binaries found (searched without .git, target, node_modules); build them first, e.g. `go build -o dist/ ./...`, then run goaudit init again",
                args.dir.display()
            )),
        );
        return Ok(Exit::Error);
    }
    let text = starter::render(&found, args.headroom);
    // What init writes must load; a failure here is a bug, reported rather than written.
    if let Err(e) = crate::check::config::parse(&text, "goaudit.toml", &args.dir) {
        report_error(
            err,
            &Error::Other(format!(
                "internal error: the starter file does not load: {e}"
            )),
        );
        return Ok(Exit::Error);
    }
    if args.dry_run {
        out.write_all(text.as_bytes())?;
        return Ok(Exit::Ok);
    }
    if let Err(e) = write_atomic(&target, text.as_bytes()) {
        report_error(
            err,
            &Error::Io {
                path: target,
                source: e,
            },
        );
        return Ok(Exit::Error);
    }
    let budgets = found.iter().filter(|f| !f.slice).count();
    writeln!(
        out,
        "wrote {}: {} found, {} at today's size +{}%\nnext: goaudit check; goaudit baseline write; goaudit hook install",
        target.display(),
        plural(found.len(), "Go binary", "Go binaries"),
        plural(budgets, "budget", "budgets"),
        args.headroom
    )?;
    Ok(Exit::Ok)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Regular files under `dir`, not following symlinked directories (no loops), skipping
/// [`SKIP_DIRS`] and OCI image layouts (init budgets binaries).
fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let Ok(ft) = e.file_type() else { continue };
        let path = e.path();
        if ft.is_dir() {
            let name = e.file_name();
            if SKIP_DIRS.iter().any(|s| name == *s) || crate::input::detect::is_image_dir(&path) {
                continue;
            }
            walk(&path, files);
        } else if (ft.is_file() && e.metadata().is_ok_and(|m| m.len() > 0))
            || (ft.is_symlink() && path.is_file())
        {
            files.push(path);
        }
    }
}

/// `/`-separated path of `file` relative to `root`, as `goaudit check` keys it.
fn key_of(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).unwrap_or(file);
    rel.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Write through a temporary file in the same directory and rename it into place.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
