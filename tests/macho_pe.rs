//! Mach-O and PE: universal (fat) Mach-O files audited per architecture slice, and the
//! size attribution of Mach-O and PE builds held to the same standard as ELF.
//!
//! The fat fixture is made with real tools: netuser (testbins/netuser) cross-compiled
//! with `CGO_ENABLED=0 GOOS=darwin go build` for amd64 and arm64. Linux has no `lipo`,
//! so [`write_fat`] joins the slices itself: a big-endian header (`0xcafebabe`, the slice
//! count) and one `fat_arch` record per slice (cputype, cpusubtype, offset, size, align),
//! each slice at the next multiple of 2^14 as `lipo` places arm64 slices. Go's own
//! `debug/macho` reads the result, so `go version -m` on it is the reference.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

const CPU_TYPE_X86_64: u32 = 0x0100_0007;
const CPU_TYPE_ARM64: u32 = 0x0100_000c;
const CPU_SUBTYPE_X86_64_ALL: u32 = 3;
const CPU_SUBTYPE_ARM64_ALL: u32 = 0;
const SLICE_ALIGN: u32 = 14;

/// The thin darwin builds the fat fixtures are made of.
struct Thin {
    _dir: tempfile::TempDir,
    amd64: PathBuf,
    /// Built with `-trimpath`, so its buildinfo differs from the amd64 slice's and
    /// `go version -m` shows which slice it read.
    arm64: PathBuf,
    /// The amd64 build again with `-ldflags=-s -w`: no symbol table, no DWARF.
    amd64_stripped: PathBuf,
    /// `amd64` then `arm64`.
    fat: PathBuf,
    /// `arm64` then `amd64`.
    fat_reversed: PathBuf,
}

fn thin() -> &'static Thin {
    static THIN: OnceLock<Thin> = OnceLock::new();
    THIN.get_or_init(|| {
        let go = support::go_binary();
        let dir = tempfile::tempdir().expect("tempdir");
        let src = support::repo_root().join("testbins").join("netuser");
        let build = |arch: &str, extra: &[&str], out: &Path| {
            let st = Command::new(&go)
                .current_dir(&src)
                .env("CGO_ENABLED", "0")
                .env("GOOS", "darwin")
                .env("GOARCH", arch)
                .env("GOFLAGS", "-buildvcs=false")
                .env("GOTOOLCHAIN", "local")
                .arg("build")
                .args(extra)
                .arg("-o")
                .arg(out)
                .arg(".")
                .output()
                .expect("run go build");
            assert!(
                st.status.success(),
                "GOOS=darwin GOARCH={arch} go build failed (a Go toolchain that can cross-compile is needed): {}",
                String::from_utf8_lossy(&st.stderr)
            );
        };
        let amd64 = dir.path().join("netuser-darwin-amd64");
        let arm64 = dir.path().join("netuser-darwin-arm64-trimpath");
        build("amd64", &[], &amd64);
        build("arm64", &["-trimpath"], &arm64);
        let amd64_stripped = dir.path().join("netuser-darwin-amd64-stripped");
        build("amd64", &["-ldflags=-s -w"], &amd64_stripped);
        let a = std::fs::read(&amd64).unwrap();
        let b = std::fs::read(&arm64).unwrap();
        let amd = (CPU_TYPE_X86_64, CPU_SUBTYPE_X86_64_ALL, a.as_slice());
        let arm = (CPU_TYPE_ARM64, CPU_SUBTYPE_ARM64_ALL, b.as_slice());
        let fat = dir.path().join("netuser-darwin-universal");
        let fat_reversed = dir.path().join("netuser-darwin-universal-reversed");
        std::fs::write(&fat, write_fat(&[amd, arm])).unwrap();
        std::fs::write(&fat_reversed, write_fat(&[arm, amd])).unwrap();
        Thin {
            _dir: dir,
            amd64,
            arm64,
            amd64_stripped,
            fat,
            fat_reversed,
        }
    })
}

/// A universal Mach-O as `lipo -create` lays it out (see the module comment).
fn write_fat(slices: &[(u32, u32, &[u8])]) -> Vec<u8> {
    let align = 1usize << SLICE_ALIGN;
    let round = |x: usize| x.div_ceil(align) * align;
    let mut offsets = Vec::new();
    let mut at = round(8 + 20 * slices.len());
    for (_, _, data) in slices {
        offsets.push(at);
        at = round(at + data.len());
    }
    let end = offsets.last().unwrap() + slices.last().unwrap().2.len();
    let mut out = Vec::with_capacity(end);
    out.extend_from_slice(&0xcafe_babeu32.to_be_bytes());
    out.extend_from_slice(&(slices.len() as u32).to_be_bytes());
    for ((cpu, sub, data), off) in slices.iter().zip(&offsets) {
        for word in [*cpu, *sub, *off as u32, data.len() as u32, SLICE_ALIGN] {
            out.extend_from_slice(&word.to_be_bytes());
        }
    }
    for ((_, _, data), off) in slices.iter().zip(&offsets) {
        out.resize(*off, 0);
        out.extend_from_slice(data);
    }
    out
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run command")
}

fn goaudit_json(args: &[&str], path: &Path) -> Value {
    let out = run(support::goaudit().args(args).arg(path));
    assert!(
        out.status.success(),
        "goaudit {args:?} {} failed: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// An artifact with its label removed, for comparing a slice with its thin build.
fn without_path(mut a: Value) -> Value {
    a.as_object_mut().unwrap().remove("path");
    a
}

#[test]
fn fat_audit_is_one_artifact_per_slice_equal_to_the_thin_audits() {
    let t = thin();
    let fat = goaudit_json(&["--json"], &t.fat);
    let arts = fat["artifacts"].as_array().expect("artifacts");
    assert_eq!(arts.len(), 2, "one artifact per slice: {fat:#}");
    let label = t.fat.display().to_string();
    for (art, (arch, thin_path)) in arts.iter().zip([("amd64", &t.amd64), ("arm64", &t.arm64)]) {
        assert_eq!(art["path"], format!("{label}[{arch}]"));
        assert_eq!(art["arch"], arch);
        assert_eq!(art["format"], "macho");
        let thin = goaudit_json(&["--json"], thin_path);
        let thin = &thin["artifacts"][0];
        // Every verdict, finding and size figure; only the label differs.
        assert_eq!(
            without_path(art.clone()),
            without_path(thin.clone()),
            "{arch} slice differs from its thin build"
        );
    }
    assert!(
        fat["errors"].as_array().is_none_or(|e| e.is_empty()),
        "{fat:#}"
    );

    // The human report names both slices too.
    let out = run(support::goaudit().arg(&t.fat));
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for arch in ["amd64", "arm64"] {
        assert!(
            text.contains(&format!("{label}[{arch}]")),
            "no {arch} report in:\n{text}"
        );
    }
}

#[test]
fn fat_buildinfo_matches_go_version_m() {
    let t = thin();
    let go = support::go_binary();
    let mut firsts = Vec::new();
    for fat in [&t.fat, &t.fat_reversed] {
        let want = run(Command::new(&go).args(["version", "-m"]).arg(fat));
        assert!(
            want.status.success() && !want.stdout.is_empty(),
            "go version -m {} failed: {}",
            fat.display(),
            String::from_utf8_lossy(&want.stderr)
        );
        let got = run(support::goaudit().arg("buildinfo").arg(fat));
        assert!(
            got.status.success(),
            "{}",
            String::from_utf8_lossy(&got.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&got.stdout),
            String::from_utf8_lossy(&want.stdout),
            "goaudit buildinfo {} differs from go version -m",
            fat.display()
        );
        firsts.push(want.stdout);
    }
    // The two orders read different slices (only arm64 was built with -trimpath), so
    // the comparison above covered which slice is read, not just that one is.
    assert_ne!(firsts[0], firsts[1]);
    assert!(String::from_utf8_lossy(&firsts[1]).contains("-trimpath=true"));
}

#[test]
fn fat_size_attributes_each_slice() {
    let t = thin();
    let doc = goaudit_json(&["size", "--json"], &t.fat);
    let arts = doc["artifacts"].as_array().unwrap();
    assert_eq!(arts.len(), 2);
    for (art, thin_path) in arts.iter().zip([&t.amd64, &t.arm64]) {
        let s = &art["size_attribution"];
        let len = std::fs::metadata(thin_path).unwrap().len();
        support::assert_sum_rule_of(s, len, &art["path"].to_string());
        let thin = goaudit_json(&["size", "--json"], thin_path);
        assert_eq!(*s, thin["artifacts"][0]["size_attribution"]);
    }
}

/// A fat header that lies about a slice: one error line and exit 2 from every
/// subcommand, no panic, no partial report.
#[test]
fn lying_fat_header_is_one_error_line_and_exit_2() {
    let t = thin();
    let good = std::fs::read(&t.fat).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cases: Vec<(&str, Vec<u8>, &str)> = Vec::new();
    // Second slice's size (record 1, word 3) runs past the end of the file.
    let mut past_end = good.clone();
    past_end[8 + 20 + 12..8 + 20 + 16].copy_from_slice(&u32::MAX.to_be_bytes());
    cases.push(("past-end", past_end, "runs past the end of the file"));
    // First slice's offset (record 0, word 2) points into the fat header.
    let mut in_header = good.clone();
    in_header[8 + 8..8 + 12].copy_from_slice(&16u32.to_be_bytes());
    cases.push(("in-header", in_header, "inside the fat header"));
    // The file is cut short inside the first slice.
    let truncated = good[..good.len() / 3].to_vec();
    cases.push(("truncated", truncated, "runs past the end of the file"));
    // Both records describe the same bytes.
    let mut overlap = good.clone();
    let (first_off, first_size) = (good[16..20].to_vec(), good[20..24].to_vec());
    overlap[8 + 20 + 8..8 + 20 + 12].copy_from_slice(&first_off);
    overlap[8 + 20 + 12..8 + 20 + 16].copy_from_slice(&first_size);
    cases.push(("overlap", overlap, "overlaps the amd64 slice"));

    for (name, bytes, want) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        for args in [&[][..], &["--json"], &["size"], &["buildinfo"]] {
            let out = run(support::goaudit().args(args).arg(&path));
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{name} {args:?}: exit status; stderr: {stderr}"
            );
            let lines: Vec<&str> = stderr.lines().collect();
            assert_eq!(lines.len(), 1, "{name} {args:?}: {stderr}");
            assert!(
                lines[0].starts_with("goaudit: ")
                    && lines[0].contains(&path.display().to_string())
                    && lines[0].contains("fat mach-o")
                    && lines[0].contains(want),
                "{name} {args:?}: {stderr}"
            );
            assert!(!stderr.contains("panicked"), "{stderr}");
        }
    }
}

fn assert_text_matches_nm(path: &Path) {
    let nm = support::nm_text_by_package(path);
    let ours = support::text_by_package(&goaudit_json(&["size", "--json"], path)["artifacts"][0]);
    let mut diffs = Vec::new();
    for pkg in nm.keys().chain(ours.keys()).collect::<BTreeSet<_>>() {
        let (a, b) = (
            nm.get(pkg).copied().unwrap_or(0),
            ours.get(pkg).copied().unwrap_or(0),
        );
        if a != b {
            diffs.push(format!("{pkg}: go tool nm {a}, goaudit {b}"));
        }
    }
    assert!(
        diffs.is_empty(),
        "{}: text bytes differ per package:\n{}",
        path.display(),
        diffs.join("\n")
    );
}

#[test]
fn darwin_package_text_bytes_match_go_tool_nm() {
    assert_text_matches_nm(&support::testbin("netuser-darwin-arm64"));
    assert_text_matches_nm(&thin().amd64);
}

/// Code does not move when symbols go, and without symbols goaudit still gives each
/// function its whole span, as `go tool nm` does for Mach-O.
///
/// The one exception is the linker's last text symbol (`go:textfipsend`, a pseudo-
/// package): the padding after it up to `runtime.etext` is known only from the symbol
/// table, so `go:*` pseudo-packages are left out.
#[test]
fn stripping_a_darwin_build_does_not_move_code() {
    let t = thin();
    let go_packages = |path: &Path| {
        let mut m =
            support::text_by_package(&goaudit_json(&["size", "--json"], path)["artifacts"][0]);
        m.retain(|k, _| !k.starts_with("go:"));
        m
    };
    let (full, stripped) = (go_packages(&t.amd64), go_packages(&t.amd64_stripped));
    assert!(full.len() > 50, "too few packages with code: {full:?}");
    assert_eq!(full, stripped);
}

#[test]
fn windows_package_text_bytes_match_go_tool_nm() {
    assert_text_matches_nm(&support::testbin("netuser-windows-amd64.exe"));
}

/// Shares of the file in `[unattributed ...]` and in `[padding]`.
fn unowned_shares(path: &Path) -> (f64, f64) {
    let doc = goaudit_json(&["size", "--json"], path);
    let s = &doc["artifacts"][0]["size_attribution"];
    let total = s["total"].as_u64().unwrap() as f64;
    let padding = s["by_package"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "[padding]")
        .map(|p| p["bytes"].as_u64().unwrap())
        .sum::<u64>() as f64;
    (
        s["unattributed"].as_u64().unwrap() as f64 / total,
        padding / total,
    )
}

/// The same program built for Linux, macOS and Windows: the Mach-O and PE builds leave
/// no more of the file without an owner than the ELF build does, give or take 1% of
/// the file (the formats' own tables differ in size).
#[test]
fn macho_and_pe_attribute_as_well_as_elf() {
    let (elf_un, elf_pad) = unowned_shares(&support::testbin("netuser-cgo0"));
    for name in ["netuser-darwin-arm64", "netuser-windows-amd64.exe"] {
        let (un, pad) = unowned_shares(&support::testbin(name));
        assert!(
            un <= elf_un + 0.01,
            "{name}: {:.2}% unattributed vs {:.2}% for the ELF build",
            un * 100.0,
            elf_un * 100.0
        );
        assert!(
            pad <= elf_pad + 0.01,
            "{name}: {:.2}% padding vs {:.2}% for the ELF build",
            pad * 100.0,
            elf_pad * 100.0
        );
    }
}

/// Load commands of a thin 64-bit little-endian Mach-O: `(offset, cmd, cmdsize)`, read
/// here independently of goaudit.
fn load_commands(b: &[u8]) -> Vec<(usize, u32, usize)> {
    let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
    assert_eq!(u32_at(0), 0xfeed_facf, "not a 64-bit little-endian Mach-O");
    let mut out = Vec::new();
    let mut at = 32;
    for _ in 0..u32_at(16) {
        let (cmd, size) = (u32_at(at), u32_at(at + 4) as usize);
        out.push((at, cmd, size));
        at += size;
    }
    out
}

fn by_name(list: &Value, name: &str) -> u64 {
    list.as_array()
        .unwrap()
        .iter()
        .filter(|x| x["name"] == name)
        .map(|x| x["bytes"].as_u64().unwrap())
        .sum()
}

/// `__LINKEDIT` is a segment without sections: its bytes are reported as their own
/// section, the code signature as its own owner, and the symbol table per package.
#[test]
fn macho_linkedit_is_attributed() {
    let path = support::testbin("netuser-darwin-arm64");
    let b = std::fs::read(&path).unwrap();
    let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap()) as u64;
    let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
    let (mut linkedit, mut signature, mut nsyms) = (None, None, None);
    for (at, cmd, _) in load_commands(&b) {
        match cmd {
            0x19 if b[at + 8..at + 24].starts_with(b"__LINKEDIT\0") => {
                linkedit = Some(u64_at(at + 48))
            }
            0x1d => signature = Some(u32_at(at + 12)),
            0x2 => nsyms = Some(u32_at(at + 12)),
            _ => {}
        }
    }
    let (linkedit, signature, nsyms) = (
        linkedit.expect("__LINKEDIT segment"),
        signature.expect("the Go linker signs darwin/arm64 binaries (LC_CODE_SIGNATURE)"),
        nsyms.expect("LC_SYMTAB"),
    );
    let doc = goaudit_json(&["size", "--json"], &path);
    let s = &doc["artifacts"][0]["size_attribution"];
    assert_eq!(by_name(&s["by_section"], "__LINKEDIT"), linkedit);
    assert_eq!(by_name(&s["by_package"], "[code signature]"), signature);
    // Every nlist entry (16 bytes) is charged to a package or to [symtab]; most to
    // packages, as on ELF.
    let symtab = by_name(&s["by_package"], "[symtab]");
    assert!(
        symtab < nsyms * 16 / 10,
        "[symtab] keeps {symtab} bytes of a {}-byte symbol table",
        nsyms * 16
    );
}

/// Load commands that point outside the file: no panic, and whatever is reported
/// still adds up to the file size.
#[test]
fn lying_linkedit_commands_do_not_break_attribution() {
    let good = std::fs::read(support::testbin("netuser-darwin-arm64")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (name, cmd, field) in [
        ("symoff", 0x2u32, 8usize),
        ("nsyms", 0x2, 12),
        ("stroff", 0x2, 16),
        ("strsize", 0x2, 20),
        ("sigoff", 0x1d, 8),
        ("sigsize", 0x1d, 12),
    ] {
        let mut b = good.clone();
        let (at, ..) = load_commands(&b)
            .into_iter()
            .find(|c| c.1 == cmd)
            .expect("load command");
        b[at + field..at + field + 4].copy_from_slice(&0xfff0_0000u32.to_le_bytes());
        let path = dir.path().join(name);
        std::fs::write(&path, &b).unwrap();
        let out = run(support::goaudit().args(["size", "--json"]).arg(&path));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        if out.status.success() {
            let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
            let s = &doc["artifacts"][0]["size_attribution"];
            for key in ["by_package", "by_section"] {
                let sum: u64 = s[key]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x["bytes"].as_u64().unwrap())
                    .sum();
                assert_eq!(sum, b.len() as u64, "{name}: {key}");
            }
        } else {
            assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        }
    }
}

/// Run scripts/corpus.sh (idempotent) and list its Mach-O and PE binaries.
fn corpus_macho_pe() -> Vec<PathBuf> {
    support::corpus()
        .into_iter()
        .filter(|e| e.format == "macho" || e.format == "pe")
        .map(|e| e.path)
        .collect()
}

/// Released Mach-O and PE programs of Go 1.14–1.22 (mostly stripped): every byte has
/// one owner, and the bytes outside sections (Mach-O's __LINKEDIT, PE's symbol table)
/// are attributed rather than left as padding.
#[test]
fn corpus_macho_and_pe_sum_rule_and_little_padding() {
    let bins = corpus_macho_pe();
    assert!(
        bins.len() >= 4,
        "corpus has too few Mach-O/PE binaries: {bins:?}"
    );
    for path in bins {
        let doc = goaudit_json(&["size", "--json"], &path);
        let s = &doc["artifacts"][0]["size_attribution"];
        let len = std::fs::metadata(&path).unwrap().len();
        support::assert_sum_rule_of(s, len, &path.display().to_string());
        let padding = by_name(&s["by_package"], "[padding]");
        assert!(
            padding * 50 < len,
            "{}: {padding} of {len} bytes are padding",
            path.display()
        );
    }
}

/// A universal file whose second slice is a Mach-O but not a Go program: the Go slice is
/// reported, the other is one error naming the slice, and the exit status says so.
#[test]
fn fat_with_a_non_go_slice_reports_the_go_one() {
    let t = thin();
    let amd64 = std::fs::read(&t.amd64).unwrap();
    // An empty arm64 MH_EXECUTE: header only, no load commands.
    let mut empty = vec![0u8; 32];
    empty[..4].copy_from_slice(&0xfeed_facfu32.to_le_bytes());
    empty[4..8].copy_from_slice(&CPU_TYPE_ARM64.to_le_bytes());
    empty[12..16].copy_from_slice(&2u32.to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("half-go");
    std::fs::write(
        &path,
        write_fat(&[
            (CPU_TYPE_X86_64, CPU_SUBTYPE_X86_64_ALL, &amd64),
            (CPU_TYPE_ARM64, CPU_SUBTYPE_ARM64_ALL, &empty),
        ]),
    )
    .unwrap();
    let label = path.display().to_string();
    for args in [&["--json"][..], &["size", "--json"]] {
        let out = run(support::goaudit().args(args).arg(&path));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let arts = doc["artifacts"].as_array().unwrap();
        assert_eq!(arts.len(), 1, "{args:?}: {doc:#}");
        assert_eq!(arts[0]["path"], format!("{label}[amd64]"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: {stderr}");
        assert!(
            lines[0].starts_with(&format!("goaudit: {label}[arm64]: not a Go binary")),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn check_gates_each_slice_of_a_fat_binary() {
    let t = thin();
    let label = t.fat.display().to_string();
    let out = run(support::goaudit()
        .args(["check", "--format", "json", "--max-size", "1KiB"])
        .arg(&t.fat));
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("check JSON");
    let arts = doc["artifacts"].as_array().expect("artifacts");
    let paths: Vec<&str> = arts.iter().map(|a| a["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        [format!("{label}[amd64]"), format!("{label}[arm64]")],
        "{doc:#}"
    );
    for (a, thin_path) in arts.iter().zip([&t.amd64, &t.arm64]) {
        // Each slice is budgeted at its own size, not the universal file's.
        assert_eq!(a["size"], std::fs::metadata(thin_path).unwrap().len());
        let budget = a["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == "size-budget")
            .unwrap();
        assert_eq!(budget["status"], "fail", "{a:#}");
    }
}
