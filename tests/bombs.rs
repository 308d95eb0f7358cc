//! Bombs and lying sizes are refused with a clear error, in bounded memory and time:
//! gzip and zstd layers that inflate more than 1000×, a tar header claiming a 1 TB file,
//! deeply nested and huge JSON manifests, a pclntab claiming 2^31 functions. Inputs are
//! built here and read in process through the library (goaudit::fuzzing wraps a layer
//! in a valid archive, digests and all); the bounds are the ones docs/fuzzing.md states.

mod support;

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use goaudit::fuzzing;

/// A hang guard for a loaded debug build, not a benchmark.
const TIME: Duration = Duration::from_secs(60);
/// Peak memory a refused bomb may add (the cap it inflates against is 64 MiB).
const MEMORY: u64 = 256 << 20;

/// Peak resident set of this process so far (Linux `VmHWM`).
fn peak_rss() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status (Linux)");
    let kb: u64 = s
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status");
    kb << 10
}

fn write_tmp(name: &str, data: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, data).unwrap();
    (dir, p)
}

/// Read `archive` with goaudit's fuzzing limits (64 MiB decompressed): it must be
/// refused, with a message containing `want`, within the time and memory bounds.
fn assert_refused(what: &str, archive: &[u8], want: &str) {
    let (_dir, p) = write_tmp("image.tar", archive);
    let before = peak_rss();
    let t = Instant::now();
    let r = goaudit::image::read(&p, &fuzzing::limits());
    let took = t.elapsed();
    let grew = peak_rss().saturating_sub(before);
    let e = match r {
        Ok(_) => panic!("{what}: read as an image"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains(want), "{what}: {e}");
    assert!(took < TIME, "{what}: {took:?}");
    assert!(grew < MEMORY, "{what}: peak memory grew by {grew} bytes");
}

fn tar_header(name: &str, size: u64) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    h.set_path(name).unwrap();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    h.as_bytes().to_vec()
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

#[test]
fn gzip_layer_inflating_1000x_is_refused() {
    // 256 MiB of zeros from gzip members of 16 MiB each, concatenated (deflate's
    // ceiling is about 1030×).
    let mut blob = gzip(&tar_header("zeros", 256 << 20));
    let chunk = gzip(&vec![0u8; 16 << 20]);
    for _ in 0..16 {
        blob.extend_from_slice(&chunk);
    }
    let ratio = (256u64 << 20) / blob.len() as u64;
    assert!(ratio >= 1000, "inflates only {ratio}×");
    assert_refused(
        "gzip bomb",
        &fuzzing::wrap_layer(&blob),
        "--max-decompressed",
    );
}

#[test]
fn zstd_layer_inflating_1000x_is_refused() {
    // One frame: the tar header as a raw block, then 2048 RLE blocks of 128 KiB zeros
    // (4 bytes each on disk): 256 MiB from 8 KiB.
    let mut f = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, 7 << 3];
    let hdr = tar_header("zeros", 256 << 20);
    let raw = (hdr.len() as u32) << 3;
    f.extend_from_slice(&raw.to_le_bytes()[..3]);
    f.extend_from_slice(&hdr);
    let n = 2048;
    for i in 0..n {
        let last = (i == n - 1) as u32;
        let h = last | (1 << 1) | ((128u32 << 10) << 3);
        f.extend_from_slice(&h.to_le_bytes()[..3]);
        f.push(0);
    }
    let ratio = (256u64 << 20) / f.len() as u64;
    assert!(ratio >= 1000, "inflates only {ratio}×");
    assert_refused("zstd bomb", &fuzzing::wrap_layer(&f), "--max-decompressed");
}

#[test]
fn tar_header_claiming_1_tb_is_refused() {
    // The header says 1 TB; 4 KiB follow.
    let mut layer = tar_header("huge", 1 << 40);
    layer.extend_from_slice(&[0u8; 4096]);
    let before = peak_rss();
    let t = Instant::now();
    let (_dir, p) = write_tmp("image.tar", &fuzzing::wrap_layer(&layer));
    let r = goaudit::image::read(&p, &fuzzing::limits());
    assert!(r.is_err(), "a 1 TB claim over 4 KiB was read as an image");
    assert!(t.elapsed() < TIME);
    assert!(peak_rss().saturating_sub(before) < MEMORY);
}

#[test]
fn deeply_nested_and_huge_manifests_are_refused() {
    // 100 000 levels of nesting as index.json, then as a manifest and a config.
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for role in 0u8..3 {
        let mut d = vec![role];
        d.extend_from_slice(nested.as_bytes());
        let t = Instant::now();
        fuzzing::oci_json(&d);
        assert!(t.elapsed() < TIME);
    }
    // A 48 MiB manifest.json of whitespace and one huge string.
    let mut huge = b"[{\"Config\":\"".to_vec();
    huge.resize(48 << 20, b'a');
    huge.extend_from_slice(b"\"}]");
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(huge.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "manifest.json", &huge[..]).unwrap();
    let archive = b.into_inner().unwrap();
    let (_dir, p) = write_tmp("image.tar", &archive);
    let t = Instant::now();
    let r = goaudit::image::read(&p, &fuzzing::limits());
    assert!(r.is_err(), "a 48 MiB manifest naming no config was read");
    assert!(t.elapsed() < TIME);
    // Nested JSON through the CLI: one error line, exit 2, no stack overflow.
    let (_dir2, p2) = write_tmp("nested.json", nested.as_bytes());
    let mut cmd = support::goaudit();
    cmd.args(["check", "--baseline"])
        .arg(&p2)
        .arg(support::testbin("hello-cgo0"));
    let out = support::run_with_timeout(cmd, TIME);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("invalid baseline"), "{stderr}");
}

#[test]
fn pclntab_claiming_2_pow_31_functions_is_refused() {
    let data = std::fs::read(support::testbin("hello-cgo0")).unwrap();
    let bin = goaudit::binary::Binary::parse(&data).unwrap();
    let s = bin.section(".gopclntab").unwrap();
    let mut t = bin.section_data(s).unwrap().to_vec();
    for n in [1u64 << 31, u32::MAX as u64, u64::MAX] {
        t[8..16].copy_from_slice(&n.to_le_bytes());
        let before = peak_rss();
        let start = Instant::now();
        let e = goaudit::go::pclntab::parse(&t, 0).unwrap_err();
        assert!(e.to_string().contains("function count"), "{e}");
        assert!(start.elapsed() < TIME);
        assert!(peak_rss().saturating_sub(before) < MEMORY);
    }
}
