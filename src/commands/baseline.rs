//! `goaudit baseline write [PATH...]`: record sizes for `check` to measure growth against.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::check::{Subject, collect, display_path, setup};
use super::{Exit, report_error};
use crate::check::baseline::{self, Baseline, BaselineEntry};
use crate::check::config;
use crate::error::Error;
use crate::render::human_bytes;

/// `goaudit baseline ...`
#[derive(Debug, Args, Clone)]
pub struct BaselineArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: BaselineAction,
}

/// Baseline actions.
#[derive(Debug, Subcommand, Clone)]
pub enum BaselineAction {
    /// Record each artifact's size and per-module sizes (default file
    /// .goaudit/baseline.json next to goaudit.toml); commit the file.
    Write(BaselineWriteArgs),
}

/// `goaudit baseline write [PATH...]`
#[derive(Debug, Args, Clone)]
pub struct BaselineWriteArgs {
    /// Binaries, container images or directories; default: the `paths` and `[[budget]]`
    /// paths of goaudit.toml.
    pub paths: Vec<PathBuf>,
    /// Config file; default: discovered by walking up from the current directory.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Where to write; default: `baseline` in the config, else .goaudit/baseline.json.
    #[arg(long, value_name = "PATH")]
    pub baseline: Option<PathBuf>,
    /// Limits on reading container images.
    #[command(flatten)]
    pub limits: crate::cli::ImageLimits,
}

/// Run a baseline action.
pub fn run(args: &BaselineArgs, out: &mut dyn Write, err: &mut dyn Write) -> std::io::Result<Exit> {
    match &args.action {
        BaselineAction::Write(w) => write(w, out, err),
    }
}

fn write(
    args: &BaselineWriteArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<Exit> {
    let s = match setup(args.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            report_error(err, &e);
            return Ok(Exit::Error);
        }
    };
    let (targets, errors) =
        match collect(&args.paths, &s, true, &args.limits.options_for(true), err) {
            Ok(t) => t,
            Err(e) => {
                report_error(err, &e);
                return Ok(Exit::Error);
            }
        };
    // A baseline missing some artifacts would silently turn their growth checks off.
    if !errors.is_empty() {
        writeln!(
            err,
            "goaudit: baseline not written: {} input(s) could not be read",
            errors.len()
        )?;
        return Ok(Exit::Error);
    }
    if targets.is_empty() {
        report_error(
            err,
            &Error::Usage("no Go binaries or container images found; nothing to record".into()),
        );
        return Ok(Exit::Error);
    }
    let path = args
        .baseline
        .clone()
        .or_else(|| s.cfg.as_ref().and_then(|c| c.baseline.clone()))
        .unwrap_or_else(|| s.root.join(config::DEFAULT_BASELINE));
    let entries: Vec<BaselineEntry> = targets
        .iter()
        .map(|t| BaselineEntry::of(t.facts()))
        .collect();
    let b = Baseline::new(entries);
    if let Err(e) = baseline::write(&path, &b) {
        report_error(err, &e);
        return Ok(Exit::Error);
    }
    writeln!(
        out,
        "wrote {} ({} artifact{})",
        display_path(&path, &s.root),
        b.artifacts.len(),
        if b.artifacts.len() == 1 { "" } else { "s" }
    )?;
    for e in &b.artifacts {
        let image = targets
            .iter()
            .any(|t| t.key == e.path && matches!(t.subject, Subject::Image(_)));
        let mods = if image {
            "image content size".to_string()
        } else if e.by_module.is_empty() {
            "per-module sizes unavailable".to_string()
        } else {
            format!("{} modules", e.by_module.len())
        };
        writeln!(out, "  {}  {}  {mods}", e.path, human_bytes(e.size))?;
    }
    Ok(Exit::Ok)
}
