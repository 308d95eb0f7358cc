//! Funcdata blobs: the stack maps, inline trees, defer and argument info the runtime
//! reads for each function, stored in `go:func.*` since Go 1.18.
//!
//! Each `_func` record lists its blobs as offsets from `go:func.*`
//! ([`crate::go::pclntab::FuncMeta::funcdata`]), so every blob is owned by the functions
//! that reference it, symbols or not. The blobs carry no length: sorted by address, each
//! runs to the next one. The last runs to the end of `go:func.*` when the symbol table
//! gives it; in a stripped binary nothing records that end, so it is cut at
//! [`LAST_BLOB_CAP`] bytes and the rest stays unattributed.

use crate::go::pclntab::Pclntab;

/// Longest span given to the last blob when the end of `go:func.*` is unknown. Blobs
/// are tens of bytes: a stack map is 8 bytes plus a bitmap per safe point.
pub const LAST_BLOB_CAP: u64 = 256;

/// Largest gap between two consecutive blob starts taken as one blob. Blobs are laid out
/// back to back; a wider gap means the references are not what they seem, and the span
/// is cut at the cap instead.
const MAX_BLOB: u64 = 1 << 20;

/// `(start, end, package)` virtual-address ranges of the blobs of Go 1.18+ `p`, in
/// address order. The package is the one every referencing function shares (from
/// `func_pkgs`, parallel to `p.funcs`), or None for blobs functions of several packages
/// share (the linker deduplicates identical blobs). `region_end` is the end of
/// `go:func.*` when the symbol table gives it; `bound` an address no blob may reach
/// past (the end of the pclntab holding `go:func.*`), when known.
pub fn blobs<'a>(
    p: &Pclntab,
    func_pkgs: &'a [String],
    region_end: Option<u64>,
    bound: Option<u64>,
) -> Vec<(u64, u64, Option<&'a str>)> {
    let Some(base) = p.gofunc else {
        return Vec::new();
    };
    let mut refs: Vec<(u64, u32)> = p
        .funcs
        .iter()
        .enumerate()
        .flat_map(|(i, f)| {
            f.meta
                .funcdata
                .iter()
                .filter(move |&&a| a >= base && region_end.is_none_or(|e| a < e))
                .map(move |&a| (a, i as u32))
        })
        .collect();
    refs.sort_unstable();
    let mut out: Vec<(u64, u64, Option<&'a str>)> = Vec::new();
    let mut k = 0;
    while k < refs.len() {
        let addr = refs[k].0;
        let mut pkg = func_pkgs.get(refs[k].1 as usize).map(String::as_str);
        let mut j = k;
        while j < refs.len() && refs[j].0 == addr {
            let other = func_pkgs.get(refs[j].1 as usize).map(String::as_str);
            if other != pkg {
                pkg = None;
            }
            j += 1;
        }
        let end = match refs.get(j) {
            Some(&(next, _)) if next - addr <= MAX_BLOB => next,
            Some(_) => addr.saturating_add(LAST_BLOB_CAP),
            None => region_end
                .filter(|&e| e > addr && e - addr <= MAX_BLOB)
                .unwrap_or(addr.saturating_add(LAST_BLOB_CAP)),
        };
        let end = bound.map_or(end, |b| end.min(b.max(addr)));
        if end > addr {
            out.push((addr, end, pkg));
        }
        k = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::go::pclntab::{Func, FuncMeta};

    fn func(name: &str, funcdata: &[u64]) -> Func {
        Func {
            name: name.into(),
            entry: 0,
            end: 0,
            meta: FuncMeta {
                funcdata: funcdata.to_vec(),
                ..Default::default()
            },
        }
    }

    #[test]
    fn blobs_run_to_the_next_and_shared_ones_have_no_package() {
        let p = Pclntab {
            funcs: vec![
                func("a.F", &[0x1000, 0x1010]),
                func("b.G", &[0x1010, 0x1030]),
                func("a.H", &[0x1040, 0x0800]),
            ],
            gofunc: Some(0x1000),
            ..Default::default()
        };
        let pkgs: Vec<String> = ["a", "b", "a"].iter().map(|s| s.to_string()).collect();
        assert_eq!(
            blobs(&p, &pkgs, None, None),
            [
                (0x1000, 0x1010, Some("a")),
                (0x1010, 0x1030, None),
                (0x1030, 0x1040, Some("b")),
                (0x1040, 0x1040 + LAST_BLOB_CAP, Some("a")),
            ]
        );
        // With the symbol's end the last blob runs to it.
        assert_eq!(
            blobs(&p, &pkgs, Some(0x1048), None).last(),
            Some(&(0x1040, 0x1048, Some("a")))
        );
        // A bound cuts the capped last blob.
        assert_eq!(
            blobs(&p, &pkgs, None, Some(0x1050)).last(),
            Some(&(0x1040, 0x1050, Some("a")))
        );
        // Refs far apart are not one blob: the first is cut at the cap.
        let far = Pclntab {
            funcs: vec![func("a.F", &[0x1000, 0x1000 + 2 * MAX_BLOB])],
            gofunc: Some(0x1000),
            ..Default::default()
        };
        assert_eq!(
            blobs(&far, &pkgs, None, None)[0],
            (0x1000, 0x1000 + LAST_BLOB_CAP, Some("a"))
        );
        // Without go:func.* nothing is claimed.
        let none = Pclntab { gofunc: None, ..p };
        assert!(blobs(&none, &pkgs, None, None).is_empty());
    }
}
