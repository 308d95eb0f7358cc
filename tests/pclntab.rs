//! goaudit's pclntab reader against the Go toolchain's own: for every binary we can get
//! (the corpus of Go 1.13–1.24 binaries from scripts/corpus.sh, the local toolchain's
//! programs, the test-binary matrix, and cross/PIE builds made here), the function list
//! (name, entry, end) and the file table must equal what debug/gosym reads, exactly.
//!
//! debug/gosym's view comes from tests/tools/gosymdump (stdlib only), built here with the
//! machine's `go`. goaudit's view comes from the hidden `goaudit debug-pclntab`, which
//! prints the same line format.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Scratch directory for this test file's builds: `target/pclntab-test`.
fn work_dir() -> PathBuf {
    let d = support::testbins_dir()
        .parent()
        .expect("target dir")
        .join("pclntab-test");
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("cannot create {}: {e}", d.display()));
    d
}

/// One side's view: the `#` header line, function lines, file lines, and the source
/// file of each function's entry.
#[derive(Debug)]
struct View {
    header: String,
    funcs: Vec<String>,
    files: Vec<String>,
    entry_files: Vec<String>,
}

fn split(text: &str) -> View {
    let mut v = View {
        header: String::new(),
        funcs: Vec::new(),
        files: Vec::new(),
        entry_files: Vec::new(),
    };
    for l in text.lines() {
        if let Some(rest) = l.strip_prefix("F ") {
            v.funcs.push(rest.to_string());
        } else if let Some(rest) = l.strip_prefix("P ") {
            v.files.push(rest.to_string());
        } else if let Some(rest) = l.strip_prefix("S ") {
            v.entry_files.push(rest.to_string());
        } else if v.header.is_empty() && l.starts_with("# magic") {
            v.header = l.to_string();
        }
    }
    v
}

/// goaudit's view, or `None` when it reports no pclntab.
fn goaudit_view(path: &Path, scan: bool) -> Result<Option<View>, String> {
    let mut cmd = support::goaudit();
    cmd.arg("debug-pclntab");
    if scan {
        cmd.arg("--scan");
    }
    let o = cmd.arg(path).output().map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&o.stderr);
    if o.status.success() {
        return Ok(Some(split(&String::from_utf8_lossy(&o.stdout))));
    }
    if stderr.contains("no pclntab found") {
        return Ok(None);
    }
    Err(format!("goaudit failed: {}", stderr.trim()))
}

enum Truth {
    View(View),
    /// gosymdump found no pclntab (exit 3).
    None,
    /// debug/gosym could not decode it.
    Unreadable(String),
}

fn gosym_view(path: &Path) -> Truth {
    let o = Command::new(support::gosymdump())
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run gosymdump: {e}"));
    match o.status.code() {
        Some(0) => Truth::View(split(&String::from_utf8_lossy(&o.stdout))),
        Some(3) => Truth::None,
        _ => Truth::Unreadable(String::from_utf8_lossy(&o.stderr).trim().to_string()),
    }
}

/// Function symbols `go tool nm` lists: (address, name).
fn nm_funcs(path: &Path) -> Result<BTreeSet<(u64, String)>, String> {
    let o = Command::new(support::go_binary())
        .args(["tool", "nm"])
        .arg(path)
        .output()
        .map_err(|e| e.to_string())?;
    if !o.status.success() {
        return Err(String::from_utf8_lossy(&o.stderr).trim().to_string());
    }
    Ok(String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let addr = u64::from_str_radix(it.next()?, 16).ok()?;
            let kind = it.next()?;
            let name = it.next()?;
            matches!(kind, "T" | "t").then(|| (addr, name.to_string()))
        })
        .collect())
}

/// Compare goaudit's reading of `path` with debug/gosym's reading of `reference` (the same
/// file, or its unstripped original when `path` is a stripped copy). Returns the
/// `# magic` line of goaudit's output.
fn compare(path: &Path, reference: &Path, scan: bool) -> Result<String, String> {
    let mode = if scan { " (--scan)" } else { "" };
    let ours = goaudit_view(path, scan).map_err(|e| format!("{}{mode}: {e}", path.display()))?;
    match (gosym_view(reference), ours) {
        (Truth::None, None) => Ok("no pclntab (both)".into()),
        (Truth::None, Some(v)) => Err(format!(
            "{}{mode}: goaudit found a pclntab ({}) where gosymdump found none",
            path.display(),
            v.header
        )),
        (Truth::View(t), None) => Err(format!(
            "{}{mode}: goaudit found no pclntab; debug/gosym reads {} functions",
            path.display(),
            t.funcs.len()
        )),
        (Truth::View(t), Some(v)) => {
            let mut errs = Vec::new();
            if t.funcs.is_empty() {
                errs.push("debug/gosym returned no functions".to_string());
            }
            diff("function", &t.funcs, &v.funcs, &mut errs);
            diff("file", &t.files, &v.files, &mut errs);
            diff("entry file", &t.entry_files, &v.entry_files, &mut errs);
            if errs.is_empty() {
                Ok(v.header)
            } else {
                Err(format!(
                    "{}{mode} vs debug/gosym on {}:\n  gosym:   {}\n  goaudit: {}\n  {}",
                    path.display(),
                    reference.display(),
                    t.header,
                    v.header,
                    errs.join("\n  ")
                ))
            }
        }
        (Truth::Unreadable(why), ours) => {
            // debug/gosym gave up; fall back to the symbol table where there is one.
            eprintln!(
                "note: debug/gosym cannot read {} ({why}); comparing with `go tool nm`",
                reference.display()
            );
            let v =
                ours.ok_or_else(|| format!("{}{mode}: goaudit found no pclntab", path.display()))?;
            let nm = nm_funcs(reference).map_err(|e| {
                format!(
                    "{}: neither debug/gosym nor go tool nm can read it: {e}",
                    reference.display()
                )
            })?;
            let missing: Vec<_> = v
                .funcs
                .iter()
                .filter_map(|l| {
                    let mut it = l.splitn(3, ' ');
                    let entry = u64::from_str_radix(it.next()?, 16).ok()?;
                    let name = it.nth(1)?.to_string();
                    (!nm.contains(&(entry, name.clone()))).then_some(l.clone())
                })
                .take(10)
                .collect();
            if missing.is_empty() {
                Ok(v.header)
            } else {
                Err(format!(
                    "{}{mode}: not in go tool nm: {missing:?}",
                    path.display()
                ))
            }
        }
    }
}

fn diff(what: &str, want: &[String], got: &[String], errs: &mut Vec<String>) {
    if want == got {
        return;
    }
    errs.push(format!(
        "{what} count: gosym {} goaudit {}",
        want.len(),
        got.len()
    ));
    let mut shown = 0;
    for i in 0..want.len().max(got.len()) {
        let (w, g) = (want.get(i), got.get(i));
        if w != g {
            errs.push(format!("  [{i}] gosym {w:?} goaudit {g:?}"));
            shown += 1;
            if shown == 5 {
                break;
            }
        }
    }
}

/// Compare every `(path, reference)` with and without `--scan`; panic listing all failures.
fn check_all(items: &[(PathBuf, PathBuf)]) -> Vec<String> {
    assert!(!items.is_empty(), "nothing to check");
    let mut failures = Vec::new();
    let mut headers = Vec::new();
    for (path, reference) in items {
        for scan in [false, true] {
            match compare(path, reference, scan) {
                Ok(h) => {
                    if !scan {
                        headers.push(h);
                    }
                }
                Err(e) => failures.push(e),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} comparisons failed:\n{}",
        failures.len(),
        items.len() * 2,
        failures.join("\n")
    );
    headers
}

fn same(p: PathBuf) -> (PathBuf, PathBuf) {
    (p.clone(), p)
}

/// The pclntab magic a Go release writes, from `goX.Y[.Z]`.
fn expected_magic(goversion: &str) -> &'static str {
    let minor: u32 = goversion
        .trim_start_matches("go1.")
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or_else(|| panic!("cannot parse Go version {goversion:?}"));
    match minor {
        2..=15 => "0xfffffffb",
        16..=17 => "0xfffffffa",
        18..=19 => "0xfffffff0",
        _ => "0xfffffff1",
    }
}

#[test]
fn corpus_of_go_versions_matches_debug_gosym() {
    let rows: Vec<(String, String, PathBuf)> = support::corpus()
        .into_iter()
        .map(|e| (e.go, e.format, e.path))
        .collect();
    let items: Vec<_> = rows.iter().map(|(_, _, p)| same(p.clone())).collect();
    let headers = check_all(&items);
    // The header generation goaudit reports must be the one the binary's Go release
    // writes, as `go version` (buildinfo) names it.
    let mut covered = BTreeSet::new();
    for ((gv, fmt, path), h) in rows.iter().zip(&headers) {
        let want = expected_magic(gv);
        assert!(
            h.starts_with(&format!("# magic {want} ")),
            "{}: {gv} should have magic {want}, goaudit says {h}",
            path.display()
        );
        covered.insert((want, fmt.as_str()));
    }
    for want in [
        ("0xfffffffb", "elf"),
        ("0xfffffffb", "macho"),
        ("0xfffffffb", "pe"),
        ("0xfffffffa", "elf"),
        ("0xfffffffa", "macho"),
        ("0xfffffffa", "pe"),
        ("0xfffffff0", "elf"),
        ("0xfffffff0", "macho"),
        ("0xfffffff1", "elf"),
        ("0xfffffff1", "macho"),
        ("0xfffffff1", "pe"),
    ] {
        assert!(
            covered.contains(&want),
            "corpus lacks {want:?}; has {covered:?}"
        );
    }
}

#[test]
fn local_toolchain_binaries_match_debug_gosym() {
    let items: Vec<_> = support::go_toolchain_binaries()
        .into_iter()
        .map(same)
        .collect();
    check_all(&items);
}

#[test]
fn test_binary_matrix_matches_debug_gosym() {
    let names = support::testbin_names();
    let items: Vec<_> = names.iter().map(|n| same(support::testbin(n))).collect();
    check_all(&items);
}

/// Build the tiny program in `work_dir()/src` with `env` and `args` into `out`.
fn go_build(out: &Path, env: &[(&str, &str)], args: &[&str]) {
    let src = work_dir().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("go.mod"),
        "module example.com/pclntabtest\n\ngo 1.21\n",
    )
    .unwrap();
    std::fs::write(
        src.join("main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() { fmt.Println(\"hi\", len(os.Args)) }\n",
    )
    .unwrap();
    let mut cmd = Command::new(support::go_binary());
    cmd.current_dir(&src)
        .env("CGO_ENABLED", "0")
        .env("GOFLAGS", "-buildvcs=false");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd
        .arg("build")
        .args(args)
        .arg("-o")
        .arg(out)
        .arg(".")
        .output()
        .expect("cannot run go build");
    assert!(
        o.status.success(),
        "go build {args:?} {env:?} failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn strip_copy(src: &Path) -> PathBuf {
    let strip = support::require_tool("strip", "apt-get install -y binutils");
    let dst = PathBuf::from(format!("{}-stripped", src.display()));
    std::fs::copy(src, &dst).unwrap();
    let o = Command::new(strip)
        .arg("--strip-all")
        .arg(&dst)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "strip {}: {}",
        dst.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    dst
}

fn located(path: &Path, scan: bool) -> String {
    goaudit_view(path, scan)
        .unwrap()
        .unwrap_or_else(|| panic!("{}: no pclntab", path.display()))
        .header
}

#[test]
fn cross_compiled_and_pie_builds_match_debug_gosym() {
    support::require_tool("gcc", "apt-get install -y gcc (external linking needs it)");
    let w = work_dir().join("cross");
    std::fs::create_dir_all(&w).unwrap();
    let mut items = Vec::new();
    // Every pointer size, both byte orders, quantum 1/2/4, all three formats.
    for t in [
        "linux/386",
        "linux/arm",
        "linux/arm64",
        "linux/s390x",
        "linux/ppc64",
        "linux/mips",
        "linux/riscv64",
        "darwin/amd64",
        "windows/386",
        "windows/arm64",
    ] {
        let (os, arch) = t.split_once('/').unwrap();
        let out = w.join(format!("x-{os}-{arch}"));
        go_build(&out, &[("GOOS", os), ("GOARCH", arch)], &[]);
        items.push(same(out));
    }
    // Stripped PE: no symbols, so only the magic scan finds it.
    let win_sw = w.join("win-sw.exe");
    go_build(
        &win_sw,
        &[("GOOS", "windows"), ("GOARCH", "amd64")],
        &["-ldflags=-s -w"],
    );
    items.push(same(win_sw.clone()));
    // PIE, internal and external linking, and stripped copies (compared with the
    // unstripped original, whose addresses they share).
    let intpie = w.join("intpie");
    go_build(&intpie, &[], &["-buildmode=pie"]);
    let extpie = w.join("extpie");
    go_build(
        &extpie,
        &[("CGO_ENABLED", "1")],
        &["-buildmode=pie", "-ldflags=-linkmode=external"],
    );
    let extpie_s = strip_copy(&extpie);
    items.push(same(intpie));
    items.push(same(extpie.clone()));
    items.push((extpie_s, extpie));
    check_all(&items);
    assert!(
        located(&win_sw, false).contains("located scan "),
        "{}",
        located(&win_sw, false)
    );
}

/// An older linker merges the pclntab of an external-link PIE into `.data.rel.ro`
/// without a section of its own; stripped, only the scan finds it. Go 1.22 (a corpus
/// toolchain, already in the module cache) does this; Go 1.26 no longer does.
#[test]
fn external_link_pie_without_pclntab_section_is_found_by_scan() {
    support::require_tool("gcc", "apt-get install -y gcc (external linking needs it)");
    support::corpus(); // makes sure the go1.22.0 toolchain module is in the module cache
    let w = work_dir().join("go122");
    std::fs::create_dir_all(&w).unwrap();
    let env = [("GOTOOLCHAIN", "go1.22.0"), ("CGO_ENABLED", "1")];
    let extpie = w.join("extpie");
    go_build(
        &extpie,
        &env,
        &["-buildmode=pie", "-ldflags=-linkmode=external"],
    );
    let intpie = w.join("intpie");
    go_build(&intpie, &[("GOTOOLCHAIN", "go1.22.0")], &["-buildmode=pie"]);
    let stripped = strip_copy(&extpie);
    check_all(&[
        same(intpie.clone()),
        same(extpie.clone()),
        (stripped.clone(), extpie.clone()),
    ]);
    let h = located(&intpie, false);
    assert!(h.contains("located section:.data.rel.ro.gopclntab "), "{h}");
    let h = located(&stripped, false);
    assert!(h.contains("located scan "), "{h}");

    // Some linkers leave the PIE's textStart word zero on disk and let the
    // R_X86_64_RELATIVE relocation fill it in; goaudit must then take the addend.
    let data = std::fs::read(&stripped).unwrap();
    let out = support::goaudit()
        .args(["debug-pclntab"])
        .arg(&stripped)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let off = text
        .lines()
        .find_map(|l| {
            l.split(" offset ")
                .nth(1)?
                .split_whitespace()
                .next()
                .map(str::to_string)
        })
        .expect("offset in goaudit's header");
    let off = usize::from_str_radix(off.trim_start_matches("0x"), 16).unwrap();
    let field = off + 8 + 2 * 8;
    assert_ne!(
        &data[field..field + 8],
        &[0u8; 8],
        "textStart already zero on disk"
    );
    let mut zeroed = data.clone();
    zeroed[field..field + 8].fill(0);
    let zpath = w.join("extpie-stripped-zero-textstart");
    std::fs::write(&zpath, zeroed).unwrap();
    check_all(&[(zpath, extpie)]);
}

/// Per-function byte ranges (`Func::meta`) must lie in their regions, records must not
/// overlap, and together they must account for (nearly) all of the record and pc-table
/// regions: the size-attribution engineer sums them.
#[test]
fn function_byte_ranges_partition_their_regions() {
    use goaudit::binary::Binary;
    use goaudit::go::pclntab::{self, Span, Version};
    let mut paths: Vec<PathBuf> = support::corpus().into_iter().map(|e| e.path).collect();
    paths.push(support::testbin("netuser-default"));
    paths.push(support::testbin("netuser-windows-amd64.exe"));
    let inside = |s: Span, r: Span| s.0 >= r.0 && s.0 + s.1 <= r.0 + r.1;
    let mut report = Vec::new();
    for p in &paths {
        let data = std::fs::read(p).unwrap();
        let bin = Binary::parse(&data).unwrap();
        let t = pclntab::find(&bin).unwrap().expect("pclntab");
        let r = &t.regions;
        let mut recs: Vec<Span> = t.funcs.iter().map(|f| f.meta.record).collect();
        recs.sort_unstable();
        for w in recs.windows(2) {
            assert!(
                w[0].0 + w[0].1 <= w[1].0,
                "{}: records overlap {w:?}",
                p.display()
            );
        }
        let mut tables = BTreeSet::new();
        for f in &t.funcs {
            let m = &f.meta;
            assert!(
                inside(m.record, r.funcdata),
                "{}: {} record {:?} outside {:?}",
                p.display(),
                f.name,
                m.record,
                r.funcdata
            );
            let names = r.funcnametab.unwrap_or((0, t.len));
            assert!(
                inside(m.name, names),
                "{}: {} name outside",
                p.display(),
                f.name
            );
            let pct = r.pctab.unwrap_or((0, t.len));
            for s in [m.pcsp, m.pcfile, m.pcln]
                .into_iter()
                .flatten()
                .chain(m.pcdata.iter().copied())
            {
                assert!(
                    inside(s, pct),
                    "{}: {} pc table {s:?} outside {pct:?}",
                    p.display(),
                    f.name
                );
                tables.insert(s);
            }
        }
        let rec_bytes: u64 = recs.iter().map(|s| s.1).sum();
        let tab_bytes: u64 = tables.iter().map(|s| s.1).sum();
        let pct_len = r.pctab.map_or(0, |s| s.1);
        report.push(format!(
            "{} {:?}: records {rec_bytes}/{} pc tables {tab_bytes}/{pct_len}",
            p.display(),
            t.version,
            r.funcdata.1
        ));
        if t.version != Version::V12 {
            assert!(
                rec_bytes * 100 >= r.funcdata.1 * 95,
                "{}: records cover too little",
                p.display()
            );
            assert!(
                tab_bytes * 100 >= pct_len * 95,
                "{}: pc tables cover too little",
                p.display()
            );
        }
    }
    eprintln!("{}", report.join("\n"));
}

/// A real pclntab, truncated or with bytes overwritten, decodes to an error or to
/// something, but never panics; truncated before its last record it is always an error.
#[test]
fn damaged_real_pclntabs_never_panic() {
    use goaudit::binary::Binary;
    use goaudit::go::pclntab;
    for name in ["netuser-default", "netuser-darwin-arm64"] {
        let data = std::fs::read(support::testbin(name)).unwrap();
        let bin = Binary::parse(&data).unwrap();
        let t = pclntab::find(&bin).unwrap().expect("pclntab");
        let off = t.file_offset.unwrap() as usize;
        let tab = &data[off..off + t.len as usize];
        let last_record = t.funcs.iter().map(|f| f.meta.record.0).max().unwrap() as usize;
        for i in 0..30 {
            let cut = last_record * i / 30;
            assert!(
                pclntab::parse(&tab[..cut], t.text_start).is_err(),
                "{name}: truncated to {cut} bytes still decodes"
            );
        }
        // A fixed-seed xorshift picks where to write which byte.
        let mut x: u64 = 0x9e3779b97f4a7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..60 {
            let mut m = tab.to_vec();
            for _ in 0..4 {
                // Half the writes hit the header and functab, where offsets live.
                let span = if next() % 2 == 0 {
                    256.min(m.len())
                } else {
                    m.len()
                };
                let at = (next() % span as u64) as usize;
                m[at] = next() as u8;
            }
            let _ = pclntab::parse(&m, t.text_start);
        }
    }
}

/// `find_names` (the audit's fast path, without per-function spans) reads the same
/// functions, files and regions as `find`.
#[test]
fn names_only_reading_agrees_with_full_reading() {
    use goaudit::binary::Binary;
    use goaudit::go::pclntab;
    for name in [
        "netuser-default",
        "netuser-windows-amd64.exe",
        "netuser-darwin-arm64",
    ] {
        let data = std::fs::read(support::testbin(name)).unwrap();
        let bin = Binary::parse(&data).unwrap();
        let full = pclntab::find(&bin).unwrap().expect("pclntab");
        let fast = pclntab::find_names(&bin).unwrap().expect("pclntab");
        let key = |t: &pclntab::Pclntab| -> Vec<(String, u64, u64)> {
            t.funcs
                .iter()
                .map(|f| (f.name.clone(), f.entry, f.end))
                .collect()
        };
        assert_eq!(key(&full), key(&fast), "{name}");
        assert_eq!(full.files, fast.files, "{name}");
        assert_eq!(full.regions, fast.regions, "{name}");
        assert_eq!(
            (full.len, full.file_offset),
            (fast.len, fast.file_offset),
            "{name}"
        );
        assert!(fast.funcs.iter().all(|f| f.meta == Default::default()));
        // The regions partition the table: contiguous from 0 to len.
        let r = &full.regions;
        let spans = [
            Some(r.header),
            r.funcnametab,
            r.cutab,
            Some(r.filetab),
            r.pctab,
            Some(r.functab),
            Some(r.funcdata),
            r.gofunc,
        ];
        let mut at = 0;
        for s in spans.into_iter().flatten() {
            assert_eq!(s.0, at, "{name}: regions {r:?} not contiguous");
            at = s.0 + s.1;
        }
        assert_eq!(
            at, full.len,
            "{name}: regions {r:?} do not reach len {}",
            full.len
        );
    }
}

/// Funcdata references resolve to addresses in read-only data; for Go 1.18+ the base
/// goaudit finds in `runtime.firstmoduledata` is the `go:func.*` symbol, and every
/// reference lies after it in the same section.
#[test]
fn funcdata_references_resolve_into_go_func() {
    use goaudit::binary::Binary;
    use goaudit::go::pclntab::{self, Version};
    let mut paths: Vec<PathBuf> = support::corpus().into_iter().map(|e| e.path).collect();
    paths.push(support::testbin("netuser-default"));
    paths.push(support::testbin("netuser-darwin-arm64"));
    paths.push(support::testbin("netuser-windows-amd64.exe"));
    let mut checked = BTreeSet::new();
    for p in &paths {
        let data = std::fs::read(p).unwrap();
        let bin = Binary::parse(&data).unwrap();
        // `_go.func.*`: Mach-O symbols of Go 1.16 and older carry the C underscore.
        let sym = ["go:func.*", "go.func.*", "_go.func.*"]
            .into_iter()
            .find_map(|n| bin.symbol(n));
        let Some(sym) = sym else {
            continue; // stripped: nothing independent to compare with
        };
        let t = pclntab::find(&bin).unwrap().expect("pclntab");
        let refs: Vec<u64> = t
            .funcs
            .iter()
            .flat_map(|f| f.meta.funcdata.iter().copied())
            .collect();
        assert!(!refs.is_empty(), "{}: no funcdata resolved", p.display());
        for &a in &refs {
            let sec = bin
                .sections
                .iter()
                .find(|s| s.alloc && a >= s.addr && a < s.addr + s.size)
                .unwrap_or_else(|| panic!("{}: funcdata {a:#x} in no section", p.display()));
            assert!(!sec.executable, "{}: funcdata {a:#x} in code", p.display());
        }
        if let (Some((off, len)), Some(v)) = (t.regions.gofunc, t.vaddr) {
            let (lo, hi) = (v + off, v + off + len);
            assert_eq!(lo, sym.addr, "{}: go:func.* region", p.display());
            assert!(
                refs.iter().all(|&a| a >= lo && a < hi),
                "{}: funcdata outside the go:func.* region",
                p.display()
            );
        }
        if t.version >= Version::V118 {
            assert_eq!(t.gofunc, Some(sym.addr), "{}: go:func.*", p.display());
            let sec = bin
                .sections
                .iter()
                .find(|s| sym.addr >= s.addr && sym.addr < s.addr + s.size)
                .expect("section of go:func.*");
            for &a in &refs {
                assert!(
                    a >= sym.addr && a < sec.addr + sec.size,
                    "{}: funcdata {a:#x} outside go:func.* {:#x}..{:#x}",
                    p.display(),
                    sym.addr,
                    sec.addr + sec.size
                );
            }
        }
        checked.insert(t.version);
    }
    for v in [Version::V12, Version::V116, Version::V118, Version::V120] {
        assert!(checked.contains(&v), "no unstripped {v:?} binary checked");
    }
}

/// Names that the function-name table holds only for inlined callees are not functions:
/// in a CGO_ENABLED=0 build `net.cgoLookupHost` is such a name (an inlined stub), and
/// the audit must not mistake it for the cgo resolver.
#[test]
fn inlined_only_names_are_not_functions() {
    use goaudit::binary::Binary;
    use goaudit::go::pclntab;
    let data = std::fs::read(support::testbin("netuser-cgo0")).unwrap();
    let bin = Binary::parse(&data).unwrap();
    let t = pclntab::find(&bin).unwrap().expect("pclntab");
    let (off, len) = t.regions.funcnametab.expect("funcnametab");
    let base = t.file_offset.unwrap() + off;
    let names = &data[base as usize..(base + len) as usize];
    let stub = b"net.cgoLookupHost\0";
    assert!(
        names.windows(stub.len()).any(|w| w == stub),
        "the name table should hold net.cgoLookupHost (inlined stub)"
    );
    assert!(!t.funcs.iter().any(|f| f.name == "net.cgoLookupHost"));
    // Every function name is in the name table, and the table holds more names.
    let distinct: BTreeSet<&[u8]> = names.split(|&b| b == 0).filter(|s| !s.is_empty()).collect();
    let funcs: BTreeSet<&str> = t.funcs.iter().map(|f| f.name.as_str()).collect();
    assert!(funcs.iter().all(|n| distinct.contains(n.as_bytes())));
    assert!(distinct.len() > funcs.len());
}
