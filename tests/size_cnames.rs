//! C code named after its origin (`src/size/cnames.rs`): a C library compiled through cgo,
//! the cgo glue of `net`, static glibc, and nothing renamed in a pure-Go build.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn size_json(path: &Path) -> Value {
    support::size_artifact(path)["size_attribution"].clone()
}

/// Package name → (module, bytes, text bytes).
fn packages(s: &Value) -> BTreeMap<String, (String, u64, u64)> {
    s["by_package"]
        .as_array()
        .expect("by_package")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                (
                    p["module"].as_str().unwrap().to_string(),
                    p["bytes"].as_u64().unwrap(),
                    p["text_bytes"].as_u64().unwrap(),
                ),
            )
        })
        .collect()
}

/// Defined symbols as binutils `nm -S` lists them: `(address, size, type, name)`.
fn nm_symbols(path: &Path) -> Vec<(u64, u64, char, String)> {
    let nm = support::require_tool("nm", "install binutils (apt-get install binutils)");
    let out = Command::new(nm)
        .args(["-S", "--defined-only"])
        .arg(path)
        .output()
        .expect("run nm");
    assert!(out.status.success(), "nm {} failed", path.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() != 4 {
                return None;
            }
            Some((
                u64::from_str_radix(f[0], 16).ok()?,
                u64::from_str_radix(f[1], 16).ok()?,
                f[2].chars().next()?,
                f[3].to_string(),
            ))
        })
        .collect()
}

const C_SOURCE: &str = r#"#include "wsum.h"

long cfix_weighted_sum(const long *v, int n) {
    long s = 0;
    for (int i = 0; i < n; i++) {
        s += v[i] * (i + 1) + (s >> 3);
    }
    return s;
}

long cfix_checksum(const char *p, int n) {
    unsigned long h = 1469598103934665603UL;
    for (int i = 0; i < n; i++) {
        h = (h ^ (unsigned char)p[i]) * 1099511628211UL;
    }
    return (long)h;
}
"#;

/// Build a program whose package `<module>/wsumlib` compiles a C file through cgo, with
/// external linking (so gcc's DWARF for it is kept). Returns the binary and the import
/// path of the package holding the C file.
/// `go build` with cgo and external linking (gcc keeps the C units' DWARF), into
/// `dir/name`.
fn go_build_external(dir: &Path, name: &str, extra_flags: &[&str], what: &str) -> PathBuf {
    let out_bin = dir.join(name);
    let out = Command::new(support::go_binary())
        .current_dir(dir)
        .env("CGO_ENABLED", "1")
        .env("GOFLAGS", "-mod=mod")
        .args(["build", "-ldflags=-linkmode=external"])
        .args(extra_flags)
        .arg("-o")
        .arg(&out_bin)
        .arg(".")
        .output()
        .expect("run go build");
    assert!(
        out.status.success(),
        "go build of the {what} fixture failed (needs gcc): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out_bin
}

/// Where a fixture is built: target/cnames-fixture/NAME.
fn fixture_dir(name: &str) -> PathBuf {
    support::repo_root()
        .join("target")
        .join("cnames-fixture")
        .join(name)
}

/// The C library both fixtures compile: `wsum.c` and its header, in `dir`.
fn write_c_library(dir: &Path) {
    std::fs::write(dir.join("wsum.c"), C_SOURCE).unwrap();
    std::fs::write(
        dir.join("wsum.h"),
        "long cfix_weighted_sum(const long *v, int n);\nlong cfix_checksum(const char *p, int n);\n",
    )
    .unwrap();
}

fn build_cgo_fixture(name: &str, extra_flags: &[&str]) -> (PathBuf, String) {
    support::require_tool("gcc", "install gcc (apt-get install gcc): cgo needs it");
    let module = "example.com/cnamesfix";
    let dir = fixture_dir(name);
    let lib = dir.join("wsumlib");
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::write(dir.join("go.mod"), format!("module {module}\n\ngo 1.21\n")).unwrap();
    write_c_library(&lib);
    std::fs::write(
        lib.join("wsumlib.go"),
        r#"package wsumlib

// #include "wsum.h"
import "C"

import "unsafe"

func Sum(v []int64) int64 {
	if len(v) == 0 {
		return 0
	}
	return int64(C.cfix_weighted_sum((*C.long)(unsafe.Pointer(&v[0])), C.int(len(v))))
}

func Checksum(b []byte) int64 {
	if len(b) == 0 {
		return 0
	}
	return int64(C.cfix_checksum((*C.char)(unsafe.Pointer(&b[0])), C.int(len(b))))
}
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("main.go"),
        format!(
            "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\n\t\"{module}/wsumlib\"\n)\n\nfunc main() {{\n\tfmt.Println(wsumlib.Sum([]int64{{1, 2, 3}}), wsumlib.Checksum([]byte(os.Args[0])))\n}}\n"
        ),
    )
    .unwrap();
    let out_bin = go_build_external(&dir, name, extra_flags, "cgo");
    (out_bin, format!("{module}/wsumlib"))
}

/// The C library's functions (from the fixture's own source) are charged to
/// `C: <import path of their package>`, with the main module as module, whether or not
/// the build trims paths.
#[test]
fn cgo_c_library_is_named_after_its_package() {
    for (name, flags) in [("cfix", &[][..]), ("cfix-trimpath", &["-trimpath"][..])] {
        let (bin, import_path) = build_cgo_fixture(name, flags);
        let expected = format!("C: {import_path}");
        let syms = nm_symbols(&bin);
        // The C functions the fixture defines, as the linker sized them.
        let c_text: u64 = syms
            .iter()
            .filter(|s| matches!(s.2, 'T' | 't') && s.3.starts_with("cfix_"))
            .map(|s| s.1)
            .sum();
        assert_eq!(
            syms.iter().filter(|s| s.3.starts_with("cfix_")).count(),
            2,
            "{name}: both C functions of wsum.c are linked"
        );
        let s = size_json(&bin);
        let pkgs = packages(&s);
        let Some((module, _, text)) = pkgs.get(&expected) else {
            panic!("{name}: no package {expected}; packages: {:?}", pkgs.keys());
        };
        assert_eq!(
            module, "example.com/cnamesfix",
            "{name}: module of {expected}"
        );
        // The functions as the linker sized them, plus at most the alignment padding
        // between them that their DWARF unit's range covers (32 bytes each, as in
        // tests/size.rs).
        assert!(
            *text >= c_text && *text <= c_text + 32 * 2,
            "{name}: text of {expected} is {text}, nm sizes of the cfix_* functions {c_text}"
        );
        // The cgo glue of that package (`_cgo_<hash>_Cfunc_*`) belongs to the Go package:
        // its text is the Go functions (as `go tool nm` sizes them) plus the glue.
        let (glue, n) = cgo_glue_text(&syms, &import_path);
        assert!(glue > 0, "{name}: no cgo wrappers of {import_path} in nm");
        let go_only = support::nm_text_by_package(&bin)
            .get(&import_path)
            .copied()
            .unwrap_or(0);
        let ours = pkgs.get(&import_path).map_or(0, |p| p.2);
        assert!(
            ours >= go_only + glue && ours <= go_only + glue + 32 * n,
            "{name}: text of {import_path} is {ours}: Go functions {go_only} + cgo glue {glue} ({n} functions)"
        );
    }
}

/// Text bytes of the C wrappers cgo generated for `pkg`: `_cgo_<hash>_*`, where the Go
/// side names the hash as `<pkg>._cgo_<hash>_...`. Returns (bytes, functions).
fn cgo_glue_text(syms: &[(u64, u64, char, String)], pkg: &str) -> (u64, u64) {
    let prefix = format!("{pkg}._cgo_");
    let hash = syms
        .iter()
        .find_map(|s| s.3.strip_prefix(&prefix).and_then(|r| r.get(..12)))
        .unwrap_or_else(|| panic!("no {prefix}<hash>_ symbol in nm"))
        .to_string();
    let c_prefix = format!("_cgo_{hash}_");
    syms.iter()
        .filter(|s| matches!(s.2, 'T' | 't') && s.3.starts_with(&c_prefix))
        .fold((0, 0), |(b, n), s| (b + s.1, n + 1))
}

/// On a static glibc build, libc's code is recognised, the cgo glue of `net` and
/// `os/user` is theirs, and little C is left unnamed.
#[test]
fn static_glibc_is_recognised() {
    let bin = support::testbin("netuser-extstatic");
    let syms = nm_symbols(&bin);
    // Evidence the test checks independently: glibc's own start routine is defined.
    assert!(
        syms.iter().any(|s| s.3 == "__libc_start_main"),
        "netuser-extstatic has no __libc_start_main: not a static glibc build?"
    );
    let s = size_json(&bin);
    let pkgs = packages(&s);
    let glibc = pkgs
        .get("C: libc (glibc, static)")
        .unwrap_or_else(|| panic!("no glibc package; packages: {:?}", pkgs.keys()));
    assert_eq!(glibc.0, "C (cgo)");
    // Well-known libc functions, sized by the linker, are all inside that package.
    let known: u64 = syms
        .iter()
        .filter(|s| {
            matches!(s.2, 'T' | 't')
                && [
                    "malloc",
                    "free",
                    "getaddrinfo",
                    "__libc_start_main",
                    "pthread_create",
                ]
                .contains(&s.3.as_str())
        })
        .map(|s| s.1)
        .sum();
    assert!(known > 0, "nm sizes none of the well-known libc functions");
    assert!(
        glibc.2 >= known,
        "glibc text {} is smaller than a few libc functions ({known})",
        glibc.2
    );
    // What is left as plain `C` is a small remainder (Go assembly without a package).
    let c_text = pkgs.get("C").map_or(0, |p| p.2);
    assert!(
        c_text * 20 < glibc.2,
        "C still holds {c_text} text bytes next to glibc's {}",
        glibc.2
    );
    // The cgo wrappers of net and os/user (`_cgo_<hash>_Cfunc_getaddrinfo`) are theirs,
    // from their DWARF units, not runtime/cgo's as the bare symbol name suggests.
    let nm_go = support::nm_text_by_package(&bin);
    for pkg in ["net", "os/user"] {
        let (glue, n) = cgo_glue_text(&syms, pkg);
        let go_only = nm_go.get(pkg).copied().unwrap_or(0);
        let ours = pkgs.get(pkg).map_or(0, |p| p.2);
        assert!(glue > 0, "no cgo glue of {pkg} in nm");
        assert!(
            ours >= go_only + glue && ours <= go_only + glue + 32 * n,
            "text of {pkg} is {ours}: Go functions {go_only} + cgo glue {glue} ({n} functions)"
        );
    }
}

/// Pure-Go and dynamically linked builds get no `C: ...` packages.
#[test]
fn nothing_renamed_without_evidence() {
    for name in ["netuser-cgo0", "hello-cgo0", "netuser-default"] {
        let s = size_json(&support::testbin(name));
        let renamed: Vec<String> = packages(&s)
            .into_keys()
            .filter(|p| p.starts_with("C: "))
            .collect();
        assert!(renamed.is_empty(), "{name}: renamed C packages {renamed:?}");
    }
    // In a pure-Go build the `C` pseudo-package only holds Go assembly without a package
    // path (`aeshashbody`); it keeps exactly what the symbol names say.
    let bin = support::testbin("netuser-cgo0");
    let ours = packages(&size_json(&bin)).get("C").map_or(0, |p| p.2);
    let nm = support::nm_text_by_package(&bin)
        .get("C")
        .copied()
        .unwrap_or(0);
    assert_eq!(ours, nm, "netuser-cgo0: text of C");
}

/// Stripped, a static glibc binary still says it is one (its `__libc_*` sections stay):
/// the code outside Go's text is libc's rather than unattributed.
#[test]
fn stripped_static_glibc_keeps_its_name() {
    let bin = support::testbin("netuser-extstatic");
    let strip = support::require_tool("strip", "install binutils (apt-get install binutils)");
    let dir = support::repo_root().join("target").join("cnames-fixture");
    std::fs::create_dir_all(&dir).unwrap();
    let stripped = dir.join("netuser-extstatic-stripped");
    let st = Command::new(strip)
        .arg("-o")
        .arg(&stripped)
        .arg(&bin)
        .status()
        .expect("run strip");
    assert!(st.success(), "strip {} failed", bin.display());
    assert!(
        nm_symbols(&stripped).is_empty(),
        "strip left symbols in {}",
        stripped.display()
    );
    let full = packages(&size_json(&bin));
    let bare = packages(&size_json(&stripped));
    let text = |p: &BTreeMap<String, (String, u64, u64)>, k: &str| p.get(k).map_or(0, |v| v.2);
    let (a, b) = (
        text(&full, "C: libc (glibc, static)"),
        text(&bare, "C: libc (glibc, static)"),
    );
    // Stripped, the cgo glue and runtime/cgo's C fall in with libc (nothing names them).
    assert!(
        b >= a && b <= a + 64 * 1024,
        "glibc text: {a} unstripped, {b} stripped"
    );
    let unattributed_text = bare.get("[unattributed .text]").map_or(0, |v| v.1);
    assert!(
        unattributed_text < 4096,
        "stripped: {unattributed_text} bytes of .text unattributed"
    );
}

/// Build a program that uses `example.com/zsum`, a dependency module with a C file,
/// replaced by a checkout whose directory name differs from the import path.
fn build_dependency_fixture(name: &str, extra_flags: &[&str]) -> PathBuf {
    support::require_tool("gcc", "install gcc (apt-get install gcc): cgo needs it");
    let dir = fixture_dir(name);
    let dep = dir.join("zsum-checkout");
    std::fs::create_dir_all(&dep).unwrap();
    std::fs::write(
        dir.join("go.mod"),
        "module example.com/cnamesapp\n\ngo 1.21\n\nrequire example.com/zsum v1.0.0\n\nreplace example.com/zsum => ./zsum-checkout\n",
    )
    .unwrap();
    std::fs::write(dep.join("go.mod"), "module example.com/zsum\n\ngo 1.21\n").unwrap();
    write_c_library(&dep);
    std::fs::write(
        dep.join("zsum.go"),
        "package zsum\n\n// #include \"wsum.h\"\nimport \"C\"\n\nimport \"unsafe\"\n\nfunc Checksum(b []byte) int64 {\n\tif len(b) == 0 {\n\t\treturn 0\n\t}\n\treturn int64(C.cfix_checksum((*C.char)(unsafe.Pointer(&b[0])), C.int(len(b))))\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\n\t\"example.com/zsum\"\n)\n\nfunc main() {\n\tfmt.Println(zsum.Checksum([]byte(os.Args[0])))\n}\n",
    )
    .unwrap();

    go_build_external(&dir, name, extra_flags, "dependency")
}

/// C in a dependency module is `C: <its import path>` in that module, however the
/// checkout directory is named and whether or not paths are trimmed.
#[test]
fn dependency_c_is_named_after_its_module() {
    for (name, flags) in [("zsum", &[][..]), ("zsum-trimpath", &["-trimpath"][..])] {
        let bin = build_dependency_fixture(name, flags);
        let syms = nm_symbols(&bin);
        // The linker keeps only the C function the Go code calls, or both: either way
        // they are the fixture's own.
        let c_text: u64 = syms
            .iter()
            .filter(|s| matches!(s.2, 'T' | 't') && s.3.starts_with("cfix_"))
            .map(|s| s.1)
            .sum();
        let n = syms.iter().filter(|s| s.3.starts_with("cfix_")).count() as u64;
        assert!(c_text > 0, "{name}: no cfix_* function in nm");
        let pkgs = packages(&size_json(&bin));
        let Some((module, _, text)) = pkgs.get("C: example.com/zsum") else {
            panic!(
                "{name}: no package `C: example.com/zsum`; packages: {:?}",
                pkgs.keys()
            );
        };
        assert_eq!(module, "example.com/zsum", "{name}: module");
        assert!(
            *text >= c_text && *text <= c_text + 32 * n,
            "{name}: text {text}, nm sizes of the cfix_* functions {c_text}"
        );
    }
}
