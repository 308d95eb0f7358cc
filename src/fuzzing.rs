//! Entry points for the fuzz targets in `fuzz/` and for their replay in the stable test
//! suite (`tests/fuzz_replay.rs`): each takes arbitrary bytes, runs one reader the way
//! goaudit does, and panics only when an invariant breaks (a damaged container reported
//! as healthy, a size table that does not add up). Errors are expected results.
//!
//! The image targets write their input to a private temporary directory, because the
//! image readers work on paths (mmap, layout directories); [`layer`] wraps its input in
//! a valid docker-archive, digests and all, so that mutations reach the layer reader
//! instead of stopping at the digest check.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::binary::Binary;

/// One fuzz entry point.
pub type Target = fn(&[u8]);

/// Every target, by name: what `fuzz/fuzz_targets/<name>.rs` calls.
pub const TARGETS: &[(&str, Target)] = &[
    ("buildinfo", buildinfo),
    ("pclntab", pclntab),
    ("audit", audit),
    ("size", size),
    ("archive", archive),
    ("decompress", decompress),
    ("oci_json", oci_json),
    ("layout_dir", layout_dir),
    ("layer", layer),
    ("config", config),
    ("baseline", baseline),
];

/// The target called `name`.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// Image limits for fuzzing: small enough that a bomb is refused in milliseconds.
pub fn limits() -> crate::image::Options {
    crate::image::Options {
        max_decompressed: 64 << 20,
        max_file: 16 << 20,
        platform: None,
        progress: false,
    }
}

/// Buildinfo: the modinfo text parser, and the blob search and decoder on a binary
/// (parsed leniently, so that damaged containers still exercise the decoder).
pub fn buildinfo(data: &[u8]) {
    if let Ok(bi) = crate::go::buildinfo::parse_modinfo(data) {
        let _ = crate::go::buildinfo::format_go_version_m("f", &bi);
    }
    if let Ok(bin) = Binary::parse_lenient(data)
        && let Ok(Some(bi)) = crate::go::buildinfo::read(&bin)
    {
        let _ = crate::go::buildinfo::format_go_version_m("f", &bi);
    }
}

/// pclntab: the table decoder on raw bytes (a `.gopclntab` section), and on a binary
/// through every way of locating it.
pub fn pclntab(data: &[u8]) {
    let _ = crate::go::pclntab::parse(data, 0x40_1000);
    if let Ok(bin) = Binary::parse_lenient(data) {
        let _ = crate::go::pclntab::find(&bin);
        let _ = crate::go::pclntab::find_by_scan(&bin);
        let _ = crate::go::pclntab::visit_names(&bin, &mut |_| {});
    }
}

/// The whole-binary audit. A container that fails its consistency check must not be
/// audited.
pub fn audit(data: &[u8]) {
    let damaged = crate::binary::integrity::check(data).is_err();
    let fast = crate::audit::audit_fast("f", data);
    let full = crate::audit::audit_bytes("f", data);
    if damaged {
        assert!(
            fast.is_err() && full.is_err(),
            "a damaged container was audited"
        );
    }
}

/// Size attribution: every byte owned exactly once (the tables add up to the file).
pub fn size(data: &[u8]) {
    if let Ok((a, _)) = crate::audit::audit_detailed("f", data) {
        assert!(
            crate::binary::integrity::check(data).is_ok(),
            "a damaged container was sized"
        );
        if let Some(r) = a.size_attribution {
            let len = data.len() as u64;
            assert_eq!(r.total, len, "total is not the file size");
            let m: u64 = r.by_module.iter().map(|x| x.bytes).sum();
            let p: u64 = r.by_package.iter().map(|x| x.bytes).sum();
            let s: u64 = r.by_section.iter().map(|x| x.bytes).sum();
            assert_eq!((m, p, s), (len, len, len), "size tables do not add up");
        }
    }
}

/// A scratch directory private to this thread, emptied before each use.
fn scratch() -> PathBuf {
    thread_local! {
        static DIR: tempfile::TempDir = tempfile::Builder::new()
            .prefix("goaudit-fuzz")
            .tempdir()
            .expect("temporary directory");
    }
    let dir = DIR.with(|d| d.path().to_path_buf());
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let p = e.path();
            let _ = if p.is_dir() && !p.is_symlink() {
                std::fs::remove_dir_all(&p)
            } else {
                std::fs::remove_file(&p)
            };
        }
    }
    dir
}

fn read_image(path: &Path) {
    if let Ok(reports) = crate::image::read(path, &limits()) {
        for r in &reports {
            // The causes are a partition of the content size.
            let total: u64 = r.causes.iter().map(|c| c.bytes).sum();
            assert_eq!(total, r.content_size, "image causes do not add up");
        }
    }
}

/// A whole archive (tar, gzip or zstd by content) as goaudit reads an image file.
pub fn archive(data: &[u8]) {
    let p = scratch().join("image.tar");
    std::fs::write(&p, data).expect("write scratch file");
    read_image(&p);
}

/// The layer decompressors (gzip, zstd, none by content), read to the end under a cap.
pub fn decompress(data: &[u8]) {
    if let Ok((_, r)) = crate::image::archive::decompress(data) {
        let mut sink = [0u8; 64 << 10];
        let mut r = r.take(limits().max_decompressed);
        while let Ok(n) = r.read(&mut sink) {
            if n == 0 {
                break;
            }
        }
    }
}

/// An OCI layout whose documents come from the input. The first byte picks the role of
/// the rest: the index (`index.json`), a manifest (named from a valid index), or a
/// config (named from a valid manifest over a small valid layer).
pub fn oci_json(data: &[u8]) {
    let Some((&role, doc)) = data.split_first() else {
        return;
    };
    let dir = scratch().join("layout");
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).expect("scratch layout");
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let put = |b: &[u8]| -> String {
        let d = crate::image::archive::sha256_digest(b);
        std::fs::write(blobs.join(&d[7..]), b).unwrap();
        d
    };
    let layer = tar_of(&[("bin/app", b"\x7fELF not really".as_slice())]);
    let layer_d = put(&layer);
    let layer_id = layer_d.clone();
    let cfg_doc = |doc: Option<&[u8]>| -> (String, usize) {
        match doc {
            Some(d) => (put(d), d.len()),
            None => {
                let c = serde_json::to_vec(&serde_json::json!({
                    "architecture": "amd64", "os": "linux",
                    "rootfs": {"type": "layers", "diff_ids": [layer_id]},
                }))
                .unwrap();
                (put(&c), c.len())
            }
        }
    };
    let manifest_of = |cfg: (String, usize)| -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": cfg.0, "size": cfg.1},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": layer_d, "size": layer.len()}],
        }))
        .unwrap()
    };
    let index_of = |m: &[u8], d: String| -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "digest": d, "size": m.len()}],
        }))
        .unwrap()
    };
    let index = match role % 3 {
        0 => doc.to_vec(),
        1 => index_of(doc, put(doc)),
        _ => {
            let m = manifest_of(cfg_doc(Some(doc)));
            index_of(&m, put(&m))
        }
    };
    std::fs::write(dir.join("index.json"), index).unwrap();
    read_image(&dir);
}

/// An OCI layout directory unpacked from the input, a tar (regular files and
/// directories only, relative paths, at most 1 MiB each).
pub fn layout_dir(data: &[u8]) {
    let dir = scratch().join("layout");
    std::fs::create_dir_all(&dir).unwrap();
    let mut ar = tar::Archive::new(data);
    let Ok(entries) = ar.entries() else {
        return;
    };
    for (i, e) in entries.enumerate() {
        if i > 256 {
            break;
        }
        let Ok(mut e) = e else { break };
        let Ok(path) = e.path().map(|p| p.into_owned()) else {
            continue;
        };
        if path.is_absolute()
            || path
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            continue;
        }
        let dest = dir.join(&path);
        match e.header().entry_type() {
            tar::EntryType::Directory => {
                let _ = std::fs::create_dir_all(&dest);
            }
            tar::EntryType::Regular => {
                let mut buf = Vec::new();
                if (&mut e).take(1 << 20).read_to_end(&mut buf).is_err() {
                    continue;
                }
                if let Some(parent) = dest.parent() {
                    let _ = std::fs::create_dir_all(parent);
                }
                let _ = std::fs::write(&dest, &buf);
            }
            _ => {}
        }
    }
    read_image(&dir);
}

/// A tar of regular files, for wrapping.
pub fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o755);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, *data).expect("tar in memory");
    }
    b.into_inner().expect("tar in memory")
}

/// The digest of what `blob` decompresses to (the layer's diff_id), read under a cap;
/// the blob's own digest when it does not decompress.
fn diff_id(blob: &[u8]) -> String {
    use sha2::Digest;
    let Ok((_, mut r)) = crate::image::archive::decompress(blob) else {
        return crate::image::archive::sha256_digest(blob);
    };
    let mut h = sha2::Sha256::new();
    let mut buf = [0u8; 64 << 10];
    let mut left = limits().max_decompressed;
    while left > 0 {
        match r.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                h.update(&buf[..n]);
                left = left.saturating_sub(n as u64);
            }
        }
    }
    format!("sha256:{}", crate::image::archive::hex(&h.finalize()))
}

/// A docker-archive (Docker 25+ member names) holding one image whose only layer blob
/// is `blob`, with the config's diff_id and every name matching the content.
pub fn wrap_layer(blob: &[u8]) -> Vec<u8> {
    let blob_d = crate::image::archive::sha256_digest(blob);
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [diff_id(blob)]},
        "history": [{"created_by": "fuzz"}],
    }))
    .unwrap();
    let cfg_d = crate::image::archive::sha256_digest(&config);
    let cfg_name = format!("blobs/sha256/{}", &cfg_d[7..]);
    let layer_name = format!("blobs/sha256/{}", &blob_d[7..]);
    let manifest = serde_json::to_vec(&serde_json::json!([{
        "Config": cfg_name, "RepoTags": ["fuzz:latest"], "Layers": [layer_name],
    }]))
    .unwrap();
    tar_of(&[
        ("manifest.json", &manifest),
        (&cfg_name, &config),
        (&layer_name, blob),
    ])
}

/// A layer blob inside a valid archive. The first byte picks what the rest is: the blob
/// as it is (tar, or a gzip/zstd stream), or a tar that is gzip- or zstd-compressed
/// here, so that mutations reach the tar reader through a valid stream.
pub fn layer(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let blob = match mode % 3 {
        0 => rest.to_vec(),
        1 => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(rest).unwrap();
            e.finish().unwrap()
        }
        _ => zstd_frame(rest),
    };
    archive(&wrap_layer(&blob));
}

/// `data` as one zstd frame of raw blocks (valid, uncompressed): enough for the reader,
/// with no encoder dependency.
pub fn zstd_frame(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x28, 0xb5, 0x2f, 0xfd];
    // Frame header: no checksum, no dictionary, 8-byte content size, single segment.
    out.push(0b1110_0000);
    out.extend_from_slice(&(data.len() as u64).to_le_bytes());
    const MAX: usize = 128 << 10;
    let mut chunks = data.chunks(MAX).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0]); // last, raw, size 0
    }
    while let Some(c) = chunks.next() {
        let last = chunks.peek().is_none() as u32;
        let h = last | ((c.len() as u32) << 3);
        out.extend_from_slice(&h.to_le_bytes()[..3]);
        out.extend_from_slice(c);
    }
    out
}

/// goaudit.toml: the parser and the validation behind it.
pub fn config(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = crate::check::config::parse(s, "goaudit.toml", Path::new("/nonexistent"));
    }
}

/// Baseline files: the JSON reader and the schema check.
pub fn baseline(data: &[u8]) {
    if let Ok(b) = crate::check::baseline::parse(data) {
        for e in &b.artifacts {
            let _ = b.get(&e.path);
        }
    }
}

/// A 64-bit little-endian ELF executable with one read-write `PT_LOAD` holding
/// `payload` (no sections): the smallest container the binary readers accept, for seeds
/// that carry only the structure a target is about.
pub fn mini_elf(payload: &[u8]) -> Vec<u8> {
    const BASE: u64 = 0x40_0000;
    const OFF: usize = 0x100;
    let total = (OFF + payload.len()) as u64;
    let mut f = vec![0u8; OFF];
    f[..4].copy_from_slice(b"\x7fELF");
    f[4] = 2;
    f[5] = 1;
    f[6] = 1;
    let put = |f: &mut Vec<u8>, at: usize, v: u64, n: usize| {
        f[at..at + n].copy_from_slice(&v.to_le_bytes()[..n]);
    };
    put(&mut f, 16, 2, 2); // ET_EXEC
    put(&mut f, 18, 62, 2); // x86-64
    put(&mut f, 20, 1, 4);
    put(&mut f, 24, BASE, 8);
    put(&mut f, 32, 64, 8); // phoff
    put(&mut f, 52, 64, 2); // ehsize
    put(&mut f, 54, 56, 2); // phentsize
    put(&mut f, 56, 1, 2); // phnum
    put(&mut f, 58, 64, 2); // shentsize
    let ph = 64;
    put(&mut f, ph, 1, 4); // PT_LOAD
    put(&mut f, ph + 4, 6, 4); // RW
    put(&mut f, ph + 8, 0, 8);
    put(&mut f, ph + 16, BASE, 8);
    put(&mut f, ph + 24, BASE, 8);
    put(&mut f, ph + 32, total, 8);
    put(&mut f, ph + 40, total, 8);
    put(&mut f, ph + 48, 0x1000, 8);
    f.extend_from_slice(payload);
    f
}

/// Seed inputs for every target, `(target, name, bytes)`, built from the Go test
/// binaries in `testbins` (testbins/build.sh) and from image fixtures assembled here.
/// `scripts/fuzz.sh` writes them to fuzz/corpus/; tests/fuzz_replay.rs runs them.
pub fn seeds(testbins: &Path) -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out: Vec<(&'static str, String, Vec<u8>)> = Vec::new();
    let read = |n: &str| std::fs::read(testbins.join(n)).ok();
    let section = |data: &[u8], name: &str| -> Option<Vec<u8>> {
        let b = Binary::parse(data).ok()?;
        let s = b.section(name)?;
        b.section_data(s).map(<[u8]>::to_vec)
    };
    for name in [
        "hello-cgo0",
        "netuser-darwin-arm64",
        "netuser-windows-amd64.exe",
    ] {
        let Some(data) = read(name) else { continue };
        if let Ok(bin) = Binary::parse(&data)
            && let Ok(Some(bi)) = crate::go::buildinfo::read(&bin)
        {
            out.push(("buildinfo", format!("{name}.modinfo"), bi.modinfo.clone()));
        }
        for sec in [".gopclntab", "__gopclntab"] {
            if let Some(p) = section(&data, sec) {
                out.push(("pclntab", format!("{name}.gopclntab"), p));
            }
        }
        if name == "hello-cgo0" {
            if let Some(bi) = section(&data, ".go.buildinfo") {
                out.push(("buildinfo", format!("{name}.mini"), mini_elf(&bi)));
            }
            for t in ["audit", "size", "buildinfo"] {
                out.push((t, name.to_string(), data.clone()));
            }
        }
    }
    out.push(("audit", "mini-elf".into(), mini_elf(b"\xff Go buildinf:")));

    // Images.
    let hello = read("hello-cgo0").unwrap_or_else(|| b"\x7fELF".to_vec());
    let small = tar_of(&[
        ("etc/passwd", b"root:x:0:0::/root:/bin/sh\n".as_slice()),
        ("bin/app", &hello[..hello.len().min(64 << 10)]),
    ]);
    let with_go = tar_of(&[("bin/hello", &hello)]);
    let gz = |b: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    };
    out.push(("archive", "docker-small".into(), wrap_layer(&small)));
    out.push((
        "archive",
        "docker-gzip-layer".into(),
        wrap_layer(&gz(&small)),
    ));
    out.push((
        "archive",
        "docker-zstd-layer".into(),
        wrap_layer(&zstd_frame(&small)),
    ));
    out.push(("archive", "docker-go".into(), wrap_layer(&with_go)));
    out.push(("archive", "gzip-outer".into(), gz(&wrap_layer(&small))));
    out.push(("decompress", "gzip".into(), gz(&small)));
    out.push(("decompress", "zstd".into(), zstd_frame(&small)));
    out.push(("decompress", "tar".into(), small.clone()));
    for (mode, name) in [(0u8, "raw"), (1, "gzip"), (2, "zstd")] {
        let mut d = vec![mode];
        d.extend_from_slice(&small);
        out.push(("layer", format!("{name}-small"), d));
    }
    let mut d = vec![0u8];
    d.extend_from_slice(&gz(&small));
    out.push(("layer", "gzip-blob".into(), d));
    let mut d = vec![1u8];
    d.extend_from_slice(&with_go);
    out.push(("layer", "go-binary".into(), d));

    // OCI documents, each in the role oci_json gives it.
    let layer_d = crate::image::archive::sha256_digest(&small);
    let config = serde_json::to_vec_pretty(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Entrypoint": ["/bin/app"]},
        "rootfs": {"type": "layers", "diff_ids": [layer_d]},
        "history": [{"created_by": "COPY app /bin/app"}],
    }))
    .unwrap();
    let cfg_d = crate::image::archive::sha256_digest(&config);
    let manifest = serde_json::to_vec_pretty(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": cfg_d, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": layer_d, "size": small.len()}],
    }))
    .unwrap();
    let man_d = crate::image::archive::sha256_digest(&manifest);
    let index = serde_json::to_vec_pretty(&serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": man_d, "size": manifest.len(),
                       "platform": {"architecture": "amd64", "os": "linux"},
                       "annotations": {"org.opencontainers.image.ref.name": "latest"}}],
    }))
    .unwrap();
    for (role, doc, name) in [
        (0u8, &index, "index"),
        (1, &manifest, "manifest"),
        (2, &config, "config"),
    ] {
        let mut d = vec![role];
        d.extend_from_slice(doc);
        out.push(("oci_json", name.into(), d));
    }
    let blob = |d: &str| format!("blobs/sha256/{}", &d[7..]);
    let layout: Vec<(String, Vec<u8>)> = vec![
        (
            "oci-layout".into(),
            br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
        ),
        ("index.json".into(), index.clone()),
        (blob(&man_d), manifest.clone()),
        (blob(&cfg_d), config.clone()),
        (blob(&layer_d), small.clone()),
    ];
    let files: Vec<(&str, &[u8])> = layout
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let layout_tar = tar_of(&files);
    out.push(("layout_dir", "oci-layout".into(), layout_tar.clone()));
    out.push(("archive", "oci-archive".into(), layout_tar));

    // Policy files.
    out.push((
        "config",
        "minimal".into(),
        b"paths = [\"bin/*\"]\n".to_vec(),
    ));
    out.push((
        "config",
        "full".into(),
        br#"paths = ["bin/*", "app.tar:/bin/*"]
baseline = ".goaudit/baseline.json"

[rules]
dynamic-link = "deny"
cgo-linked = "warn"

[[budget]]
path = "bin/app"
max_size = "12MiB"
max_growth = "5%"
modules = { "github.com/x/y" = "2MiB" }
"#
        .to_vec(),
    ));
    let b = crate::check::baseline::Baseline::new(vec![crate::check::baseline::BaselineEntry {
        path: "bin/app".into(),
        size: 8_490_290,
        by_module: vec![
            crate::check::baseline::ModuleSize {
                name: "std".into(),
                bytes: 4_000_000,
            },
            crate::check::baseline::ModuleSize {
                name: "main".into(),
                bytes: 90_290,
            },
        ],
        by_kind: vec![crate::check::baseline::ModuleSize {
            name: "text".into(),
            bytes: 1,
        }],
        settings: vec![("CGO_ENABLED".into(), "0".into())],
    }]);
    out.push((
        "baseline",
        "one".into(),
        serde_json::to_vec_pretty(&b).unwrap(),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zstd_frames_decode() {
        for len in [0usize, 1, 1000, 300 << 10] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let f = zstd_frame(&data);
            let (_, mut r) = crate::image::archive::decompress(&f[..]).unwrap();
            let mut back = Vec::new();
            r.read_to_end(&mut back).unwrap();
            assert_eq!(back, data, "len {len}");
        }
    }

    #[test]
    fn a_wrapped_layer_reads_as_an_image() {
        let layer_tar = tar_of(&[("etc/hello", b"hi".as_slice())]);
        let p = scratch().join("w.tar");
        std::fs::write(&p, wrap_layer(&layer_tar)).unwrap();
        let r = crate::image::read(&p, &limits()).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].content_size, 2);
        for mode in [1u8, 2] {
            let mut d = vec![mode];
            d.extend_from_slice(&layer_tar);
            let blob = if mode == 1 {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(&layer_tar).unwrap();
                e.finish().unwrap()
            } else {
                zstd_frame(&layer_tar)
            };
            std::fs::write(&p, wrap_layer(&blob)).unwrap();
            let r = crate::image::read(&p, &limits()).unwrap();
            assert_eq!(r[0].content_size, 2, "mode {mode}");
        }
    }

    #[test]
    fn oci_roles_read() {
        // Role 2 with a valid config: the whole layout reads.
        let cfg = serde_json::to_vec(&serde_json::json!({
            "architecture": "amd64", "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [crate::image::archive::sha256_digest(
                &tar_of(&[("bin/app", b"\x7fELF not really".as_slice())]))]},
        }))
        .unwrap();
        let mut d = vec![2u8];
        d.extend_from_slice(&cfg);
        oci_json(&d);
        for (name, f) in TARGETS {
            f(b"");
            f(b"\x00\x01garbage");
            assert!(target(name).is_some());
        }
    }
}
