//! The Go version is recovered on every format when the buildinfo header is gone: the
//! `\xff Go buildinf:` magic is zeroed in copies of the ELF, Mach-O and PE test binaries
//! (what some release pipelines ship), then the symbol table is dropped too. The
//! expected version is what `go version` prints for the untouched original.

mod support;

use std::path::Path;
use std::process::Command;

fn go_version_of(path: &Path) -> String {
    let out = Command::new(support::go_binary())
        .arg("version")
        .arg(path)
        .output()
        .expect("run go version");
    assert!(out.status.success(), "go version {}", path.display());
    let s = String::from_utf8(out.stdout).unwrap();
    s.trim().rsplit(": ").next().unwrap().to_string()
}

fn zero_magic(data: &mut [u8]) {
    let magic = b"\xff Go buildinf:";
    let mut n = 0;
    while let Some(i) = data.windows(magic.len()).position(|w| w == magic) {
        data[i..i + magic.len()].fill(0);
        n += 1;
    }
    assert!(n > 0, "no buildinfo magic to zero");
}

/// Drop the static symbol table by its header fields (the file stays consistent).
fn drop_symbols(data: &mut [u8]) {
    match goblin::Object::parse(data).unwrap() {
        goblin::Object::PE(p) => {
            let coff = p.header.dos_header.pe_pointer as usize + 4;
            data[coff + 8..coff + 16].fill(0);
        }
        goblin::Object::Mach(goblin::mach::Mach::Binary(m)) => {
            let at = m
                .load_commands
                .iter()
                .find(|lc| lc.command.cmd() == goblin::mach::load_command::LC_SYMTAB)
                .expect("LC_SYMTAB")
                .offset;
            data[at + 12..at + 16].fill(0);
        }
        _ => panic!("only PE and Mach-O here"),
    }
}

fn audit(dir: &Path, name: &str, data: &[u8]) -> serde_json::Value {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    let out = support::goaudit().arg("--json").arg(&p).output().unwrap();
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["artifacts"][0].clone()
}

#[test]
fn version_without_buildinfo_header_on_every_format() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "netuser-cgo0",
        "netuser-darwin-arm64",
        "netuser-windows-amd64.exe",
    ] {
        let orig = support::testbin(name);
        let want = go_version_of(&orig);
        let mut data = std::fs::read(&orig).unwrap();
        zero_magic(&mut data);
        let a = audit(dir.path(), name, &data);
        assert_eq!(a["go_version"], want.as_str(), "{name}");
        assert_eq!(a["go_version_source"], "inferred", "{name}");
        assert_eq!(a["go_version_evidence"], "runtime.buildVersion", "{name}");
        if name == "netuser-cgo0" {
            continue;
        }
        // No symbol table either: the version string in read-only data.
        drop_symbols(&mut data);
        let a = audit(dir.path(), &format!("{name}-nosyms"), &data);
        assert_eq!(a["symtab"], false, "{name}: symbols still read");
        assert_eq!(a["go_version"], want.as_str(), "{name} without symbols");
        assert_eq!(a["go_version_source"], "inferred");
        let ev = a["go_version_evidence"].as_str().unwrap();
        assert!(ev.starts_with("version string in "), "{name}: {ev}");
    }
}

/// Real releases of this family: the corpus binaries that lack the header (Go 1.12)
/// get their version on all three formats.
#[test]
fn corpus_binaries_without_header_get_their_version() {
    let dir = tempfile::tempdir().unwrap();
    let mut seen = 0;
    for e in support::corpus() {
        if e.go != "go1.12.6" {
            continue;
        }
        let data = std::fs::read(&e.path).unwrap();
        let a = audit(dir.path(), "c", &data);
        assert_eq!(a["go_version"], e.go.as_str(), "{}", e.path.display());
        assert_eq!(a["go_version_source"], "inferred");
        seen += 1;
    }
    assert_eq!(
        seen, 3,
        "the Go 1.12.6 ELF, Mach-O and PE builds are in the corpus"
    );
}
