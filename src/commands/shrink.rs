//! `goaudit shrink BIN`: strip, optionally UPX-pack, verify, then put the result in place.

use std::io::Write;

use serde::Serialize;

use super::{Exit, report_error};
use crate::cli::ShrinkArgs;
use crate::error::Error;
use crate::render::json::Tool;
use crate::render::{Style, human_bytes};
use crate::shrink::{self, Report, Request, Target};

/// Run the shrink.
pub fn run(args: &ShrinkArgs, out: &mut dyn Write, err: &mut dyn Write) -> std::io::Result<Exit> {
    let target = match (&args.output, args.in_place, args.dry_run) {
        (_, _, true) => Target::None,
        (Some(o), false, false) => Target::Output(o.clone()),
        (None, true, false) => Target::InPlace,
        _ => {
            report_error(
                err,
                &Error::Usage(
                    "say where the result goes: -o OUT, --in-place, or --dry-run to only measure"
                        .into(),
                ),
            );
            return Ok(Exit::Error);
        }
    };
    let req = Request {
        input: args.path.clone(),
        target,
        strip: !args.no_strip,
        upx: args.upx,
        verify_run: args.verify_run.then(|| args.run_args.clone()),
        verify_timeout: std::time::Duration::from_secs(args.verify_timeout),
    };
    match shrink::shrink(&req) {
        Ok(report) => {
            if args.output_opts.json {
                write_json(out, &report)?;
            } else {
                write_text(out, &report, &Style::for_stdout(args.output_opts.color))?;
            }
            Ok(Exit::Ok)
        }
        Err(e) => {
            report_error(err, &e);
            Ok(Exit::Error)
        }
    }
}

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: Tool,
    shrink: &'a Report,
}

fn write_json(w: &mut dyn Write, report: &Report) -> std::io::Result<()> {
    let doc = Document {
        schema_version: crate::audit::SCHEMA_VERSION,
        tool: Tool::this(),
        shrink: report,
    };
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}

/// The human report: a before/after table, the checks that passed, and UPX's price.
pub fn write_text(w: &mut dyn Write, r: &Report, st: &Style) -> std::io::Result<()> {
    let dest = match (&r.output, r.dry_run) {
        (Some(o), _) => format!(" -> {o}"),
        (None, true) => " (dry run)".into(),
        (None, false) => String::new(),
    };
    writeln!(w, "{}{dest}", st.bold(&r.input))?;
    // Sizes as cargo-bloat prints them; exact byte counts are in --json.
    let header = format!(
        "  {:<13} {:>10} {:>10} {:>10} {:>7}  {}",
        "step", "before", "after", "saved", "%", "removed"
    );
    writeln!(w, "{}", st.dim(&header))?;
    for s in &r.steps {
        let name = if s.estimated {
            format!("{} (est.)", s.step)
        } else {
            s.step.clone()
        };
        writeln!(
            w,
            "  {:<13} {:>10} {:>10} {:>10} {:>6.1}%  {}",
            name,
            human_bytes(s.before),
            human_bytes(s.after),
            human_bytes(s.saved),
            s.percent,
            s.summary
        )?;
    }
    let total = format!(
        "  {:<13} {:>10} {:>10} {:>10} {:>6.1}%",
        "total",
        human_bytes(r.before),
        human_bytes(r.after),
        human_bytes(r.saved),
        r.percent,
    );
    writeln!(w, "{}", st.good(&total))?;
    for c in &r.checks {
        writeln!(w, "  {} {c}", st.good("ok"))?;
    }
    for n in &r.notes {
        writeln!(w, "  {}", st.dim(n))?;
    }
    if !r.upx_costs.is_empty() {
        writeln!(w, "{}", st.warn("What UPX costs:"))?;
        for c in &r.upx_costs {
            writeln!(w, "  - {c}")?;
        }
    }
    Ok(())
}
