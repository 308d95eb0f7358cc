//! `goaudit diff OLD NEW`: what changed between two builds (binaries, images, or saved
//! `goaudit size --json` reports), and why.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::Exit;
use crate::cli::{ImageLimits, OutputArgs};
use crate::diff::{self, Diff, GrowthLimit, Side};
use crate::error::Error;
use crate::render::{self, Style};

/// Output formats of `diff` besides `--json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// Tables for a terminal.
    Human,
    /// One JSON document (same as `--json`).
    Json,
    /// GitHub-flavoured markdown for a pull-request comment (long tables folded).
    Markdown,
}

/// `goaudit diff OLD NEW`
#[derive(Debug, Args, Clone)]
pub struct DiffArgs {
    /// The old build: a Go binary, a container image, or a saved `goaudit size --json` report.
    pub old: PathBuf,
    /// The new build, of the same kind as OLD.
    pub new: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: DiffFormat,
    /// Hide rows whose change is below SIZE (`4KiB`, `1000`); they are summed in one row.
    #[arg(long, value_name = "SIZE", default_value = "0")]
    pub threshold: bytesize::ByteSize,
    /// Exit 1 when the total grows by more than SIZE (`256KiB`) or PERCENT (`5%`).
    #[arg(long, value_name = "SIZE|PERCENT")]
    pub fail_on_growth: Option<GrowthLimit>,
    /// Rows per table (0 = all); the rest are summed in one "N more" row.
    #[arg(short = 'n', default_value_t = 10)]
    pub rows: usize,
    /// Do not truncate long names.
    #[arg(short = 'w', long)]
    pub wide: bool,
    /// Also write the diff as a self-contained HTML page to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Limits on reading container images.
    #[command(flatten)]
    pub limits: ImageLimits,
}

/// The JSON document.
#[derive(Debug, Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: render::json::Tool,
    diff: Option<&'a Diff>,
    /// The `--fail-on-growth` outcome, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    growth_limit: Option<GrowthVerdict>,
    errors: &'a [render::json::InputError],
}

#[derive(Debug, Serialize)]
struct GrowthVerdict {
    limit: String,
    exceeded: bool,
}

/// Run the diff.
pub fn run(args: &DiffArgs, out: &mut dyn Write, err: &mut dyn Write) -> std::io::Result<Exit> {
    let style = Style::for_stdout(args.output.color);
    let json = args.output.json || args.format == DiffFormat::Json;
    let mut errors = Vec::new();
    let opts = args
        .limits
        .options_for(args.format == DiffFormat::Human && !json);
    let mut load = |p: &PathBuf| match Side::load(p, &opts) {
        Ok(s) => Some(s),
        Err(e) => {
            super::input_failed(err, &mut errors, p.display().to_string(), e);
            None
        }
    };
    let (old, new) = (load(&args.old), load(&args.new));
    let d = match (&old, &new) {
        (Some(o), Some(n)) => match diff::diff(o, n) {
            Some(d) => Some(d),
            None => {
                let e = Error::Usage(format!(
                    "{} and {}: one is a binary and the other an image; diff compares like with like",
                    args.old.display(),
                    args.new.display()
                ));
                super::input_failed(err, &mut errors, args.new.display().to_string(), e);
                None
            }
        },
        _ => None,
    };
    let exceeded = d
        .as_ref()
        .zip(args.fail_on_growth)
        .map(|(d, l)| (l, l.exceeded(&d.total())));
    if json {
        let doc = Document {
            schema_version: crate::audit::SCHEMA_VERSION,
            tool: render::json::Tool::this(),
            diff: d.as_ref(),
            growth_limit: exceeded.map(|(l, e)| GrowthVerdict {
                limit: l.describe(),
                exceeded: e,
            }),
            errors: &errors,
        };
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
    } else if let Some(d) = &d {
        let o = render::diff::Options {
            rows: args.rows,
            threshold: args.threshold.as_u64(),
            width: if args.wide { 0 } else { 60 },
        };
        match args.format {
            DiffFormat::Markdown => render::diff::write_markdown(out, d, &o)?,
            _ => render::diff::write_text(out, d, &o, &style)?,
        }
        if let Some((l, e)) = exceeded {
            let t = d.total();
            let line = format!(
                "growth {} {} the limit of {}",
                render::diff::signed(t.delta),
                if e { "exceeds" } else { "is within" },
                l.describe()
            );
            writeln!(out)?;
            if args.format == DiffFormat::Markdown {
                writeln!(out, "{} {line}", if e { "❌" } else { "✅" })?;
            } else {
                writeln!(
                    out,
                    "{}",
                    if e {
                        style.bad(&line)
                    } else {
                        style.good(&line)
                    }
                )?;
            }
        }
    }
    if let (Some(path), Some(d)) = (&args.html, &d) {
        let page = render::html::diff_page(d);
        if let Err(source) = std::fs::write(path, page) {
            super::report_error(
                err,
                &Error::Io {
                    path: path.clone(),
                    source,
                },
            );
            return Ok(Exit::Error);
        }
    }
    Ok(if !errors.is_empty() {
        Exit::Error
    } else if exceeded.is_some_and(|(_, e)| e) {
        Exit::Policy
    } else {
        Exit::Ok
    })
}
