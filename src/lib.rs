//! goaudit: is this Go binary really static and cgo-free, why is it this size, and how
//! small can it get?
//!
//! Data flows one way:
//!
//! ```text
//! input (detect, walk) → binary (object/goblin view) or image (layers, files)
//!   → go (buildinfo, pclntab) → size (owned byte ranges)
//!   → audit / check / shrink (verdicts, findings, rules) → render → exit code
//! ```
//!
//! docs/architecture.md maps each concern to its module.
//!
//! `main.rs` only parses arguments and calls [`run`]; everything else is here so that
//! tests can drive it in process.

#![deny(missing_docs)]
#![deny(missing_debug_implementations)]

pub mod audit;
pub mod binary;
pub mod check;
pub mod cli;
pub mod commands;
pub mod diff;
pub mod error;
pub mod finding;
pub mod fuzzing;
pub mod go;
pub mod image;
pub mod input;
pub mod progress;
pub mod render;
pub mod shrink;
pub mod size;
pub mod suggest;

use std::io::Write;

pub use commands::Exit;

/// Run a parsed command line, writing reports to `out` and error lines to `err`.
pub fn run(cli: cli::Cli, out: &mut dyn Write, err: &mut dyn Write) -> std::io::Result<Exit> {
    match &cli.command {
        Some(cli::Command::Audit(a)) => commands::audit::run(a, out, err),
        Some(cli::Command::Buildinfo(b)) => commands::buildinfo::run(b, out, err),
        Some(cli::Command::Check(c)) => commands::check::run(c, out, err),
        Some(cli::Command::Baseline(b)) => commands::baseline::run(b, out, err),
        Some(cli::Command::Hook(h)) => commands::hook::run(h, out, err),
        Some(cli::Command::Size(s)) => commands::size::run(s, out, err),
        Some(cli::Command::Diff(d)) => commands::diff::run(d, out, err),
        Some(cli::Command::Shrink(s)) => commands::shrink::run(s, out, err),
        Some(cli::Command::Init(i)) => commands::init::run(i, out, err),
        Some(cli::Command::Completions(c)) => commands::docs::completions(c, out),
        Some(cli::Command::Man(m)) => commands::docs::man(m, out, err),
        Some(cli::Command::DebugPclntab(d)) => commands::debug::run(d, out, err),
        None => commands::audit::run(&cli.audit, out, err),
    }
}
