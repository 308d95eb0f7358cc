//! Type descriptors, names and itabs attributed through Go's own metadata
//! (`goaudit::size::types`), checked against what the linker itself says.
//!
//! The linker hides `type:*` symbols from the symbol table unless the program can load
//! plugins; a program that imports `plugin` gets every descriptor and name blob as a sized
//! symbol. Those symbols are the ground truth: every range goaudit claims must be exactly
//! one of them. The same claims must then come out of a stripped copy unchanged.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use goaudit::binary::Binary;
use goaudit::go::symname::package_of;
use goaudit::size::types::{self, Claimed};

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn claims_of(path: &Path) -> (Vec<Claimed>, Option<types::Moduledata>) {
    let data = read(path);
    let bin = Binary::parse(&data).expect("parses");
    let p = goaudit::go::pclntab::find(&bin)
        .expect("pclntab decodes")
        .expect("has a pclntab");
    let md = types::find_moduledata(&bin, &p);
    (types::claims(&bin, &p), md)
}

/// `go tool nm -size -type` of `path`: address → (size, type letter, name).
fn nm(path: &Path) -> Vec<(u64, u64, String, String)> {
    let go = support::go_binary();
    let out = Command::new(&go)
        .args(["tool", "nm", "-size", "-type"])
        .arg(path)
        .output()
        .expect("go tool nm runs");
    assert!(
        out.status.success(),
        "go tool nm failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let addr = u64::from_str_radix(it.next()?, 16).ok()?;
            let size = it.next()?.parse().ok()?;
            let kind = it.next()?.to_string();
            let name = it.collect::<Vec<_>>().join(" ");
            Some((addr, size, kind, name))
        })
        .collect()
}

const PROGRAM: &str = r#"package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"plugin"
	"sync"
)

type Point struct {
	X, Y int `json:"x"`
	Name string
	tags map[string][]*Point
}

func (p Point) String() string { return fmt.Sprint(p.X, p.Y) }

type Shape interface {
	Area() float64
	fmt.Stringer
}

type Square struct{ Side float64 }

func (s *Square) Area() float64   { return s.Side * s.Side }
func (s *Square) String() string  { return "square" }

type List[T any] struct {
	items []T
	mu    sync.Mutex
}

func (l *List[T]) Push(v T) { l.mu.Lock(); l.items = append(l.items, v); l.mu.Unlock() }

func main() {
	if len(os.Args) > 5 {
		_, _ = plugin.Open(os.Args[1])
	}
	var s Shape = &Square{2}
	l := &List[Point]{}
	l.Push(Point{X: 1})
	m := map[string]Point{"a": {1, 2, "n", nil}}
	b, _ := json.Marshal(m)
	ch := make(chan func(int) (string, error), 1)
	fmt.Println(string(b), http.DefaultClient != nil, s.Area(), len(l.items), cap(ch))
}
"#;

/// Build the plugin-importing program with `toolchain` (a `GOTOOLCHAIN` value) and extra
/// environment, cached under target/size-types.
fn build_program(toolchain: &str, env: &[(&str, &str)]) -> PathBuf {
    let go = support::go_binary();
    let tag: String = std::iter::once(toolchain.to_string())
        .chain(env.iter().map(|(k, v)| format!("{k}={v}")))
        .collect::<Vec<_>>()
        .join("-");
    let dir = support::repo_root().join("target/size-types").join(&tag);
    std::fs::create_dir_all(&dir).unwrap();
    let bin = dir.join("typesym");
    std::fs::write(dir.join("main.go"), PROGRAM).unwrap();
    std::fs::write(
        dir.join("go.mod"),
        "module example.com/typesym\n\ngo 1.21\n",
    )
    .unwrap();
    let mut cmd = Command::new(&go);
    cmd.current_dir(&dir)
        .args(["build", "-o"])
        .arg(&bin)
        .arg(".")
        .env("GOTOOLCHAIN", toolchain)
        .env("CGO_ENABLED", "1")
        .env("GOFLAGS", "-mod=mod");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("go build runs");
    assert!(
        out.status.success(),
        "building the type test program with GOTOOLCHAIN={toolchain} failed (it needs a C \
         compiler for plugin support: apt-get install -y gcc; and the toolchain module, which \
         `go` downloads through the module proxy): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    bin
}

/// Every claimed range is exactly one linker symbol; return (claimed bytes in the types
/// region, type-symbol bytes there).
fn check_against_symbols(bin: &Path) -> (u64, u64) {
    let (claims, md) = claims_of(bin);
    let md = md.expect("moduledata found");
    let syms = nm(bin);
    let types_start = syms
        .iter()
        .find(|s| s.3 == "runtime.types")
        .map(|s| s.0)
        .expect("runtime.types symbol");
    let types_end = syms
        .iter()
        .find(|s| s.3 == "runtime.etypes")
        .map(|s| s.0)
        .expect("runtime.etypes symbol");
    assert_eq!(md.types, (types_start, types_end), "types region");
    let by_addr: HashMap<u64, (u64, &str)> = syms
        .iter()
        .filter(|s| s.1 > 0 && (s.3.starts_with("type:") || s.3.starts_with("go:itab.")))
        .map(|s| (s.0, (s.1, s.3.as_str())))
        .collect();
    let region_bytes: u64 = syms
        .iter()
        .filter(|s| s.3.starts_with("type:") && s.0 >= types_start && s.0 < types_end)
        .map(|s| s.1)
        .sum();
    assert!(!claims.is_empty(), "{}: no claims", bin.display());
    let (mut claimed, mut descriptors, mut itabs, mut packages_checked) = (0u64, 0, 0, 0);
    for c in &claims {
        for (i, &(start, end)) in c.ranges.iter().enumerate() {
            let Some(&(size, name)) = by_addr.get(&start) else {
                panic!(
                    "{}: {} claims {start:#x}..{end:#x}, no symbol starts there",
                    bin.display(),
                    c.item
                );
            };
            assert_eq!(
                end - start,
                size,
                "{}: {} at {start:#x}: claimed size differs from the linker's {name}",
                bin.display(),
                c.item
            );
            if c.item.starts_with("type:") && start >= types_start && end <= types_end {
                claimed += size;
            }
            if i == 0 && c.item.starts_with("go:itab.") {
                itabs += 1;
                assert_eq!(c.package, package_of(name), "itab {name}");
            }
            // The first range is the descriptor; its symbol carries the full type name
            // unless the linker hashed it (content-addressable unnamed types).
            if i == 0 && c.item.starts_with("type:") && !c.item.starts_with("type:.importpath") {
                descriptors += 1;
                let hashed = name.len() == "type:".len() + 8 && !name.contains(['.', '*', '[']);
                if !hashed {
                    packages_checked += 1;
                    assert_eq!(
                        c.package,
                        package_of(name),
                        "package of {name} ({})",
                        c.item
                    );
                }
            }
        }
    }
    assert!(descriptors > 100, "only {descriptors} descriptors");
    assert!(itabs > 10, "only {itabs} itabs");
    assert!(
        packages_checked > 50,
        "only {packages_checked} packages checked"
    );
    eprintln!(
        "{}: {descriptors} descriptors, {itabs} itabs, {claimed} bytes claimed of {region_bytes} type-symbol bytes",
        bin.display()
    );
    (claimed, region_bytes)
}

#[test]
fn claims_are_linker_symbols_local_toolchain() {
    let bin = build_program("local", &[]);
    let (claimed, region) = check_against_symbols(&bin);
    // Measured 99.4% with Go 1.26: what is left is 16-byte `type:.eqfunc*` closures and
    // small name blobs no descriptor references.
    assert!(
        claimed * 100 >= region * 97,
        "claimed {claimed} of {region}"
    );
}

#[test]
fn claims_are_linker_symbols_older_toolchains() {
    // Go 1.21/1.22: the bucket map layout; 1.24: swiss maps, and the old layout again
    // under GOEXPERIMENT=noswissmap; 1.27: the moduledata without typelinks.
    for (tc, env) in [
        ("go1.21.0", &[][..]),
        ("go1.22.0", &[][..]),
        ("go1.24.0", &[][..]),
        ("go1.24.0", &[("GOEXPERIMENT", "noswissmap")][..]),
        // No typelinks or itablinks: descriptors and itabs laid out back to back.
        ("go1.27.4", &[][..]),
    ] {
        let bin = build_program(tc, env);
        let (claimed, region) = check_against_symbols(&bin);
        assert!(
            claimed * 100 >= region * 97,
            "{tc}: claimed {claimed} of {region}"
        );
    }
}

/// Bytes claimed per package.
fn per_package(claims: &[Claimed]) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for c in claims {
        *m.entry(c.package.clone()).or_default() +=
            c.ranges.iter().map(|(s, e)| e - s).sum::<u64>();
    }
    m
}

#[test]
fn stripping_does_not_change_the_claims() {
    for (full, stripped) in [
        ("netuser-cgo0", "netuser-cgo0-stripped"),
        ("netuser-default", "netuser-default-stripped"),
    ] {
        let (a, _) = claims_of(&support::testbin(full));
        let (b, _) = claims_of(&support::testbin(stripped));
        let (pa, pb) = (per_package(&a), per_package(&b));
        assert!(
            pa.get("net/http").copied().unwrap_or(0) > 10_000,
            "{full}: net/http types missing: {pa:?}"
        );
        assert_eq!(pa, pb, "{full} vs {stripped}");
        assert_eq!(a, b, "{full} vs {stripped}: claims differ");
    }
}

/// Bytes the type claims won in the full attribution, and what stays unattributed.
fn won_and_unattributed(path: &Path) -> (u64, u64) {
    let data = read(path);
    let bin = Binary::parse(&data).expect("parses");
    let p = goaudit::go::pclntab::find(&bin)
        .expect("pclntab")
        .expect("pclntab");
    let a = goaudit::size::attribute(&bin, Some(&p), None);
    let won: u64 = a
        .pieces
        .iter()
        .filter_map(|pc| pc.owner.map(|o| (pc, &a.owners[o as usize])))
        .filter(|(_, o)| {
            matches!(
                o.kind,
                goaudit::size::Kind::Types | goaudit::size::Kind::Data
            ) && (o.item.starts_with("type:") || o.item.starts_with("go:itab."))
        })
        .map(|(pc, _)| pc.end - pc.start)
        .sum();
    (won, a.report().unattributed)
}

#[test]
fn stripped_unattributed_bytes_drop() {
    // Measured with Go 1.26 (netuser, CGO_ENABLED=0, stripped): without these claims about
    // 1.05 MB stayed unattributed, with them about 0.54 MB (descriptors, names and itabs
    // win ~512 KB; what is left is .noptrdata/.data variables and string data, which
    // carry no metadata). Bounds leave room for other toolchain versions.
    for n in [
        "netuser-cgo0-trimpath-sw",
        "netuser-cgo0-stripped",
        "netuser-default-stripped",
    ] {
        let (won, left) = won_and_unattributed(&support::testbin(n));
        let before = won + left;
        assert!(won >= 300_000, "{n}: type claims won only {won} bytes");
        assert!(
            left * 100 <= before * 60,
            "{n}: unattributed {left} of {before} before the type claims"
        );
    }
}

fn minor(go: &str) -> u32 {
    go.trim_start_matches("go1.")
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0)
}

#[test]
fn corpus_of_go_versions() {
    // Go 1.18-1.20 are only in the corpus (esbuild, built by its maintainers): their
    // moduledata layouts must be found and their descriptors must validate and not
    // overlap. Before 1.18 goaudit makes no claims, and must not fail.
    let mut covered = Vec::new();
    for (go, path) in support::corpus().into_iter().map(|e| (e.go, e.path)) {
        let (claims, md) = claims_of(&path);
        if minor(&go) < 18 {
            assert!(claims.is_empty(), "{}: claims for {go}", path.display());
            continue;
        }
        let md = md.unwrap_or_else(|| panic!("{}: no moduledata", path.display()));
        let mut ranges: Vec<(u64, u64)> = claims.iter().flat_map(|c| c.ranges.clone()).collect();
        ranges.sort_unstable();
        for w in ranges.windows(2) {
            assert!(
                w[0].1 <= w[1].0,
                "{}: overlapping claims {w:?}",
                path.display()
            );
        }
        let descriptors = claims
            .iter()
            .filter(|c| c.item.starts_with("type:") && !c.item.starts_with("type:.importpath"))
            .count();
        let in_region = claims
            .iter()
            .filter(|c| c.item.starts_with("type:"))
            .flat_map(|c| c.ranges.iter())
            .all(|&(s, e)| s >= md.types.0 && e <= md.types.1);
        assert!(
            in_region,
            "{}: a type claim outside the types region",
            path.display()
        );
        assert!(
            descriptors >= 1000,
            "{} ({go}): only {descriptors} descriptors",
            path.display()
        );
        // The program's own named types must be found: esbuild's AST types, or the Go
        // toolchain's cmd/... packages.
        let own = if path.to_string_lossy().contains("esbuild") {
            "esbuild"
        } else {
            "cmd/"
        };
        assert!(
            claims.iter().any(|c| c.package.contains(own)),
            "{}: no {own} package types",
            path.display()
        );
        covered.push(go);
    }
    for want in [
        "go1.18", "go1.19.4", "go1.20.5", "go1.21.0", "go1.22.0", "go1.24.0",
    ] {
        assert!(
            covered.iter().any(|g| g == want),
            "corpus lacks {want}: {covered:?}"
        );
    }
}

#[test]
fn every_format_and_link_mode() {
    // The same program built every way (static, cgo, PIE internal and external, external
    // static, race, Mach-O arm64, PE) has nearly the same types: each build's claims must
    // be within 10% of the plain CGO_ENABLED=0 build's (measured: within 5.5%, the race
    // runtime adding the most). UPX-packed files have no readable metadata and no claims.
    let bytes_of = |n: &str| -> Option<u64> {
        let data = read(&support::testbin(n));
        let bin = Binary::parse(&data).expect("parses");
        let p = goaudit::go::pclntab::find(&bin).ok().flatten()?;
        let c = types::claims(&bin, &p);
        Some(
            c.iter()
                .flat_map(|c| c.ranges.iter())
                .map(|r| r.1 - r.0)
                .sum(),
        )
    };
    let reference = bytes_of("netuser-cgo0").expect("netuser-cgo0 has a pclntab");
    let mut checked = 0;
    for n in support::testbin_names() {
        if !n.starts_with("netuser-") {
            continue;
        }
        let got = bytes_of(&n).unwrap_or(0);
        if n.ends_with("-upx") {
            assert_eq!(got, 0, "{n}");
            continue;
        }
        assert!(
            got * 10 >= reference * 9 && got * 10 <= reference * 11,
            "{n}: {got} bytes of type claims, netuser-cgo0 has {reference}"
        );
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} netuser builds");
}

#[test]
fn other_architectures_find_the_same_types() {
    // Without cgo the linker hides the type symbols, so cross-compiled builds are checked
    // against the amd64 build of the same program: 32-bit and big-endian targets must
    // find (nearly) the same descriptors; a few differ by architecture (cpu feature and
    // syscall types). Itabs are claimed on 64-bit targets only.
    let count = |arch: &str| {
        let bin = build_program("local", &[("GOARCH", arch), ("CGO_ENABLED", "0")]);
        let (claims, md) = claims_of(&bin);
        assert!(md.is_some(), "{arch}: no moduledata");
        let descriptors = claims
            .iter()
            .filter(|c| c.item.starts_with("type:") && !c.item.starts_with("type:.importpath"))
            .count();
        let itabs = claims
            .iter()
            .filter(|c| c.item.starts_with("go:itab."))
            .count();
        (descriptors, itabs)
    };
    let (d64, i64_) = count("amd64");
    assert!(
        d64 > 1000 && i64_ > 50,
        "amd64: {d64} descriptors, {i64_} itabs"
    );
    for arch in ["386", "arm", "mips", "arm64", "s390x", "ppc64le"] {
        let (d, i) = count(arch);
        assert!(
            d * 100 >= d64 * 98 && d * 100 <= d64 * 102,
            "{arch}: {d} descriptors, amd64 {d64}"
        );
        let bits64 = matches!(arch, "arm64" | "s390x" | "ppc64le");
        if bits64 {
            assert_eq!(i, i64_, "{arch} itabs");
        } else {
            assert_eq!(i, 0, "{arch} itabs");
        }
    }
}

#[test]
fn cli_report_charges_types_to_packages() {
    // `goaudit size --json` on a stripped, trimmed build: net/http owns data besides its
    // code (its type descriptors), and what stays unattributed is bounded (measured
    // 538,897 of 5,857,442 bytes with Go 1.26; 1,051,624 without type claims).
    let bin = support::testbin("netuser-cgo0-trimpath-sw");
    let out = support::goaudit()
        .args(["size", "--json"])
        .arg(&bin)
        .output()
        .expect("goaudit runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let s = &v["artifacts"][0]["size_attribution"];
    let total = s["total"].as_u64().expect("total");
    let unattributed = s["unattributed"].as_u64().expect("unattributed");
    assert!(
        unattributed * 100 <= total * 12,
        "unattributed {unattributed} of {total}"
    );
    let http = s["by_package"]
        .as_array()
        .expect("by_package")
        .iter()
        .find(|p| p["name"] == "net/http")
        .expect("net/http listed");
    let (bytes, text) = (
        http["bytes"].as_u64().unwrap(),
        http["text_bytes"].as_u64().unwrap(),
    );
    let (claims, _) = claims_of(&bin);
    let types_http: u64 = claims
        .iter()
        .filter(|c| c.package == "net/http")
        .flat_map(|c| c.ranges.iter())
        .map(|r| r.1 - r.0)
        .sum();
    assert!(types_http > 10_000, "net/http type bytes {types_http}");
    assert!(
        bytes >= text + types_http,
        "net/http: {bytes} bytes, {text} of code, {types_http} of types"
    );
}

#[test]
fn corrupted_type_data_never_panics() {
    // Random bytes flipped across the types region, the typelinks and the moduledata of a
    // real binary: whatever still validates is claimed inside the file, nothing panics.
    let path = support::testbin("netuser-cgo0-stripped");
    let clean = read(&path);
    let bin = Binary::parse(&clean).expect("parses");
    let p = goaudit::go::pclntab::find(&bin).unwrap().unwrap();
    let md = types::find_moduledata(&bin, &p).expect("moduledata");
    let off = |a: u64| bin.vaddr_to_offset(a).expect("mapped") as usize;
    let spans = [
        (off(md.types.0), off(md.types.1 - 1)),
        (
            off(md.typelinks.0),
            off(md.typelinks.0) + md.typelinks.1 as usize * 4,
        ),
        (off(md.addr), off(md.addr) + 400),
    ];
    let mut x: u64 = 0x2545f4914f6cdd1d;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for round in 0..12 {
        let mut data = clean.clone();
        let (lo, hi) = spans[round % spans.len()];
        for _ in 0..2000 {
            let i = lo + (next() as usize) % (hi - lo);
            data[i] = next() as u8;
        }
        let bin = Binary::parse(&data).expect("headers untouched");
        let Ok(Some(p)) = goaudit::go::pclntab::find(&bin) else {
            continue;
        };
        for c in types::claims(&bin, &p) {
            for &(s, e) in &c.ranges {
                assert!(s < e && bin.read_vaddr(s, e - s).is_some(), "{c:?}");
            }
        }
    }
}
