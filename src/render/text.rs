//! The human audit report: one short block per binary, verdict first, evidence after.

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
