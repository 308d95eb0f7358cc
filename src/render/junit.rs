//! JUnit XML in the de-facto Ant/Jenkins shape: one `<testsuite>` per artifact, one
//! `<testcase>` per (artifact, rule). Deny violations are failures, allowed or
//! unconfigured rules are skipped, warnings pass with the text in `<system-out>`.

use std::io::{self, Write};

use crate::check::{CheckReport, Status};

/// Escape text for XML content and attribute values. Characters XML 1.0 cannot carry
/// (most C0 controls) become U+FFFD instead of producing an unparsable file.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Write the JUnit report.
pub fn write(w: &mut dyn Write, r: &CheckReport) -> io::Result<()> {
    let count = |s: Status| {
        r.artifacts
            .iter()
            .flat_map(|a| &a.results)
            .filter(|x| x.status == s)
            .count()
    };
    let tests: usize = r.artifacts.iter().map(|a| a.results.len()).sum::<usize>() + r.errors.len();
    let deny_unknown = |a: &crate::check::ArtifactCheck| {
        a.results
            .iter()
            .filter(|x| x.status == Status::Unknown && x.level == crate::check::Level::Deny)
            .count()
    };
    let warn_unknown = |a: &crate::check::ArtifactCheck| {
        a.results
            .iter()
            .filter(|x| x.status == Status::Unknown && x.level != crate::check::Level::Deny)
            .count()
    };
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        w,
        r#"<testsuites name="goaudit check" tests="{tests}" failures="{}" errors="{}" skipped="{}" time="0">"#,
        count(Status::Fail),
        r.errors.len() + r.artifacts.iter().map(deny_unknown).sum::<usize>(),
        count(Status::Skip) + r.artifacts.iter().map(warn_unknown).sum::<usize>()
    )?;
    for a in &r.artifacts {
        let n = |s: Status| a.results.iter().filter(|x| x.status == s).count();
        let name = escape(&a.path);
        writeln!(
            w,
            r#"  <testsuite name="{name}" tests="{}" failures="{}" errors="{}" skipped="{}" time="0">"#,
            a.results.len(),
            n(Status::Fail),
            deny_unknown(a),
            n(Status::Skip) + warn_unknown(a)
        )?;
        for res in &a.results {
            let id = res.rule.id();
            write!(
                w,
                r#"    <testcase classname="{name}" name="{id}" time="0""#
            )?;
            let text = res
                .violations
                .iter()
                .map(|v| match &v.location {
                    Some(l) => format!("{} ({l})", v.message),
                    None => v.message.clone(),
                })
                .collect::<Vec<_>>()
                .join("\n");
            match res.status {
                Status::Pass => writeln!(w, "/>")?,
                Status::Fail => {
                    let first = res.violations.first().map_or("", |v| v.message.as_str());
                    writeln!(w, ">")?;
                    writeln!(
                        w,
                        r#"      <failure message="{}" type="{id}">{}</failure>"#,
                        escape(first),
                        escape(&text)
                    )?;
                    writeln!(w, "    </testcase>")?;
                }
                Status::Warn => {
                    writeln!(w, ">")?;
                    writeln!(
                        w,
                        "      <system-out>warning: {}</system-out>",
                        escape(&text)
                    )?;
                    writeln!(w, "    </testcase>")?;
                }
                // Not evaluated at deny level: the check could not run (an error, as
                // the exit status 2 says); at warn level it is reported as skipped.
                Status::Unknown if res.level == crate::check::Level::Deny => {
                    writeln!(w, ">")?;
                    writeln!(
                        w,
                        r#"      <error message="{}" type="not-evaluated"/>"#,
                        escape(&format!(
                            "not evaluated: {}",
                            res.note.as_deref().unwrap_or("inputs missing")
                        ))
                    )?;
                    writeln!(w, "    </testcase>")?;
                }
                Status::Unknown => {
                    writeln!(w, ">")?;
                    writeln!(
                        w,
                        r#"      <skipped message="{}"/>"#,
                        escape(&format!(
                            "not evaluated: {}",
                            res.note.as_deref().unwrap_or("inputs missing")
                        ))
                    )?;
                    writeln!(w, "    </testcase>")?;
                }
                Status::Skip => {
                    writeln!(w, ">")?;
                    writeln!(
                        w,
                        r#"      <skipped message="{}"/>"#,
                        escape(res.note.as_deref().unwrap_or("skipped"))
                    )?;
                    writeln!(w, "    </testcase>")?;
                }
            }
        }
        writeln!(w, "  </testsuite>")?;
    }
    if !r.errors.is_empty() {
        writeln!(
            w,
            r#"  <testsuite name="inputs" tests="{}" failures="0" errors="{}" skipped="0" time="0">"#,
            r.errors.len(),
            r.errors.len()
        )?;
        for e in &r.errors {
            writeln!(
                w,
                r#"    <testcase classname="inputs" name="{}" time="0">"#,
                escape(&e.path)
            )?;
            writeln!(w, r#"      <error message="{}"/>"#, escape(&e.error))?;
            writeln!(w, "    </testcase>")?;
        }
        writeln!(w, "  </testsuite>")?;
    }
    writeln!(w, "</testsuites>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
        assert_eq!(escape("x\u{1}y\n"), "x\u{FFFD}y\n");
    }
}
