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
    args_conflicts_with_subcommands = true,
    after_help = EXAMPLES
)]
pub struct Cli {
    /// A subcommand; without one, goaudit audits the PATHs.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Audit arguments used when no subcommand is given.
    #[command(flatten)]
    pub audit: AuditArgs,
}

/// The examples section at the end of `goaudit --help` (and of the man page).
pub const EXAMPLES: &str = "\
Examples:
  goaudit dist/                                  one line per Go binary under dist/
  goaudit --json dist/api | jq '.artifacts[0].linking'
  goaudit size --by package dist/api             where the bytes go, by package
  goaudit diff old/api dist/api                  what grew between two builds, and why
  goaudit size --html report.html dist/api       a zoomable treemap to open in a browser
  goaudit shrink dist/api -o dist/api.small      strip safely, show the saving
  goaudit check --require-static --no-cgo --max-size 12MiB dist/api
  goaudit init                                   write a starter goaudit.toml
  goaudit baseline write && goaudit check        gate growth against a baseline
  goaudit hook install                           run `goaudit check` before every push
  goaudit app-image.tar                          a container image: layers, files, causes
  source <(goaudit completions bash)             shell completion (also zsh, fish, ...)

Exit status: 0 ok, 1 a check policy failed, 2 an input or the configuration could not be read.
Documentation: docs/ in the goaudit repository, or `goaudit man`.";

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit Go binaries (the default): linking, cgo, DNS, os/user, debug state, hardening.
    Audit(AuditArgs),
    /// Print a binary's buildinfo exactly as `go version -m` does.
    Buildinfo(BuildinfoArgs),
    /// Policy gate for hooks and CI: rules, size budgets, growth against a baseline; exit 0/1/2.
    Check(crate::commands::check::CheckArgs),
    /// Record artifact sizes for `check` to measure growth against.
    Baseline(crate::commands::baseline::BaselineArgs),
    /// Install or remove a git pre-push hook that runs `goaudit check`.
    Hook(crate::commands::hook::HookArgs),
    /// Where every byte goes: by module, package, section or symbol, and what can go.
    Size(SizeArgs),
    /// What changed between two builds: binaries, images or saved `size --json` reports.
    Diff(crate::commands::diff::DiffArgs),
    /// Strip (and optionally UPX-pack) a Go ELF binary safely, showing what each step saved.
    Shrink(ShrinkArgs),
    /// Write a commented starter goaudit.toml from the Go binaries found in a directory.
    Init(crate::commands::init::InitArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) on stdout.
    Completions(crate::commands::docs::CompletionsArgs),
    /// Print the man page (roff), or write one page per subcommand with --dir.
    Man(crate::commands::docs::ManArgs),
    /// Print the decoded pclntab (functions and files) for comparison with debug/gosym.
    #[command(name = "debug-pclntab", hide = true)]
    DebugPclntab(DebugPclntabArgs),
}

/// `goaudit debug-pclntab [--scan] FILE`
#[derive(Debug, Args, Clone)]
pub struct DebugPclntabArgs {
    /// A Go binary.
    pub path: PathBuf,
    /// Locate the pclntab only by the magic-number scan, ignoring sections and symbols.
    #[arg(long)]
    pub scan: bool,
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
    /// Files or directories (walked recursively) to audit; a directory's binaries get one
    /// line each.
    pub paths: Vec<PathBuf>,
    /// Also attribute every byte (module, package, section), as `goaudit size` does, and
    /// put it in `--json` as `size_attribution`. Off by default: the verdicts need only
    /// a few names, so the audit stays as fast as `go version -m`.
    #[arg(long)]
    pub size: bool,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Limits on reading container images.
    #[command(flatten)]
    pub limits: ImageLimits,
}

/// Limits on reading container images, shared by every command that reads them.
#[derive(Debug, Args, Clone)]
pub struct ImageLimits {
    /// Images: cap on decompressed bytes read from one archive (decompression-bomb guard).
    #[arg(long, value_name = "SIZE", default_value = "8GiB")]
    pub max_decompressed: bytesize::ByteSize,
    /// Images: largest single ELF file held in memory for analysis; bigger ones are
    /// counted but not audited.
    #[arg(long, value_name = "SIZE", default_value = "1GiB")]
    pub max_file_buffer: bytesize::ByteSize,
    /// Images: read only the image of this platform from a multi-platform index, e.g.
    /// linux/arm64 or linux/arm64/v8.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", value_parser = parse_platform)]
    pub platform: Option<String>,
}

fn parse_platform(s: &str) -> Result<String, String> {
    let parts: Vec<&str> = s.split('/').collect();
    let ok = (2..=3).contains(&parts.len())
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        });
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "invalid platform {s:?}: expected OS/ARCH or OS/ARCH/VARIANT, such as linux/amd64 or linux/arm64/v8"
        ))
    }
}

impl ImageLimits {
    /// The options the image reader takes.
    pub fn options(&self) -> crate::image::Options {
        crate::image::Options {
            max_decompressed: self.max_decompressed.as_u64(),
            max_file: self.max_file_buffer.as_u64(),
            platform: self.platform.clone(),
            progress: false,
        }
    }

    /// [`ImageLimits::options`], with a progress line on stderr for a slow read when the
    /// command's output is for people (not JSON) and stderr is a terminal.
    pub fn options_for(&self, for_people: bool) -> crate::image::Options {
        crate::image::Options {
            progress: for_people,
            ..self.options()
        }
    }
}

/// `goaudit buildinfo PATH...`
#[derive(Debug, Args, Clone)]
pub struct BuildinfoArgs {
    /// Go binaries, or container images (each Go binary inside, as IMAGE:/path).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Limits on reading container images.
    #[command(flatten)]
    pub limits: ImageLimits,
    /// Structured JSON instead of `go version -m` text.
    #[arg(long)]
    pub json: bool,
}

/// `goaudit shrink BIN (-o OUT | --in-place | --dry-run) [--upx[=LEVEL]] [--verify-run [--verify-timeout SECONDS] -- ARGS...]`
#[derive(Debug, Args, Clone)]
pub struct ShrinkArgs {
    /// The Go ELF binary to shrink.
    pub path: PathBuf,
    /// Write the result to OUT (replaced atomically if it exists).
    #[arg(short, long, value_name = "OUT", conflicts_with_all = ["in_place", "dry_run"])]
    pub output: Option<PathBuf>,
    /// Replace the input itself, atomically, once the result is verified.
    #[arg(long, conflicts_with = "dry_run")]
    pub in_place: bool,
    /// Remove the symbol table and DWARF (the default).
    #[arg(long, overrides_with = "no_strip")]
    pub strip: bool,
    /// Keep the symbol table and DWARF (only UPX-pack).
    #[arg(long, overrides_with = "strip")]
    pub no_strip: bool,
    /// Pack with UPX after stripping: lzma (the default), fast (`-1`, bigger), or nrv-max
    /// (`--best`: minutes per 10 MB and still bigger than lzma; not recommended).
    #[arg(long, value_name = "LEVEL", num_args = 0..=1, require_equals = true, default_missing_value = "lzma")]
    pub upx: Option<crate::shrink::UpxLevel>,
    /// Show what strip would save, from the section table; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Run the original and the result with ARGS (given after `--`) and compare exit status,
    /// stdout and stderr before putting the result in place.
    #[arg(long)]
    pub verify_run: bool,
    /// How long each `--verify-run` execution may take before it counts as a failure.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = crate::shrink::DEFAULT_VERIFY_TIMEOUT.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..),
        requires = "verify_run"
    )]
    pub verify_timeout: u64,
    /// Arguments for `--verify-run`.
    #[arg(last = true, value_name = "ARGS", requires = "verify_run")]
    pub run_args: Vec<std::ffi::OsString>,
    /// Output options.
    #[command(flatten)]
    pub output_opts: OutputArgs,
}

/// How `goaudit size` groups bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SizeBy {
    /// Go modules (the main module, each dependency, std and std/runtime).
    Module,
    /// Go packages.
    Package,
    /// File sections, headers and padding.
    Section,
    /// Functions and data symbols.
    Symbol,
}

/// `goaudit size PATH...`
#[derive(Debug, Args, Clone)]
pub struct SizeArgs {
    /// Go binaries, or container images (a table for each Go binary inside).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Limits on reading container images.
    #[command(flatten)]
    pub limits: ImageLimits,
    /// Group by.
    #[arg(long, value_enum, default_value = "module")]
    pub by: SizeBy,
    /// Rows to show (0 = all); the rest are summed in one "N more" row.
    #[arg(short = 'n', default_value_t = 20)]
    pub rows: usize,
    /// Do not truncate long names.
    #[arg(short = 'w', long)]
    pub wide: bool,
    /// Only packages or modules starting with PATTERN (`github.com/prometheus`, `net/`);
    /// the rest is summed in one row.
    #[arg(long, value_name = "PATTERN")]
    pub filter: Option<String>,
    /// Only machine code (`.text`), as cargo-bloat shows by default; the rest is summed
    /// in one row.
    #[arg(long)]
    pub code: bool,
    /// Also write a self-contained HTML report (zoomable treemap, search, table) of the
    /// first PATH to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Also write a static SVG treemap of the first PATH to FILE.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}
