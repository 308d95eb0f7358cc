//! The verdicts, each a pure function of the [`Evidence`] with the evidence it rests on
//! spelled out in the result.
//!
//! Function names come from the pclntab function table (entries with their own code), so
//! every verdict here works on `-s -w` and `strip`ped binaries. Names that appear only in
//! the pclntab's name blob (inlined stubs such as `net.cgoLookupHost` in a CGO_ENABLED=0
//! Go 1.23 build) are deliberately not consulted: they would say "cgo" for a pure-Go build.

use serde::Serialize;

use super::{Artifact, Evidence};
use crate::binary::elf::{ElfLinking, LinkKind};
use crate::binary::{Binary, Format};
use crate::finding::{Code, Finding};
use crate::go::BuildInfo;

/// libc's user and group lookups, imported when os/user uses cgo.
const CGO_USER_IMPORTS: &[&str] = &["getpwuid_r", "getpwnam_r", "getgrgid_r", "getgrnam_r"];

/// The dynamic symbols the verdicts ask about; the audit keeps only these, so a binary
/// with a large `.dynsym` costs no more than a small one.
pub const DYNSYMS: &[&str] = &[
    "crosscall2",
    "getaddrinfo",
    "getpwuid_r",
    "getpwnam_r",
    "getgrgid_r",
    "getgrnam_r",
    "__stack_chk_fail",
    "__stack_chk_guard",
];

/// Exact function names the verdicts test for.
pub const EXACT: &[&str] = &[
    "crosscall2",
    "net._C2func_getaddrinfo",
    "net._C_getaddrinfo",
    "net._Cfunc_getaddrinfo",
    "net.cgoLookupHost",
    "net.cgoLookupIP",
    "net.cgoLookupHostIP",
    "net.cgoLookupPort",
    "net.cgoLookupCNAME",
    "net.cgoLookupPTR",
    "internal/syscall/unix.Getaddrinfo",
    "internal/syscall/unix.Getnameinfo",
    "internal/syscall/unix.ResNsearch",
    "os/user.lookupUnixUid",
];

/// The functions through which a darwin binary calls libSystem's resolver without cgo
/// (net/cgo_unix_syscall.go, `!netgo && darwin`): whichever of net's lookups the program
/// reaches (LookupHost, the IP and port lookups a server's Listen or a client's Dial
/// make, LookupCNAME, LookupAddr), and the libc wrappers under them. Only counted on
/// Mach-O: on Linux a CGO_ENABLED=0 build may keep cgo_stub.go's panicking stubs.
pub const DARWIN_LIBC_DNS: &[&str] = &[
    "internal/syscall/unix.Getaddrinfo",
    "internal/syscall/unix.Getnameinfo",
    "internal/syscall/unix.ResNsearch",
    "net.cgoLookupHost",
    "net.cgoLookupIP",
    "net.cgoLookupHostIP",
    "net.cgoLookupPort",
    "net.cgoLookupCNAME",
    "net.cgoLookupPTR",
];

/// Function-name prefixes the verdicts test for.
pub const PREFIXES: &[&str] = &[
    "net.",
    "os/user.",
    "os/user._Cfunc_",
    "os/user._C2func_",
    "os/user._C_",
];

/// Linking verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Linking {
    /// static, static-pie or dynamic.
    pub kind: LinkKind,
    /// The dynamic loader (`PT_INTERP`, Mach-O `LC_LOAD_DYLINKER`).
    pub interpreter: Option<String>,
    /// Shared libraries needed (`DT_NEEDED`, Mach-O dylibs, PE DLL imports).
    pub needed: Vec<String>,
    /// `DT_RPATH` entries.
    pub rpath: Vec<String>,
    /// `DT_RUNPATH` entries.
    pub runpath: Vec<String>,
    /// What the verdict rests on.
    pub evidence: String,
}

impl Linking {
    /// A packed program: the headers are the UPX stub's, so they say nothing about the
    /// program's own linking (a dynamic cgo program packs into a static-looking stub).
    pub(super) fn unknown(why: &Unknown) -> Self {
        Linking {
            kind: LinkKind::Unknown,
            interpreter: None,
            needed: Vec::new(),
            rpath: Vec::new(),
            runpath: Vec::new(),
            evidence: why.evidence(),
        }
    }
}

/// Why the verdicts of a binary cannot be read, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unknown {
    /// What hides the facts, e.g. "packed with UPX and `upx` is not on PATH".
    pub reason: String,
    /// How to get them, e.g. "install upx to verify a packed binary".
    pub fix: String,
}

impl Unknown {
    /// The evidence line of every verdict it makes unknown.
    pub fn evidence(&self) -> String {
        format!("unknown: {}; {}", self.reason, self.fix)
    }
}

/// cgo verdict: the setting and the reality.
#[derive(Debug, Clone, Serialize)]
pub struct Cgo {
    /// `CGO_ENABLED` from buildinfo: "0", "1", or null when not recorded.
    pub setting: Option<String>,
    /// runtime/cgo is really linked (`crosscall2` present); null when unknown (a
    /// packed binary that could not be unpacked).
    pub linked: Option<bool>,
    /// What the verdict rests on.
    pub evidence: String,
    /// Set when the setting and the reality differ, explaining why.
    pub note: Option<String>,
}

impl Cgo {
    pub(super) fn unknown(why: &Unknown) -> Self {
        Cgo {
            setting: None,
            linked: None,
            evidence: why.evidence(),
            note: None,
        }
    }

    /// runtime/cgo is known to be linked.
    pub fn is_linked(&self) -> bool {
        self.linked == Some(true)
    }
}

/// DNS resolver verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Net {
    /// `go` (pure Go only), `cgo` (libc getaddrinfo compiled in), `system` (the Windows
    /// resolver API), `absent` (net not linked),
    /// `unknown` (packed).
    pub resolver: &'static str,
    /// Why netgo is in effect when `resolver` is `go`: `netgo-tag`, `cgo-disabled`, or
    /// `cgo-not-linked`.
    pub netgo: Option<&'static str>,
    /// What the verdict rests on.
    pub evidence: String,
}

impl Net {
    pub(super) fn unknown(why: &Unknown) -> Self {
        Net {
            resolver: "unknown",
            netgo: None,
            evidence: why.evidence(),
        }
    }
}

/// os/user verdict.
#[derive(Debug, Clone, Serialize)]
pub struct OsUser {
    /// `go` (pure Go, reads /etc/passwd), `cgo` (libc getpwuid_r), `system` (Windows
    /// account APIs), `absent`, `unknown`.
    #[serde(rename = "impl")]
    pub implementation: &'static str,
    /// Why pure Go is in effect: `osusergo-tag`, `cgo-disabled`, `cgo-not-linked`.
    pub osusergo: Option<&'static str>,
    /// What the verdict rests on.
    pub evidence: String,
}

impl OsUser {
    pub(super) fn unknown(why: &Unknown) -> Self {
        OsUser {
            implementation: "unknown",
            osusergo: None,
            evidence: why.evidence(),
        }
    }
}

/// Debug and size state.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Debug {
    /// On-disk bytes of the static symbol table and its string table.
    pub symtab_bytes: u64,
    /// On-disk bytes of DWARF sections.
    pub dwarf_bytes: u64,
    /// DWARF sections are compressed (SHF_COMPRESSED or `.zdebug_*`).
    pub dwarf_compressed: bool,
    /// Built with -trimpath: from buildinfo, else from the absence of absolute paths in the
    /// pclntab file table. Null when neither is available.
    pub trimpath: Option<bool>,
    /// How `trimpath` was decided: `buildinfo` or `file-table`.
    pub trimpath_source: Option<&'static str>,
    /// Number of absolute source paths in the pclntab file table.
    pub build_path_count: usize,
    /// A few of them, as examples.
    pub build_paths: Vec<String>,
}

/// VCS stamp.
#[derive(Debug, Clone, Serialize)]
pub struct Vcs {
    /// `git`, `hg`, ...
    pub system: Option<String>,
    /// Commit id.
    pub revision: Option<String>,
    /// Commit time (RFC 3339).
    pub time: Option<String>,
    /// The tree had uncommitted changes.
    pub modified: Option<bool>,
}

/// checksec-style hardening, ELF only.
#[derive(Debug, Clone, Serialize)]
pub struct Hardening {
    /// Position-independent executable (`ET_DYN`).
    pub pie: bool,
    /// Non-executable stack (`PT_GNU_STACK` without `PF_X`).
    pub nx: bool,
    /// `full`, `partial` or `none`.
    pub relro: &'static str,
    /// Stack canaries: `yes` (`__stack_chk_fail` referenced), `no` (C code without them),
    /// `n/a` (pure Go: Go checks stack bounds itself).
    pub canary: &'static str,
}

/// Static, static-pie or dynamic, with the loader and libraries.
pub fn linking(bin: &Binary<'_>, ev: &Evidence<'_>) -> Linking {
    match (&ev.elf, bin.format) {
        (Some(e), _) => {
            let kind = e.kind();
            let evidence = match kind {
                LinkKind::Static => "no PT_INTERP and no DT_NEEDED".to_string(),
                LinkKind::StaticPie => {
                    "ET_DYN without PT_INTERP or DT_NEEDED: relocates itself".to_string()
                }
                LinkKind::Unknown => String::new(),
                LinkKind::Dynamic => match (&e.interpreter, e.needed.is_empty()) {
                    (Some(i), true) => format!(
                        "PT_INTERP {i}; no DT_NEEDED (a PIE needs the loader only to relocate)"
                    ),
                    (Some(i), false) => format!("PT_INTERP {i}; DT_NEEDED {}", e.needed.join(", ")),
                    (None, _) => format!(
                        "DT_NEEDED {} without PT_INTERP (a shared object)",
                        e.needed.join(", ")
                    ),
                },
            };
            Linking {
                kind,
                interpreter: e.interpreter.clone(),
                needed: e.needed.clone(),
                rpath: e.rpath.clone(),
                runpath: e.runpath.clone(),
                evidence,
            }
        }
        (None, Format::Macho) => Linking {
            kind: LinkKind::Dynamic,
            interpreter: Some("/usr/lib/dyld".into()),
            needed: ev.imports.clone(),
            rpath: Vec::new(),
            runpath: Vec::new(),
            evidence: "Mach-O executables always load through dyld; macOS has no static binaries"
                .into(),
        },
        (None, _) => {
            // Go's Windows runtime imports kernel32.dll and loads the rest itself; only
            // other DLLs (cgo's msvcrt, libgcc, ...) make a PE depend on the machine.
            let foreign: Vec<&String> = ev
                .imports
                .iter()
                .filter(|l| !is_windows_system_dll(l))
                .collect();
            let kind = if foreign.is_empty() {
                LinkKind::Static
            } else {
                LinkKind::Dynamic
            };
            let evidence = if foreign.is_empty() {
                format!(
                    "imports only Windows system DLLs ({})",
                    ev.imports.join(", ")
                )
            } else {
                format!(
                    "imports non-system DLLs: {}",
                    foreign
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            Linking {
                kind,
                interpreter: None,
                needed: ev.imports.clone(),
                rpath: Vec::new(),
                runpath: Vec::new(),
                evidence,
            }
        }
    }
}

fn is_windows_system_dll(name: &str) -> bool {
    const SYSTEM: &[&str] = &[
        "kernel32.dll",
        "ntdll.dll",
        "advapi32.dll",
        "ws2_32.dll",
        "winmm.dll",
        "user32.dll",
        "shell32.dll",
        "crypt32.dll",
        "bcrypt.dll",
        "iphlpapi.dll",
        "secur32.dll",
        "dnsapi.dll",
        "userenv.dll",
        "netapi32.dll",
        "powrprof.dll",
        "mswsock.dll",
        "ole32.dll",
        "oleaut32.dll",
        "api-ms-win-core-synch-l1-2-0.dll",
    ];
    let lower = name.to_ascii_lowercase();
    SYSTEM.contains(&lower.as_str()) || lower.starts_with("api-ms-win-")
}

/// Libraries a Mach-O or PE file imports, read with goblin.
pub fn imported_libraries(data: &[u8]) -> Vec<String> {
    match goblin::Object::parse(data) {
        Ok(goblin::Object::Mach(goblin::mach::Mach::Binary(m))) => {
            // goblin lists the file itself as "self" first.
            m.libs
                .iter()
                .filter(|l| **l != "self")
                .map(|l| l.to_string())
                .collect()
        }
        Ok(goblin::Object::PE(pe)) => pe.libraries.iter().map(|l| l.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// `crosscall2` is the entry from C into Go that runtime/cgo always brings, whatever the
/// Go version or link mode. `_cgo_init` and friends exist in every build and prove nothing.
pub fn cgo(ev: &Evidence<'_>) -> Cgo {
    let setting = ev
        .buildinfo
        .and_then(|b| b.setting("CGO_ENABLED"))
        .map(str::to_string);
    let in_funcs = ev.has_func("crosscall2");
    let in_dynsym = ev.dynsyms.contains("crosscall2");
    let linked = in_funcs || in_dynsym;
    let evidence = if in_funcs {
        "function crosscall2 present: runtime/cgo is linked".to_string()
    } else if in_dynsym {
        "crosscall2 exported in .dynsym: runtime/cgo is linked".to_string()
    } else {
        "no crosscall2: runtime/cgo is not linked".to_string()
    };
    let note = match (setting.as_deref(), linked) {
        (Some("1"), false) => Some(
            "CGO_ENABLED=1 was set, but no package that uses cgo was linked, so the binary has no C code"
                .to_string(),
        ),
        (Some("0"), true) => Some("CGO_ENABLED=0 was recorded, yet runtime/cgo is linked".to_string()),
        _ => None,
    };
    Cgo {
        setting,
        linked: Some(linked),
        evidence,
        note,
    }
}

fn tags(ev: &Evidence<'_>) -> Vec<String> {
    ev.buildinfo
        .and_then(|b| b.setting("-tags"))
        .map(|t| t.split(',').map(|s| s.trim().to_string()).collect())
        .unwrap_or_default()
}

fn pure_go_reason(ev: &Evidence<'_>, tag: &str, tag_reason: &'static str) -> &'static str {
    if tags(ev).iter().any(|t| t == tag) {
        tag_reason
    } else if ev.buildinfo.and_then(|b| b.setting("CGO_ENABLED")) == Some("0") {
        "cgo-disabled"
    } else {
        "cgo-not-linked"
    }
}

/// Which DNS resolver is compiled in.
pub fn net(ev: &Evidence<'_>, format: Format) -> Net {
    // `net.cgoLookupHost` counts only as a function with its own code: CGO_ENABLED=0
    // builds keep the name as an inlined stub, which the function table does not list.
    const CGO_DNS: &[&str] = &[
        "net._C2func_getaddrinfo",
        "net._C_getaddrinfo",
        "net._Cfunc_getaddrinfo",
        "net.cgoLookupHost",
    ];
    if !ev.has_func_prefix("net.") {
        return Net {
            resolver: "absent",
            netgo: None,
            evidence: "package net is not linked".into(),
        };
    }
    let netgo_tag = tags(ev).iter().any(|t| t == "netgo");
    if format == Format::Pe && !netgo_tag {
        return Net {
            resolver: "system",
            netgo: None,
            evidence: "Windows resolver (GetAddrInfoW through the Windows API)".into(),
        };
    }
    if format == Format::Macho && !ev.has_func("crosscall2") {
        let found: Vec<&str> = DARWIN_LIBC_DNS
            .iter()
            .copied()
            .filter(|n| ev.has_func(n))
            .collect();
        if !found.is_empty() {
            return Net {
                resolver: "cgo",
                netgo: None,
                evidence: format!(
                    "libc resolver called without cgo (macOS): function{} {}",
                    if found.len() == 1 { "" } else { "s" },
                    found.join(", ")
                ),
            };
        }
    }
    if let Some(h) = CGO_DNS.iter().find(|n| ev.has_func(n)).copied() {
        return Net {
            resolver: "cgo",
            netgo: None,
            evidence: format!("cgo resolver compiled in: function {h}"),
        };
    }
    if ev.dynsyms.contains("getaddrinfo") {
        return Net {
            resolver: "cgo",
            netgo: None,
            evidence: "imports getaddrinfo from libc (.dynsym)".into(),
        };
    }
    let why = pure_go_reason(ev, "netgo", "netgo-tag");
    let evidence = match why {
        "netgo-tag" => "pure Go resolver only: built with -tags netgo",
        "cgo-disabled" => "pure Go resolver only: CGO_ENABLED=0",
        _ => "pure Go resolver only: no cgo resolver functions (net._C2func_getaddrinfo) linked",
    };
    Net {
        resolver: "go",
        netgo: Some(why),
        evidence: evidence.into(),
    }
}

/// How os/user is implemented.
pub fn os_user(ev: &Evidence<'_>, format: Format) -> OsUser {
    const CGO_PREFIXES: &[&str] = &["os/user._Cfunc_", "os/user._C2func_", "os/user._C_"];
    if !ev.has_func_prefix("os/user.") {
        return OsUser {
            implementation: "absent",
            osusergo: None,
            evidence: "package os/user is not linked".into(),
        };
    }
    if format == Format::Pe {
        return OsUser {
            implementation: "system",
            osusergo: None,
            evidence: "Windows account APIs (the process token and NetUserGetInfo)".into(),
        };
    }
    if let Some(p) = CGO_PREFIXES.iter().find(|p| ev.has_func_prefix(p)) {
        return OsUser {
            implementation: "cgo",
            osusergo: None,
            evidence: format!("libc lookups compiled in: functions {p}*"),
        };
    }
    if ev.has_func("os/user.lookupUnixUid") {
        // macOS calls getpwuid_r through libSystem even without cgo.
        return OsUser {
            implementation: "cgo",
            osusergo: None,
            evidence: "libc lookups (getpwuid_r) compiled in: function os/user.lookupUnixUid"
                .into(),
        };
    }
    if CGO_USER_IMPORTS.iter().any(|i| ev.dynsyms.contains(*i)) {
        return OsUser {
            implementation: "cgo",
            osusergo: None,
            evidence: "imports getpwuid_r etc. from libc".into(),
        };
    }
    let why = pure_go_reason(ev, "osusergo", "osusergo-tag");
    let evidence = match why {
        "osusergo-tag" => "pure Go (reads /etc/passwd): built with -tags osusergo",
        "cgo-disabled" => "pure Go (reads /etc/passwd): CGO_ENABLED=0",
        _ => "pure Go (reads /etc/passwd): no libc lookups linked",
    };
    OsUser {
        implementation: "go",
        osusergo: Some(why),
        evidence: evidence.into(),
    }
}

/// Symbol table, DWARF and build-path state.
pub fn debug(bin: &Binary<'_>, ev: &Evidence<'_>) -> Debug {
    let file_size = |name: &str| {
        bin.section(name)
            .and_then(|s| s.file_range)
            .map_or(0, |r| r.1)
    };
    let symtab_bytes = match bin.format {
        Format::Elf => file_size(".symtab") + file_size(".strtab"),
        _ => 0,
    };
    let mut dwarf_bytes = 0;
    let mut dwarf_compressed = false;
    for s in bin.dwarf_sections() {
        dwarf_bytes += s.file_range.map_or(0, |r| r.1);
        dwarf_compressed |= s.compressed;
    }
    let abs: Vec<&String> = ev
        .pclntab
        .map(|p| p.files.iter().filter(|f| is_absolute_path(f)).collect())
        .unwrap_or_default();
    let setting = ev.buildinfo.and_then(|b| b.setting("-trimpath"));
    let (trimpath, source) = match (setting, ev.pclntab) {
        (Some("true"), _) => (Some(true), Some("buildinfo")),
        (_, Some(_)) => (Some(abs.is_empty()), Some("file-table")),
        (Some(_), None) => (Some(false), Some("buildinfo")),
        (None, None) => (None, None),
    };
    Debug {
        symtab_bytes,
        dwarf_bytes,
        dwarf_compressed,
        trimpath,
        trimpath_source: source,
        build_path_count: abs.len(),
        build_paths: abs.iter().take(3).map(|s| s.to_string()).collect(),
    }
}

/// `/abs/path` or `C:\path` / `C:/path`.
pub fn is_absolute_path(p: &str) -> bool {
    let b = p.as_bytes();
    p.starts_with('/')
        || (b.len() > 2
            && b[0].is_ascii_alphabetic()
            && b[1] == b':'
            && (b[2] == b'/' || b[2] == b'\\'))
}

/// VCS stamp from buildinfo settings.
pub fn vcs(bi: &BuildInfo) -> Option<Vcs> {
    let system = bi.setting("vcs").map(str::to_string);
    let revision = bi.setting("vcs.revision").map(str::to_string);
    let time = bi.setting("vcs.time").map(str::to_string);
    let modified = bi.setting("vcs.modified").map(|v| v == "true");
    if system.is_none() && revision.is_none() && modified.is_none() {
        return None;
    }
    Some(Vcs {
        system,
        revision,
        time,
        modified,
    })
}

/// checksec's view, with Go's own stack checks making canaries "n/a" for pure Go.
pub fn hardening(e: &ElfLinking, bin: &Binary<'_>, ev: &Evidence<'_>) -> Hardening {
    // Only C code can carry canaries; the symbol-table walk is skipped for pure Go.
    let has_c = bin.section(".comment").is_some() || ev.has_func("crosscall2");
    let canary_ref = ev.dynsyms.contains("__stack_chk_fail")
        || ev.dynsyms.contains("__stack_chk_guard")
        || (has_c && bin.symbol("__stack_chk_fail").is_some());
    let canary = if canary_ref {
        "yes"
    } else if has_c {
        "no"
    } else {
        "n/a"
    };
    Hardening {
        pie: e.pie(),
        nx: e.nx_stack,
        relro: e.relro(),
        canary,
    }
}

/// Findings for an audited binary, with measured savings where the saving is a section.
pub fn findings(a: &Artifact, _bin: &Binary<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    if a.linking.kind == LinkKind::Dynamic && a.format == Format::Elf {
        out.push(Finding::new(
            Code::DynamicLink,
            format!("dynamically linked: {}", a.linking.evidence),
        ));
    }
    if a.cgo.is_linked() {
        let fix = if a.cgo.setting.as_deref() == Some("1") {
            "; build with CGO_ENABLED=0 if no C code is needed"
        } else {
            ""
        };
        out.push(Finding::new(
            Code::CgoLinked,
            format!("{}{fix}", a.cgo.evidence),
        ));
    }
    if a.net.resolver == "cgo" {
        out.push(Finding::new(
            Code::CgoResolver,
            format!(
                "{}; build with -tags netgo or CGO_ENABLED=0",
                a.net.evidence
            ),
        ));
    }
    if a.os_user.implementation == "cgo" {
        out.push(Finding::new(
            Code::CgoOsUser,
            format!(
                "{}; build with -tags osusergo or CGO_ENABLED=0",
                a.os_user.evidence
            ),
        ));
    }
    if a.symtab {
        let mut f = Finding::new(
            Code::SymtabPresent,
            "symbol table present; -ldflags=-s or strip removes it",
        );
        if a.debug.symtab_bytes > 0 {
            f.saving = Some(a.debug.symtab_bytes);
        }
        out.push(f);
    }
    if a.dwarf {
        let mut f = Finding::new(
            Code::DwarfPresent,
            "DWARF present; -ldflags=-w or strip removes it",
        );
        f.saving = Some(a.debug.dwarf_bytes);
        out.push(f);
    }
    if a.trimpath == Some(false) {
        let ex = a
            .debug
            .build_paths
            .first()
            .map(|p| format!(", e.g. {p}"))
            .unwrap_or_default();
        out.push(Finding::new(
            Code::NoTrimpath,
            format!(
                "{} absolute build paths embedded{ex}; build with -trimpath",
                a.debug.build_path_count
            ),
        ));
    }
    if a.vcs.as_ref().and_then(|v| v.modified) == Some(true) {
        out.push(Finding::new(
            Code::VcsDirty,
            "built from a working tree with uncommitted changes (vcs.modified=true)",
        ));
    }
    if !a.nix_store_refs.is_empty() {
        out.push(Finding::new(
            Code::NixStoreRef,
            format!(
                "references {}; an image must ship them",
                crate::render::plural(
                    a.nix_store_refs.len(),
                    "/nix/store path",
                    "/nix/store paths"
                )
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence_with(funcs: &[&str]) -> Evidence<'static> {
        let mut ev = Evidence::default();
        ev.scan_funcs(funcs.iter().copied());
        ev
    }

    /// Each way a darwin program reaches libSystem's resolver without cgo is seen on its
    /// own: a program linking only one entry point is still "cgo".
    #[test]
    fn every_darwin_resolver_entry_point_is_the_libc_resolver() {
        for entry in DARWIN_LIBC_DNS {
            let ev = evidence_with(&["net.(*Resolver).LookupHost", entry]);
            let n = net(&ev, Format::Macho);
            assert_eq!(n.resolver, "cgo", "{entry}");
            assert!(n.evidence.contains(entry), "{entry}: {}", n.evidence);
            assert!(n.evidence.contains("without cgo (macOS)"), "{}", n.evidence);
        }
        // The same names on Linux are cgo_stub.go's stubs (or cgo with its own
        // _C2func_ functions): only net.cgoLookupHost counts there, as before.
        let ev = evidence_with(&["net.(*Resolver).LookupHost", "net.cgoLookupIP"]);
        assert_eq!(net(&ev, Format::Elf).resolver, "go");
        let ev = evidence_with(&["net.(*Resolver).LookupHost"]);
        assert_eq!(net(&ev, Format::Macho).resolver, "go");
    }
}
