//! `goaudit shrink`: strip (pure Rust) and optionally UPX-pack a Go ELF binary, as a
//! transaction.
//!
//! Every step writes into a private temporary directory created beside the target, so
//! the final `rename` stays on one file system and is atomic. Nothing reaches the target
//! until the result has been verified: it parses, buildinfo and verdicts are unchanged
//! after strip, `upx -t` passes and `upx -d` gives the stripped file back after UPX, and,
//! when asked, the program behaves the same. Any failure drops the temporary directory,
//! so the input is untouched and no partial file is left.

pub mod strip;
pub mod upx;

use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::audit::{self, Artifact, AuditError};
use crate::binary::Binary;
use crate::binary::elf::ElfLinking;
use crate::error::Error;
use crate::input::detect::{self, InputKind};
use crate::render::human_bytes;

pub use strip::RemovedSection;
pub use upx::UpxLevel;

/// Where the result goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A new (or replaced) file.
    Output(PathBuf),
    /// Replace the input itself.
    InPlace,
    /// Write nothing (`--dry-run`).
    None,
}

/// What to do.
#[derive(Debug, Clone)]
pub struct Request {
    /// The binary to shrink.
    pub input: PathBuf,
    /// Where the result goes.
    pub target: Target,
    /// Remove the symbol table and DWARF.
    pub strip: bool,
    /// Pack with UPX at this level.
    pub upx: Option<UpxLevel>,
    /// Run the original and the result with these arguments and compare.
    pub verify_run: Option<Vec<OsString>>,
    /// How long each `verify_run` execution may take.
    pub verify_timeout: Duration,
}

/// The default of [`Request::verify_timeout`] (`--verify-timeout`).
pub const DEFAULT_VERIFY_TIMEOUT: Duration = Duration::from_secs(60);

/// One step's effect on the size.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// `strip` or the UPX command (`upx --lzma`).
    pub step: String,
    /// Size before the step.
    pub before: u64,
    /// Size after the step (an estimate when `estimated`).
    pub after: u64,
    /// `before - after`.
    pub saved: u64,
    /// `saved` as a percentage of `before`.
    pub percent: f64,
    /// Sections deleted (strip only).
    pub removed: Vec<RemovedSection>,
    /// What was removed or done, in words.
    pub summary: String,
    /// The numbers come from the section table, not from a written file (`--dry-run`).
    pub estimated: bool,
}

impl Step {
    fn new(step: String, before: u64, after: u64, summary: String) -> Step {
        let saved = before.saturating_sub(after);
        Step {
            step,
            before,
            after,
            saved,
            percent: percent(saved, before),
            removed: Vec::new(),
            summary,
            estimated: false,
        }
    }
}

/// The outcome of a shrink.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The input path as given.
    pub input: String,
    /// Where the result was written; null for `--dry-run` or when nothing changed in place.
    pub output: Option<String>,
    /// Nothing was written.
    pub dry_run: bool,
    /// Size of the input.
    pub before: u64,
    /// Size of the result (estimated for `--dry-run`).
    pub after: u64,
    /// `before - after`.
    pub saved: u64,
    /// `saved` as a percentage of `before`.
    pub percent: f64,
    /// Each step in order.
    pub steps: Vec<Step>,
    /// The verifications that passed before the result was put in place.
    pub checks: Vec<String>,
    /// Other remarks (nothing to strip, what a dry run did not do).
    pub notes: Vec<String>,
    /// What UPX costs at run time; empty when UPX was not requested.
    pub upx_costs: Vec<&'static str>,
}

/// The run-time price of UPX, measured on Go binaries (Go 1.23, UPX 4.2.2, 2 vCPU).
pub const UPX_COSTS: &[&str] = &[
    "startup: every exec decompresses the whole program first, about +30 ms (upx -1) or +115 ms (--lzma) per 6 MB of Go binary; `go version` went from 3.6 ms to 242 ms with --lzma",
    "memory: resident memory rises 1.5-2x (4.8 MB to 7.3-8.1 MB measured) and packed pages are not shared between processes",
    "antivirus: UPX-packed executables are a standing source of false positives",
    "scanners: `go version -m`, SBOM tools and vulnerability scanners see no buildinfo in a packed file (goaudit unpacks it when `upx` is installed)",
    "debugging: debuggers do not understand the packed file; debug the `upx -d` output",
];

/// Typical results on stripped Go binaries, for `--dry-run` (no packing happens then).
fn upx_typical(level: UpxLevel) -> &'static str {
    match level {
        UpxLevel::Lzma => "about 28-33% of the stripped size, a few seconds per 10 MB",
        UpxLevel::Fast => "about 41-48% of the stripped size, well under a second",
        UpxLevel::NrvMax => {
            "about 37-41% of the stripped size, minutes per 10 MB (lzma is smaller and faster)"
        }
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        // Two decimals are plenty and keep JSON stable across platforms.
        ((part as f64 / whole as f64) * 10000.0).round() / 100.0
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn unsupported(path: &Path, what: impl Into<String>) -> Error {
    Error::Unsupported {
        path: path.to_path_buf(),
        what: what.into(),
    }
}

/// Largest input shrink reads: it holds the input, the stripped copy and the rewrite
/// buffer in memory at once, and real Go binaries are far below this.
const MAX_INPUT: u64 = 4 << 30;

/// Shrink `req.input` as asked. On error nothing has been written.
pub fn shrink(req: &Request) -> Result<Report, Error> {
    let input = &req.input;
    let label = input.display().to_string();
    if !req.strip && req.upx.is_none() {
        return Err(Error::Usage(
            "nothing to do: --no-strip without --upx".into(),
        ));
    }
    let meta = std::fs::metadata(input).map_err(io_err(input))?;
    if !meta.is_file() {
        return Err(unsupported(input, "not a regular file"));
    }
    if meta.len() > MAX_INPUT {
        return Err(unsupported(
            input,
            format!(
                "{} bytes is larger than shrink handles ({MAX_INPUT} bytes); it keeps the whole file in memory",
                meta.len()
            ),
        ));
    }
    let data = std::fs::read(input).map_err(io_err(input))?;
    check_supported(input, &data)?;
    let before_audit = match audit::audit_bytes(&label, &data) {
        Ok(a) => a,
        Err(AuditError::NotExecutable) => return Err(unsupported(input, "not an executable")),
        Err(AuditError::NotGo) => {
            return Err(unsupported(
                input,
                "not a Go binary (no buildinfo, pclntab or Go build ID)",
            ));
        }
        Err(AuditError::Malformed(p)) => return Err(p.at(input)),
    };
    let upx_path = match req.upx {
        Some(_) => {
            refuse_upx(input, &data)?;
            Some(upx::find().ok_or_else(|| {
                Error::Other(format!(
                    "{label}: --upx needs `upx` on PATH, and it is not there; {}",
                    upx::INSTALL_HINT
                ))
            })?)
        }
        None => None,
    };
    let target = resolve_target(input, &req.target)?;

    let original_size = data.len() as u64;
    let mut report = Report {
        input: label.clone(),
        output: None,
        dry_run: target.is_none(),
        before: original_size,
        after: original_size,
        saved: 0,
        percent: 0.0,
        steps: Vec::new(),
        checks: Vec::new(),
        notes: Vec::new(),
        upx_costs: if req.upx.is_some() {
            UPX_COSTS.to_vec()
        } else {
            Vec::new()
        },
    };

    let Some(target) = target else {
        dry_run(req, &data, &mut report)?;
        return Ok(report);
    };

    // Strip in memory first: it needs no temporary file, and a verification failure
    // then costs no disk writes at all.
    let mut current = data.clone();
    if req.strip {
        let stripped = strip::strip(&data).map_err(|e| e.at(input))?;
        let after = stripped.data.len() as u64;
        let mut step = Step::new("strip".into(), original_size, after, String::new());
        step.summary = strip_summary(&stripped.removed);
        if stripped.removed.is_empty() {
            report
                .notes
                .push("already stripped: no symbol table or DWARF to remove".into());
        } else {
            verify_strip(&label, &before_audit, &data, &stripped.data)
                .map_err(|e| Error::Other(format!("{label}: strip refused: {e}")))?;
            report.checks.push(
                "stripped file parses; buildinfo, Go version and every verdict are unchanged"
                    .into(),
            );
        }
        step.removed = stripped.removed;
        report.steps.push(step);
        current = stripped.data;
    }

    let in_place_unchanged = req.target == Target::InPlace && current == data && req.upx.is_none();
    if in_place_unchanged && req.verify_run.is_none() {
        report
            .notes
            .push("nothing changed, so the file was not rewritten".into());
        return Ok(report);
    }

    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let work = tempfile::Builder::new()
        .prefix(".goaudit-shrink-")
        .tempdir_in(&dir)
        .map_err(|e| {
            Error::Other(format!(
                "{}: cannot create a temporary file beside the target: {e}",
                dir.display()
            ))
        })?;
    let mut staged = work.path().join("stripped");
    write_file(&staged, &current, &meta.permissions())?;

    if let (Some(level), Some(upx_bin)) = (req.upx, upx_path.as_deref()) {
        let packed = work.path().join("packed");
        let before = current.len() as u64;
        upx::pack(upx_bin, level, &staged, &packed)
            .map_err(|e| Error::Other(format!("{label}: {e}")))?;
        upx::test(upx_bin, &packed).map_err(|e| Error::Other(format!("{label}: {e}")))?;
        let packed_bytes = std::fs::read(&packed).map_err(|e| {
            Error::Other(format!(
                "{label}: upx reported success but wrote no file: {e}"
            ))
        })?;
        if detect::sniff(&packed_bytes) != InputKind::Elf || !detect::is_upx_packed(&packed_bytes) {
            return Err(Error::Other(format!(
                "{label}: upx reported success but its output is not a UPX-packed ELF file"
            )));
        }
        report.checks.push("`upx -t` passed".into());
        // `upx -t` is UPX checking itself; unpacking and comparing is the independent
        // proof that the packed file holds exactly the program we staged.
        let check = work.path().join("unpacked");
        upx::unpack(upx_bin, &packed, &check).map_err(|e| Error::Other(format!("{label}: {e}")))?;
        let unpacked =
            std::fs::read(&check).map_err(|e| Error::Other(format!("{label}: upx -d: {e}")))?;
        if unpacked == current {
            report
                .checks
                .push("`upx -d` restores the staged file byte for byte".into());
        } else {
            verify_same_program(&label, &before_audit, &unpacked).map_err(|e| {
                Error::Other(format!(
                    "{label}: `upx -d` does not give back the program that was packed: {e}"
                ))
            })?;
            report
                .checks
                .push("`upx -d` output audits the same as the input".into());
        }
        std::fs::set_permissions(&packed, meta.permissions()).map_err(io_err(&packed))?;
        let after = packed_bytes.len() as u64;
        report.steps.push(Step::new(
            level.label(),
            before,
            after,
            format!(
                "compressed into a self-extracting stub ({})",
                match level {
                    UpxLevel::Lzma => "LZMA",
                    UpxLevel::Fast => "NRV, fastest",
                    UpxLevel::NrvMax => "NRV, slowest",
                }
            ),
        ));
        current = packed_bytes;
        staged = packed;
    }

    if let Some(args) = &req.verify_run {
        let msg = verify_run(input, &staged, args, req.verify_timeout)
            .map_err(|e| Error::Other(format!("{label}: --verify-run: {e}")))?;
        report.checks.push(msg);
    }

    report.after = current.len() as u64;
    report.saved = original_size.saturating_sub(report.after);
    report.percent = percent(report.saved, original_size);
    if in_place_unchanged {
        report
            .notes
            .push("nothing changed, so the file was not rewritten".into());
        return Ok(report);
    }
    if req.target == Target::InPlace {
        // Replacing a file must not change who owns it. Only root can give a file away,
        // and anyone else replacing their own file already owns the new one, so a
        // refusal here is harmless.
        use std::os::unix::fs::MetadataExt;
        let _ = std::os::unix::fs::chown(&staged, Some(meta.uid()), Some(meta.gid()));
    }
    std::fs::rename(&staged, &target).map_err(|e| {
        Error::Other(format!(
            "{}: cannot put the result in place: {e}",
            target.display()
        ))
    })?;
    report.output = Some(target.display().to_string());
    Ok(report)
}

/// What the audit says about a UPX-packed file it unpacked to read.
pub const UNPACKED_NOTE: &str = "packed with UPX; figures are for the unpacked program";

/// The fix for a packed binary audited without `upx`.
pub const UPX_FIX: &str = "install upx to verify a packed binary";

/// Audit a UPX-packed file through `upx -d`.
///
/// Returns `None` when `data` is not a UPX-packed ELF file. Otherwise, when `upx` is
/// installed and unpacking works, the audit of the unpacked program, labelled `label`,
/// with `packed` and `size` still describing the file on disk and an `upx-packed`
/// finding carrying [`UNPACKED_NOTE`]. Else the audit of the packed file itself, its
/// `upx-packed` finding saying why goaudit could not see more and how to fix that.
pub fn audit_packed(path: &Path, label: &str, data: &[u8]) -> Option<Artifact> {
    use crate::finding::{Code, Finding};
    if detect::sniff(data) != InputKind::Elf || !detect::is_upx_packed(data) {
        return None;
    }
    let unpacked = match upx::unpack_to_temp(path) {
        Ok(Some((_dir, file))) => std::fs::read(&file)
            .map_err(|e| e.to_string())
            .and_then(|bytes| audit::audit_bytes(label, &bytes).map_err(|e| e.to_string())),
        Ok(None) => Err(format!("`upx` is not installed; {}", upx::INSTALL_HINT)),
        Err(e) => Err(e),
    };
    let upx_missing = matches!(&unpacked, Err(e) if e.starts_with("`upx` is not installed"));
    match unpacked {
        Ok(mut a) => {
            let unpacked_size = a.size;
            a.packed = Some("upx");
            a.unpacked = true;
            a.size = data.len() as u64;
            a.findings.retain(|f| f.id != Code::UpxPacked);
            a.findings.push(Finding::new(
                Code::UpxPacked,
                format!(
                    "{UNPACKED_NOTE} ({} bytes packed, {unpacked_size} unpacked)",
                    data.len()
                ),
            ));
            Some(a)
        }
        Err(why) => {
            let mut a = audit::audit_bytes(label, data).ok()?;
            for f in a.findings.iter_mut().filter(|f| f.id == Code::UpxPacked) {
                f.message = format!("{}; goaudit could not unpack it: {why}", f.message);
            }
            a.set_unknown(if upx_missing {
                audit::Unknown {
                    reason: "packed with UPX and `upx` is not on PATH".into(),
                    fix: UPX_FIX.into(),
                }
            } else {
                audit::Unknown {
                    reason: format!("packed with UPX and `upx -d` failed: {why}"),
                    fix: "unpack it with `upx -d` and audit the result".into(),
                }
            });
            Some(a)
        }
    }
}

/// ELF only, and not already packed.
fn check_supported(input: &Path, data: &[u8]) -> Result<(), Error> {
    match detect::sniff(data) {
        InputKind::Elf => {}
        InputKind::MachO | InputKind::MachOFat => {
            return Err(unsupported(
                input,
                "Mach-O is not supported for shrink: use `-ldflags=-s -w` when building; \
                 UPX-packed macOS Go binaries are killed at start",
            ));
        }
        InputKind::Pe => {
            return Err(unsupported(
                input,
                "PE (Windows) is not supported for shrink: use `-ldflags=-s -w` when building",
            ));
        }
        InputKind::Tar | InputKind::Gzip | InputKind::Zstd => {
            return Err(unsupported(
                input,
                "an archive (a container image?) cannot be shrunk: shrink the binary before it \
                 goes into the image, or build it with `-ldflags=-s -w`; `goaudit size` on \
                 the image shows what each binary would save",
            ));
        }
        _ => return Err(unsupported(input, "not an ELF executable")),
    }
    if detect::is_upx_packed(data) {
        return Err(unsupported(
            input,
            "already packed with UPX; unpack it with `upx -d` first",
        ));
    }
    Ok(())
}

/// Why UPX would fail on, or break, this file.
fn refuse_upx(input: &Path, data: &[u8]) -> Result<(), Error> {
    let elf = ElfLinking::parse(data).map_err(|e| e.at(input))?;
    if elf.et_dyn {
        return Err(unsupported(
            input,
            "refusing --upx: this is a position-independent executable (ET_DYN, e.g. \
             -buildmode=pie), and UPX fails on Go PIEs (CantPackException: bad DT_HASH); \
             rebuild without -buildmode=pie or drop --upx",
        ));
    }
    Ok(())
}

/// The target path, or `None` for a dry run.
fn resolve_target(input: &Path, target: &Target) -> Result<Option<PathBuf>, Error> {
    match target {
        Target::None => Ok(None),
        // Through a symlink, the file it names is what the user means to shrink; the
        // rename must replace that file, not the link.
        Target::InPlace => Ok(Some(std::fs::canonicalize(input).map_err(io_err(input))?)),
        Target::Output(out) => {
            if out.is_dir() {
                return Err(Error::Usage(format!(
                    "{}: -o must name a file, not a directory",
                    out.display()
                )));
            }
            let same = matches!(
                (std::fs::canonicalize(input), std::fs::canonicalize(out)),
                (Ok(a), Ok(b)) if a == b
            );
            if same {
                return Err(Error::Usage(format!(
                    "{}: -o names the input itself; use --in-place to replace it",
                    out.display()
                )));
            }
            Ok(Some(out.clone()))
        }
    }
}

fn dry_run(req: &Request, data: &[u8], report: &mut Report) -> Result<(), Error> {
    let input = &req.input;
    let mut size = data.len() as u64;
    if req.strip {
        let bin = Binary::parse(data).map_err(|e| e.at(input))?;
        let removed = strip::plan(&bin);
        let saved: u64 = removed.iter().map(|r| r.bytes).sum();
        let after = size.saturating_sub(saved);
        let mut step = Step::new("strip".into(), size, after, strip_summary(&removed));
        step.estimated = true;
        step.removed = removed;
        report.steps.push(step);
        size = after;
    }
    if let Some(level) = req.upx {
        report.notes.push(format!(
            "`{}` would run next: typically {}",
            level.label(),
            upx_typical(level)
        ));
    }
    report.notes.push("dry run: nothing was written".into());
    report.after = size;
    report.saved = report.before.saturating_sub(size);
    report.percent = percent(report.saved, report.before);
    Ok(())
}

fn strip_summary(removed: &[RemovedSection]) -> String {
    if removed.is_empty() {
        return "nothing to remove".into();
    }
    let (mut sym_n, mut sym_b, mut dw_n, mut dw_b, mut other) = (0, 0u64, 0, 0u64, Vec::new());
    for r in removed {
        if crate::binary::is_dwarf_section_name(&r.name) {
            dw_n += 1;
            dw_b += r.bytes;
        } else if matches!(r.name.as_str(), ".symtab" | ".strtab" | ".symtab_shndx") {
            sym_n += 1;
            sym_b += r.bytes;
        } else {
            other.push(r.name.as_str());
        }
    }
    let mut parts = Vec::new();
    if sym_n > 0 {
        parts.push(format!("symbol table ({})", human_bytes(sym_b)));
    }
    if dw_n > 0 {
        let s = if dw_n == 1 { "" } else { "s" };
        parts.push(format!("DWARF ({dw_n} section{s}, {})", human_bytes(dw_b)));
    }
    if !other.is_empty() {
        parts.push(other.join(", "));
    }
    parts.join(", ")
}

/// The facts about a Go program that stripping must not change: everything except the
/// symbol table and DWARF themselves, and except the prose of each verdict's evidence.
fn fingerprint(a: &Artifact) -> Vec<(&'static str, serde_json::Value)> {
    use serde_json::{json, to_value};
    vec![
        ("format", json!(a.format)),
        ("arch", json!(a.arch)),
        ("go version", json!(a.go_version)),
        ("buildinfo", to_value(&a.buildinfo).unwrap_or_default()),
        (
            "linking",
            json!([
                a.linking.kind,
                a.linking.interpreter,
                a.linking.needed,
                a.linking.rpath,
                a.linking.runpath
            ]),
        ),
        ("cgo", json!([a.cgo.setting, a.cgo.linked])),
        ("dns resolver", json!([a.net.resolver, a.net.netgo])),
        (
            "os/user",
            json!([a.os_user.implementation, a.os_user.osusergo]),
        ),
        ("trimpath", json!(a.trimpath)),
        ("vcs", to_value(&a.vcs).unwrap_or_default()),
        ("pclntab functions", json!(a.functions)),
    ]
}

/// The audit of `after` must match `before` in every fingerprinted fact.
fn verify_same_program(label: &str, before: &Artifact, after: &[u8]) -> Result<Artifact, String> {
    Binary::parse(after).map_err(|e| format!("the result does not parse: {e}"))?;
    let a =
        audit::audit_bytes(label, after).map_err(|e| format!("the result does not audit: {e}"))?;
    let changed: Vec<String> = fingerprint(before)
        .into_iter()
        .zip(fingerprint(&a))
        .filter(|((_, x), (_, y))| x != y)
        .map(|((k, x), (_, y))| {
            let (x, y) = (x.to_string(), y.to_string());
            // Buildinfo alone can run to kilobytes; name it rather than dump it.
            if x.len() + y.len() > 120 {
                format!("{k} differs")
            } else {
                format!("{k} was {x}, now {y}")
            }
        })
        .collect();
    if changed.is_empty() {
        Ok(a)
    } else {
        Err(format!("the audit changed: {}", changed.join("; ")))
    }
}

/// Sections Go and goaudit read at run time or audit time; strip must leave them
/// byte-identical.
const KEPT_SECTIONS: &[&str] = &[".gopclntab", ".go.buildinfo", ".note.go.buildid"];

fn verify_strip(
    label: &str,
    before: &Artifact,
    original: &[u8],
    stripped: &[u8],
) -> Result<(), String> {
    let a = verify_same_program(label, before, stripped)?;
    if a.symtab || a.dwarf {
        return Err("the result still has a symbol table or DWARF".into());
    }
    let old = Binary::parse(original).map_err(|e| e.to_string())?;
    let new = Binary::parse(stripped).map_err(|e| e.to_string())?;
    for name in KEPT_SECTIONS {
        let Some(s) = old.section(name) else { continue };
        let kept = new.section(name).map(|n| new.section_data(n));
        if kept != Some(old.section_data(s)) {
            return Err(format!("{name} did not survive unchanged"));
        }
    }
    Ok(())
}

/// Write `data` to a new file with `perm`, flushed to disk.
fn write_file(path: &Path, data: &[u8], perm: &std::fs::Permissions) -> Result<(), Error> {
    let mut f = std::fs::File::create_new(path).map_err(io_err(path))?;
    f.write_all(data).map_err(io_err(path))?;
    f.set_permissions(perm.clone()).map_err(io_err(path))?;
    f.sync_all().map_err(io_err(path))?;
    Ok(())
}

struct RunOutput {
    status: std::process::ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Run the original and the result with the same arguments (and the same `argv[0]`) and
/// compare exit status, stdout and stderr.
fn verify_run(
    original: &Path,
    result: &Path,
    args: &[OsString],
    limit: Duration,
) -> Result<String, String> {
    let argv0 = original.as_os_str();
    let a = run_program(original, argv0, args, limit).map_err(|e| format!("original: {e}"))?;
    let b = run_program(result, argv0, args, limit).map_err(|e| format!("result: {e}"))?;
    let mut diffs = Vec::new();
    if a.status.code() != b.status.code() {
        diffs.push(format!(
            "exit status {} vs {}",
            describe_status(&a.status),
            describe_status(&b.status)
        ));
    }
    if a.stdout != b.stdout {
        diffs.push(format!(
            "stdout differs ({} vs {} bytes)",
            a.stdout.len(),
            b.stdout.len()
        ));
    }
    if a.stderr != b.stderr {
        diffs.push(format!(
            "stderr differs ({} vs {} bytes)",
            a.stderr.len(),
            b.stderr.len()
        ));
    }
    if !diffs.is_empty() {
        return Err(format!(
            "the result behaves differently from the original: {}",
            diffs.join(", ")
        ));
    }
    Ok(format!(
        "--verify-run: same {}, stdout ({} B) and stderr ({} B) as the original",
        describe_status(&a.status),
        a.stdout.len(),
        a.stderr.len()
    ))
}

fn describe_status(s: &std::process::ExitStatus) -> String {
    match s.code() {
        Some(c) => format!("exit status {c}"),
        None => "termination by signal".into(),
    }
}

fn run_program(
    exe: &Path,
    argv0: &OsStr,
    args: &[OsString],
    limit: Duration,
) -> Result<RunOutput, String> {
    use std::os::unix::process::CommandExt;
    // A relative path without a slash would be looked up on PATH by exec.
    let exe = if exe.is_relative() {
        Path::new(".").join(exe)
    } else {
        exe.to_path_buf()
    };
    let mut child = Command::new(&exe)
        .arg0(argv0)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    let mut out_pipe = child.stdout.take();
    let mut err_pipe = child.stderr.take();
    // Both pipes are drained concurrently so a chatty program cannot block on a full
    // pipe while we wait for it.
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        if let Some(p) = out_pipe.as_mut() {
            let _ = p.read_to_end(&mut v);
        }
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        if let Some(p) = err_pipe.as_mut() {
            let _ = p.read_to_end(&mut v);
        }
        v
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{} did not exit within {} s; give it more time with --verify-timeout SECONDS, or pass arguments that make it exit",
                    exe.display(),
                    limit.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("waiting for {}: {e}", exe.display())),
        }
    };
    let stdout = out_t.join().unwrap_or_default();
    let stderr = err_t.join().unwrap_or_default();
    Ok(RunOutput {
        status,
        stdout,
        stderr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages() {
        assert_eq!(percent(0, 0), 0.0);
        assert_eq!(percent(1, 3), 33.33);
        assert_eq!(percent(5, 10), 50.0);
    }

    #[test]
    fn summaries() {
        let r = |n: &str, b| RemovedSection {
            name: n.into(),
            bytes: b,
        };
        assert_eq!(
            strip_summary(&[r(".symtab", 10), r(".strtab", 5), r(".debug_info", 7)]),
            "symbol table (15 B), DWARF (1 section, 7 B)"
        );
        assert_eq!(strip_summary(&[]), "nothing to remove");
    }

    #[test]
    fn refuses_what_it_cannot_shrink() {
        let p = Path::new("x");
        let mut macho = vec![0u8; 64];
        macho[..4].copy_from_slice(&[0xcf, 0xfa, 0xed, 0xfe]);
        let e = check_supported(p, &macho).unwrap_err().to_string();
        assert!(e.contains("not supported for shrink"), "{e}");
        let e = check_supported(p, b"#!/bin/sh\n").unwrap_err().to_string();
        assert!(e.contains("not an ELF"), "{e}");
    }

    #[test]
    fn verify_run_compares_behaviour() {
        let t = Path::new("/bin/true");
        let f = Path::new("/bin/false");
        let limit = DEFAULT_VERIFY_TIMEOUT;
        assert!(verify_run(t, t, &[], limit).is_ok());
        let e = verify_run(t, f, &[], limit).unwrap_err();
        assert!(e.contains("exit status 0 vs exit status 1"), "{e}");
        let echo = Path::new("/bin/echo");
        let ok = verify_run(echo, echo, &["hi".into()], limit).unwrap();
        assert!(ok.contains("stdout (3 B)"), "{ok}");
    }

    #[test]
    fn verify_run_stops_a_program_at_the_time_limit() {
        let sleep = Path::new("/bin/sleep");
        let start = Instant::now();
        let e = verify_run(sleep, sleep, &["30".into()], Duration::from_secs(1)).unwrap_err();
        assert!(e.starts_with("original: "), "{e}");
        assert!(e.contains("did not exit within 1 s"), "{e}");
        assert!(e.contains("--verify-timeout"), "{e}");
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "not stopped in time"
        );
    }
}
