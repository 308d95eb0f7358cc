//! Command-line definitions (clap derive). Raw arguments only: validation and defaults
//! that need more than one flag happen in the command modules.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::render::ColorChoice;

/// Is this Go binary really static and cgo-free? Why is it this size? How small can it get?
#[derive(Debug, Parser)]
#[command(
    name = "goaudit",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// A subcommand; without one, goaudit audits the PATHs.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Audit arguments used when no subcommand is given.
    #[command(flatten)]
    pub audit: AuditArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit Go binaries (the default): linking, cgo, DNS, os/user, debug state, hardening.
    Audit(AuditArgs),
    /// Print a binary's buildinfo exactly as `go version -m` does.
    Buildinfo(BuildinfoArgs),
}

/// Output options shared by every command.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Machine-readable JSON on stdout (nothing else is printed there).
    #[arg(long)]
    pub json: bool,
    /// When to colour human output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
}

/// `goaudit [audit] PATH...`
#[derive(Debug, Args, Clone)]
pub struct AuditArgs {
    /// Files or directories (walked recursively) to audit.
    pub paths: Vec<PathBuf>,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `goaudit buildinfo PATH...`
#[derive(Debug, Args, Clone)]
pub struct BuildinfoArgs {
    /// Go binaries.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Structured JSON instead of `go version -m` text.
    #[arg(long)]
    pub json: bool,
}
