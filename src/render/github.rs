//! GitHub Actions workflow commands: `::error` / `::warning` annotations.
//!
//! GitHub shows only 10 annotations of each kind per step, so the rest are summarised in
//! one plain line; the job summary (markdown) carries everything.

use std::io::{self, Write};

use crate::check::{CheckReport, Status};

/// Annotations of each kind emitted per run; GitHub drops the rest of a step's anyway.
pub const ANNOTATION_LIMIT: usize = 10;

/// Escape a command's message (after `::`): `%`, CR and LF.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value (`file=`, `title=`): also `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Write up to `limit` error and `limit` warning annotations, then a count of the rest.
pub fn write(w: &mut dyn Write, r: &CheckReport, limit: usize) -> io::Result<()> {
    let mut shown = [0usize; 2];
    let mut hidden = [0usize; 2];
    for (a, res, v) in r.violations() {
        let (kind, i) = match res.status {
            Status::Fail => ("error", 0),
            _ => ("warning", 1),
        };
        if shown[i] >= limit {
            hidden[i] += 1;
            continue;
        }
        shown[i] += 1;
        let mut props = Vec::new();
        if let Some(l) = &v.location {
            props.push(format!("file={}", escape_property(&l.file)));
            props.push(format!("line={}", l.line));
            props.push(format!("col={}", l.col));
        }
        props.push(format!(
            "title={}",
            escape_property(&format!("goaudit {}: {}", res.rule.id(), a.path))
        ));
        writeln!(
            w,
            "::{kind} {}::{}",
            props.join(","),
            escape_data(&format!("{}: {}", a.path, v.message))
        )?;
    }
    // Rules that could not be evaluated: at deny level the run is incomplete (exit 2).
    for (a, res) in r.unevaluated() {
        let (kind, i) = if res.level == crate::check::Level::Deny {
            ("error", 0)
        } else {
            ("warning", 1)
        };
        if shown[i] >= limit {
            hidden[i] += 1;
            continue;
        }
        shown[i] += 1;
        writeln!(
            w,
            "::{kind} title={}::{}",
            escape_property(&format!(
                "goaudit {} not evaluated: {}",
                res.rule.id(),
                a.path
            )),
            escape_data(&format!(
                "{}: {} not evaluated: {}",
                a.path,
                res.rule.id(),
                res.note.as_deref().unwrap_or("inputs missing")
            ))
        )?;
    }
    for e in &r.errors {
        if shown[0] >= limit {
            hidden[0] += 1;
            continue;
        }
        shown[0] += 1;
        writeln!(
            w,
            "::error title={}::{}",
            escape_property("goaudit: input not checked"),
            escape_data(&format!("{}: {}", e.path, e.error))
        )?;
    }
    if hidden[0] + hidden[1] > 0 {
        writeln!(
            w,
            "goaudit: {} more errors and {} more warnings not annotated; see the job summary or --format json",
            hidden[0], hidden[1]
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_actions_toolkit() {
        assert_eq!(escape_data("50% a\r\nb: c,d"), "50%25 a%0D%0Ab: c,d");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
