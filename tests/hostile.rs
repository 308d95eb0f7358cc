//! Hand-built hostile inputs aimed at specific length and offset fields: section tables
//! that claim more than the file holds, counts of 2^31, varints of 2^60, compression
//! headers of 2^40, self-referencing image indexes, hard links to themselves, a tar of
//! a million entries, configs nested a hundred thousand deep. Each goes through every
//! command that reads it; each must finish within a minute with a report or one error
//! line naming the file, never a panic.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

/// Far longer than any legitimate run on these inputs, even with the debug build on a
/// loaded 2-core machine (the heaviest takes about a minute there); longer means a hang.
const LIMIT: Duration = Duration::from_secs(300);

/// Run `cmd`, killing it and failing the test if it outlives [`LIMIT`].
fn run(cmd: Command) -> Output {
    support::run_with_timeout(cmd, LIMIT)
}

/// The outcome rules every hostile input must satisfy: exit 0 or 2 (1 also for
/// `check`, whose policy can fail), no panic, and on exit 2 an error line naming
/// one of the inputs.
fn assert_sane(out: &Output, paths: &[PathBuf], what: &str, allow_policy_fail: bool) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "goaudit panicked on {what}:\n{stderr}"
    );
    assert!(
        !stderr.contains("memory allocation"),
        "goaudit tried to allocate beyond its limit on {what}:\n{stderr}"
    );
    let code = out.status.code();
    let ok = matches!(code, Some(0) | Some(2)) || (allow_policy_fail && code == Some(1));
    assert!(
        ok,
        "goaudit on {what}: exit {code:?} (101 is a panic, None a signal)\n{stderr}"
    );
    if code == Some(2) {
        let named = stderr.lines().any(|l| {
            paths
                .iter()
                .any(|p| l.starts_with(&format!("goaudit: {}: ", p.display())))
        });
        assert!(
            named,
            "exit 2 on {what} without a `goaudit: <path>: <what>` line naming an input:\n{stderr}"
        );
    }
}

/// Every command that reads a binary, over `paths` at once (each error must name its
/// file, and the others must still be reported).
fn every_binary_command(paths: &[PathBuf], what: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let runs: [(&[&str], bool); 5] = [
        (&["--json"], false),
        (&[], false),
        (&["size", "--json"], false),
        (&["buildinfo"], false),
        (&["check"], true),
    ];
    // Batches of 25 keep each run far below the hang limit on a loaded debug build.
    for batch in paths.chunks(25) {
        for (args, policy) in runs {
            let mut cmd = limited_goaudit();
            // An empty directory: `check` must not pick up the repository's own config.
            cmd.current_dir(dir.path()).args(args).args(batch);
            let out = run(cmd);
            assert_sane(&out, batch, &format!("{what} via {args:?}"), policy);
        }
    }
}

/// `shrink` reads and rewrites one ELF at a time: a dry run, then a real run into a
/// scratch file.
fn shrink_each(paths: &[PathBuf], what: &str) {
    let out_dir = scratch();
    let out = out_dir.path().join("out");
    for p in paths {
        for real in [false, true] {
            let mut cmd = support::goaudit();
            cmd.arg("shrink").arg(p);
            if real {
                cmd.arg("-o").arg(&out);
            } else {
                cmd.arg("--dry-run");
            }
            let o = run(cmd);
            assert_sane(
                &o,
                std::slice::from_ref(p),
                &format!("{what} via shrink (real: {real})"),
                false,
            );
        }
    }
}

/// goaudit under a 2 GB address-space limit: far above what these inputs need, far
/// below what a reservation sized by a hostile length field would take, so such a
/// reservation aborts the run instead of passing unnoticed on an overcommitting kernel.
fn limited_goaudit() -> Command {
    let sh = support::require_tool("sh", "install a POSIX shell (`apt-get install dash`)");
    let mut cmd = Command::new(sh);
    cmd.arg("-c")
        .arg(r#"ulimit -v 2000000 && exec "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_goaudit"));
    cmd
}

fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("goaudit-hostile-")
        .tempdir()
        .expect("tempdir")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
    p
}

fn le16(b: &[u8], at: usize) -> u64 {
    u16::from_le_bytes(b[at..at + 2].try_into().unwrap()) as u64
}
fn le32(b: &[u8], at: usize) -> u64 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as u64
}
fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}
fn put16(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 2].copy_from_slice(&(v as u16).to_le_bytes());
}
fn put32(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 4].copy_from_slice(&(v as u32).to_le_bytes());
}
fn put64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// A 64-bit little-endian ELF section header, by the file's own table.
struct Shdr {
    name: String,
    /// Offset of this header in the file.
    at: usize,
    offset: u64,
}

fn elf_sections(b: &[u8]) -> Vec<Shdr> {
    assert_eq!(&b[..4], b"\x7fELF", "test binary is not ELF");
    let shoff = le64(b, 0x28) as usize;
    let shentsize = le16(b, 0x3a) as usize;
    let shnum = le16(b, 0x3c) as usize;
    let shstrndx = le16(b, 0x3e) as usize;
    let strtab_off = le64(b, shoff + shstrndx * shentsize + 24) as usize;
    (0..shnum)
        .map(|i| {
            let at = shoff + i * shentsize;
            let n = strtab_off + le32(b, at) as usize;
            let end = n + b[n..].iter().position(|&c| c == 0).unwrap();
            Shdr {
                name: String::from_utf8_lossy(&b[n..end]).into_owned(),
                at,
                offset: le64(b, at + 24),
            }
        })
        .collect()
}

fn section<'a>(secs: &'a [Shdr], name: &str) -> &'a Shdr {
    secs.iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("test binary has no {name} section"))
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    memchr::memmem::find(hay, needle)
        .unwrap_or_else(|| panic!("{needle:x?} not found in the test binary"))
}

#[test]
fn elf_section_headers_beyond_the_file() {
    let src = support::testbin("netuser-default");
    let orig = std::fs::read(&src).expect("read test binary");
    let secs = elf_sections(&orig);
    let dir = scratch();
    let mut paths = Vec::new();
    let len = orig.len() as u64;
    for s in &secs {
        if s.name.is_empty() {
            continue;
        }
        let variants: [(&str, usize, u64); 5] = [
            ("size-huge", 32, 1 << 62),
            ("size-max", 32, u64::MAX),
            ("size-one-past", 32, len - s.offset.min(len) + 1),
            ("offset-max", 24, u64::MAX - 7),
            ("offset-end", 24, len),
        ];
        for (tag, field, v) in variants {
            let mut b = orig.clone();
            put64(&mut b, s.at + field, v);
            let name = format!("sec{}-{tag}", s.name.replace('.', "_"));
            paths.push(write(dir.path(), &name, &b));
        }
    }
    assert!(
        paths.len() > 50,
        "too few sections mutated: {}",
        paths.len()
    );
    every_binary_command(&paths, "section headers claiming bytes beyond the file");
    // Two variants of each section are enough for the one-file-at-a-time shrink.
    let some: Vec<PathBuf> = paths
        .iter()
        .filter(|p| {
            let n = p.to_string_lossy();
            n.ends_with("size-max") || n.ends_with("offset-max")
        })
        .cloned()
        .collect();
    shrink_each(&some, "section headers claiming bytes beyond the file");
}

#[test]
fn elf_huge_or_overlapping_section_and_program_tables() {
    let src = support::testbin("netuser-cgo0");
    let orig = std::fs::read(&src).expect("read test binary");
    let len = orig.len() as u64;
    let dir = scratch();
    // (name, field offset, width, value)
    let cases: [(&str, usize, usize, u64); 9] = [
        ("shnum-max", 0x3c, 2, 0xffff),
        ("shoff-near-end", 0x28, 8, len - 64),
        ("shoff-on-phdrs", 0x28, 8, 64),
        ("shoff-max", 0x28, 8, u64::MAX - 63),
        ("shstrndx-max", 0x3e, 2, 0xfffe),
        ("shentsize-tiny", 0x3a, 2, 1),
        ("phnum-max", 0x38, 2, 0xffff),
        ("phoff-max", 0x20, 8, u64::MAX - 55),
        ("phoff-near-end", 0x20, 8, len - 8),
    ];
    let mut paths = Vec::new();
    for (name, at, width, v) in cases {
        let mut b = orig.clone();
        match width {
            2 => put16(&mut b, at, v),
            _ => put64(&mut b, at, v),
        }
        paths.push(write(dir.path(), name, &b));
    }
    every_binary_command(&paths, "huge or overlapping ELF header tables");
    shrink_each(&paths, "huge or overlapping ELF header tables");
    for p in &paths {
        let mut cmd = support::goaudit();
        cmd.arg("debug-pclntab").arg(p);
        assert_sane(&run(cmd), std::slice::from_ref(p), "debug-pclntab", false);
    }
}

/// The Go 1.20+ pclntab header (magic 0xfffffff1, pad, minLC, ptrSize 8) in a
/// little-endian 64-bit binary.
const PCLN_120: &[u8] = b"\xf1\xff\xff\xff\x00\x00\x01\x08";

#[test]
fn pclntab_counts_and_offsets_of_2_pow_31_and_beyond() {
    let src = support::testbin("netuser-cgo0");
    let orig = std::fs::read(&src).expect("read test binary");
    let at = find(&orig, PCLN_120);
    let dir = scratch();
    let mut paths = Vec::new();
    // Header words after the 8-byte prefix: nfunc, nfiles, textStart, funcnameOffset,
    // cuOffset, filetabOffset, pctabOffset, pclnOffset.
    for word in 0..8 {
        for (tag, v) in [("2p31", 1u64 << 31), ("max", u64::MAX), ("2p63", 1 << 63)] {
            let mut b = orig.clone();
            put64(&mut b, at + 8 + 8 * word, v);
            paths.push(write(dir.path(), &format!("pcln-w{word}-{tag}"), &b));
        }
    }
    // The first functab entry's _func offset pointing far away.
    let mut b = orig.clone();
    put32(&mut b, at + 8 + 64 + 4, 0xffff_fff0);
    let pcln_off = le64(&orig, at + 8 + 56) as usize;
    put32(&mut b, at + pcln_off + 4, 0xffff_fff0);
    paths.push(write(dir.path(), "pcln-func-off", &b));
    every_binary_command(&paths, "pclntab header with huge counts and offsets");
    for p in &paths {
        for scan in [false, true] {
            let mut cmd = support::goaudit();
            cmd.arg("debug-pclntab");
            if scan {
                cmd.arg("--scan");
            }
            cmd.arg(p);
            assert_sane(&run(cmd), std::slice::from_ref(p), "debug-pclntab", false);
        }
    }
}

/// Go's unsigned varint of `v`.
fn uvarint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
    out
}

#[test]
fn buildinfo_varint_lengths_of_2_pow_60() {
    let src = support::testbin("netuser-cgo0");
    let orig = std::fs::read(&src).expect("read test binary");
    let at = find(&orig, b"\xff Go buildinf:");
    assert_eq!(
        orig[at + 15] & 2,
        2,
        "expected inline (Go 1.18+) buildinfo strings"
    );
    let dir = scratch();
    let mut paths = Vec::new();
    let version_len = orig[at + 32] as usize;
    for (tag, v) in [
        ("2p60", 1u64 << 60),
        ("max", u64::MAX),
        ("2p31", 1 << 31),
        ("2p32", 1 << 32),
    ] {
        // The version string's length, then the module info's after a valid version.
        for (which, off) in [("version", 32), ("modinfo", 33 + version_len)] {
            let mut b = orig.clone();
            let enc = uvarint(v);
            b[at + off..at + off + enc.len()].copy_from_slice(&enc);
            paths.push(write(dir.path(), &format!("bi-{which}-{tag}"), &b));
        }
    }
    // A varint that never ends: ten continuation bytes.
    let mut b = orig.clone();
    b[at + 32..at + 42].fill(0xff);
    paths.push(write(dir.path(), "bi-unterminated", &b));
    // Pointer-format buildinfo (flags without bit 1) whose pointers go nowhere.
    let mut b = orig.clone();
    b[at + 15] = 0;
    b[at + 14] = 8;
    put64(&mut b, at + 16, u64::MAX - 4);
    put64(&mut b, at + 24, 1 << 63);
    paths.push(write(dir.path(), "bi-pointers", &b));
    every_binary_command(&paths, "buildinfo with huge varint lengths");
}

#[test]
fn dwarf_unit_length_past_the_end_and_2_pow_40_compression_header() {
    let src = support::testbin("netuser-default");
    let orig = std::fs::read(&src).expect("read test binary");
    let secs = elf_sections(&orig);
    let dir = scratch();
    let mut paths = Vec::new();
    const SHF_COMPRESSED: u64 = 0x800;
    for name in [
        ".debug_info",
        ".debug_line",
        ".debug_abbrev",
        ".debug_rnglists",
        ".debug_addr",
    ] {
        let s = section(&secs, name);
        let flags = le64(&orig, s.at + 8);
        let off = s.offset as usize;
        if flags & SHF_COMPRESSED != 0 {
            // Elf64_Chdr: type, reserved, size, addralign.
            for (tag, v) in [("2p40", 1u64 << 40), ("max", u64::MAX)] {
                let mut b = orig.clone();
                put64(&mut b, off + 8, v);
                paths.push(write(
                    dir.path(),
                    &format!("chdr{}-{tag}", name.replace('.', "_")),
                    &b,
                ));
            }
        }
        // The same section uncompressed, starting with a unit_length far past its end
        // (32-bit and 64-bit DWARF forms).
        for (tag, head) in [
            ("len32", b"\xf0\xff\xff\x7f\x04\x00".to_vec()),
            (
                "len64",
                [b"\xff\xff\xff\xff".as_slice(), &[0xf0; 7], b"\x7f\x05\x00"].concat(),
            ),
            ("zero", vec![0u8; 16]),
        ] {
            let mut b = orig.clone();
            put64(&mut b, s.at + 8, flags & !SHF_COMPRESSED);
            b[off..off + head.len()].copy_from_slice(&head);
            paths.push(write(
                dir.path(),
                &format!("raw{}-{tag}", name.replace('.', "_")),
                &b,
            ));
        }
    }
    every_binary_command(&paths, "DWARF with lengths past the end");
}

#[test]
fn macho_load_commands_past_the_end() {
    let src = support::testbin("netuser-darwin-arm64");
    let orig = std::fs::read(&src).expect("read test binary");
    assert_eq!(
        le32(&orig, 0),
        0xfeedfacf,
        "expected a 64-bit little-endian Mach-O"
    );
    let dir = scratch();
    let mut paths = Vec::new();
    let ncmds = le32(&orig, 16) as usize;
    let mut b = orig.clone();
    put32(&mut b, 16, 0xffff_ffff);
    paths.push(write(dir.path(), "ncmds-max", &b));
    let mut b = orig.clone();
    put32(&mut b, 20, 0xffff_ffff);
    paths.push(write(dir.path(), "sizeofcmds-max", &b));
    let mut b = orig.clone();
    put32(&mut b, 36, 0xffff_fff0);
    paths.push(write(dir.path(), "cmdsize-huge", &b));
    let mut b = orig.clone();
    put32(&mut b, 36, 0);
    paths.push(write(dir.path(), "cmdsize-zero", &b));
    // Every load command in turn: its offsets and sizes (words 2.. of the command) made huge.
    let mut at = 32;
    for i in 0..ncmds {
        let cmdsize = le32(&orig, at + 4) as usize;
        for word in (8..cmdsize.min(80)).step_by(4) {
            let mut b = orig.clone();
            put32(&mut b, at + word, 0xffff_fff0);
            paths.push(write(dir.path(), &format!("lc{i}-w{word}"), &b));
        }
        at += cmdsize;
    }
    assert!(paths.len() > 20, "too few load commands mutated");
    every_binary_command(&paths, "Mach-O load commands past the end");
}

#[test]
fn pe_section_table_past_the_end() {
    let src = support::testbin("netuser-windows-amd64.exe");
    let orig = std::fs::read(&src).expect("read test binary");
    assert_eq!(&orig[..2], b"MZ", "expected a PE file");
    let pe = le32(&orig, 0x3c) as usize;
    let coff = pe + 4;
    let nsec = le16(&orig, coff + 2) as usize;
    let opt_size = le16(&orig, coff + 16) as usize;
    let table = coff + 20 + opt_size;
    let len = orig.len() as u64;
    let dir = scratch();
    let mut paths = Vec::new();
    let cases: [(&str, usize, usize, u64); 5] = [
        ("nsections-max", coff + 2, 2, 0xffff),
        ("optsize-max", coff + 16, 2, 0xffff),
        ("lfanew-end", 0x3c, 4, len - 2),
        ("lfanew-max", 0x3c, 4, 0xffff_fff0),
        ("symtab-max", coff + 8, 4, 0xffff_fff0),
    ];
    for (name, at, width, v) in cases {
        let mut b = orig.clone();
        match width {
            2 => put16(&mut b, at, v),
            _ => put32(&mut b, at, v),
        }
        paths.push(write(dir.path(), name, &b));
    }
    // Each data directory's address and size (PE32+: they start 112 bytes into the
    // optional header), and the directory count itself.
    let opt = coff + 20;
    for k in 0..(le32(&orig, opt + 108) as usize).min(16) {
        for field in [0, 4] {
            let mut b = orig.clone();
            put32(&mut b, opt + 112 + 8 * k + field, 0xffff_fff0);
            paths.push(write(dir.path(), &format!("dd{k}-f{field}"), &b));
        }
    }
    let mut b = orig.clone();
    put32(&mut b, opt + 108, 0xffff_ffff);
    paths.push(write(dir.path(), "dd-count-max", &b));
    // Each section's virtual size, address, raw size and raw pointer made huge.
    for i in 0..nsec {
        for field in [8, 12, 16, 20] {
            let mut b = orig.clone();
            put32(&mut b, table + 40 * i + field, 0xffff_fff0);
            paths.push(write(dir.path(), &format!("sec{i}-f{field}"), &b));
        }
    }
    every_binary_command(&paths, "PE section table past the end");
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(b);
    d.iter().map(|x| format!("{x:02x}")).collect()
}

/// Run the image-reading commands over `path`.
fn every_image_command(path: &Path, what: &str) {
    let dir = scratch();
    for args in [
        &["--json"][..],
        &[][..],
        &["check"][..],
        &["size", "--json"][..],
        &["buildinfo"][..],
    ] {
        let mut cmd = limited_goaudit();
        cmd.current_dir(dir.path()).args(args).arg(path);
        let out = run(cmd);
        // Shown with --nocapture: which error each input met.
        eprintln!(
            "{what} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim_end()
        );
        assert_sane(
            &out,
            &[path.to_path_buf()],
            &format!("{what} via {args:?}"),
            args == ["check"],
        );
    }
}

/// An OCI layout directory holding the given blobs (name under `blobs/` -> bytes).
fn oci_layout(dir: &Path, index: &str, blobs: &[(&str, &[u8])]) -> PathBuf {
    let root = dir.join("layout");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    std::fs::write(root.join("index.json"), index).unwrap();
    for (name, b) in blobs {
        let p = root.join("blobs").join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b).unwrap();
    }
    root
}

#[test]
fn oci_index_referring_to_itself() {
    // A digest algorithm goaudit does not verify lets a blob name itself; with many
    // entries a depth cap alone still allows entries^depth visits.
    let entries: Vec<String> = (0..200)
        .map(|_| {
            r#"{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"loop:self","size":1}"#
                .to_string()
        })
        .collect();
    let idx = format!(
        r#"{{"schemaVersion":2,"manifests":[{}]}}"#,
        entries.join(",")
    );
    let dir = scratch();
    let mut self_blob = idx.clone().into_bytes();
    // Keep the descriptor's size honest so the size check does not stop the walk.
    let n = self_blob.len();
    let fixed = idx.replace(r#""size":1"#, &format!(r#""size":{n}"#));
    // Adjusting the size changes the length; iterate until stable.
    let mut cur = fixed;
    for _ in 0..5 {
        let n = cur.len();
        cur = idx.replace(r#""size":1"#, &format!(r#""size":{n}"#));
    }
    self_blob = cur.into_bytes();
    let root = oci_layout(
        dir.path(),
        &String::from_utf8_lossy(&self_blob),
        &[("loop/self", &self_blob)],
    );
    every_image_command(&root, "an OCI index referring to itself");

    // The same loop through sha256 is impossible (a blob cannot contain its own
    // digest), but each level may name the next index blob hundreds of times: within
    // the depth cap, 300 entries at each of four levels are 300^4 visits unless a
    // blob already walked is walked once.
    let mut blobs: Vec<(String, Vec<u8>)> = Vec::new();
    let mut below = br#"{"schemaVersion":2,"manifests":[]}"#.to_vec();
    for _ in 0..4 {
        let d = sha256_hex(&below);
        let entries: Vec<String> = (0..300)
            .map(|_| {
                format!(
                    r#"{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:{d}","size":{}}}"#,
                    below.len()
                )
            })
            .collect();
        blobs.push((format!("sha256/{d}"), below));
        below = format!(
            r#"{{"schemaVersion":2,"manifests":[{}]}}"#,
            entries.join(",")
        )
        .into_bytes();
    }
    let dir2 = scratch();
    let refs: Vec<(&str, &[u8])> = blobs
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let root = oci_layout(dir2.path(), &String::from_utf8_lossy(&below), &refs);
    every_image_command(&root, "an OCI index fanning out 300 wide at four levels");
}

/// A ustar header for `name` (regular file of `size` bytes, or a link).
fn tar_header(name: &str, typeflag: u8, size: u64, link: &str) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..107].copy_from_slice(b"0000644");
    h[108..115].copy_from_slice(b"0000000");
    h[116..123].copy_from_slice(b"0000000");
    h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
    h[136..147].copy_from_slice(b"00000000000");
    h[156] = typeflag;
    h[157..157 + link.len()].copy_from_slice(link.as_bytes());
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| b as u32).sum();
    h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    h
}

/// A one-layer OCI layout around `layer` (an uncompressed tar), digests correct.
fn oci_image(dir: &Path, layer_path: &Path) -> PathBuf {
    let root = dir.join("layout");
    let blobs = root.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    // Hash with the system tool: debug-built sha2 is slow on half a gigabyte.
    let sum = support::require_tool(
        "sha256sum",
        "install coreutils (`apt-get install coreutils`)",
    );
    let out = Command::new(sum)
        .arg(layer_path)
        .output()
        .expect("run sha256sum");
    assert!(out.status.success(), "sha256sum failed");
    let ld = String::from_utf8_lossy(&out.stdout)[..64].to_string();
    let lsize = std::fs::metadata(layer_path).unwrap().len();
    std::fs::rename(layer_path, blobs.join(&ld)).expect("move layer into the layout");
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["sha256:{ld}"]}},"config":{{}}}}"#
    );
    let cd = sha256_hex(config.as_bytes());
    std::fs::write(blobs.join(&cd), &config).unwrap();
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{cd}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:{ld}","size":{lsize}}}]}}"#,
        config.len()
    );
    let md = sha256_hex(manifest.as_bytes());
    std::fs::write(blobs.join(&md), &manifest).unwrap();
    let index = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{md}","size":{}}}]}}"#,
        manifest.len()
    );
    std::fs::write(root.join("index.json"), index).unwrap();
    std::fs::write(
        root.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    root
}

#[test]
fn layer_with_link_loops() {
    let dir = scratch();
    let layer = dir.path().join("layer.tar");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&layer).unwrap());
    let bin = std::fs::read(support::testbin("netuser-cgo0")).unwrap();
    f.write_all(&tar_header("app", b'0', bin.len() as u64, ""))
        .unwrap();
    f.write_all(&bin).unwrap();
    f.write_all(&vec![0u8; (512 - bin.len() % 512) % 512])
        .unwrap();
    // A hard link to itself, two hard links to each other, symlink loops, a symlink
    // to itself, and a link whose target is a directory of itself.
    f.write_all(&tar_header("self", b'1', 0, "self")).unwrap();
    f.write_all(&tar_header("a", b'1', 0, "b")).unwrap();
    f.write_all(&tar_header("b", b'1', 0, "a")).unwrap();
    f.write_all(&tar_header("s", b'2', 0, "s")).unwrap();
    f.write_all(&tar_header("s1", b'2', 0, "s2")).unwrap();
    f.write_all(&tar_header("s2", b'2', 0, "s1")).unwrap();
    f.write_all(&tar_header("d/x", b'2', 0, "../d/x")).unwrap();
    f.write_all(&tar_header("lib", b'2', 0, "lib/lib")).unwrap();
    f.write_all(&tar_header("app2", b'1', 0, "app")).unwrap();
    f.write_all(&[0u8; 1024]).unwrap();
    drop(f);
    let root = oci_image(dir.path(), &layer);
    every_image_command(&root, "a layer with hard-link and symlink loops");
}

#[test]
fn layer_with_a_huge_number_of_empty_files_finishes() {
    let dir = scratch();
    let layer = dir.path().join("layer.tar");
    let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&layer).unwrap());
    let template = tar_header("f/0000000", b'0', 0, "");
    // 200k entries: enough to show the walk is linear and bounded (it is far past any
    // real layer's count), small enough for the debug build to stay quick in CI.
    for i in 0..200_000u32 {
        let mut h = template;
        h[2..9].copy_from_slice(format!("{i:07}").as_bytes());
        h[148..156].fill(b' ');
        let sum: u32 = h.iter().map(|&b| b as u32).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        f.write_all(&h).unwrap();
    }
    f.write_all(&[0u8; 1024]).unwrap();
    drop(f);
    let root = oci_image(dir.path(), &layer);
    every_image_command(&root, "a layer of 200k empty files");
}

#[test]
fn deeply_nested_config_and_baseline() {
    let bin = support::testbin("netuser-cgo0");
    let dir = scratch();
    let deep = 100_000;
    let configs = [
        ("tables", "a.".repeat(deep) + "a = 1\n"),
        ("arrays", format!("x = {}", "[".repeat(deep))),
        ("inline", format!("x = {}", "{a = ".repeat(deep))),
        (
            "rules",
            format!("[rules]\nx = {}1{}\n", "[".repeat(deep), "]".repeat(deep)),
        ),
    ];
    for (tag, text) in configs {
        let cfg = write(dir.path(), &format!("{tag}.toml"), text.as_bytes());
        let mut cmd = support::goaudit();
        cmd.current_dir(dir.path())
            .arg("check")
            .arg("--config")
            .arg(&cfg)
            .arg(&bin);
        let out = run(cmd);
        assert_refused_naming(&out, &cfg, &format!("goaudit.toml nested {tag}"));
    }
    // And as the discovered goaudit.toml rather than --config.
    let found = dir.path().join("proj");
    std::fs::create_dir_all(&found).unwrap();
    let cfg = write(
        &found,
        "goaudit.toml",
        ("a.".repeat(deep) + "a = 1\n").as_bytes(),
    );
    let mut cmd = support::goaudit();
    cmd.current_dir(&found).arg("check").arg(&bin);
    let out = run(cmd);
    assert_refused_naming(&out, &cfg, "a discovered deeply nested goaudit.toml");

    let baselines = [
        ("brackets", "[".repeat(1 << 20)),
        ("braces", "{\"a\":".repeat(200_000)),
        (
            "closed",
            format!("{}{}", "[".repeat(5000), "]".repeat(5000)),
        ),
    ];
    for (tag, text) in baselines {
        let bl = write(dir.path(), &format!("{tag}.json"), text.as_bytes());
        let mut cmd = support::goaudit();
        cmd.current_dir(dir.path())
            .arg("check")
            .arg("--baseline")
            .arg(&bl)
            .arg(&bin);
        let out = run(cmd);
        assert_refused_naming(&out, &bl, &format!("baseline {tag}"));
    }
}

/// Config and baseline errors name the file as the project sees it (relative to the
/// project root, with `:line:col`), so only its file name is required in the line.
fn assert_refused_naming(out: &Output, file: &Path, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked"),
        "goaudit panicked on {what}:\n{stderr}"
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{what} should be refused with exit 2:\n{stderr}"
    );
    let name = file.file_name().unwrap().to_string_lossy();
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("goaudit: ") && l.contains(name.as_ref())),
        "no `goaudit: ...{name}...: <what>` line for {what}:\n{stderr}"
    );
}

/// A file bigger than memory would allow, but sparse: goaudit must not read it all in
/// just to find it is not a Go binary.
#[test]
fn huge_sparse_files() {
    let dir = scratch();
    let mut paths = Vec::new();
    for (name, head) in [
        ("sparse-zero", b"".as_slice()),
        ("sparse-elf", b"\x7fELF\x02\x01\x01".as_slice()),
        ("sparse-tar", b"".as_slice()),
    ] {
        let p = dir.path().join(name);
        let f = std::fs::File::create(&p).unwrap();
        (&f).write_all(head).unwrap();
        f.set_len(64 << 30).unwrap();
        paths.push(p);
    }
    // A real Go binary's headers (sections dropped, so nothing names the tables) in
    // front of a 64 GiB hole: only what the program headers describe may be scanned.
    let mut b = std::fs::read(support::testbin("netuser-cgo0")).expect("read test binary");
    put64(&mut b, 0x28, 0);
    put16(&mut b, 0x3c, 0);
    put16(&mut b, 0x3e, 0);
    let p = write(dir.path(), "sparse-go-no-sections", &b);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(64 << 30)
        .unwrap();
    paths.push(p);
    every_binary_command(&paths, "64 GiB sparse files");
}

/// A tar of `(header, data)` members, padded and terminated.
fn tar_of(members: &[([u8; 512], &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (h, data) in members {
        out.extend_from_slice(h);
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(512), 0);
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

#[test]
fn layer_blobs_with_lying_lengths() {
    // zstd: the largest window descriptor, then a single-segment frame whose content
    // size field says 2^63, each followed by junk.
    let mut blobs: Vec<(&str, Vec<u8>)> = vec![(
        "zstd-window",
        [&[0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xf8][..], &[0u8; 64]].concat(),
    )];
    blobs.push((
        "zstd-fcs",
        [
            &[0x28, 0xb5, 0x2f, 0xfd, 0xe0][..],
            &(1u64 << 63).to_le_bytes(),
            &[0x01, 0x00, 0x00],
        ]
        .concat(),
    ));
    // A skippable frame claiming 4 GiB, then nothing.
    blobs.push((
        "zstd-skippable",
        [&[0x50, 0x2a, 0x4d, 0x18][..], &[0xff, 0xff, 0xff, 0xff]].concat(),
    ));
    // gzip with an FEXTRA field claiming 64 KiB and holding nothing.
    blobs.push((
        "gzip-fextra",
        vec![0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 3, 0xff, 0xff],
    ));
    // An ELF member claiming 1 GiB (the default in-memory cap) with 4 bytes present.
    let mut h = tar_header("app", b'0', 0, "");
    h[124..135].copy_from_slice(format!("{:011o}", 1u64 << 30).as_bytes());
    fix_checksum(&mut h);
    let mut elf = tar_of(&[(h, b"\x7fELF")]);
    elf.truncate(512 + 512);
    blobs.push(("elf-1gib", elf));
    // GNU base-256 size of 2^62 on a regular file, and on a pax header.
    for (tag, flag) in [("base256", b'0'), ("pax-huge", b'x')] {
        let mut h = tar_header("big", flag, 0, "");
        h[124..136].fill(0);
        h[124] = 0x80;
        h[128..136].copy_from_slice(&(1u64 << 62).to_be_bytes());
        fix_checksum(&mut h);
        blobs.push((tag, tar_of(&[(h, b"")])));
    }
    // A long-name header claiming 8 GiB (the largest octal size field).
    let mut h = tar_header("././@LongLink", b'L', 0, "");
    h[124..135].copy_from_slice(format!("{:011o}", (1u64 << 33) - 1).as_bytes());
    fix_checksum(&mut h);
    blobs.push(("longname-huge", tar_of(&[(h, b"")])));
    for (tag, blob) in blobs {
        let dir = scratch();
        let layer = dir.path().join("layer");
        std::fs::write(&layer, &blob).unwrap();
        let root = oci_image(dir.path(), &layer);
        every_image_command(&root, &format!("layer blob {tag}"));
    }
}

fn fix_checksum(h: &mut [u8; 512]) {
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| b as u32).sum();
    h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
}

#[test]
fn docker_archive_with_link_loops_and_repeated_layers() {
    let layer = tar_of(&[(tar_header("etc/x", b'0', 2, ""), b"x\n")]);
    let ld = sha256_hex(&layer);
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":[{}]}}}}"#,
        vec![format!(r#""sha256:{ld}""#); 2000].join(",")
    );
    let manifest = format!(
        r#"[{{"Config":"config.json","RepoTags":["x:y"],"Layers":[{}]}}]"#,
        vec![r#""l/layer.tar""#; 2000].join(",")
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            // The layer member is a hard link to itself.
            "self-link",
            tar_of(&[
                (
                    tar_header("manifest.json", b'0', manifest.len() as u64, ""),
                    manifest.as_bytes(),
                ),
                (
                    tar_header("config.json", b'0', config.len() as u64, ""),
                    config.as_bytes(),
                ),
                (tar_header("l/layer.tar", b'1', 0, "l/layer.tar"), b""),
            ]),
        ),
        (
            // Symlinks to each other.
            "symlink-loop",
            tar_of(&[
                (
                    tar_header("manifest.json", b'0', manifest.len() as u64, ""),
                    manifest.as_bytes(),
                ),
                (
                    tar_header("config.json", b'0', config.len() as u64, ""),
                    config.as_bytes(),
                ),
                (tar_header("l/layer.tar", b'2', 0, "other.tar"), b""),
                (tar_header("l/other.tar", b'2', 0, "layer.tar"), b""),
            ]),
        ),
        (
            // One real layer named 2000 times.
            "repeated",
            tar_of(&[
                (
                    tar_header("manifest.json", b'0', manifest.len() as u64, ""),
                    manifest.as_bytes(),
                ),
                (
                    tar_header("config.json", b'0', config.len() as u64, ""),
                    config.as_bytes(),
                ),
                (
                    tar_header("l/layer.tar", b'0', layer.len() as u64, ""),
                    &layer,
                ),
            ]),
        ),
    ];
    for (tag, archive) in cases {
        let dir = scratch();
        let p = write(dir.path(), &format!("{tag}.tar"), &archive);
        every_image_command(&p, &format!("docker archive {tag}"));
    }
}

/// `runtime.firstmoduledata` begins with a pointer to the pclntab header; every word
/// after it (slices of functab, files, types, typelinks, itabs, text and data bounds)
/// is read by the size and type passes.
#[test]
fn moduledata_words_with_extreme_values() {
    let src = support::testbin("netuser-cgo0");
    let orig = std::fs::read(&src).expect("read test binary");
    let secs = elf_sections(&orig);
    let pcln_addr = le64(&orig, section(&secs, ".gopclntab").at + 16);
    // Go 1.26 gives it a section of its own; earlier releases put it in .noptrdata.
    let data = secs
        .iter()
        .find(|s| s.name == ".go.module")
        .unwrap_or_else(|| section(&secs, ".noptrdata"));
    let data_end = data.offset as usize + le64(&orig, data.at + 32) as usize;
    let at = data.offset as usize
        + find(
            &orig[data.offset as usize..data_end],
            &pcln_addr.to_le_bytes(),
        );
    let dir = scratch();
    let mut paths = Vec::new();
    for word in 1..64 {
        let o = at + 8 * word;
        let cur = le64(&orig, o);
        for (tag, v) in [
            ("max", u64::MAX),
            ("2p31", 1 << 31),
            ("far", cur.wrapping_add(1 << 40)),
            ("minus", cur.wrapping_sub(1)),
        ] {
            let mut b = orig.clone();
            put64(&mut b, o, v);
            paths.push(write(dir.path(), &format!("md-w{word}-{tag}"), &b));
        }
    }
    every_binary_command(&paths, "moduledata words with extreme values");
}

/// Baselines whose numbers sit at the edges: a recorded size of 0 and of 2^64-1, module
/// bytes of 2^64-1 (sums must saturate), a hundred thousand modules, duplicate paths.
#[test]
fn baseline_with_extreme_numbers() {
    let dir = scratch();
    let proj = dir.path();
    std::fs::create_dir_all(proj.join("dist")).unwrap();
    std::fs::copy(support::testbin("netuser-cgo0"), proj.join("dist/app")).unwrap();
    std::fs::write(
        proj.join("goaudit.toml"),
        "version = 1\n\n[[budget]]\npath = \"dist/app\"\nmax_growth_percent = 5\nmax_growth_bytes = \"1KiB\"\n[budget.modules]\nstd = \"1KiB\"\n",
    )
    .unwrap();
    let many: Vec<String> = (0..100_000)
        .map(|i| format!(r#"{{"name":"m{i}","bytes":{}}}"#, u64::MAX - i))
        .collect();
    let max = u64::MAX;
    let baselines = [
        (
            "zero",
            r#"{"schema_version":1,"artifacts":[{"path":"dist/app","size":0,"by_module":[{"name":"std","bytes":0}]}]}"#
                .to_string(),
        ),
        (
            "max",
            format!(
                r#"{{"schema_version":1,"artifacts":[{{"path":"dist/app","size":{max},"by_module":[{{"name":"std","bytes":{max}}},{{"name":"std","bytes":{max}}}]}}]}}"#
            ),
        ),
        (
            "many",
            format!(
                r#"{{"schema_version":1,"artifacts":[{{"path":"dist/app","size":1,"by_module":[{}]}}]}}"#,
                many.join(",")
            ),
        ),
        (
            "dup",
            format!(
                r#"{{"schema_version":1,"artifacts":[{{"path":"dist/app","size":1}},{{"path":"dist/app","size":{max}}}]}}"#
            ),
        ),
        (
            "version",
            r#"{"schema_version":4294967295,"artifacts":[]}"#.to_string(),
        ),
    ];
    for (tag, text) in baselines {
        let bl = write(proj, &format!("{tag}.json"), text.as_bytes());
        for format in ["human", "json", "sarif", "junit", "github"] {
            let mut cmd = support::goaudit();
            cmd.current_dir(proj)
                .args(["check", "--format", format, "--baseline"])
                .arg(&bl);
            let out = run(cmd);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                !stderr.contains("panicked"),
                "panic on baseline {tag} ({format}):\n{stderr}"
            );
            assert!(
                matches!(out.status.code(), Some(0..=2)),
                "baseline {tag} ({format}): exit {:?}\n{stderr}",
                out.status.code()
            );
        }
    }
}

/// Program headers and the dynamic section of a dynamically linked binary: the linking
/// verdicts read PT_INTERP, PT_DYNAMIC and the DT_NEEDED strings through them.
#[test]
fn program_headers_and_dynamic_entries_with_extreme_values() {
    let src = support::testbin("netuser-default");
    let orig = std::fs::read(&src).expect("read test binary");
    let phoff = le64(&orig, 0x20) as usize;
    let phentsize = le16(&orig, 0x36) as usize;
    let phnum = le16(&orig, 0x38) as usize;
    let dir = scratch();
    let mut paths = Vec::new();
    let mut dynamic = None;
    for i in 0..phnum {
        let at = phoff + i * phentsize;
        if le32(&orig, at) == 2 {
            dynamic = Some((le64(&orig, at + 8) as usize, le64(&orig, at + 32) as usize));
        }
        // p_offset, p_vaddr, p_filesz, p_memsz.
        for field in [8, 16, 32, 40] {
            for (tag, v) in [("max", u64::MAX), ("2p63", 1 << 63)] {
                let mut b = orig.clone();
                put64(&mut b, at + field, v);
                paths.push(write(dir.path(), &format!("ph{i}-f{field}-{tag}"), &b));
            }
        }
    }
    let (doff, dsize) = dynamic.expect("netuser-default has a PT_DYNAMIC");
    for k in 0..dsize / 16 {
        let at = doff + 16 * k;
        if le64(&orig, at) == 0 {
            break;
        }
        for (tag, v) in [("max", u64::MAX), ("2p31", 1 << 31)] {
            let mut b = orig.clone();
            put64(&mut b, at + 8, v);
            paths.push(write(dir.path(), &format!("dyn{k}-{tag}"), &b));
        }
    }
    // The dynamic section with its terminator removed: entries run to the section end.
    let mut b = orig.clone();
    for k in 0..dsize / 16 {
        if le64(&b, doff + 16 * k) == 0 {
            put64(&mut b, doff + 16 * k, 1);
            put64(&mut b, doff + 16 * k + 8, 1 << 40);
        }
    }
    paths.push(write(dir.path(), "dyn-unterminated", &b));
    every_binary_command(&paths, "program headers and dynamic entries");
    shrink_each(&paths, "program headers and dynamic entries");
}

/// A layer member that starts like an ELF file and claims 1 GiB: goaudit must not
/// reserve the claimed size before the bytes arrive. Run under a 600 MB address-space
/// limit, where an up-front 1 GiB reservation aborts the process.
#[test]
fn tar_size_claims_do_not_reserve_memory() {
    let sh = support::require_tool("sh", "install a POSIX shell (`apt-get install dash`)");
    let dir = scratch();
    let mut h = tar_header("app", b'0', 0, "");
    h[124..135].copy_from_slice(format!("{:011o}", 1u64 << 30).as_bytes());
    fix_checksum(&mut h);
    let mut blob = tar_of(&[(h, b"\x7fELF")]);
    blob.truncate(1024);
    let layer = dir.path().join("layer");
    std::fs::write(&layer, &blob).unwrap();
    let root = oci_image(dir.path(), &layer);
    let mut cmd = Command::new(sh);
    cmd.arg("-c")
        .arg(r#"ulimit -v 600000 && exec "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_goaudit"))
        .arg("--json")
        .arg(&root);
    let out = run(cmd);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("memory allocation"),
        "goaudit reserved the claimed size:\n{stderr}"
    );
    assert_sane(&out, &[root], "a 1 GiB ELF claim in a layer", false);
}

/// A layout directory unpacked from an untrusted tarball can hold FIFOs where blobs
/// belong: opening one blocks until a writer appears, which is a hang.
#[test]
fn fifo_blobs_in_a_layout_directory() {
    let mkfifo = support::require_tool("mkfifo", "install coreutils (`apt-get install coreutils`)");
    let dir = scratch();
    let layer = dir.path().join("layer");
    std::fs::write(
        &layer,
        tar_of(&[(tar_header("etc/x", b'0', 2, ""), b"x\n")]),
    )
    .unwrap();
    let root = oci_image(dir.path(), &layer);
    let blobs = root.join("blobs/sha256");
    // Replace the layer blob (the largest of the three) by a FIFO.
    let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(&blobs)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (std::fs::metadata(&p).unwrap().len(), p)
        })
        .collect();
    files.sort();
    let (_, layer_blob) = files.pop().unwrap();
    std::fs::remove_file(&layer_blob).unwrap();
    let st = Command::new(&mkfifo).arg(&layer_blob).status().unwrap();
    assert!(st.success(), "mkfifo failed");
    every_image_command(&root, "a layout whose layer blob is a FIFO");
    // And index.json itself: no longer a layout, just a directory without binaries
    // (walking it must skip the FIFO, not block on it).
    std::fs::remove_file(root.join("index.json")).unwrap();
    let st = Command::new(&mkfifo)
        .arg(root.join("index.json"))
        .status()
        .unwrap();
    assert!(st.success(), "mkfifo failed");
    for args in [&["--json"][..], &["size", "--json"][..]] {
        let mut cmd = limited_goaudit();
        cmd.args(args).arg(&root);
        let out = run(cmd);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked"),
            "panic on a FIFO index.json:\n{stderr}"
        );
        assert!(
            matches!(out.status.code(), Some(0) | Some(2)),
            "a FIFO index.json via {args:?}: exit {:?}\n{stderr}",
            out.status.code()
        );
    }
}
