//! The "why": what the biggest owners are and what each removable part would save.
//!
//! Savings are measured from the attribution where the part is a set of bytes in this
//! file (DWARF, the symbol table, cgo's code and dynamic-linking tables). Two are
//! estimates and say so: `-trimpath` (shorter file names in the pclntab and DWARF) and
//! UPX (its ratio on stripped Go binaries, measured at 28–33% with `--lzma`).

use super::SizeReport;
use crate::audit::Artifact;
use crate::finding::Code;
use crate::render::human_bytes;

/// Bytes that a `CGO_ENABLED=0` build would not carry: runtime/cgo, C code, and the
/// dynamic-linking tables (interpreter, `.dynsym`, PLT/GOT).
pub fn cgo_saving(rep: &SizeReport) -> u64 {
    rep.by_package
        .iter()
        .filter(|p| {
            // `C: <origin>` is C code named after its library (see `cnames`).
            p.name == "runtime/cgo"
                || p.name == "C"
                || p.name.starts_with("C: ")
                || p.name == "[dynamic linking]"
        })
        .map(|p| p.bytes)
        .sum()
}

/// Estimated bytes `-trimpath` saves: each absolute source path shrinks to its
/// module-relative form (`/usr/local/go/src/net/http/server.go` → `net/http/server.go`).
/// Paths appear once in the pclntab file table and once more in DWARF when present.
pub fn trimpath_saving(build_paths: &[String], dwarf: bool) -> u64 {
    let per_copy: u64 = build_paths
        .iter()
        .map(|p| {
            let cut = ["/src/", "/pkg/mod/"]
                .iter()
                .filter_map(|m| p.find(m).map(|i| i + m.len()))
                .max();
            cut.unwrap_or(0) as u64
        })
        .sum();
    if dwarf { per_copy * 2 } else { per_copy }
}

/// UPX with `--lzma` leaves about 30% of a stripped Go binary (measured range 28–33%).
pub fn upx_estimate(stripped_size: u64) -> u64 {
    stripped_size - stripped_size * 30 / 100
}

/// Short sentences explaining the size: the biggest owners, then each removable part with
/// its saving, largest first.
/// Without a size report (the fast audit) the owners line is replaced by a pointer to
/// `goaudit size`, and the savings are those measured from the section table.
pub fn narrative(a: &Artifact, rep: Option<&SizeReport>) -> Vec<String> {
    let mut out = Vec::new();
    let total = rep.map_or(a.size, |r| r.total).max(1);
    let pct = |b: u64| b as f64 * 100.0 / total as f64;
    match rep {
        Some(rep) => {
            let top: Vec<String> = rep
                .by_module
                .iter()
                .take(3)
                .map(|m| format!("{} {} ({:.0}%)", m.name, human_bytes(m.bytes), pct(m.bytes)))
                .collect();
            if !top.is_empty() {
                out.push(format!("biggest: {}", top.join(", ")));
            }
        }
        None => out.push(format!(
            "{}; `goaudit size` shows where every byte goes",
            human_bytes(a.size)
        )),
    }
    let mut removable: Vec<(u64, String)> = a
        .findings
        .iter()
        .filter_map(|f| {
            let s = f.saving.filter(|&s| s > 0)?;
            let how = match f.id {
                Code::DwarfPresent => "DWARF: -ldflags=-w (or strip)",
                Code::SymtabPresent => "symbol table: -ldflags=-s (or strip)",
                Code::NoTrimpath => "build paths: -trimpath (estimate)",
                Code::CgoLinked => "runtime/cgo, C code and dynamic-linking tables: CGO_ENABLED=0",
                _ => return None,
            };
            Some((
                s,
                format!("{how} saves {} ({:.1}%)", human_bytes(s), pct(s)),
            ))
        })
        .collect();
    removable.sort_by_key(|r| std::cmp::Reverse(r.0));
    let removable_bytes: u64 = removable.iter().map(|r| r.0).sum();
    out.extend(removable.into_iter().map(|r| r.1));
    if a.packed.is_none() && a.format == crate::binary::Format::Elf && !a.linking_is_pie() {
        let stripped = total.saturating_sub(removable_bytes);
        out.push(format!(
            "UPX --lzma would save about {} more (estimate: packed Go binaries keep ~30%; costs startup time and memory)",
            human_bytes(upx_estimate(stripped))
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimpath_estimate_cuts_goroot_and_modcache_prefixes() {
        let paths = vec![
            "/usr/local/go/src/net/http/server.go".to_string(),
            "/root/go/pkg/mod/github.com/x/y@v1.0.0/y.go".to_string(),
            "/home/me/app/main.go".to_string(),
        ];
        assert_eq!(
            trimpath_saving(&paths, false),
            ("/usr/local/go/src/".len() + "/root/go/pkg/mod/".len()) as u64
        );
        assert_eq!(
            trimpath_saving(&paths, true),
            2 * trimpath_saving(&paths, false)
        );
    }
}
