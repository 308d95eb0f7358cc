//! Owners for C code linked through cgo: which Go package's cgo files, which vendored C
//! library, or static glibc, instead of one `C` pseudo-package.
//!
//! Evidence, strongest first:
//!
//! 1. DWARF compilation units that are not Go (gcc keeps them under external linking).
//!    A unit's directory (`DW_AT_comp_dir` joined with the directory of `DW_AT_name`)
//!    says where its source came from, in the forms `cmd/go` gives it:
//!    * `/_/GOROOT/src/<pkg>` (standard-library C is always path-trimmed, e.g.
//!      `runtime/cgo`) or an untrimmed `.../src/runtime/cgo`: that Go package;
//!    * `/tmp/go-build` (cgo's generated `_cgo_export.c`, `x.cgo2.c`: the work directory
//!      is remapped there): the package whose cgo hash the unit's wrapper functions carry
//!      (`_cgo_<hash>_Cfunc_f` in C, `<pkg>._cgo_<hash>_Cfunc_f` on the Go side), else the
//!      package of the unit's neighbours (one package's objects are linked one after
//!      the other, starting with its `_cgo_export.c`);
//!    * hand-written C of a Go package: `/_/<import path>` (`-trimpath`),
//!      `.../pkg/mod/<module>@<version>/<dir>` (module cache), `/_/<module>@<version>/<dir>`,
//!      `/_/vendor/<path>`, `/_/GOPATH/src/<path>`: `C: <import path>`; an absolute
//!      directory: `C: <package>` when the neighbouring cgo files name the package, else
//!      `C: <directory name>`.
//! 2. Static glibc: a binary without `.interp` that carries glibc's own sections
//!    (`__libc_freeres_fn`, `__libc_IO_vtables`, `__libc_atexit`, ...) or the GNU
//!    `.note.ABI-tag` with a defined `__libc_start_main`. Then C code that no unit claims
//!    and that lies outside the Go runtime's text and data ranges is `C: libc (glibc,
//!    static)`. Individual symbol names are never used to guess a library.
//!
//! Without symbols (stripped), the units' code ranges and, for static glibc, the code
//! outside Go's text and glibc's own sections are still claimed (`super::attribute`).
//!
//! Anything else stays `C`.

use std::collections::HashMap;

use crate::binary::{Binary, Symbol};

/// Package name for static glibc (and the C start files and libgcc linked with it).
pub const GLIBC_STATIC: &str = "C: libc (glibc, static)";

/// What a non-Go DWARF unit says about itself.
#[derive(Debug, Clone, Default)]
pub struct CUnit {
    /// `DW_AT_name`.
    pub name: String,
    /// `DW_AT_comp_dir`.
    pub comp_dir: String,
    /// Code address ranges `[lo, hi)`.
    pub ranges: Vec<(u64, u64)>,
}

/// Refined owners of C code, by address.
#[derive(Debug, Default)]
pub struct CCode {
    /// Sorted, non-empty `[lo, hi)` code ranges of named C units, with their owner.
    ranges: Vec<(u64, u64, String)>,
}

impl CCode {
    /// Build from the units (in `.debug_info` order) and the owner names given to them.
    pub fn new(units: &[CUnit], owners: &[String]) -> CCode {
        let mut ranges: Vec<(u64, u64, String)> = units
            .iter()
            .zip(owners)
            .filter(|(_, o)| o.as_str() != "C")
            .flat_map(|(u, o)| u.ranges.iter().map(move |&(lo, hi)| (lo, hi, o.clone())))
            .filter(|r| r.0 < r.1)
            .collect();
        ranges.sort_by_key(|r| (r.0, r.1));
        CCode { ranges }
    }

    /// The owner of the C unit whose code contains `addr`.
    pub fn at(&self, addr: u64) -> Option<&str> {
        let i = self
            .ranges
            .partition_point(|r| r.0 <= addr)
            .checked_sub(1)?;
        let r = &self.ranges[i];
        (addr < r.1).then_some(r.2.as_str())
    }

    /// The named code ranges `(lo, hi, owner)`, sorted.
    pub fn ranges(&self) -> &[(u64, u64, String)] {
        &self.ranges
    }

    /// No unit gave a name.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
}

/// Where a unit's directory says its source came from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    /// A Go package's own C (standard library).
    Package(String),
    /// cgo-generated glue in the go-build work directory.
    Generated,
    /// Hand-written C of the package with this import path.
    CPackage(String),
    /// An absolute directory that tells nothing more.
    Dir(String),
    /// No name or directory.
    Unknown,
}

/// The directory of a unit's source file.
fn unit_dir(u: &CUnit) -> String {
    let name = u.name.replace('\\', "/");
    let dir = match name.rfind('/') {
        Some(i) => &name[..i],
        None => "",
    };
    if name.starts_with('/') {
        return dir.to_string();
    }
    let comp = u.comp_dir.replace('\\', "/");
    let comp = comp.trim_end_matches('/');
    match (comp.is_empty(), dir.is_empty()) {
        (true, _) => dir.to_string(),
        (false, true) => comp.to_string(),
        (false, false) => format!("{comp}/{dir}"),
    }
}

/// `pkg/mod` escapes upper-case letters as `!` + lower case.
fn unescape_module(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    let mut bang = false;
    for c in p.chars() {
        if c == '!' {
            bang = true;
        } else if bang {
            out.extend(c.to_uppercase());
            bang = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `<module>@<version>[/<dir>]` → the import path `<module>[/<dir>]`.
fn strip_version(p: &str) -> Option<String> {
    let (module, rest) = p.split_once('@')?;
    let sub = rest.split_once('/').map(|(_, s)| s);
    let module = unescape_module(module);
    Some(match sub {
        Some(s) if !s.is_empty() => format!("{module}/{s}"),
        _ => module,
    })
}

fn origin(u: &CUnit) -> Origin {
    let dir = unit_dir(u);
    let dir = dir.trim_end_matches('/');
    if dir.is_empty() {
        return Origin::Unknown;
    }
    if dir == "/tmp/go-build" || dir.starts_with("/tmp/go-build/") {
        return Origin::Generated;
    }
    if let Some(rest) = dir.strip_prefix("/_/") {
        if let Some(pkg) = rest.strip_prefix("GOROOT/src/") {
            return Origin::Package(pkg.to_string());
        }
        if let Some(p) = rest
            .strip_prefix("GOPATH/src/")
            .or_else(|| rest.strip_prefix("vendor/"))
        {
            return Origin::CPackage(p.to_string());
        }
        return Origin::CPackage(strip_version(rest).unwrap_or_else(|| rest.to_string()));
    }
    if let Some((_, rest)) = dir.split_once("/pkg/mod/")
        && let Some(p) = strip_version(rest)
    {
        return Origin::CPackage(p);
    }
    // Without trimming, runtime/cgo's files keep GOROOT's absolute path.
    if dir.ends_with("/src/runtime/cgo") {
        return Origin::Package("runtime/cgo".into());
    }
    Origin::Dir(dir.to_string())
}

/// Go packages by cgo hash: the Go side of each wrapper is `<pkg>._cgo_<hash>_...`.
fn cgo_hashes(symbols: &[Symbol]) -> HashMap<&str, &str> {
    let mut m = HashMap::new();
    for s in symbols {
        if let Some(i) = s.name.find("._cgo_") {
            let (pkg, rest) = (&s.name[..i], &s.name[i + 6..]);
            if let Some(h) = cgo_hash(rest)
                && !pkg.is_empty()
            {
                m.insert(h, pkg);
            }
        }
    }
    m
}

/// The 12-hex-digit hash at the start of `<hash>_...`.
fn cgo_hash(s: &str) -> Option<&str> {
    let h = s.get(..12)?;
    (h.bytes().all(|b| b.is_ascii_hexdigit()) && s.as_bytes().get(12) == Some(&b'_')).then_some(h)
}

/// Name the owner of each unit (in `.debug_info` order); `symbols` give the cgo hashes.
pub fn name_units(units: &[CUnit], symbols: &[Symbol]) -> Vec<String> {
    let hashes = cgo_hashes(symbols);
    // C wrapper functions `_cgo_<hash>_*` by address, with the package their hash names.
    let mut wrappers: Vec<(u64, &str)> = symbols
        .iter()
        .filter_map(|s| {
            let h = cgo_hash(s.name.strip_prefix("_cgo_")?)?;
            Some((s.addr, *hashes.get(h)?))
        })
        .collect();
    wrappers.sort_unstable();
    let own_package = |u: &CUnit| -> Option<&str> {
        u.ranges.iter().find_map(|&(lo, hi)| {
            let i = wrappers.partition_point(|w| w.0 < lo);
            wrappers.get(i).filter(|w| w.0 < hi).map(|w| w.1)
        })
    };

    let origins: Vec<Origin> = units.iter().map(origin).collect();
    // Groups: runs of units from one package's archive, each starting at _cgo_export.c.
    let mut group_of = vec![0usize; units.len()];
    let mut group_pkg: Vec<Option<String>> = vec![None];
    for (i, u) in units.iter().enumerate() {
        let base = u.name.rsplit(['/', '\\']).next().unwrap_or("");
        if base == "_cgo_export.c" && i > 0 {
            group_pkg.push(None);
        }
        let g = group_pkg.len() - 1;
        group_of[i] = g;
        if group_pkg[g].is_none() {
            group_pkg[g] = match &origins[i] {
                Origin::Package(p) => Some(p.clone()),
                Origin::Generated => own_package(u).map(str::to_string),
                _ => None,
            };
        }
    }

    units
        .iter()
        .zip(&origins)
        .zip(&group_of)
        .map(|((u, o), &g)| {
            let group = group_pkg[g].as_deref();
            match o {
                Origin::Package(p) => p.clone(),
                Origin::Generated => own_package(u).or(group).unwrap_or("C").to_string(),
                Origin::CPackage(p) => format!("C: {p}"),
                // cmd/go archives a package's cgo output and its own C files together
                // (`_cgo_export.c` first), so the group's package compiled this file,
                // whatever its directory is called (a `replace` target, a checkout).
                Origin::Dir(d) => match group {
                    Some(p) => format!("C: {p}"),
                    None => match d.rsplit('/').next() {
                        Some(base) if !base.is_empty() => format!("C: {base}"),
                        _ => "C".to_string(),
                    },
                },
                Origin::Unknown => "C".to_string(),
            }
        })
        .collect()
}

/// The module of a `C: <name>` package: the Go module holding that import path, or
/// `C (cgo)` when buildinfo names none (libraries outside any module, glibc).
pub fn module_of(name: &str, bi: Option<&crate::go::BuildInfo>) -> String {
    let Some(bi) = bi else {
        return "C (cgo)".into();
    };
    if name == "main" {
        return bi
            .main
            .as_ref()
            .map_or("C (cgo)".into(), |m| m.path.clone());
    }
    bi.main
        .iter()
        .chain(bi.deps.iter())
        .filter(|m| {
            name == m.path
                || name
                    .strip_prefix(m.path.as_str())
                    .is_some_and(|r| r.starts_with('/'))
        })
        .max_by_key(|m| m.path.len())
        .map_or("C (cgo)".into(), |m| m.path.clone())
}

/// Section names only glibc's own objects create (libc.a's freeres and stdio tables).
pub const GLIBC_SECTIONS: &[&str] = &[
    "__libc_freeres_fn",
    "__libc_subfreeres",
    "__libc_IO_vtables",
    "__libc_atexit",
    "__libc_freeres_ptrs",
];

/// Whether `bin` is statically linked with glibc, from glibc's own sections or its ABI
/// note plus start routine; `symbols` may be empty (stripped), the sections still tell.
pub fn is_static_glibc(bin: &Binary<'_>, symbols: &[Symbol]) -> bool {
    if bin.format != crate::binary::Format::Elf || bin.section(".interp").is_some() {
        return false;
    }
    if bin
        .sections
        .iter()
        .any(|s| GLIBC_SECTIONS.contains(&s.name.as_str()))
    {
        return true;
    }
    bin.section(".note.ABI-tag").is_some()
        && symbols
            .iter()
            .any(|s| s.name == "__libc_start_main" && s.section.is_some())
}

/// Address ranges of the Go program's own text and data (`runtime.text`..`runtime.etext`
/// and the like), where C code cannot be.
pub fn go_ranges(symbols: &[Symbol]) -> Vec<(u64, u64)> {
    const PAIRS: &[(&str, &str)] = &[
        ("runtime.text", "runtime.etext"),
        ("runtime.rodata", "runtime.erodata"),
        ("runtime.noptrdata", "runtime.enoptrdata"),
        ("runtime.data", "runtime.edata"),
        ("runtime.bss", "runtime.ebss"),
        ("runtime.noptrbss", "runtime.enoptrbss"),
    ];
    let find = |n: &str| symbols.iter().find(|s| s.name == n).map(|s| s.addr);
    PAIRS
        .iter()
        .filter_map(|(a, b)| Some((find(a)?, find(b)?)))
        .filter(|r| r.0 < r.1)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(name: &str, dir: &str, ranges: &[(u64, u64)]) -> CUnit {
        CUnit {
            name: name.into(),
            comp_dir: dir.into(),
            ranges: ranges.to_vec(),
        }
    }

    fn sym(name: &str, addr: u64) -> Symbol {
        Symbol {
            name: name.into(),
            addr,
            size: 8,
            section: Some(1),
            is_text: true,
        }
    }

    #[test]
    fn origins_from_directories() {
        let o = |n: &str, d: &str| origin(&unit(n, d, &[]));
        assert_eq!(
            o("gcc_linux_amd64.c", "/_/GOROOT/src/runtime/cgo"),
            Origin::Package("runtime/cgo".into())
        );
        assert_eq!(
            o("gcc_util.c", "/usr/local/go/src/runtime/cgo"),
            Origin::Package("runtime/cgo".into())
        );
        assert_eq!(o("x.cgo2.c", "/tmp/go-build"), Origin::Generated);
        assert_eq!(
            o(
                "sqlite3-binding.c",
                "/root/go/pkg/mod/github.com/mattn/go-sqlite3@v1.14.22"
            ),
            Origin::CPackage("github.com/mattn/go-sqlite3".into())
        );
        assert_eq!(
            o("a.c", "/h/go/pkg/mod/github.com/!burnt!sushi/x@v1.0.0/sub"),
            Origin::CPackage("github.com/BurntSushi/x/sub".into())
        );
        assert_eq!(
            o("sum.c", "/_/example.com/app/lib"),
            Origin::CPackage("example.com/app/lib".into())
        );
        assert_eq!(
            o("b.c", "/_/github.com/a/b@v1.2.3/c"),
            Origin::CPackage("github.com/a/b/c".into())
        );
        assert_eq!(
            o("lib/zstd.c", "/home/u/src/app"),
            Origin::Dir("/home/u/src/app/lib".into())
        );
        assert_eq!(o("", ""), Origin::Unknown);
    }

    #[test]
    fn units_named_by_hash_group_and_directory() {
        let units = [
            unit("other.c", "/opt/zlib", &[(0x400, 0x440)]),
            unit("_cgo_export.c", "/tmp/go-build", &[(0x100, 0x110)]),
            unit("cgo_linux.cgo2.c", "/tmp/go-build", &[]),
            unit("_cgo_export.c", "/tmp/go-build", &[]),
            unit("lib.cgo2.c", "/tmp/go-build", &[(0x200, 0x240)]),
            unit("sum.c", "/src/checkout-v2", &[(0x240, 0x280)]),
            unit("_cgo_export.c", "/tmp/go-build", &[]),
            unit("cgo.cgo2.c", "/tmp/go-build", &[]),
            unit("gcc_util.c", "/_/GOROOT/src/runtime/cgo", &[(0x300, 0x340)]),
        ];
        let syms = [
            sym("net._cgo_77133bf98b3a_Cfunc__Cmalloc", 0x9000),
            sym("_cgo_77133bf98b3a_Cfunc__Cmalloc", 0x100),
            sym("example.com/app/lib._cgo_0123456789ab_Cfunc_sum", 0x9008),
            sym("_cgo_0123456789ab_Cfunc_sum", 0x210),
        ];
        let names = name_units(&units, &syms);
        assert_eq!(
            names,
            [
                "C: zlib",
                "net",
                "net",
                "example.com/app/lib",
                "example.com/app/lib",
                "C: example.com/app/lib",
                "runtime/cgo",
                "runtime/cgo",
                "runtime/cgo",
            ]
        );
        let code = CCode::new(&units, &names);
        assert_eq!(code.at(0x105), Some("net"));
        assert_eq!(code.at(0x250), Some("C: example.com/app/lib"));
        assert_eq!(code.at(0x280), None);
        assert_eq!(code.at(0x50), None);
    }

    #[test]
    fn generated_unit_without_evidence_stays_c() {
        let units = [unit("x.cgo2.c", "/tmp/go-build", &[(1, 2)])];
        assert_eq!(name_units(&units, &[]), ["C"]);
        assert!(CCode::new(&units, &["C".to_string()]).is_empty());
    }

    #[test]
    fn c_package_modules() {
        use crate::go::buildinfo::Module;
        let m = |p: &str| Module {
            path: p.into(),
            version: "v1.0.0".into(),
            sum: None,
            replace: None,
        };
        let bi = crate::go::BuildInfo {
            main: Some(m("example.com/app")),
            deps: vec![m("github.com/mattn/go-sqlite3")],
            ..Default::default()
        };
        assert_eq!(
            module_of("github.com/mattn/go-sqlite3", Some(&bi)),
            "github.com/mattn/go-sqlite3"
        );
        assert_eq!(
            module_of("example.com/app/lib", Some(&bi)),
            "example.com/app"
        );
        assert_eq!(module_of("main", Some(&bi)), "example.com/app");
        assert_eq!(module_of("zlib", Some(&bi)), "C (cgo)");
        assert_eq!(module_of("libc (glibc, static)", None), "C (cgo)");
    }
}
