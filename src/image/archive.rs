//! Finding images and their layer blobs in an input, by content.
//!
//! An input is a directory (an OCI layout) or a file holding a tar, plain or compressed
//! with gzip or zstd. Inside the tar, `manifest.json` makes it a docker-archive (legacy,
//! skopeo's `<diffid>.tar` with symlinked `<id>/layer.tar`, Docker 25+'s OCI layout with
//! a `manifest.json`, Nix dockerTools' `result`); `oci-layout` plus `index.json` without
//! a `manifest.json` makes it an OCI archive. A directory with `oci-layout` and
//! `index.json` is an OCI layout; one whose `version` file says `Directory Transport
//! Version` is skopeo's `dir:` layout (a `manifest.json` object, blobs named by their
//! bare hex digest).
//!
//! A compressed outer tar cannot be read at an offset, so it is read twice: a first pass
//! keeps the member list and the small JSON members, a second streams each wanted layer
//! member through [`layers::scan`]. Nothing is written to disk and no layer is held
//! whole in memory.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::Options;
use super::layers::{self, LayerScan};
use crate::error::{Error, Result};
use crate::progress::{Counting, Progress};

/// A JSON member bigger than this is not a manifest, index or config.
const SMALL_MAX: u64 = 16 << 20;
/// Total bytes of JSON members kept from one archive.
const SMALL_TOTAL: u64 = 256 << 20;
/// Nested image indexes deeper than this are refused (a hostile index could loop).
const MAX_INDEX_DEPTH: usize = 4;
/// Symlink and hard-link hops followed when resolving an outer-tar member.
const MAX_HOPS: usize = 16;

/// How a stream is compressed, from its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Plain.
    None,
    /// gzip (`1f 8b`).
    Gzip,
    /// zstd (`28 b5 2f fd`).
    Zstd,
}

impl Compression {
    /// `none`, `gzip` or `zstd`.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }

    fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// Wrap `r` in the decompressor its first bytes call for.
pub fn decompress<'a, R: Read + 'a>(mut r: R) -> io::Result<(Compression, Box<dyn Read + 'a>)> {
    let mut head = [0u8; 4];
    let n = read_up_to(&mut r, &mut head)?;
    let c = Compression::sniff(&head[..n]);
    let r = io::Cursor::new(head[..n].to_vec()).chain(r);
    let out: Box<dyn Read + 'a> = match c {
        Compression::None => Box::new(r),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(r)),
        Compression::Zstd => Box::new(MultiZstd::new(Box::new(r))?),
    };
    Ok((c, out))
}

/// A reader that can give back the few bytes it was asked to peek at.
struct PushBack<'a> {
    head: [u8; 4],
    len: usize,
    pos: usize,
    inner: Box<dyn Read + 'a>,
}

impl Read for PushBack<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos < self.len {
            let n = (self.len - self.pos).min(buf.len());
            buf[..n].copy_from_slice(&self.head[self.pos..self.pos + n]);
            self.pos += n;
            return Ok(n);
        }
        self.inner.read(buf)
    }
}

type ZstdFrame<'a> =
    ruzstd::decoding::StreamingDecoder<PushBack<'a>, ruzstd::decoding::FrameDecoder>;

/// zstd with any number of frames, skippable frames skipped: `zstd` run per chunk,
/// pzstd and containers' zstd:chunked all write several.
struct MultiZstd<'a> {
    dec: Option<ZstdFrame<'a>>,
}

const ZSTD_MAGIC: u32 = 0xFD2F_B528;

fn zstd_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("zstd: {e}"))
}

impl<'a> MultiZstd<'a> {
    fn new(inner: Box<dyn Read + 'a>) -> io::Result<Self> {
        let src = PushBack {
            head: [0; 4],
            len: 0,
            pos: 0,
            inner,
        };
        let mut m = MultiZstd { dec: None };
        m.next_frame(src, ruzstd::decoding::FrameDecoder::new())?;
        if m.dec.is_none() {
            return Err(zstd_err("no frame"));
        }
        Ok(m)
    }

    /// Start the next frame, skipping skippable ones; `dec` stays `None` at the end.
    fn next_frame(
        &mut self,
        mut src: PushBack<'a>,
        fd: ruzstd::decoding::FrameDecoder,
    ) -> io::Result<()> {
        loop {
            let mut head = [0u8; 4];
            let n = read_up_to(&mut src, &mut head)?;
            if n == 0 {
                return Ok(());
            }
            if n < 4 {
                return Err(zstd_err("trailing bytes after the last frame"));
            }
            let magic = u32::from_le_bytes(head);
            if magic & 0xFFFF_FFF0 == 0x184D_2A50 {
                let mut len = [0u8; 4];
                if read_up_to(&mut src, &mut len)? < 4 {
                    return Err(zstd_err("truncated skippable frame"));
                }
                let len = u64::from(u32::from_le_bytes(len));
                if io::copy(&mut (&mut src).take(len), &mut io::sink())? < len {
                    return Err(zstd_err("truncated skippable frame"));
                }
                continue;
            }
            if magic != ZSTD_MAGIC {
                return Err(zstd_err("data after a frame is not a zstd frame"));
            }
            src.head = head;
            src.len = 4;
            src.pos = 0;
            self.dec = Some(
                ruzstd::decoding::StreamingDecoder::new_with_decoder(src, fd).map_err(zstd_err)?,
            );
            return Ok(());
        }
    }
}

impl Read for MultiZstd<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(d) = self.dec.as_mut() else {
                return Ok(0);
            };
            let n = d.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            let Some(d) = self.dec.take() else {
                return Ok(0);
            };
            let (src, fd) = d.into_parts();
            self.next_frame(src, fd)?;
        }
    }
}

fn read_up_to(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A reader that fails once more than the budget's bytes have come through it.
///
/// The budget is shared (a `Cell`) so that all layers of an input draw on one limit.
pub struct Capped<'b, R> {
    inner: R,
    left: &'b Cell<u64>,
    limit: u64,
}

impl<R> std::fmt::Debug for Capped<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capped")
            .field("left", &self.left.get())
            .finish()
    }
}

impl<R> std::fmt::Debug for HashRead<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashRead")
            .field("count", &self.count)
            .finish()
    }
}

impl<'b, R> Capped<'b, R> {
    /// Draw on `left`, reporting `limit` in the error.
    pub fn new(inner: R, left: &'b Cell<u64>, limit: u64) -> Self {
        Capped { inner, left, limit }
    }
}

impl<R: Read> Read for Capped<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let left = self.left.get();
        if n as u64 > left {
            return Err(io::Error::other(format!(
                "decompressed size exceeds the limit of {} (--max-decompressed); a decompression bomb or a bigger image than allowed",
                crate::render::human_bytes(self.limit)
            )));
        }
        self.left.set(left - n as u64);
        Ok(n)
    }
}

/// The outer archive as the tar reader sees it.
///
/// The `tar` crate skips unread member data with `SeekFrom::Current`; a plain file
/// seeks (checked against its length, so a truncated archive is still an error), a
/// decompressing stream reads and discards.
enum Outer<'b> {
    Plain {
        r: BufReader<File>,
        len: u64,
    },
    /// `pos` is reported back to the tar reader, which tracks offsets by it.
    Stream {
        r: Capped<'b, Box<dyn Read>>,
        pos: u64,
        /// Where the bytes read so far are shown, and under what name.
        progress: Option<(&'b Progress, &'b str)>,
    },
}

impl Read for Outer<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Outer::Plain { r, .. } => r.read(buf),
            Outer::Stream { r, pos, progress } => {
                let n = r.read(buf)?;
                *pos += n as u64;
                if let Some((p, what)) = progress {
                    let done = *pos;
                    p.update(|| {
                        format!(
                            "goaudit: reading {what}: {}",
                            crate::render::human_bytes(done)
                        )
                    });
                }
                Ok(n)
            }
        }
    }
}

impl io::Seek for Outer<'_> {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        let io::SeekFrom::Current(n) = pos else {
            return Err(io::Error::other(
                "outer archive: only forward skips are supported",
            ));
        };
        let Ok(n) = u64::try_from(n) else {
            return Err(io::Error::other(
                "outer archive: only forward skips are supported",
            ));
        };
        let eof = || io::Error::new(io::ErrorKind::UnexpectedEof, "unexpected EOF during skip");
        match self {
            Outer::Plain { r, len } => {
                let here = r.stream_position()?;
                let to = here.checked_add(n).ok_or_else(eof)?;
                if to > *len {
                    return Err(eof());
                }
                r.seek_relative(n as i64)?;
                Ok(to)
            }
            Outer::Stream { r, pos, .. } => {
                let got = io::copy(&mut r.take(n), &mut io::sink())?;
                *pos += got;
                if got < n {
                    return Err(eof());
                }
                Ok(*pos)
            }
        }
    }
}

/// A reader that hashes and counts what passes through it.
pub struct HashRead<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: Read> HashRead<R> {
    /// Start hashing `inner`.
    pub fn new(inner: R) -> Self {
        HashRead {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    /// `sha256:<hex>` and the byte count so far.
    pub fn finish(self) -> (String, u64) {
        (
            format!("sha256:{}", hex(&self.hasher.finalize())),
            self.count,
        )
    }
}

impl<R: Read> Read for HashRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// Lowercase hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `sha256:<hex>` of a byte string.
pub fn sha256_digest(b: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zstd(b: &[u8]) -> Vec<u8> {
        ruzstd::encoding::compress_to_vec(b, ruzstd::encoding::CompressionLevel::Fastest)
    }

    #[test]
    fn platforms_match_as_runtimes_match_them() {
        assert!(platform_matches("linux/arm64", Some("linux/arm64/v8")));
        assert!(platform_matches("linux/arm64/v8", Some("linux/arm64")));
        assert!(platform_matches("linux/arm/v7", Some("linux/arm/v7")));
        assert!(!platform_matches("linux/arm/v6", Some("linux/arm/v7")));
        assert!(!platform_matches("linux/amd64", Some("linux/arm64")));
        assert!(!platform_matches("linux/amd64", None));
        assert!(platform_matches("Linux/AMD64", Some("linux/amd64")));
        let cfg = serde_json::json!({"os": "linux", "architecture": "arm", "variant": "v7"});
        assert_eq!(merged_platform(None, &cfg).as_deref(), Some("linux/arm/v7"));
        let idx = serde_json::json!({"os": "linux", "architecture": "arm"});
        assert_eq!(
            merged_platform(Some(&idx), &cfg).as_deref(),
            Some("linux/arm/v7")
        );
        let idx = serde_json::json!({"os": "linux", "architecture": "arm64", "variant": "v8"});
        let cfg = serde_json::json!({"os": "linux", "architecture": "arm64"});
        assert_eq!(
            merged_platform(Some(&idx), &cfg).as_deref(),
            Some("linux/arm64/v8")
        );
    }

    #[test]
    fn zstd_frames_concatenate_and_skippable_frames_are_skipped() {
        let mut data = zstd(b"hello ");
        data.extend_from_slice(&0x184D_2A5Au32.to_le_bytes());
        data.extend_from_slice(&3u32.to_le_bytes());
        data.extend_from_slice(b"xyz");
        data.extend_from_slice(&zstd(b"world"));
        let (c, mut r) = decompress(&data[..]).unwrap();
        assert_eq!(c, Compression::Zstd);
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"hello world");
        // Garbage after a frame is an error, not silently ignored.
        let mut bad = zstd(b"hello");
        bad.extend_from_slice(b"junk");
        let (_, mut r) = decompress(&bad[..]).unwrap();
        assert!(r.read_to_end(&mut Vec::new()).is_err());
    }
}

/// A member of the outer tar.
#[derive(Debug, Clone)]
enum Member {
    File,
    Symlink(String),
    Hardlink(String),
    Other,
}

/// Where the images come from.
#[derive(Debug)]
pub struct Source {
    /// The input path.
    pub path: PathBuf,
    /// Compression of the outer archive.
    pub outer: Compression,
    /// True for a directory (an OCI layout or a skopeo `dir:` layout).
    pub is_dir: bool,
    /// A skopeo `dir:` layout: blobs are `<hex>`, instance manifests `<hex>.manifest.json`.
    pub skopeo_dir: bool,
    members: HashMap<String, Member>,
    small: HashMap<String, Vec<u8>>,
    max_decompressed: u64,
}

impl Source {
    /// Open a directory (OCI layout) or index an archive file (first pass).
    pub fn open(path: &Path, opts: &Options) -> Result<Source> {
        Source::open_with(path, opts, &Progress::off())
    }

    /// [`Source::open`], showing the first pass over a compressed archive on `progress`.
    pub fn open_with(path: &Path, opts: &Options, progress: &Progress) -> Result<Source> {
        let meta = std::fs::metadata(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut s = Source {
            path: path.to_path_buf(),
            outer: Compression::None,
            is_dir: meta.is_dir(),
            skopeo_dir: meta.is_dir() && crate::input::detect::is_skopeo_dir(path),
            members: HashMap::new(),
            small: HashMap::new(),
            max_decompressed: opts.max_decompressed,
        };
        if s.is_dir {
            return Ok(s);
        }
        s.index(progress)?;
        Ok(s)
    }

    fn malformed(&self, what: impl Into<String>) -> Error {
        Error::Malformed {
            path: self.path.clone(),
            format: "image archive",
            what: what.into(),
        }
    }

    fn io_err(&self, e: io::Error) -> Error {
        Error::Io {
            path: self.path.clone(),
            source: e,
        }
    }

    fn open_outer(&self) -> Result<(Compression, Box<dyn Read>)> {
        let f = File::open(&self.path).map_err(|e| self.io_err(e))?;
        decompress(BufReader::with_capacity(1 << 16, f)).map_err(|e| self.malformed(e.to_string()))
    }

    /// The outer tar stream: the file itself when it is plain (members are skipped by
    /// seeking), else the decompressor drawing on `budget`.
    fn outer_reader<'b>(
        &self,
        budget: &'b Cell<u64>,
        progress: Option<(&'b Progress, &'b str)>,
    ) -> Result<(Compression, Outer<'b>)> {
        let (c, r) = self.open_outer()?;
        if c == Compression::None {
            let f = File::open(&self.path).map_err(|e| self.io_err(e))?;
            let len = f.metadata().map_err(|e| self.io_err(e))?.len();
            return Ok((
                c,
                Outer::Plain {
                    r: BufReader::with_capacity(1 << 16, f),
                    len,
                },
            ));
        }
        Ok((
            c,
            Outer::Stream {
                r: Capped::new(r, budget, self.max_decompressed),
                pos: 0,
                progress,
            },
        ))
    }

    fn index(&mut self, progress: &Progress) -> Result<()> {
        let budget = Cell::new(self.max_decompressed);
        let what = format!("the member list of {}", file_name(&self.path));
        let (c, r) = self.outer_reader(&budget, Some((progress, &what)))?;
        self.outer = c;
        let mut ar = tar::Archive::new(r);
        let mut kept = 0u64;
        let mut walk =
            layers::TarWalk::with_seek(&mut ar).map_err(|e| self.malformed(e.to_string()))?;
        let mut first = true;
        loop {
            let (mut e, raw, link) = match walk.next_entry() {
                Ok(Some(x)) => x,
                Ok(None) => break,
                // Not a tar at all: say so instead of "malformed".
                Err(_) if first => {
                    return Err(Error::Unsupported {
                        path: self.path.clone(),
                        what: format!(
                            "not a container image archive ({} data that is not a tar)",
                            c.name()
                        ),
                    });
                }
                Err(e) => return Err(self.malformed(format!("outer tar: {e}"))),
            };
            first = false;
            let Some(name) = layers::normalize(&raw) else {
                continue;
            };
            let link = link.map(|l| String::from_utf8_lossy(&l).into_owned());
            let m = match e.header().entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => Member::File,
                tar::EntryType::Symlink => Member::Symlink(link.unwrap_or_default()),
                tar::EntryType::Link => Member::Hardlink(link.unwrap_or_default()),
                _ => Member::Other,
            };
            let size = e.size();
            if matches!(m, Member::File) && size <= SMALL_MAX && kept + size <= SMALL_TOTAL {
                let mut b1 = [0u8; 1];
                let n = read_up_to(&mut e, &mut b1).map_err(|e| self.malformed(e.to_string()))?;
                let base = name.rsplit('/').next().unwrap_or("");
                // Manifests, indexes and configs are JSON; layer tars start with a name.
                let json = n == 1 && (b1[0] == b'{' || b1[0] == b'[');
                if json || base == "oci-layout" {
                    let mut v = b1[..n].to_vec();
                    e.read_to_end(&mut v)
                        .map_err(|err| self.malformed(format!("{name}: {err}")))?;
                    kept += v.len() as u64;
                    self.small.insert(name.clone(), v);
                }
            }
            self.members.insert(name, m);
        }
        if first {
            return Err(Error::Unsupported {
                path: self.path.clone(),
                what: "empty archive, no container image".into(),
            });
        }
        Ok(())
    }

    /// The member or file `name` after following outer-tar symlinks and hard links.
    pub fn resolve(&self, name: &str) -> Option<String> {
        let mut n = layers::normalize(name.as_bytes())?;
        if self.is_dir {
            if n.split('/').any(|c| c == "..") {
                return None;
            }
            return self.path.join(&n).is_file().then_some(n);
        }
        for _ in 0..MAX_HOPS {
            match self.members.get(&n)? {
                Member::File => return Some(n),
                Member::Symlink(t) => {
                    let parent = n.rsplit_once('/').map_or("", |p| p.0);
                    let joined = if t.starts_with('/') {
                        t.clone()
                    } else {
                        format!("{parent}/{t}")
                    };
                    n = layers::normalize(joined.as_bytes())?;
                }
                Member::Hardlink(t) => n = layers::normalize(t.as_bytes())?,
                Member::Other => return None,
            }
        }
        None
    }

    fn exists(&self, name: &str) -> bool {
        self.resolve(name).is_some()
    }

    /// A small (JSON) member's bytes.
    fn read_small(&self, name: &str) -> Result<Vec<u8>> {
        let Some(r) = self.resolve(name) else {
            return Err(self.malformed(format!("{name} is missing")));
        };
        if self.is_dir {
            let p = self.path.join(&r);
            let len = std::fs::metadata(&p).map_err(|e| self.io_err(e))?.len();
            if len > SMALL_MAX {
                return Err(self.malformed(format!("{name} is too large for JSON ({len} bytes)")));
            }
            return std::fs::read(&p).map_err(|e| self.io_err(e));
        }
        self.small
            .get(&r)
            .cloned()
            .ok_or_else(|| self.malformed(format!("{name} is not a JSON document")))
    }

    fn read_json(&self, name: &str) -> Result<Value> {
        let b = self.read_small(name)?;
        serde_json::from_slice(&b).map_err(|e| self.malformed(format!("{name}: {e}")))
    }
}

/// A layer as the manifest describes it.
#[derive(Debug, Clone)]
pub struct LayerRef {
    /// The resolved member (or file under a layout directory).
    pub member: String,
    /// Expected blob digest, when the archive names one.
    pub digest: Option<String>,
    /// Expected blob size (OCI descriptors).
    pub size: Option<u64>,
    /// Expected uncompressed digest (config `rootfs.diff_ids`).
    pub diff_id: Option<String>,
    /// How errors name this layer: `layer 2 (sha256:0123456789ab)`.
    pub label: String,
}

/// One image found in the input.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Tag or reference name.
    pub name: Option<String>,
    /// How the image was stored.
    pub format: String,
    /// The image config.
    pub config: Value,
    /// Layers, bottom to top.
    pub layers: Vec<LayerRef>,
    /// `os/architecture[/variant]`: the index's platform for this manifest, else the
    /// config's.
    pub platform: Option<String>,
}

/// `os/architecture[/variant]` of an OCI platform object or an image config (they use
/// the same keys).
pub fn platform_name(v: &Value) -> Option<String> {
    let os = v["os"].as_str().filter(|s| !s.is_empty())?;
    let arch = v["architecture"].as_str().filter(|s| !s.is_empty())?;
    Some(match v["variant"].as_str() {
        Some(var) if !var.is_empty() => format!("{os}/{arch}/{var}"),
        _ => format!("{os}/{arch}"),
    })
}

/// The platform of an image: the index descriptor's when it names one (the config's
/// variant added when the index leaves it out), else the config's.
fn merged_platform(index: Option<&Value>, config: &Value) -> Option<String> {
    let from_config = platform_name(config);
    match index.and_then(platform_name) {
        Some(p) => match &from_config {
            Some(c) if c.starts_with(&format!("{p}/")) => Some(c.clone()),
            _ => Some(p),
        },
        None => from_config,
    }
}

/// Does an image of `platform` match what `--platform` asked for (`os/arch[/variant]`)?
/// arm64 without a variant is arm64/v8, as container runtimes treat it.
pub fn platform_matches(want: &str, platform: Option<&str>) -> bool {
    let Some(have) = platform else { return false };
    let norm = |p: &str| {
        let mut parts: Vec<String> = p.split('/').map(str::to_ascii_lowercase).collect();
        if parts.len() == 2 && parts[1] == "arm64" {
            parts.push("v8".into());
        }
        parts
    };
    let (w, h) = (norm(want), norm(have));
    if w.len() < 2 || h.len() < 2 || w[0] != h[0] || w[1] != h[1] {
        return false;
    }
    // A variant asked for must be the image's; none asked for matches any.
    w.len() == 2 || h.get(2) == w.get(2)
}

fn short(d: &str) -> String {
    let h = d.strip_prefix("sha256:").unwrap_or(d);
    format!("sha256:{}", &h[..h.len().min(12)])
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `blobs/sha256/<hex>` → `sha256:<hex>`.
fn digest_from_blob_path(p: &str) -> Option<String> {
    let rest = p.strip_prefix("blobs/sha256/")?;
    is_hex64(rest).then(|| format!("sha256:{rest}"))
}

/// Find every image in the input.
pub fn plan(src: &Source) -> Result<Vec<Plan>> {
    if src.skopeo_dir {
        return skopeo_plans(src);
    }
    let oci = src.exists("oci-layout") && src.exists("index.json");
    if src.exists("manifest.json") {
        let fmt = if oci {
            "docker-archive+oci-layout"
        } else {
            "docker-archive"
        };
        return docker_plans(src, fmt);
    }
    if oci {
        let fmt = if src.is_dir {
            "oci-layout"
        } else {
            "oci-archive"
        };
        let index = src.read_json("index.json")?;
        let mut out = Vec::new();
        oci_walk(src, &index, None, 0, fmt, &mut out, &mut HashSet::new())?;
        if out.is_empty() {
            return Err(src.malformed("index.json names no image whose blobs are present"));
        }
        return Ok(out);
    }
    Ok(Vec::new())
}

fn str_list(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn diff_ids(config: &Value) -> Vec<String> {
    str_list(&config["rootfs"]["diff_ids"])
}

fn docker_plans(src: &Source, fmt: &str) -> Result<Vec<Plan>> {
    let m = src.read_json("manifest.json")?;
    let Some(arr) = m.as_array() else {
        return Err(src.malformed("manifest.json is not an array"));
    };
    let mut out = Vec::new();
    for (i, img) in arr.iter().enumerate() {
        let Some(cfg_name) = img["Config"].as_str() else {
            return Err(src.malformed(format!("manifest.json entry {i} has no Config")));
        };
        let cfg_bytes = src.read_small(cfg_name)?;
        // The config's name is its digest in every writer goaudit knows
        // (`<hex>.json`, `blobs/sha256/<hex>`); check it when it has that shape.
        let base = cfg_name.rsplit('/').next().unwrap_or("");
        let named = base.strip_suffix(".json").unwrap_or(base);
        if is_hex64(named) {
            let got = sha256_digest(&cfg_bytes);
            if got != format!("sha256:{named}") {
                return Err(src.malformed(format!(
                    "config {cfg_name}: digest mismatch: named sha256:{named}, content is {got}"
                )));
            }
        }
        let config: Value = serde_json::from_slice(&cfg_bytes)
            .map_err(|e| src.malformed(format!("{cfg_name}: {e}")))?;
        let layer_names = str_list(&img["Layers"]);
        let ids = diff_ids(&config);
        if ids.len() != layer_names.len() {
            return Err(src.malformed(format!(
                "manifest.json lists {} layers but config {cfg_name} has {} diff_ids",
                layer_names.len(),
                ids.len()
            )));
        }
        let mut layers = Vec::new();
        for (j, (ln, id)) in layer_names.iter().zip(&ids).enumerate() {
            let label = format!("layer {} ({}, {ln})", j + 1, short(id));
            let Some(member) = src.resolve(ln) else {
                return Err(src.malformed(format!("{label}: blob is missing from the archive")));
            };
            let digest = layers::normalize(ln.as_bytes())
                .and_then(|n| digest_from_blob_path(&n))
                .or_else(|| digest_from_blob_path(&member));
            layers.push(LayerRef {
                member,
                digest,
                size: None,
                diff_id: Some(id.clone()),
                label,
            });
        }
        let name = img["RepoTags"]
            .as_array()
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            .map(str::to_string);
        out.push(Plan {
            name,
            format: fmt.to_string(),
            platform: merged_platform(None, &config),
            config,
            layers,
        });
    }
    Ok(out)
}

/// `blobs/<alg>/<encoded>` for a descriptor (in a skopeo `dir:` layout `<encoded>`, or
/// `<alg>-<encoded>` for another algorithm than sha256), refusing anything that could
/// escape.
fn blob_path(src: &Source, desc: &Value) -> Result<(String, String)> {
    let d = desc["digest"].as_str().unwrap_or("");
    let Some((alg, enc)) = d.split_once(':') else {
        return Err(src.malformed(format!("bad descriptor digest {d:?}")));
    };
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+._-=".contains(&b))
    };
    if !ok(alg) || !ok(enc) || enc.starts_with('.') {
        return Err(src.malformed(format!("bad descriptor digest {d:?}")));
    }
    if src.skopeo_dir {
        let name = if alg == "sha256" {
            enc.to_string()
        } else {
            format!("{alg}-{enc}")
        };
        return Ok((name, d.to_string()));
    }
    Ok((format!("blobs/{alg}/{enc}"), d.to_string()))
}

/// Where a manifest named by an index descriptor is: a blob, or in a skopeo `dir:`
/// layout `<encoded>.manifest.json`.
fn manifest_path(src: &Source, desc: &Value) -> Result<(String, String)> {
    let (p, d) = blob_path(src, desc)?;
    if src.skopeo_dir {
        return Ok((format!("{p}.manifest.json"), d));
    }
    Ok((p, d))
}

/// Read a small blob by descriptor and check its digest and size.
fn read_blob_checked(src: &Source, desc: &Value, what: &str) -> Result<Vec<u8>> {
    let (p, d) = if what == "manifest" {
        manifest_path(src, desc)?
    } else {
        blob_path(src, desc)?
    };
    if !src.exists(&p) {
        return Err(src.malformed(format!("{what} {d}: blob is missing")));
    }
    let b = src.read_small(&p)?;
    if d.starts_with("sha256:") {
        let got = sha256_digest(&b);
        if got != d {
            return Err(src.malformed(format!("{what} {d}: digest mismatch: content is {got}")));
        }
    }
    if let Some(sz) = desc["size"].as_u64()
        && sz != b.len() as u64
    {
        return Err(src.malformed(format!(
            "{what} {d}: size mismatch: descriptor says {sz}, blob has {}",
            b.len()
        )));
    }
    Ok(b)
}

fn oci_walk(
    src: &Source,
    index: &Value,
    name: Option<String>,
    depth: usize,
    fmt: &str,
    out: &mut Vec<Plan>,
    walked: &mut HashSet<String>,
) -> Result<()> {
    if depth > MAX_INDEX_DEPTH {
        return Err(src.malformed("image indexes nested too deeply"));
    }
    let Some(ms) = index["manifests"].as_array() else {
        return Err(src.malformed("index has no manifests array"));
    };
    for desc in ms {
        // Attestation manifests (buildx provenance) carry platform unknown/unknown.
        if desc["platform"]["os"].as_str() == Some("unknown") {
            continue;
        }
        let ann = &desc["annotations"];
        let nm = ann["io.containerd.image.name"]
            .as_str()
            .or(ann["org.opencontainers.image.ref.name"].as_str())
            .map(str::to_string)
            .or_else(|| name.clone());
        // A multi-platform index may name manifests whose blobs were not exported
        // (the spec allows missing blobs; Docker's containerd store skips them):
        // report the images that are there, and fail only when none is.
        if ms.len() > 1 && manifest_path(src, desc).is_ok_and(|(p, _)| !src.exists(&p)) {
            continue;
        }
        let b = read_blob_checked(src, desc, "manifest")?;
        let v: Value = serde_json::from_slice(&b)
            .map_err(|e| src.malformed(format!("manifest {}: {e}", desc["digest"])))?;
        if v.get("manifests").is_some() {
            // The depth cap alone still lets an index name the next one hundreds of
            // times at every level (width^depth walks); each nested index is walked once.
            if walked.insert(desc["digest"].as_str().unwrap_or("").to_string()) {
                oci_walk(src, &v, nm, depth + 1, fmt, out, walked)?;
            }
            continue;
        }
        let label = desc["digest"].to_string();
        out.extend(image_plan(
            src,
            &v,
            &label,
            nm,
            Some(&desc["platform"]),
            fmt,
        )?);
    }
    Ok(())
}

/// The plan of one image manifest (OCI or Docker schema 2), or None for an artifact
/// manifest (a signature, an SBOM). `label` names the manifest in errors.
fn image_plan(
    src: &Source,
    v: &Value,
    label: &str,
    name: Option<String>,
    platform: Option<&Value>,
    fmt: &str,
) -> Result<Option<Plan>> {
    let cdesc = &v["config"];
    let cmt = cdesc["mediaType"].as_str().unwrap_or("");
    if !(cmt.is_empty() || cmt.contains("image.config") || cmt.contains("container.image")) {
        return Ok(None); // an artifact manifest (signature, SBOM), not an image
    }
    if cdesc.is_null() {
        return Err(src.malformed(format!(
            "manifest {label} names no config (a Docker schema 1 manifest is not read)"
        )));
    }
    let cfg = read_blob_checked(src, cdesc, "config")?;
    let config: Value = serde_json::from_slice(&cfg)
        .map_err(|e| src.malformed(format!("config {}: {e}", cdesc["digest"])))?;
    let ids = diff_ids(&config);
    let lds = v["layers"].as_array().cloned().unwrap_or_default();
    if ids.len() != lds.len() {
        return Err(src.malformed(format!(
            "manifest {label} lists {} layers but its config has {} diff_ids",
            lds.len(),
            ids.len()
        )));
    }
    let mut layers = Vec::new();
    for (j, (ld, id)) in lds.iter().zip(&ids).enumerate() {
        let (p, d) = blob_path(src, ld)?;
        let label = format!("layer {} ({})", j + 1, short(&d));
        let Some(member) = src.resolve(&p) else {
            return Err(src.malformed(format!("{label}: blob {p} is missing from the archive")));
        };
        layers.push(LayerRef {
            member,
            digest: Some(d),
            size: ld["size"].as_u64(),
            diff_id: Some(id.clone()),
            label,
        });
    }
    Ok(Some(Plan {
        name,
        format: fmt.to_string(),
        platform: merged_platform(platform, &config),
        config,
        layers,
    }))
}

/// skopeo's `dir:` layout: `manifest.json` is one image manifest, or (`copy --all`) an
/// index whose instances are `<hex>.manifest.json`.
fn skopeo_plans(src: &Source) -> Result<Vec<Plan>> {
    const FMT: &str = "skopeo-dir";
    let m = src.read_json("manifest.json")?;
    if !m.is_object() {
        return Err(src.malformed("manifest.json is not a JSON object"));
    }
    let mut out = Vec::new();
    if m.get("manifests").is_some() {
        oci_walk(src, &m, None, 0, FMT, &mut out, &mut HashSet::new())?;
        if out.is_empty() {
            return Err(src.malformed("manifest.json names no image whose blobs are present"));
        }
        return Ok(out);
    }
    out.extend(image_plan(src, &m, "manifest.json", None, None, FMT)?);
    if out.is_empty() {
        return Err(src.malformed("manifest.json describes an artifact, not an image"));
    }
    Ok(out)
}

/// The last component of `p`, for the progress line.
fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Stream every layer blob the plans need, once each, and check its digests; the bytes
/// read from each are shown on `progress`.
pub fn scan_layers(
    src: &Source,
    plans: &[Plan],
    opts: &Options,
    progress: &Progress,
) -> Result<HashMap<String, LayerScan>> {
    let mut wanted: HashMap<String, &LayerRef> = HashMap::new();
    let mut order = Vec::new();
    for p in plans {
        for l in &p.layers {
            if !wanted.contains_key(&l.member) {
                wanted.insert(l.member.clone(), l);
                order.push(l.member.clone());
            }
        }
    }
    let budget = Cell::new(opts.max_decompressed);
    let mut done: HashMap<String, LayerScan> = HashMap::new();
    let run = |r: &mut dyn Read, l: &LayerRef| -> Result<LayerScan> {
        let scan = layers::scan(r, opts, &budget)
            .map_err(|e| src.malformed(format!("{}: {e}", l.label)))?;
        check(src, l, &scan)?;
        Ok(scan)
    };
    let label = |k: usize| format!("layer {k}/{} of {}", order.len(), file_name(&src.path));
    if src.is_dir {
        for (k, m) in order.iter().enumerate() {
            let l = wanted[m];
            let f = File::open(src.path.join(m)).map_err(|e| src.io_err(e))?;
            let total = f.metadata().ok().map(|m| m.len());
            let what = label(k + 1);
            let mut r = Counting::new(BufReader::with_capacity(1 << 16, f), progress, &what, total);
            done.insert(m.clone(), run(&mut r, l)?);
        }
        return Ok(done);
    }
    let outer_budget = Cell::new(opts.max_decompressed);
    let (_, r) = src.outer_reader(&outer_budget, None)?;
    let mut ar = tar::Archive::new(r);
    let mut walk = layers::TarWalk::with_seek(&mut ar).map_err(|e| src.malformed(e.to_string()))?;
    let pending: HashSet<&String> = order.iter().collect();
    while done.len() < pending.len() {
        let Some((mut e, raw, _)) = walk
            .next_entry()
            .map_err(|e| src.malformed(format!("outer tar: {e}")))?
        else {
            break;
        };
        let Some(name) = layers::normalize(&raw) else {
            continue;
        };
        if !pending.contains(&name) || done.contains_key(&name) {
            continue;
        }
        if !matches!(
            e.header().entry_type(),
            tar::EntryType::Regular | tar::EntryType::Continuous
        ) {
            continue;
        }
        let l = wanted[&name];
        let what = label(done.len() + 1);
        let total = e.size();
        let s = run(&mut Counting::new(&mut e, progress, &what, Some(total)), l)?;
        done.insert(name, s);
    }
    for m in &order {
        if !done.contains_key(m) {
            return Err(src.malformed(format!(
                "{}: blob {m} is missing from the archive",
                wanted[m].label
            )));
        }
    }
    Ok(done)
}

fn check(src: &Source, l: &LayerRef, s: &LayerScan) -> Result<()> {
    if let Some(d) = &l.digest
        && d.starts_with("sha256:")
        && *d != s.digest
    {
        return Err(src.malformed(format!(
            "{}: digest mismatch: manifest says {d}, blob is {}",
            l.label, s.digest
        )));
    }
    if let Some(sz) = l.size
        && sz != s.blob_size
    {
        return Err(src.malformed(format!(
            "{}: size mismatch: manifest says {sz} bytes, blob has {}",
            l.label, s.blob_size
        )));
    }
    if let Some(id) = &l.diff_id
        && id.starts_with("sha256:")
        && *id != s.diff_id
    {
        return Err(src.malformed(format!(
            "{}: diff_id mismatch: config says {id}, uncompressed layer is {}",
            l.label, s.diff_id
        )));
    }
    Ok(())
}
