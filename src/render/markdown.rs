//! GitHub-flavoured markdown: a table per artifact run, then the violations. Used for
//! `--format markdown` and appended to `$GITHUB_STEP_SUMMARY`.

use std::io::{self, Write};

use crate::check::human::{module_changes, signed_bytes, signed_percent};
use crate::check::{CheckReport, Status};
use crate::render::human_bytes;

/// Escape text for a table cell: pipes split cells, newlines end rows, and `<`/`&`
/// would be read as HTML.
pub fn cell(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace('*', "\\*")
        .replace(['\r', '\n'], " ")
}

/// Write the markdown report.
pub fn write(w: &mut dyn Write, r: &CheckReport) -> io::Result<()> {
    let s = &r.summary;
    let verdict = if r.incomplete() {
        "❗ incomplete"
    } else if s.failures > 0 {
        "❌ failed"
    } else {
        "✅ passed"
    };
    let unevaluated = s.unevaluated + s.unevaluated_warnings;
    writeln!(
        w,
        "### goaudit check {verdict}: {} error{}, {} warning{}, {} artifact{}{}\n",
        s.failures,
        plural(s.failures),
        s.warnings,
        plural(s.warnings),
        s.artifacts,
        plural(s.artifacts),
        if unevaluated > 0 {
            format!(", {unevaluated} rule{} not evaluated", plural(unevaluated))
        } else {
            String::new()
        }
    )?;
    if !r.artifacts.is_empty() {
        writeln!(
            w,
            "| artifact | size | baseline | Δ | Δ% | limit | status |"
        )?;
        writeln!(w, "|---|---:|---:|---:|---:|---:|---|")?;
        for a in &r.artifacts {
            let (base, d, dp) = match &a.growth {
                Some(g) => (
                    human_bytes(g.baseline_size),
                    signed_bytes(g.delta),
                    signed_percent(g.percent),
                ),
                None => ("–".into(), "–".into(), "–".into()),
            };
            let status = match a.status() {
                Status::Unknown => "❗ incomplete",
                Status::Fail => "❌ fail",
                Status::Warn => "⚠️ warn",
                _ => "✅ pass",
            };
            writeln!(
                w,
                "| `{}` | {} | {base} | {d} | {dp} | {} | {status} |",
                cell(&a.path).replace('`', "'"),
                human_bytes(a.size),
                a.max_size.map_or("–".into(), human_bytes)
            )?;
        }
        writeln!(w)?;
    }
    let mut any = false;
    for (a, res, v) in r.violations() {
        if !any {
            writeln!(w, "| level | rule | artifact | message |")?;
            writeln!(w, "|---|---|---|---|")?;
            any = true;
        }
        let level = if res.status == Status::Fail {
            "error"
        } else {
            "warning"
        };
        let at = v
            .location
            .as_ref()
            .map(|l| format!(" ({})", cell(&l.to_string())))
            .unwrap_or_default();
        writeln!(
            w,
            "| {level} | `{}` | `{}` | {}{at} |",
            res.rule.id(),
            cell(&a.path).replace('`', "'"),
            cell(&v.message)
        )?;
    }
    for (a, res) in r.unevaluated() {
        if !any {
            writeln!(w, "| level | rule | artifact | message |")?;
            writeln!(w, "|---|---|---|---|")?;
            any = true;
        }
        let level = if res.level == crate::check::Level::Deny {
            "not evaluated (deny)"
        } else {
            "not evaluated"
        };
        writeln!(
            w,
            "| {level} | `{}` | `{}` | {} |",
            res.rule.id(),
            cell(&a.path).replace('`', "'"),
            cell(res.note.as_deref().unwrap_or("inputs missing"))
        )?;
    }
    for e in &r.errors {
        writeln!(
            w,
            "\n- **not checked** `{}`: {}",
            cell(&e.path).replace('`', "'"),
            cell(&e.error)
        )?;
    }
    let grown: Vec<_> = r
        .artifacts
        .iter()
        .filter_map(|a| {
            a.growth
                .as_ref()
                .filter(|g| !g.modules.is_empty())
                .map(|g| (a, g))
        })
        .collect();
    if !grown.is_empty() {
        writeln!(
            w,
            "\n<details><summary>module changes against the baseline</summary>\n"
        )?;
        for (a, g) in grown {
            writeln!(
                w,
                "- `{}`: {}",
                cell(&a.path).replace('`', "'"),
                cell(&module_changes(g, 20))
            )?;
        }
        writeln!(w, "\n</details>")?;
    }
    writeln!(w)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(cell("a|b\nc <x> *y"), "a\\|b c &lt;x&gt; \\*y");
    }
}
