//! The human check report: one block per artifact, violations first, a verdict line last.

use std::io::{self, Write};

use super::{CheckReport, Growth, Status};
use crate::render::image::short_store_paths;
use crate::render::{Style, human_bytes};

/// `+1.2 MiB` / `-300 B`.
pub fn signed_bytes(d: i64) -> String {
    let sign = if d < 0 { "-" } else { "+" };
    format!("{sign}{}", human_bytes(d.unsigned_abs()))
}

/// `+14.3%`, or `new` for growth from nothing.
pub fn signed_percent(p: Option<f64>) -> String {
    match p {
        Some(p) => format!("{}{:.1}%", if p < 0.0 { "" } else { "+" }, p),
        None => "new".into(),
    }
}

/// One line on growth: modules that changed, largest first, at most `n`.
pub fn module_changes(g: &Growth, n: usize) -> String {
    let mut parts: Vec<String> = g
        .modules
        .iter()
        .take(n)
        .map(|m| {
            let tag = if m.before == 0 {
                " (new)"
            } else if m.after == 0 {
                " (gone)"
            } else {
                ""
            };
            format!("{} {}{tag}", m.name, signed_bytes(m.delta))
        })
        .collect();
    if g.modules.len() > n {
        parts.push(format!("{} more", g.modules.len() - n));
    }
    parts.join(", ")
}

/// Write the report.
pub fn write(w: &mut dyn Write, r: &CheckReport, st: &Style) -> io::Result<()> {
    for (i, a) in r.artifacts.iter().enumerate() {
        if i > 0 {
            writeln!(w)?;
        }
        let verdict = match a.status() {
            Status::Unknown => st.bad("INCOMPLETE"),
            Status::Fail => st.bad("FAIL"),
            Status::Warn => st.warn("WARN"),
            _ => st.good("ok"),
        };
        writeln!(
            w,
            "{}  {}  {verdict}",
            st.bold(&short_store_paths(&a.path)),
            human_bytes(a.size)
        )?;
        let mut size_line = Vec::new();
        if let Some(g) = &a.growth {
            size_line.push(format!(
                "baseline {}, {} ({})",
                human_bytes(g.baseline_size),
                signed_bytes(g.delta),
                signed_percent(g.percent)
            ));
        }
        if let Some(m) = a.max_size {
            size_line.push(format!("budget {}", human_bytes(m)));
        }
        if !size_line.is_empty() {
            writeln!(w, "  {}", st.dim(&size_line.join("; ")))?;
        }
        if let Some(g) = a.growth.as_ref().filter(|g| !g.modules.is_empty()) {
            writeln!(
                w,
                "  {}",
                st.dim(&format!("modules: {}", module_changes(g, 8)))
            )?;
        }
        // Align messages on the longest id shown for this artifact.
        let width = a
            .results
            .iter()
            .filter(|r| matches!(r.status, Status::Fail | Status::Warn | Status::Unknown))
            .map(|r| r.rule.id().len())
            .max()
            .unwrap_or(0)
            .max(15);
        for res in &a.results {
            let label = match res.status {
                Status::Fail => st.bad("error  "),
                Status::Warn => st.warn("warning"),
                // A rule that could not be evaluated is never a silent pass.
                Status::Unknown => {
                    let (label, tail) = if res.level == crate::check::Level::Deny {
                        (st.bad("skipped"), " (a deny rule: the check is incomplete)")
                    } else {
                        (st.warn("skipped"), "")
                    };
                    let note = res.note.as_deref().unwrap_or("not evaluated");
                    writeln!(
                        w,
                        "  {label} {:<width$} {}{tail}",
                        res.rule.id(),
                        note.strip_prefix("skipped: ").unwrap_or(note)
                    )?;
                    continue;
                }
                _ => continue,
            };
            for v in &res.violations {
                let at = v
                    .location
                    .as_ref()
                    .map(|l| st.dim(&format!("  [{l}]")))
                    .unwrap_or_default();
                writeln!(
                    w,
                    "  {label} {:<width$} {}{at}",
                    res.rule.id(),
                    short_store_paths(&v.message)
                )?;
            }
        }
    }
    for e in &r.errors {
        writeln!(
            w,
            "{}  {}",
            st.bold(&e.path),
            st.bad(&format!("error: {}", e.error))
        )?;
    }
    let s = &r.summary;
    let unevaluated = s.unevaluated + s.unevaluated_warnings;
    let counts = format!(
        "{} error{}, {} warning{}, {} artifact{}{}{}",
        s.failures,
        plural(s.failures),
        s.warnings,
        plural(s.warnings),
        s.artifacts,
        plural(s.artifacts),
        if s.errors > 0 {
            format!(", {} input{} not checked", s.errors, plural(s.errors))
        } else {
            String::new()
        },
        if unevaluated > 0 {
            format!(
                ", {unevaluated} rule{} not evaluated{}",
                plural(unevaluated),
                if s.unevaluated > 0 {
                    format!(" ({} at deny)", s.unevaluated)
                } else {
                    String::new()
                }
            )
        } else {
            String::new()
        }
    );
    let verdict = if r.incomplete() {
        st.bad("incomplete")
    } else if s.failures > 0 {
        st.bad("failed")
    } else {
        st.good("passed")
    };
    if !r.artifacts.is_empty() || !r.errors.is_empty() {
        writeln!(w)?;
    }
    writeln!(w, "goaudit check {verdict}: {counts}")
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
