//! Size attribution against the sum rule and against the Go toolchain's own view
//! (`go tool nm -size`).

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

fn size_json(path: &Path) -> Value {
    support::size_artifact(path)
}

fn assert_sum_rule(path: &Path) {
    let a = size_json(path);
    // A UPX-packed file is attributed as the program `upx -d` restores.
    let file_size = if a["packed"].is_null() {
        std::fs::metadata(path).unwrap().len()
    } else {
        unpacked_size(path)
    };
    let s = &a["size_attribution"];
    support::assert_sum_rule_of(s, file_size, &path.display().to_string());
    let unattributed: u64 = s["by_package"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"].as_str().unwrap().starts_with("[unattributed"))
        .map(|p| p["bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(
        s["unattributed"].as_u64(),
        Some(unattributed),
        "{}: unattributed",
        path.display()
    );
}

fn unpacked_size(path: &Path) -> u64 {
    let upx = support::require_tool(
        "upx",
        "apt-get install -t bookworm-backports upx-ucl (scripts/setup.sh does this)",
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("unpacked");
    let st = std::process::Command::new(upx)
        .arg("-d")
        .arg("-qq")
        .arg("-o")
        .arg(&out)
        .arg(path)
        .status()
        .unwrap();
    assert!(st.success(), "upx -d {} failed", path.display());
    std::fs::metadata(&out).unwrap().len()
}

#[test]
fn sum_rule_holds_for_every_testbin() {
    for name in support::testbin_names() {
        assert_sum_rule(&support::testbin(&name));
    }
}

#[test]
fn sum_rule_holds_for_every_go_toolchain_binary() {
    let bins = support::go_toolchain_binaries();
    assert!(!bins.is_empty(), "no Go toolchain binaries found");
    for b in bins {
        assert_sum_rule(&b);
    }
}

fn goaudit_text_by_package(path: &Path) -> BTreeMap<String, u64> {
    support::text_by_package(&size_json(path))
}

/// Go functions must match exactly. C functions (cgo, internal linking) carry no pcsp
/// table in the pclntab, so goaudit can only know their extent up to the next function:
/// their alignment padding (at most 32 bytes each on amd64) is charged to them. That is
/// the one stated tolerance, applied only to the C-code packages.
#[test]
fn package_text_bytes_match_go_tool_nm() {
    const C_CODE: &[&str] = &["C", "runtime/cgo"];
    for name in [
        "hello-default",
        "netuser-cgo0",
        "netuser-default",
        "promserver-default",
    ] {
        let bin = support::testbin(name);
        let nm = support::nm_text_by_package(&bin);
        let ours = goaudit_text_by_package(&bin);
        let mut diffs = Vec::new();
        for pkg in nm
            .keys()
            .chain(ours.keys())
            .collect::<std::collections::BTreeSet<_>>()
        {
            let (a, b) = (
                nm.get(pkg).copied().unwrap_or(0),
                ours.get(pkg).copied().unwrap_or(0),
            );
            let ok = if C_CODE.contains(&pkg.as_str()) {
                b >= a && b - a <= 32 * count_c_funcs(&bin, pkg)
            } else {
                a == b
            };
            if !ok {
                diffs.push(format!("{pkg}: go tool nm {a}, goaudit {b}"));
            }
        }
        assert!(
            diffs.is_empty(),
            "{name}: text bytes differ per package:\n{}",
            diffs.join("\n")
        );
    }
}

fn count_c_funcs(path: &Path, pkg: &str) -> u64 {
    let out = std::process::Command::new(support::go_binary())
        .args(["tool", "nm", "-type"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .filter(|n| !n.contains("(.") && goaudit::go::symname::package_of(n) == pkg)
        .count() as u64
}

#[test]
fn stripping_does_not_move_code() {
    for (full, stripped) in [
        ("netuser-cgo0", "netuser-cgo0-stripped"),
        ("netuser-default", "netuser-default-stripped"),
    ] {
        let a = goaudit_text_by_package(&support::testbin(full));
        let b = goaudit_text_by_package(&support::testbin(stripped));
        assert_eq!(a, b, "{full} vs {stripped}: .text attribution differs");
    }
}

#[test]
fn prometheus_modules_roll_up() {
    let bin = support::testbin("promserver-default");
    let a = size_json(&bin);
    let deps: Vec<String> = a["buildinfo"]["deps"]
        .as_array()
        .expect("buildinfo deps")
        .iter()
        .map(|d| d["path"].as_str().unwrap().to_string())
        .collect();
    assert!(
        deps.iter()
            .any(|d| d == "github.com/prometheus/client_golang"),
        "deps: {deps:?}"
    );
    let modules: BTreeMap<String, u64> = a["size_attribution"]["by_module"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap().to_string(),
                m["bytes"].as_u64().unwrap(),
            )
        })
        .collect();
    for m in [
        "github.com/prometheus/client_golang",
        "github.com/prometheus/common",
        "google.golang.org/protobuf",
        "std",
        "std/runtime",
    ] {
        assert!(
            modules.get(m).copied().unwrap_or(0) > 0,
            "module {m} has no bytes: {modules:?}"
        );
    }
    let main = a["buildinfo"]["main"]["path"]
        .as_str()
        .expect("main module")
        .to_string();
    assert!(
        modules.get(&main).copied().unwrap_or(0) > 0,
        "main module {main} has no bytes"
    );
    // Every package is in the module with the longest matching path prefix.
    for p in a["size_attribution"]["by_package"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        let module = p["module"].as_str().unwrap();
        let best = deps
            .iter()
            .chain(std::iter::once(&main))
            .filter(|d| name == d.as_str() || name.starts_with(&format!("{d}/")))
            .max_by_key(|d| d.len());
        if let Some(best) = best {
            assert_eq!(module, best, "package {name}");
        }
        // The runtime is the standard library's, in a row of its own under `std`.
        if name == "runtime" || name.starts_with("runtime/") || name.starts_with("go:") {
            assert_eq!(module, "std/runtime", "package {name}");
        }
    }
    assert!(!modules.contains_key("runtime"), "{modules:?}");
}

/// A cgo-free build holds no C: Go assembly local to its file (`gogo<>`, `K256<>`) has
/// no package in its name, but it is not C, and runtime's `_cgo_*` hooks are runtime's.
/// With cgo, runtime/cgo and C code are there and named.
#[test]
fn cgo_free_builds_have_no_c_owner() {
    let names = |a: &Value, key: &str| -> Vec<String> {
        a["size_attribution"][key]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["name"].as_str().unwrap().to_string())
            .collect()
    };
    for bin in ["hello-cgo0", "netuser-cgo0", "promserver-cgo0-trimpath-sw"] {
        let a = size_json(&support::testbin(bin));
        let modules = names(&a, "by_module");
        let packages = names(&a, "by_package");
        assert!(
            !modules.iter().any(|m| m.starts_with("C")),
            "{bin}: {modules:?}"
        );
        for p in ["C", "runtime/cgo"] {
            assert!(
                !packages.iter().any(|x| x == p),
                "{bin}: package {p} in {packages:?}"
            );
        }
    }
    let a = size_json(&support::testbin("netuser-default"));
    let packages = names(&a, "by_package");
    assert!(packages.iter().any(|p| p == "runtime/cgo"), "{packages:?}");
    assert!(
        packages.iter().any(|p| p == "C" || p.starts_with("C: ")),
        "{packages:?}"
    );
}

/// Items of a binary's attribution: (item, package, bytes).
fn items_of(path: &Path) -> Vec<(String, String, u64)> {
    let data = std::fs::read(path).unwrap();
    let (_, attr) = goaudit::audit::audit_detailed("x", &data).expect("audit");
    attr.expect("attribution").by_item()
}

/// Funcdata bytes per package.
fn funcdata_of(items: &[(String, String, u64)]) -> BTreeMap<String, u64> {
    items
        .iter()
        .filter(|i| i.0 == "funcdata")
        .map(|i| (i.1.clone(), i.2))
        .collect()
}

/// Unstripped, the funcdata blobs and what is left of `go:func.*` (`go.func.*` before Go
/// 1.20) cover exactly the symbol's span as `go tool nm -n` places it (to the next
/// symbol's address), and the blobs most of it. Returns the funcdata per package.
fn assert_funcdata_covers_gofunc(path: &Path) -> BTreeMap<String, u64> {
    let items = items_of(path);
    let a = funcdata_of(&items);
    let nm = std::process::Command::new(support::go_binary())
        .args(["tool", "nm", "-n"])
        .arg(path)
        .output()
        .unwrap();
    let addrs: Vec<(u64, String)> = String::from_utf8_lossy(&nm.stdout)
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let addr = u64::from_str_radix(it.next()?, 16).ok()?;
            Some((addr, it.nth(1)?.to_string()))
        })
        .collect();
    let names = ["go:func.*", "go.func.*"];
    let at = addrs
        .iter()
        .position(|(_, n)| names.contains(&n.as_str()))
        .unwrap_or_else(|| panic!("{}: no go:func.* in nm", path.display()));
    let lo = addrs[at].0;
    let hi = addrs[at + 1..]
        .iter()
        .find(|(a, _)| *a > lo)
        .expect("a symbol after")
        .0;
    let rest = items
        .iter()
        .find(|i| names.contains(&i.0.as_str()))
        .map_or(0, |i| i.2);
    let blobs: u64 = a.values().sum();
    assert_eq!(
        blobs + rest,
        hi - lo,
        "{}: go:func.* spans {lo:#x}..{hi:#x}",
        path.display()
    );
    assert!(
        blobs * 10 > (hi - lo) * 9,
        "{}: blobs cover only {blobs} of {}",
        path.display(),
        hi - lo
    );
    a
}

/// Funcdata (stack maps, inline trees, ...) in `go:func.*` belongs to the functions that
/// reference it. The references come from the pclntab, so a stripped build charges the
/// same packages the same bytes; only the last blob differs, whose end nothing records
/// once the symbol table is gone (cut at 256 bytes then).
#[test]
fn funcdata_is_charged_to_the_functions_that_reference_it() {
    for (full, stripped) in [
        ("netuser-cgo0", "netuser-cgo0-stripped"),
        ("netuser-default", "netuser-default-stripped"),
    ] {
        let a = assert_funcdata_covers_gofunc(&support::testbin(full));
        let b = funcdata_of(&items_of(&support::testbin(stripped)));
        assert!(
            a.len() > 50,
            "{full}: funcdata charged to only {} packages",
            a.len()
        );
        assert!(
            a.contains_key("net/http") && a.contains_key("runtime"),
            "{a:?}"
        );
        let diff: u64 = a
            .keys()
            .chain(b.keys())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|k| {
                a.get(k)
                    .copied()
                    .unwrap_or(0)
                    .abs_diff(b.get(k).copied().unwrap_or(0))
            })
            .sum();
        assert!(
            diff <= 256,
            "{full} vs {stripped}: funcdata differs by {diff} bytes"
        );
    }
    // Go 1.18 and 1.19 spell the symbol `go.func.*`.
    let older: Vec<_> = support::corpus()
        .into_iter()
        .filter(|e| e.go.starts_with("go1.18") || e.go.starts_with("go1.19"))
        .filter(|e| {
            let out = std::process::Command::new(support::go_binary())
                .args(["tool", "nm"])
                .arg(&e.path)
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).contains(" go.func.*")
        })
        .collect();
    assert!(
        !older.is_empty(),
        "no Go 1.18/1.19 corpus binary with symbols"
    );
    for e in older {
        assert_funcdata_covers_gofunc(&e.path);
    }
}

/// `PackageRuns` (the fast path for runs of one package) gives exactly what
/// `package_cow` gives, on every function and symbol name of real binaries, in the
/// order size attribution asks.
#[test]
fn package_runs_agree_with_the_full_parse_on_real_names() {
    use goaudit::go::symname::{PackageRuns, package_cow};
    let mut bins: Vec<std::path::PathBuf> =
        ["netuser-default", "netuser-extstatic", "promserver-default"]
            .iter()
            .map(|n| support::testbin(n))
            .collect();
    bins.extend(support::go_toolchain_binaries().into_iter().take(3));
    for path in bins {
        let data = std::fs::read(&path).unwrap();
        let bin = goaudit::binary::Binary::parse(&data).expect("parse");
        let t = goaudit::go::pclntab::find(&bin).unwrap().expect("pclntab");
        let names: Vec<String> = t
            .funcs
            .iter()
            .map(|f| f.name.clone())
            .chain(bin.symbols().into_iter().map(|s| s.name))
            .chain(bin.symtab_entries().into_iter().map(|e| e.name))
            .collect();
        assert!(
            names.len() > 1000,
            "{}: {} names",
            path.display(),
            names.len()
        );
        let mut runs = PackageRuns::default();
        for n in &names {
            assert_eq!(runs.package(n), package_cow(n), "{}: {n}", path.display());
        }
    }
}

/// `goaudit --json` gives the verdicts without the attribution (it stays as fast as the
/// human audit); `--size` adds exactly what `goaudit size --json` reports.
#[test]
fn audit_json_carries_the_attribution_only_with_size() {
    let path = support::testbin("netuser-default");
    let audit = |extra: &[&str]| -> Value {
        let out = support::goaudit()
            .arg("--json")
            .args(extra)
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let fast = audit(&[]);
    assert_eq!(fast["schema_version"], 2);
    let fast = &fast["artifacts"][0];
    assert!(fast["size_attribution"].is_null(), "{fast:#}");
    // The verdicts do not depend on it.
    assert_eq!(fast["linking"]["kind"], "dynamic");
    assert_eq!(fast["cgo"]["linked"], true);
    let full = audit(&["--size"]);
    let full = &full["artifacts"][0];
    assert_eq!(
        full["size_attribution"],
        size_json(&path)["size_attribution"]
    );
    assert_eq!(full["linking"], fast["linking"]);
    assert_eq!(full["cgo"]["linked"], fast["cgo"]["linked"]);
}
