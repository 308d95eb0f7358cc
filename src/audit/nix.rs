//! `/nix/store/<hash>-<name>` references: what a Nix-built image must ship with a binary.
//!
//! Nix decides a closure by scanning output bytes for store hashes; this does the same
//! scan on the binary, so the references goaudit lists are the ones Nix would follow.

use serde::Serialize;

use crate::binary::Binary;
use crate::binary::elf::ElfLinking;

/// One referenced store path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreRef {
    /// `/nix/store/<32-char hash>-<name>`.
    pub path: String,
    /// Where it was seen: `interpreter`, `rpath`, `runpath`, `data`.
    pub seen_in: Vec<&'static str>,
    /// Number of occurrences in the file bytes.
    pub occurrences: usize,
}

const PREFIX: &[u8] = b"/nix/store/";
/// nix-base32 omits e, o, u and t.
const NIX_BASE32: &[u8] = b"0123456789abcdfghijklmnpqrsvwxyz";
/// A hostile file could hold millions of references; the report needs far fewer.
const MAX_REFS: usize = 4096;

/// Scan a binary for store paths and tag those the loader will open.
///
/// Go keeps paths in its read-only data, the pclntab file table and the loader strings;
/// code, symbol tables and DWARF are skipped because reading them would fault in the
/// whole file, which is most of an audit's cost on a large binary. A file without section
/// headers is scanned over the span its loadable segments describe (whole without them).
pub fn scan(bin: &Binary<'_>, files: &[String], elf: Option<&ElfLinking>) -> Vec<StoreRef> {
    let regions: Vec<&[u8]> = if bin.sections.is_empty() {
        // Only the span the loadable segments describe, not the whole file: a huge
        // sparse tail behind valid program headers would otherwise take minutes.
        let start = bin.segments.iter().map(|s| s.file_range.0).min();
        let end = bin
            .segments
            .iter()
            .map(|s| s.file_range.0.saturating_add(s.file_range.1))
            .max();
        match (start, end) {
            (Some(s), Some(e)) => {
                let e = e.min(bin.data.len() as u64) as usize;
                vec![bin.data.get(s as usize..e).unwrap_or(&[])]
            }
            _ => vec![bin.data],
        }
    } else {
        bin.sections
            .iter()
            .filter(|s| s.alloc && !s.executable && !s.name.ends_with("gopclntab"))
            .filter_map(|s| bin.section_data(s))
            .collect()
    };
    scan_regions(&regions, files, elf)
}

/// Scan byte regions and file names for store paths, then tag the loader's.
pub fn scan_regions(
    regions: &[&[u8]],
    files: &[String],
    elf: Option<&ElfLinking>,
) -> Vec<StoreRef> {
    let mut refs: Vec<StoreRef> = Vec::new();
    let mut add = |path: String| {
        if let Some(r) = refs.iter_mut().find(|r| r.path == path) {
            r.occurrences += 1;
        } else if refs.len() < MAX_REFS {
            refs.push(StoreRef {
                path,
                seen_in: vec!["data"],
                occurrences: 1,
            });
        }
    };
    for data in regions {
        for pos in memchr::memmem::find_iter(data, PREFIX) {
            if let Some(path) = store_path_at(&data[pos..]) {
                add(path);
            }
        }
    }
    for f in files {
        if let Some(i) = f.find("/nix/store/")
            && let Some(path) = store_path_at(&f.as_bytes()[i..])
        {
            add(path);
        }
    }
    if let Some(e) = elf {
        let mut tag = |s: &str, what: &'static str| {
            if let Some(p) = store_path_at(s.as_bytes())
                && let Some(r) = refs.iter_mut().find(|r| r.path == p)
                && !r.seen_in.contains(&what)
            {
                r.seen_in.insert(0, what);
            }
        };
        if let Some(i) = &e.interpreter {
            tag(i, "interpreter");
        }
        for p in e.rpath.iter().flat_map(|r| r.split(':')) {
            tag(p, "rpath");
        }
        for p in e.runpath.iter().flat_map(|r| r.split(':')) {
            tag(p, "runpath");
        }
    }
    refs.sort_by(|a, b| a.path.cmp(&b.path));
    refs
}

/// Parse `/nix/store/<hash>-<name>` at the start of `b`.
pub fn store_path_at(b: &[u8]) -> Option<String> {
    let rest = b.strip_prefix(PREFIX)?;
    let hash = rest.get(..32)?;
    if !hash.iter().all(|c| NIX_BASE32.contains(c)) || rest.get(32) != Some(&b'-') {
        return None;
    }
    let name_len = rest[33..]
        .iter()
        .take(211)
        .take_while(|c| c.is_ascii_alphanumeric() || b"+-._?=".contains(c))
        .count();
    if name_len == 0 {
        return None;
    }
    Some(String::from_utf8_lossy(&b[..PREFIX.len() + 33 + name_len]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Built at run time so that this test binary's own data holds no store path.
    fn glibc() -> String {
        format!(
            "/nix/{}/0vvk9y3bzvc4l2vx3hyyxhhm4b0xaxgd-glibc-2.40-66",
            "store"
        )
    }

    #[test]
    fn finds_and_dedups() {
        let glibc = glibc();
        let data = format!("xx{glibc}/lib/ld-linux-x86-64.so.2\0/nix/store/short-x\0");
        let files = vec![format!("{glibc}/lib")];
        let elf = ElfLinking {
            interpreter: Some(format!("{glibc}/lib/ld-linux-x86-64.so.2")),
            ..Default::default()
        };
        let refs = scan_regions(&[data.as_bytes()], &files, Some(&elf));
        assert_eq!(refs.len(), 1);
        assert_eq!(refs[0].path, glibc);
        assert_eq!(refs[0].occurrences, 2);
        assert_eq!(refs[0].seen_in, vec!["interpreter", "data"]);
    }

    #[test]
    fn rejects_bad_hashes() {
        // 'e' is not in nix-base32.
        assert!(store_path_at(b"/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-x").is_none());
        assert!(store_path_at(b"/nix/store/0vvk9y3bzvc4l2vx3hyyxhhm4b0xaxgd-").is_none());
        assert!(store_path_at(b"/nix/store/0vvk").is_none());
    }
}
