//! Damaged files are reported as damaged, never audited as healthy.
//!
//! Every test binary named below is cut at every structure boundary its headers
//! describe (the ends of the headers, each section's start and end, each segment's end,
//! the section header table, the symbol and string tables), the boundaries computed
//! here with goblin, independently of goaudit's own checks. Each cut copy must be an
//! error line saying `damaged` with exit 2 from `audit`, `size`, `check` and
//! `buildinfo`, and no report of it may appear on stdout.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use goblin::Object;

/// File offsets where one of the container's structures starts or ends.
fn boundaries(data: &[u8]) -> BTreeSet<u64> {
    let mut b = BTreeSet::new();
    let mut add = |off: u64, len: u64| {
        b.insert(off);
        b.insert(off + len);
    };
    match Object::parse(data).expect("test binary parses") {
        Object::Elf(e) => {
            let h = &e.header;
            add(0, h.e_ehsize as u64);
            add(h.e_phoff, h.e_phnum as u64 * h.e_phentsize as u64);
            add(
                h.e_shoff,
                e.section_headers.len() as u64 * h.e_shentsize as u64,
            );
            for s in &e.section_headers {
                if s.sh_type != goblin::elf::section_header::SHT_NOBITS && s.sh_size > 0 {
                    add(s.sh_offset, s.sh_size);
                }
            }
            for p in &e.program_headers {
                if p.p_filesz > 0 {
                    add(p.p_offset, p.p_filesz);
                }
            }
        }
        Object::Mach(goblin::mach::Mach::Binary(m)) => {
            let hdr = if m.is_64 { 32 } else { 28 };
            add(0, hdr);
            add(hdr, m.header.sizeofcmds as u64);
            for seg in m.segments.iter() {
                if seg.filesize > 0 {
                    add(seg.fileoff, seg.filesize);
                }
                for (s, _) in seg.sections().unwrap() {
                    let zerofill = matches!(s.flags & 0xff, 0x1 | 0xc | 0x12);
                    if !zerofill && s.offset != 0 && s.size > 0 {
                        add(s.offset as u64, s.size);
                    }
                }
            }
            for lc in &m.load_commands {
                use goblin::mach::load_command::CommandVariant as C;
                match &lc.command {
                    C::Symtab(s) => {
                        add(
                            s.symoff as u64,
                            s.nsyms as u64 * if m.is_64 { 16 } else { 12 },
                        );
                        add(s.stroff as u64, s.strsize as u64);
                    }
                    C::CodeSignature(l) | C::FunctionStarts(l) | C::DataInCode(l) => {
                        add(l.dataoff as u64, l.datasize as u64)
                    }
                    _ => {}
                }
            }
        }
        Object::PE(p) => {
            let pe_off = p.header.dos_header.pe_pointer as u64;
            add(0, 0x40);
            add(pe_off, 24);
            let opt = pe_off + 24;
            let opt_size = p.header.coff_header.size_of_optional_header as u64;
            add(opt, opt_size);
            add(opt + opt_size, p.sections.len() as u64 * 40);
            for s in &p.sections {
                if s.size_of_raw_data > 0 {
                    add(s.pointer_to_raw_data as u64, s.size_of_raw_data as u64);
                }
            }
            let c = &p.header.coff_header;
            if c.pointer_to_symbol_table != 0 {
                add(
                    c.pointer_to_symbol_table as u64,
                    c.number_of_symbol_table as u64 * 18,
                );
            }
        }
        other => panic!("unexpected test binary kind {other:?}"),
    }
    b
}

/// Write every cut of `name` at a boundary inside the file into `dir`.
fn cuts(name: &str, dir: &Path) -> Vec<PathBuf> {
    let data = std::fs::read(support::testbin(name)).unwrap();
    let len = data.len() as u64;
    let b = boundaries(&data);
    let cuts: Vec<u64> = b.into_iter().filter(|&c| c > 0 && c < len).collect();
    assert!(
        cuts.len() >= 10,
        "{name}: only {} boundaries found inside the file",
        cuts.len()
    );
    cuts.iter()
        .map(|&c| {
            let p = dir.join(format!("{name}.cut-{c:#x}"));
            std::fs::write(&p, &data[..c as usize]).unwrap();
            p
        })
        .collect()
}

fn run(args: &[&str], files: &[PathBuf], cwd: &Path) -> std::process::Output {
    let mut cmd = support::goaudit();
    cmd.current_dir(cwd).args(args).args(files);
    support::run_with_timeout(cmd, Duration::from_secs(300))
}

/// Each cut file has exactly one error line, saying it is damaged; none is reported.
fn assert_all_damaged(what: &str, out: &std::process::Output, files: &[PathBuf]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stderr.contains("panicked"), "{what} panicked:\n{stderr}");
    assert_eq!(out.status.code(), Some(2), "{what}: exit status\n{stderr}");
    for f in files {
        let prefix = format!("goaudit: {}: ", f.display());
        let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with(&prefix)).collect();
        assert_eq!(
            lines.len(),
            1,
            "{what}: {}: error lines {lines:?}",
            f.display()
        );
        assert!(
            lines[0][prefix.len()..].starts_with("damaged "),
            "{what}: {}",
            lines[0]
        );
    }
    let json: serde_json::Value = match serde_json::from_str(&stdout) {
        Ok(v) => v,
        Err(_) => return,
    };
    if let Some(a) = json.get("artifacts").and_then(|a| a.as_array()) {
        assert!(a.is_empty(), "{what}: a damaged file was reported: {a:?}");
    }
    if let Some(e) = json.get("errors").and_then(|a| a.as_array()) {
        assert_eq!(e.len(), files.len(), "{what}: JSON errors");
        for e in e {
            assert!(
                e["error"].as_str().unwrap().contains(": damaged "),
                "{what}: {e}"
            );
        }
    }
}

fn every_cut_is_damaged(name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let files = cuts(name, dir.path());
    let out = run(&["--json"], &files, dir.path());
    assert_all_damaged("audit --json", &out, &files);
    let out = run(&[], &files, dir.path());
    assert_all_damaged("audit", &out, &files);
    assert!(
        out.stdout.is_empty(),
        "audit printed a report for a damaged file"
    );
    let out = run(&["size", "--json"], &files, dir.path());
    assert_all_damaged("size --json", &out, &files);
    let out = run(&["check", "--format", "json"], &files, dir.path());
    assert_all_damaged("check", &out, &files);
    let out = run(&["buildinfo"], &files, dir.path());
    assert_all_damaged("buildinfo", &out, &files);
    assert!(
        out.stdout.is_empty(),
        "buildinfo printed for a damaged file:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn elf_static_cuts_are_damaged() {
    every_cut_is_damaged("netuser-cgo0");
}

#[test]
fn elf_pie_cuts_are_damaged() {
    every_cut_is_damaged("netuser-pie-cgo1");
}

#[test]
fn macho_cuts_are_damaged() {
    every_cut_is_damaged("netuser-darwin-arm64");
}

#[test]
fn pe_cuts_are_damaged() {
    every_cut_is_damaged("netuser-windows-amd64.exe");
}

/// The case that was audited as a healthy stripped binary: the last 4096 bytes gone.
#[test]
fn the_last_page_cut_off_names_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "netuser-cgo0",
        "netuser-darwin-arm64",
        "netuser-windows-amd64.exe",
    ] {
        let data = std::fs::read(support::testbin(name)).unwrap();
        let p = dir.path().join(name);
        std::fs::write(&p, &data[..data.len() - 4096]).unwrap();
        let out = run(&[], std::slice::from_ref(&p), dir.path());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("extends 4096 bytes past the end of the file (file truncated?)"),
            "{name}: {stderr}"
        );
        assert!(!stderr.contains("stripped") && out.stdout.is_empty());
    }
}

/// Lying offsets that keep every byte in the file still contradict the headers.
#[test]
fn a_section_moved_out_of_its_segment_is_damaged() {
    let data = std::fs::read(support::testbin("netuser-cgo0")).unwrap();
    let Object::Elf(e) = Object::parse(&data).unwrap() else {
        panic!("not ELF")
    };
    // Point .gopclntab at the symbol table's bytes: inside the file, outside every
    // PT_LOAD.
    let (i, _) = e
        .section_headers
        .iter()
        .enumerate()
        .find(|(_, s)| e.shdr_strtab.get_at(s.sh_name) == Some(".gopclntab"))
        .unwrap();
    let symtab = e
        .section_headers
        .iter()
        .find(|s| s.sh_type == goblin::elf::section_header::SHT_SYMTAB)
        .unwrap()
        .sh_offset;
    let at = e.header.e_shoff as usize + i * 64 + 24;
    let mut bad = data.clone();
    bad[at..at + 8].copy_from_slice(&symtab.to_le_bytes());
    let size_at = at + 8;
    bad[size_at..size_at + 8].copy_from_slice(&64u64.to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("moved");
    std::fs::write(&p, &bad).unwrap();
    let out = run(&[], &[p], dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("damaged ELF: allocated section .gopclntab"),
        "{stderr}"
    );
}

/// A truncated Go binary inside an image is named as damaged in the image report, not
/// passed off as some other file.
#[test]
fn a_damaged_binary_in_an_image_is_noted() {
    let data = std::fs::read(support::testbin("hello-cgo0")).unwrap();
    let cut = &data[..data.len() - 4096];
    let layer = goaudit::fuzzing::tar_of(&[("bin/app", cut)]);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("image.tar");
    std::fs::write(&p, goaudit::fuzzing::wrap_layer(&layer)).unwrap();
    let out = run(&["--json"], std::slice::from_ref(&p), dir.path());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let img = &v["artifacts"][0];
    assert_eq!(img["kind"], "image", "{v}");
    assert_eq!(img["binaries"].as_array().unwrap().len(), 0);
    let notes: Vec<&str> = img["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n.as_str())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("/bin/app: damaged ELF: ") && n.ends_with("not audited")),
        "{notes:?}"
    );
}
