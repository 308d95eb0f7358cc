//! The audit of one binary: the [`Artifact`] report and how it is assembled.
//!
//! Flow: [`Binary`] (headers) → Go metadata (buildinfo, pclntab) → [`Evidence`] (the
//! facts every verdict reads) → verdicts ([`verdicts`]) → findings. No I/O happens here
//! apart from reading the bytes handed in; rendering is elsewhere.

pub mod nix;
pub mod verdicts;

use serde::Serialize;

use crate::binary::elf::ElfLinking;
use crate::binary::{Binary, Format};
use crate::error::ParseError;
use crate::finding::{Code, Finding};
use crate::go::{self, BuildInfo, Pclntab};
use crate::input::detect::{self, InputKind};
use crate::size;

pub use verdicts::{Cgo, Debug, Hardening, Linking, Net, OsUser, Unknown, Vcs};

/// JSON schema version of the audit output. Adding keys does not bump it; renaming or
/// removing one does.
pub const SCHEMA_VERSION: u32 = 2;

/// Everything goaudit reports about one binary.
#[derive(Debug, Clone, Serialize)]
pub struct Artifact {
    /// `"binary"` (images use `"image"`).
    pub kind: &'static str,
    /// The path as the user gave it (or its path inside an image).
    pub path: String,
    /// `elf`, `macho` or `pe`.
    pub format: Format,
    /// GOARCH-style architecture name.
    pub arch: String,
    /// File size in bytes.
    pub size: u64,
    /// Go toolchain version, e.g. `go1.26.8`; null when it cannot be recovered.
    pub go_version: Option<String>,
    /// Where `go_version` came from: `buildinfo`, or `inferred` (symbol or string scan).
    pub go_version_source: Option<&'static str>,
    /// How an inferred version was found: `runtime.buildVersion` or `version string in
    /// <section>`; null when read from buildinfo or unknown.
    pub go_version_evidence: Option<String>,
    /// `"upx"` when the file is packed. The Go facts below are then absent, unless
    /// `unpacked` says they were read from the program `upx -d` restored.
    pub packed: Option<&'static str>,
    /// The facts describe the unpacked program (`packed` and `size` still describe the
    /// file on disk).
    pub unpacked: bool,
    /// Set when the program's own facts (linking, cgo, resolver, os/user, debug state,
    /// VCS stamp, store references) cannot be read: why, and how to fix that. Every
    /// verdict it covers is then `unknown`, and `check` treats the rules reading them as
    /// not evaluated. Null when the facts were read.
    pub unknown: Option<Unknown>,
    /// Static or dynamic, with the loader and libraries.
    pub linking: Linking,
    /// The CGO_ENABLED setting and whether runtime/cgo is really linked.
    pub cgo: Cgo,
    /// Which DNS resolver is compiled in.
    pub net: Net,
    /// How os/user looks users up.
    pub os_user: OsUser,
    /// A static symbol table is present.
    pub symtab: bool,
    /// DWARF is present.
    pub dwarf: bool,
    /// Built with -trimpath; null when unknowable (packed file, no metadata).
    pub trimpath: Option<bool>,
    /// Debug-state details: DWARF compression, sample build paths.
    pub debug: Debug,
    /// VCS stamp from buildinfo.
    pub vcs: Option<Vcs>,
    /// checksec-style hardening (ELF only).
    pub hardening: Option<Hardening>,
    /// `/nix/store` paths referenced, each with where it was seen.
    pub nix_store_refs: Vec<nix::StoreRef>,
    /// Decoded buildinfo, when present.
    pub buildinfo: Option<BuildInfo>,
    /// Number of functions in the pclntab (0 when not found).
    pub functions: usize,
    /// Where the bytes go: by module, package and section. Null until computed.
    pub size_attribution: Option<crate::size::SizeReport>,
    /// Findings with stable ids.
    pub findings: Vec<Finding>,
}

/// Why a file could not be audited.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    /// Not ELF, Mach-O or PE.
    #[error("not an executable (ELF, Mach-O or PE)")]
    NotExecutable,
    /// An executable, but no Go metadata was found.
    #[error("not a Go binary (no buildinfo, pclntab or Go build ID)")]
    NotGo,
    /// A structure is broken.
    #[error(transparent)]
    Malformed(#[from] ParseError),
}

/// The facts every verdict reads, gathered once per binary.
#[derive(Debug, Default)]
pub struct Evidence<'a> {
    /// ELF linking view (None for Mach-O/PE).
    pub elf: Option<ElfLinking>,
    /// Libraries a Mach-O or PE file imports.
    pub imports: Vec<String>,
    /// Buildinfo, if found.
    pub buildinfo: Option<&'a BuildInfo>,
    /// pclntab, if found.
    pub pclntab: Option<&'a Pclntab>,
    /// The function names the verdicts ask about that are present (see
    /// [`verdicts::EXACT`] and [`verdicts::PREFIXES`]), gathered in one pass over the
    /// function table so no verdict walks tens of thousands of names again.
    pub present: std::collections::HashSet<&'static str>,
    /// The dynamic symbols (ELF `.dynsym`) among [`verdicts::DYNSYMS`] that are present.
    pub dynsyms: std::collections::HashSet<&'static str>,
    /// Static symbol table present.
    pub symtab: bool,
}

impl Evidence<'_> {
    /// Record which of the names and prefixes the verdicts use occur among `funcs`.
    pub fn scan_funcs<'n>(&mut self, funcs: impl Iterator<Item = &'n str>) {
        funcs.for_each(|f| note_func(&mut self.present, f));
    }

    /// A function with its own code exists. Only names in [`verdicts::EXACT`] are known.
    pub fn has_func(&self, name: &str) -> bool {
        debug_assert!(
            verdicts::EXACT.contains(&name),
            "{name} is not in verdicts::EXACT"
        );
        self.present.contains(name)
    }

    /// Some function's name starts with `prefix`. Only [`verdicts::PREFIXES`] are known.
    pub fn has_func_prefix(&self, prefix: &str) -> bool {
        debug_assert!(
            verdicts::PREFIXES.contains(&prefix),
            "{prefix} is not in verdicts::PREFIXES"
        );
        self.present.contains(prefix)
    }
}

/// Record `name` in `present` if the verdicts ask about it (exactly or by prefix).
fn note_func(present: &mut std::collections::HashSet<&'static str>, name: &str) {
    for &e in verdicts::EXACT {
        if name == e {
            present.insert(e);
        }
    }
    for &p in verdicts::PREFIXES {
        if name.starts_with(p) {
            present.insert(p);
        }
    }
}

/// Audit one file's bytes. `path` is only used as the report's label.
pub fn audit_bytes(path: &str, data: &[u8]) -> Result<Artifact, AuditError> {
    audit_inner(path, data, true).map(|(a, _)| a)
}

/// The audit without size attribution (`size_attribution` stays null, the cgo saving
/// unmeasured): the verdicts need only function names, which keeps a human audit of a
/// large binary in the time `go version -m` takes to read its buildinfo.
pub fn audit_fast(path: &str, data: &[u8]) -> Result<Artifact, AuditError> {
    audit_inner(path, data, false).map(|(a, _)| a)
}

/// Audit, and also return the full byte attribution (item-level owners) behind the
/// artifact's size report; `None` for packed files.
pub fn audit_detailed(
    path: &str,
    data: &[u8],
) -> Result<(Artifact, Option<size::Attribution>), AuditError> {
    audit_inner(path, data, true)
}

fn audit_inner(
    path: &str,
    data: &[u8],
    with_size: bool,
) -> Result<(Artifact, Option<size::Attribution>), AuditError> {
    // A file cut inside its headers no longer sniffs as what it was (an MZ stub whose
    // PE header is gone): damage, not "not an executable".
    crate::binary::integrity::check(data)?;
    let kind = detect::sniff(data);
    if !matches!(kind, InputKind::Elf | InputKind::MachO | InputKind::Pe) {
        return Err(AuditError::NotExecutable);
    }
    let bin = Binary::parse(data)?;

    if bin.format == Format::Elf && bin.sections.is_empty() && detect::is_upx_packed(data) {
        return Ok((packed_artifact(path, &bin), None));
    }

    // Optional structures degrade instead of failing the whole audit: a broken pclntab
    // on a binary with good buildinfo still yields a report.
    let buildinfo = go::buildinfo::read(&bin).ok().flatten();
    // The fast audit never materialises the functions: their names are only checked
    // against the few the verdicts ask about.
    let mut present = std::collections::HashSet::new();
    let mut functions = 0usize;
    let pclntab = if with_size {
        let t = go::pclntab::find(&bin);
        if let Ok(Some(p)) = &t {
            functions = p.funcs.len();
            p.funcs
                .iter()
                .for_each(|f| note_func(&mut present, &f.name));
        }
        t
    } else {
        go::pclntab::visit_names(&bin, &mut |name| {
            functions += 1;
            note_func(&mut present, name);
        })
    };
    let pclntab = pclntab.ok().flatten();
    let go_note =
        bin.section(".note.go.buildid").is_some() || bin.section("__go_buildinfo").is_some();
    if buildinfo.is_none() && pclntab.is_none() && !go_note {
        return Err(AuditError::NotGo);
    }

    let mut ev = Evidence {
        buildinfo: buildinfo.as_ref(),
        pclntab: pclntab.as_ref(),
        present,
        ..Default::default()
    };
    ev.symtab = bin.has_symtab();
    if pclntab.is_none() {
        let symbols = bin.symbols();
        ev.scan_funcs(
            symbols
                .iter()
                .filter(|s| s.is_text)
                .map(|s| s.name.as_str()),
        );
    }
    ev.dynsyms = bin.dynamic_symbols_among(verdicts::DYNSYMS);
    match bin.format {
        Format::Elf => ev.elf = Some(ElfLinking::parse(data)?),
        Format::Macho | Format::Pe => ev.imports = verdicts::imported_libraries(data),
    }

    let linking = verdicts::linking(&bin, &ev);
    let cgo = verdicts::cgo(&ev);
    let net = verdicts::net(&ev, bin.format);
    let os_user = verdicts::os_user(&ev, bin.format);
    let debug = verdicts::debug(&bin, &ev);
    let trimpath = debug.trimpath;
    let dwarf = debug.dwarf_bytes > 0;
    let vcs = buildinfo.as_ref().and_then(verdicts::vcs);
    let hardening = ev.elf.as_ref().map(|e| verdicts::hardening(e, &bin, &ev));
    let files = pclntab
        .as_ref()
        .map(|p| p.files.as_slice())
        .unwrap_or_default();
    let nix_store_refs = nix::scan(&bin, files, ev.elf.as_ref());

    let (go_version, go_version_source, go_version_evidence) = match &buildinfo {
        Some(bi) if !bi.go_version.is_empty() => (
            Some(bi.go_version.clone()),
            Some(if bi.inferred { "inferred" } else { "buildinfo" }),
            bi.inferred_from.clone(),
        ),
        _ => (None, None, None),
    };

    let mut a = Artifact {
        kind: "binary",
        path: path.to_string(),
        format: bin.format,
        arch: bin.arch.clone(),
        size: data.len() as u64,
        go_version,
        go_version_source,
        go_version_evidence,
        packed: None,
        unpacked: false,
        unknown: None,
        linking,
        cgo,
        net,
        os_user,
        symtab: ev.symtab,
        dwarf,
        trimpath,
        debug,
        vcs,
        hardening,
        nix_store_refs,
        functions,
        buildinfo: None,
        size_attribution: None,
        findings: Vec::new(),
    };
    a.findings = verdicts::findings(&a, &bin);
    if !with_size {
        let files = pclntab
            .as_ref()
            .map(|p| p.files.as_slice())
            .unwrap_or_default();
        set_trimpath_saving(&mut a, files);
        a.buildinfo = buildinfo;
        return Ok((a, None));
    }
    let attribution = size::attribute(&bin, pclntab.as_ref(), buildinfo.as_ref());
    let report = attribution.report();
    for f in &mut a.findings {
        if f.id == Code::CgoLinked {
            f.saving = Some(size::why::cgo_saving(&report)).filter(|&s| s > 0);
        }
    }
    let files = pclntab
        .as_ref()
        .map(|p| p.files.as_slice())
        .unwrap_or_default();
    set_trimpath_saving(&mut a, files);
    a.size_attribution = Some(report);
    a.buildinfo = buildinfo;
    Ok((a, Some(attribution)))
}

fn set_trimpath_saving(a: &mut Artifact, files: &[String]) {
    let dwarf = a.dwarf;
    for f in a.findings.iter_mut().filter(|f| f.id == Code::NoTrimpath) {
        let abs: Vec<String> = files
            .iter()
            .filter(|f| verdicts::is_absolute_path(f))
            .cloned()
            .collect();
        f.saving = Some(size::why::trimpath_saving(&abs, dwarf)).filter(|&s| s > 0);
    }
}

impl Artifact {
    /// Mark the program's facts unknown: every verdict says why and how to fix it.
    pub fn set_unknown(&mut self, why: Unknown) {
        self.linking = Linking::unknown(&why);
        self.cgo = Cgo::unknown(&why);
        self.net = Net::unknown(&why);
        self.os_user = OsUser::unknown(&why);
        self.unknown = Some(why);
    }

    /// ELF position-independent executable (UPX refuses these).
    pub fn linking_is_pie(&self) -> bool {
        self.hardening.as_ref().is_some_and(|h| h.pie)
    }
}

/// Why the facts of a UPX-packed file read as bytes (no `upx -d` was tried) are unknown.
pub fn packed_unknown() -> Unknown {
    Unknown {
        reason: "packed with UPX: the headers are the UPX stub's and the Go metadata is compressed"
            .into(),
        fix: "unpack it with `upx -d` and audit the result".into(),
    }
}

fn packed_artifact(path: &str, bin: &Binary<'_>) -> Artifact {
    let why = packed_unknown();
    let mut a = Artifact {
        kind: "binary",
        path: path.to_string(),
        format: bin.format,
        arch: bin.arch.clone(),
        size: bin.data.len() as u64,
        go_version: None,
        go_version_source: None,
        go_version_evidence: None,
        packed: Some("upx"),
        unpacked: false,
        linking: Linking::unknown(&why),
        cgo: Cgo::unknown(&why),
        net: Net::unknown(&why),
        os_user: OsUser::unknown(&why),
        unknown: Some(why),
        symtab: false,
        dwarf: false,
        trimpath: None,
        debug: Debug::default(),
        vcs: None,
        hardening: None,
        nix_store_refs: Vec::new(),
        buildinfo: None,
        functions: 0,
        size_attribution: None,
        findings: Vec::new(),
    };
    a.findings.push(Finding::new(
        Code::UpxPacked,
        "packed with UPX: Go metadata is compressed and cannot be read; unpack with `upx -d` to audit the program",
    ));
    a
}
