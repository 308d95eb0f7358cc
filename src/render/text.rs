//! The human audit report: one short block per binary, verdict first, evidence after; for
//! a directory of binaries, one line per binary (as `checksec --dir` or `go version DIR`
//! print them).

use std::io::{self, Write};

use super::{Style, human_bytes};
use crate::audit::Artifact;
use crate::binary::elf::LinkKind;

/// Write the report for one artifact.
pub fn write_artifact(w: &mut dyn Write, a: &Artifact, st: &Style) -> io::Result<()> {
    let version = a.go_version.as_deref().unwrap_or("Go version unknown");
    let inferred = if a.go_version_source == Some("inferred") {
        " (inferred)"
    } else {
        ""
    };
    writeln!(
        w,
        "{}  {} {}, {}, {version}{inferred}",
        st.bold(&a.path),
        a.format.name().to_uppercase(),
        a.arch,
        human_bytes(a.size)
    )?;
    let upx_note = a
        .findings
        .iter()
        .find(|f| f.id == crate::finding::Code::UpxPacked);
    match (a.packed, upx_note) {
        (Some(_), Some(f)) if a.unpacked => {
            writeln!(w, "  {:<10}{}", "packed", st.warn(&f.message))?
        }
        (Some(p), note) => {
            let msg = format!("{p}: Go metadata is compressed; run `upx -d` to audit the program");
            writeln!(w, "  {:<10}{}", "packed", st.warn(&msg))?;
            // Why goaudit could not unpack it itself, when it tried.
            if let Some((_, why)) =
                note.and_then(|f| f.message.split_once("goaudit could not unpack it: "))
            {
                writeln!(w, "  {:<10}{why}", "hint")?;
            }
        }
        (None, _) => {}
    }

    if let Some(why) = &a.unknown {
        // The stub's headers say nothing about the program: no verdict is given.
        for label in ["linking", "cgo", "dns", "os/user"] {
            row(w, label, &st.warn("unknown"), "", st)?;
        }
        row(w, "reason", "", &why.reason, st)?;
        row(w, "fix", "", &why.fix, st)?;
        return Ok(());
    }

    let link = match a.linking.kind {
        LinkKind::Static => st.good("static"),
        LinkKind::StaticPie => st.good("static-pie"),
        LinkKind::Dynamic => st.bad("dynamic"),
        LinkKind::Unknown => st.warn("unknown"),
    };
    row(w, "linking", &link, &a.linking.evidence, st)?;
    if !a.linking.rpath.is_empty() || !a.linking.runpath.is_empty() {
        let mut paths = a.linking.rpath.clone();
        paths.extend(a.linking.runpath.iter().cloned());
        row(w, "", "", &format!("search path {}", paths.join(":")), st)?;
    }

    if a.packed.is_none() || a.unpacked {
        let setting = a
            .cgo
            .setting
            .as_deref()
            .map_or("CGO_ENABLED not recorded".to_string(), |s| {
                format!("CGO_ENABLED={s}")
            });
        let verdict = match a.cgo.linked {
            Some(true) => st.bad("linked"),
            Some(false) => st.good("not linked"),
            None => st.warn("unknown"),
        };
        row(
            w,
            "cgo",
            &verdict,
            &format!("{setting}; {}", a.cgo.evidence),
            st,
        )?;
        if let Some(n) = &a.cgo.note {
            row(w, "", "", &st.warn(n), st)?;
        }
        let dns = match a.net.resolver {
            "go" => st.good("pure Go"),
            "cgo" => st.warn("cgo"),
            other => other.to_string(),
        };
        row(w, "dns", &dns, &a.net.evidence, st)?;
        let user = match a.os_user.implementation {
            "go" => st.good("pure Go"),
            "cgo" => st.warn("cgo"),
            other => other.to_string(),
        };
        row(w, "os/user", &user, &a.os_user.evidence, st)?;

        let yn = |b: bool| if b { "yes" } else { "no" };
        let mut dbg = format!("symtab {}, DWARF {}", yn(a.symtab), yn(a.dwarf));
        if a.dwarf {
            dbg.push_str(&format!(
                " ({}{})",
                human_bytes(a.debug.dwarf_bytes),
                if a.debug.dwarf_compressed {
                    ", compressed"
                } else {
                    ""
                }
            ));
        }
        dbg.push_str(&match a.trimpath {
            Some(true) => ", trimpath yes".to_string(),
            Some(false) => format!(", trimpath no ({} build paths)", a.debug.build_path_count),
            None => ", trimpath unknown".to_string(),
        });
        let state = if a.symtab || a.dwarf {
            st.warn("unstripped")
        } else {
            st.good("stripped")
        };
        row(w, "debug", &state, &dbg, st)?;

        if let Some(v) = &a.vcs {
            let rev = v
                .revision
                .as_deref()
                .map_or("no revision".to_string(), |r| r.chars().take(12).collect());
            let dirty = match v.modified {
                Some(true) => st.warn("dirty"),
                Some(false) => st.good("clean"),
                None => "unknown".into(),
            };
            row(
                w,
                "vcs",
                &dirty,
                &format!("{} {rev}", v.system.as_deref().unwrap_or("vcs")),
                st,
            )?;
        }
    }

    if let Some(h) = &a.hardening {
        let yn = |b: bool| if b { "yes" } else { "no" };
        row(
            w,
            "hardening",
            "",
            &format!(
                "PIE {}, NX {}, RELRO {}, canary {}",
                yn(h.pie),
                yn(h.nx),
                h.relro,
                h.canary
            ),
            st,
        )?;
    }

    if let Some(bi) = &a.buildinfo {
        let main = bi
            .main
            .as_ref()
            .map_or(bi.path.clone().unwrap_or_default(), |m| {
                format!("{} {}", m.path, m.version)
            });
        if !main.is_empty() || !bi.deps.is_empty() {
            row(
                w,
                "module",
                "",
                &format!("{main}; {} dependencies", bi.deps.len()),
                st,
            )?;
        }
    }

    if a.packed.is_none() {
        let mut lines = crate::size::why::narrative(a, a.size_attribution.as_ref()).into_iter();
        if let Some(first) = lines.next() {
            row(w, "size", "", first.trim_start_matches("biggest: "), st)?;
        }
        for l in lines {
            row(w, "", "", &l, st)?;
        }
        if let Some(r) = a.size_attribution.as_ref() {
            let cov = super::coverage_lines(r);
            let first = cov[0].trim_end_matches(", per section below");
            row(w, "", "", first, st)?;
        }
    }

    if !a.nix_store_refs.is_empty() {
        row(
            w,
            "nix",
            "",
            &format!("{} store paths referenced", a.nix_store_refs.len()),
            st,
        )?;
        for r in a.nix_store_refs.iter().take(8) {
            row(
                w,
                "",
                "",
                &format!("{} ({})", r.path, r.seen_in.join(", ")),
                st,
            )?;
        }
        if a.nix_store_refs.len() > 8 {
            row(
                w,
                "",
                "",
                &format!("... and {} more", a.nix_store_refs.len() - 8),
                st,
            )?;
        }
    }
    Ok(())
}

/// How a table cell is coloured.
#[derive(Clone, Copy)]
enum Tone {
    Plain,
    Bold,
    Good,
    Warn,
    Bad,
}

/// The column of sizes, right-aligned.
const SIZE_COLUMN: usize = 2;

/// The compact report of several binaries: a header and one line per binary (path,
/// format and architecture, size, Go version, linking, cgo, DNS resolver, os/user, what
/// debug information is left). The evidence is in each binary's own report.
pub fn write_table(w: &mut dyn Write, artifacts: &[Artifact], st: &Style) -> io::Result<()> {
    let header = [
        "Path", "Format", "Size", "Go", "Linking", "Cgo", "DNS", "os/user", "Debug",
    ];
    let mut rows: Vec<Vec<(String, Tone)>> =
        vec![header.iter().map(|h| (h.to_string(), Tone::Bold)).collect()];
    rows.extend(artifacts.iter().map(table_row));
    let mut widths = vec![0usize; header.len()];
    for r in &rows {
        for (width, (cell, _)) in widths.iter_mut().zip(r) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for r in rows {
        let mut out = String::new();
        for (i, (cell, tone)) in r.into_iter().enumerate() {
            // Padded on the plain text: colour codes have no width.
            let pad = " ".repeat(widths[i] - cell.chars().count());
            let painted = match tone {
                Tone::Plain => cell,
                Tone::Bold => st.bold(&cell),
                Tone::Good => st.good(&cell),
                Tone::Warn => st.warn(&cell),
                Tone::Bad => st.bad(&cell),
            };
            if i > 0 {
                out.push_str("  ");
            }
            if i == SIZE_COLUMN {
                out.push_str(&pad);
                out.push_str(&painted);
            } else {
                out.push_str(&painted);
                out.push_str(&pad);
            }
        }
        writeln!(w, "{}", out.trim_end())?;
    }
    Ok(())
}

/// One binary's cells.
fn table_row(a: &Artifact) -> Vec<(String, Tone)> {
    use Tone::{Bad, Good, Plain, Warn};
    let mut format = format!("{} {}", a.format.name().to_uppercase(), a.arch);
    if let Some(p) = a.packed {
        format.push_str(&format!(" ({p})"));
    }
    let mut go = a.go_version.clone().unwrap_or_else(|| "unknown".into());
    if a.go_version_source == Some("inferred") {
        go.push_str(" (inferred)");
    }
    let mut cells = vec![
        (a.path.clone(), Plain),
        (format, if a.packed.is_some() { Warn } else { Plain }),
        (human_bytes(a.size), Plain),
        (go, Plain),
    ];
    let unknown = ("unknown".to_string(), Warn);
    // A packed file that was not unpacked shows the stub: no verdict about the program.
    if a.unknown.is_some() || (a.packed.is_some() && !a.unpacked) {
        cells.extend(std::iter::repeat_n(unknown, 5));
        return cells;
    }
    cells.push(match a.linking.kind {
        LinkKind::Static => ("static".into(), Good),
        LinkKind::StaticPie => ("static-pie".into(), Good),
        LinkKind::Dynamic => ("dynamic".into(), Bad),
        LinkKind::Unknown => unknown.clone(),
    });
    cells.push(match a.cgo.linked {
        Some(true) => ("linked".into(), Bad),
        Some(false) => ("no".into(), Good),
        None => unknown.clone(),
    });
    let pure = |implementation: &str| match implementation {
        "go" => ("go".to_string(), Good),
        "cgo" => ("cgo".to_string(), Warn),
        other => (other.to_string(), Plain),
    };
    cells.push(pure(a.net.resolver));
    cells.push(pure(a.os_user.implementation));
    cells.push(match (a.symtab, a.dwarf) {
        (false, false) => ("stripped".into(), Good),
        (true, true) => ("symtab, DWARF".into(), Warn),
        (true, false) => ("symtab".into(), Warn),
        (false, true) => ("DWARF".into(), Warn),
    });
    cells
}

fn row(w: &mut dyn Write, label: &str, verdict: &str, detail: &str, st: &Style) -> io::Result<()> {
    // The evidence is what the verdict rests on: printed at full contrast, only the
    // verdict is coloured.
    let _ = st;
    let label = format!("{label:<10}");
    if verdict.is_empty() {
        writeln!(w, "  {label}{detail}")
    } else if detail.is_empty() {
        writeln!(w, "  {label}{verdict}")
    } else {
        // Pad on the visible width: colour codes would throw `{:<12}` off.
        let visible = strip_ansi_len(verdict);
        let pad = " ".repeat(12usize.saturating_sub(visible));
        writeln!(w, "  {label}{verdict}{pad}{detail}")
    }
}

fn strip_ansi_len(s: &str) -> usize {
    let mut n = 0;
    let mut in_esc = false;
    for c in s.chars() {
        if in_esc {
            in_esc = c != 'm';
        } else if c == '\x1b' {
            in_esc = true;
        } else {
            n += 1;
        }
    }
    n
}
