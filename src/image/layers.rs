//! One layer at a time: stream its tar, keep per-path metadata, audit the ELF files, and
//! count bytes the way `docker image ls` does; then stack the layers into the final
//! filesystem with whiteouts and opaque directories applied.
//!
//! The size rule is overlay2's `directory.Size`: the sum of `Lstat` sizes of regular
//! files and symlinks (a symlink's size is its target's length), each inode once, no
//! directories, no zero-size entries. Whiteouts are zero-size character devices there,
//! so they cost nothing.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Read};

use super::Options;
use super::archive::{Capped, Compression, HashRead, decompress};
use crate::audit::{self, Artifact};
use crate::binary::elf::ElfLinking;

/// A path's state inside one layer (the last tar entry for that path wins).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A regular file; hard links share the `inode`.
    File {
        /// Bytes.
        size: u64,
        /// Layer-local inode number.
        inode: u64,
    },
    /// A symlink and its target.
    Symlink(String),
    /// A directory.
    Dir,
    /// A device, fifo or anything else without content.
    Other,
}

impl Node {
    /// Bytes this node adds under the overlay2 rule, ignoring hard-link sharing.
    pub fn bytes(&self) -> u64 {
        match self {
            Node::File { size, .. } => *size,
            Node::Symlink(t) => t.len() as u64,
            _ => 0,
        }
    }
}

/// What was learnt from an ELF file in a layer.
#[derive(Debug, Clone)]
pub struct ElfInfo {
    /// The full audit, when the file is a Go program.
    pub artifact: Option<Artifact>,
    /// Interpreter, `DT_NEEDED`, RPATH/RUNPATH.
    pub linking: Option<ElfLinking>,
    /// `e_machine` from the ELF header.
    pub machine: u16,
    /// ELFCLASS64.
    pub class64: bool,
    /// sha256 of the file (finds byte-identical copies).
    pub digest: Option<[u8; 32]>,
    /// Why the file was not audited when its container is damaged (truncated, offsets
    /// past the end): `damaged ELF: ...`.
    pub damaged: Option<String>,
}

/// Everything kept from one layer blob.
#[derive(Debug, Clone)]
pub struct LayerScan {
    /// `sha256:` of the blob as stored.
    pub digest: String,
    /// `sha256:` of the uncompressed tar.
    pub diff_id: String,
    /// The blob's compression.
    pub compression: Compression,
    /// Bytes of the blob.
    pub blob_size: u64,
    /// Bytes of the uncompressed tar.
    pub tar_size: u64,
    /// Per path (normalised, no leading `/`), the layer's final state.
    pub nodes: BTreeMap<String, Node>,
    /// Paths deleted from lower layers (`.wh.<name>`).
    pub whiteouts: Vec<String>,
    /// Directories whose lower children are hidden (`.wh..wh..opq`).
    pub opaque: Vec<String>,
    /// Σ file and symlink bytes, hard links once.
    pub content_size: u64,
    /// ELF files, by path.
    pub elves: HashMap<String, ElfInfo>,
    /// Candidate Nix store hashes seen in each file's bytes or symlink target.
    pub refs: HashMap<String, HashSet<[u8; 32]>>,
    /// Some entry names were absolute (`/nix/store/...`), as dockerTools writes them.
    pub absolute_names: bool,
    /// Things not analysed.
    pub notes: Vec<String>,
    /// The loader's configuration files (`etc/ld.so.conf`, `etc/ld.so.conf.d/*`,
    /// `etc/ld-musl-*.path`), up to [`MAX_TEXT`] bytes each.
    pub texts: HashMap<String, Vec<u8>>,
}

/// Largest loader configuration file kept.
pub const MAX_TEXT: u64 = 64 << 10;

/// Is this a file the dynamic loader reads for its search path?
pub fn is_loader_config(path: &str) -> bool {
    path == "etc/ld.so.conf"
        || path.starts_with("etc/ld.so.conf.d/")
        || (path.starts_with("etc/ld-musl-") && path.ends_with(".path"))
}

/// Normalise a tar or manifest path: no leading `/` or `./`, no `.` components, `..`
/// never above the root, no trailing `/`. `None` for the root itself.
pub fn normalize(raw: &[u8]) -> Option<String> {
    let s = String::from_utf8_lossy(raw);
    let mut parts: Vec<&str> = Vec::new();
    for c in s.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("/"))
    }
}

const fn base32_table() -> [bool; 256] {
    let mut t = [false; 256];
    let alphabet = b"0123456789abcdfghijklmnpqrsvwxyz";
    let mut i = 0;
    while i < alphabet.len() {
        t[alphabet[i] as usize] = true;
        i += 1;
    }
    t
}

/// nix-base32's alphabet (no e, o, u, t).
static NIX_BASE32: [bool; 256] = base32_table();
/// Candidate hashes kept per file.
const MAX_CANDIDATES: usize = 1 << 14;

/// Collects every run of exactly 32 nix-base32 characters, across chunk boundaries.
///
/// Nix matches a store hash anywhere in the bytes. A reference is written as
/// `/nix/store/<hash>-<name>`, so its hash is a run of exactly 32 such characters
/// (`/` and `-` are not in the alphabet); taking only those runs keeps the candidate
/// sets small on binaries full of long alphanumeric strings, at the cost of missing a
/// hash glued to other base32 characters, which no tool writes.
#[derive(Debug, Default)]
pub struct HashScanner {
    run: [u8; 32],
    len: usize,
    found: HashSet<[u8; 32]>,
}

impl HashScanner {
    /// Feed the next chunk.
    pub fn feed(&mut self, data: &[u8]) {
        for &b in data {
            if NIX_BASE32[b as usize] {
                if self.len < 32 {
                    self.run[self.len] = b;
                }
                self.len = self.len.saturating_add(1);
            } else if self.len > 0 {
                self.end_run();
            }
        }
    }

    fn end_run(&mut self) {
        if self.len == 32 && self.found.len() < MAX_CANDIDATES {
            self.found.insert(self.run);
        }
        self.len = 0;
    }

    /// The candidates seen.
    pub fn finish(mut self) -> HashSet<[u8; 32]> {
        self.end_run();
        self.found
    }
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}/{name}")
    }
}

/// Stream one layer blob (plain, gzip or zstd tar) and keep what the report needs.
///
/// `budget` is shared by all layers of an input: every decompressed byte draws on it.
pub fn scan(raw: &mut dyn Read, opts: &Options, budget: &Cell<u64>) -> io::Result<LayerScan> {
    let mut blob = HashRead::new(raw);
    let (compression, diff_id, tar_size, mut out) = {
        let (compression, dec) = decompress(&mut blob)?;
        let mut diff = HashRead::new(Capped::new(dec, budget, opts.max_decompressed));
        let out = scan_tar(&mut PadToBlock::new(&mut diff), opts)?;
        // Whatever follows the end-of-archive blocks is still part of the diff ID.
        io::copy(&mut diff, &mut io::sink())?;
        let (d, n) = diff.finish();
        (compression, d, n, out)
    };
    io::copy(&mut blob, &mut io::sink())?;
    let (digest, blob_size) = blob.finish();
    out.digest = digest;
    out.diff_id = diff_id;
    out.compression = compression;
    out.blob_size = blob_size;
    out.tar_size = tar_size;
    Ok(out)
}

/// Entries allowed in one layer: each is kept in memory as a path, so a hostile layer
/// of millions of empty entries must stop somewhere.
const MAX_ENTRIES: usize = 4_000_000;
/// Candidate store hashes kept per layer (32 bytes each).
const MAX_LAYER_REFS: usize = 1 << 20;
/// GNU long-name and PAX records bigger than this are refused: they are held whole.
const MAX_TAR_META: u64 = 1 << 20;

/// A tar entry with its full path and link target.
pub type WalkItem<'a, R> = (tar::Entry<'a, R>, Vec<u8>, Option<Vec<u8>>);

/// Walks a tar in the `tar` crate's raw mode, applying GNU long names and PAX `path`
/// and `linkpath` itself so that their size can be capped (the crate would read a
/// record of any claimed size into memory).
pub struct TarWalk<'a, R: Read> {
    inner: tar::Entries<'a, R>,
}

impl<R: Read> std::fmt::Debug for TarWalk<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TarWalk")
    }
}

impl<'a, R: Read> TarWalk<'a, R> {
    /// Start walking `ar`.
    pub fn new(ar: &'a mut tar::Archive<R>) -> io::Result<Self> {
        Ok(TarWalk {
            inner: ar.entries()?.raw(true),
        })
    }

    /// Start walking `ar`, skipping unread member data by seeking.
    pub fn with_seek(ar: &'a mut tar::Archive<R>) -> io::Result<Self>
    where
        R: io::Seek,
    {
        Ok(TarWalk {
            inner: ar.entries_with_seek()?.raw(true),
        })
    }

    /// The next real entry, or `None` at the end of the archive.
    pub fn next_entry(&mut self) -> io::Result<Option<WalkItem<'a, R>>> {
        let mut long_name: Option<Vec<u8>> = None;
        let mut long_link: Option<Vec<u8>> = None;
        let mut pax_path: Option<Vec<u8>> = None;
        let mut pax_link: Option<Vec<u8>> = None;
        loop {
            let Some(e) = self.inner.next() else {
                if long_name.is_some() || long_link.is_some() || pax_path.is_some() {
                    return Err(io::Error::other(
                        "a long-name or pax header describes no entry",
                    ));
                }
                return Ok(None);
            };
            let mut e = e?;
            let t = e.header().entry_type();
            if matches!(
                t,
                tar::EntryType::GNULongName
                    | tar::EntryType::GNULongLink
                    | tar::EntryType::XHeader
                    | tar::EntryType::XGlobalHeader
            ) {
                let size = e.size();
                if size > MAX_TAR_META {
                    return Err(io::Error::other(format!(
                        "tar long-name or pax header of {size} bytes is too large"
                    )));
                }
                let mut v = Vec::with_capacity(size as usize);
                (&mut e).take(size).read_to_end(&mut v)?;
                match t {
                    tar::EntryType::GNULongName => long_name = Some(trim_nul(v)),
                    tar::EntryType::GNULongLink => long_link = Some(trim_nul(v)),
                    tar::EntryType::XHeader => {
                        for (k, val) in pax_records(&v) {
                            match k {
                                b"path" => pax_path = Some(val.to_vec()),
                                b"linkpath" => pax_link = Some(val.to_vec()),
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
                continue;
            }
            let path = pax_path
                .or(long_name)
                .unwrap_or_else(|| e.header().path_bytes().into_owned());
            let link = pax_link
                .or(long_link)
                .or_else(|| e.header().link_name_bytes().map(|l| l.into_owned()));
            return Ok(Some((e, path, link)));
        }
    }
}

fn trim_nul(mut v: Vec<u8>) -> Vec<u8> {
    while v.last() == Some(&0) {
        v.pop();
    }
    v
}

/// `<len> <key>=<value>\n` records; malformed ones end the list.
fn pax_records(mut b: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let Some(sp) = b.iter().position(|&c| c == b' ') else {
            break;
        };
        let Some(len) = std::str::from_utf8(&b[..sp])
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
        else {
            break;
        };
        if len <= sp + 1 || len > b.len() {
            break;
        }
        let rec = &b[sp + 1..len];
        let rec = rec.strip_suffix(b"\n").unwrap_or(rec);
        if let Some(eq) = rec.iter().position(|&c| c == b'=') {
            out.push((&rec[..eq], &rec[eq + 1..]));
        }
        b = &b[len..];
    }
    out
}

/// Completes the last 512-byte block with zeros at end of input.
///
/// umoci 0.4.7's `insert` writes layers that stop right after the last file's data,
/// without padding or end-of-archive blocks; `docker load` accepts them, so goaudit
/// does too. The diff ID is still computed over the bytes as stored.
struct PadToBlock<R> {
    inner: R,
    pos: u64,
    eof: bool,
}

impl<R: Read> PadToBlock<R> {
    fn new(inner: R) -> Self {
        PadToBlock {
            inner,
            pos: 0,
            eof: false,
        }
    }
}

impl<R: Read> Read for PadToBlock<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.eof {
            let n = self.inner.read(buf)?;
            if n > 0 || buf.is_empty() {
                self.pos += n as u64;
                return Ok(n);
            }
            self.eof = true;
        }
        let missing = ((512 - self.pos % 512) % 512) as usize;
        let n = missing.min(buf.len());
        buf[..n].fill(0);
        self.pos += n as u64;
        Ok(n)
    }
}

fn scan_tar(r: &mut dyn Read, opts: &Options) -> io::Result<LayerScan> {
    let mut s = LayerScan {
        digest: String::new(),
        diff_id: String::new(),
        compression: Compression::None,
        blob_size: 0,
        tar_size: 0,
        nodes: BTreeMap::new(),
        whiteouts: Vec::new(),
        opaque: Vec::new(),
        content_size: 0,
        elves: HashMap::new(),
        refs: HashMap::new(),
        absolute_names: false,
        notes: Vec::new(),
        texts: HashMap::new(),
    };
    let mut next_inode = 0u64;
    let mut ar = tar::Archive::new(r);
    let mut buf = vec![0u8; 1 << 16];
    let mut walk = TarWalk::new(&mut ar)?;
    let mut count = 0usize;
    let mut total_refs = 0usize;
    let mut refs_capped = false;
    while let Some((mut e, raw, link)) = walk.next_entry()? {
        count += 1;
        if count > MAX_ENTRIES {
            return Err(io::Error::other(format!(
                "more than {MAX_ENTRIES} entries in one layer"
            )));
        }
        if raw.first() == Some(&b'/') {
            s.absolute_names = true;
        }
        let Some(path) = normalize(&raw) else {
            continue;
        };
        let (parent, base) = match path.rsplit_once('/') {
            Some((p, b)) => (p.to_string(), b.to_string()),
            None => (String::new(), path.clone()),
        };
        if base == ".wh..wh..opq" {
            s.opaque.push(parent);
            continue;
        }
        if let Some(name) = base.strip_prefix(".wh.") {
            if !name.is_empty() {
                s.whiteouts.push(join(&parent, name));
            }
            continue;
        }
        let mut elf: Option<ElfInfo> = None;
        let mut found: HashSet<[u8; 32]> = HashSet::new();
        let node = match e.header().entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let size = e.size();
                next_inode += 1;
                let mut scanner = HashScanner::default();
                let mut head = [0u8; 4];
                let n = read_full(&mut e, &mut head)?;
                scanner.feed(&head[..n]);
                let is_elf = n == 4 && head == *b"\x7fELF";
                if is_elf && size <= opts.max_file {
                    // Only ELF files are held in memory, and only up to the cap.
                    // The header's size is unchecked until the bytes arrive: reserve at
                    // most 64 MiB up front and let a real large binary grow the buffer.
                    let mut bytes =
                        Vec::with_capacity(size.min(opts.max_file).min(64 << 20) as usize);
                    bytes.extend_from_slice(&head);
                    (&mut e).take(opts.max_file).read_to_end(&mut bytes)?;
                    scanner.feed(&bytes[4..]);
                    elf = Some(analyse_elf(&path, &bytes));
                } else if !is_elf && size <= MAX_TEXT && is_loader_config(&path) {
                    let mut bytes = head[..n].to_vec();
                    (&mut e).take(MAX_TEXT).read_to_end(&mut bytes)?;
                    scanner.feed(&bytes[n..]);
                    s.texts.insert(path.clone(), bytes);
                } else {
                    if is_elf {
                        s.notes.push(format!(
                            "/{path}: ELF file of {size} bytes not analysed (over the buffer limit)"
                        ));
                    }
                    loop {
                        let k = e.read(&mut buf)?;
                        if k == 0 {
                            break;
                        }
                        scanner.feed(&buf[..k]);
                    }
                }
                found = scanner.finish();
                Node::File {
                    size,
                    inode: next_inode,
                }
            }
            tar::EntryType::Link => {
                let target = link.as_deref().and_then(normalize);
                match target.as_ref().and_then(|t| s.nodes.get(t)) {
                    Some(n @ Node::File { .. }) => {
                        let n = n.clone();
                        if let Some(r) = target.as_ref().and_then(|t| s.refs.get(t)) {
                            found = r.clone();
                        }
                        n
                    }
                    _ => {
                        next_inode += 1;
                        Node::File {
                            size: 0,
                            inode: next_inode,
                        }
                    }
                }
            }
            tar::EntryType::Symlink => {
                let t = link
                    .as_deref()
                    .map(|t| String::from_utf8_lossy(t).into_owned())
                    .unwrap_or_default();
                let mut scanner = HashScanner::default();
                scanner.feed(t.as_bytes());
                found = scanner.finish();
                Node::Symlink(t)
            }
            tar::EntryType::Directory => {
                // A directory entry repeated after its children changes nothing.
                if matches!(s.nodes.get(&path), Some(Node::Dir)) {
                    continue;
                }
                Node::Dir
            }
            _ => Node::Other,
        };
        // The last entry for a path wins, so its facts replace any earlier ones.
        match elf {
            Some(info) => {
                s.elves.insert(path.clone(), info);
            }
            None => {
                s.elves.remove(&path);
            }
        }
        if found.is_empty() {
            s.refs.remove(&path);
        } else if total_refs + found.len() <= MAX_LAYER_REFS {
            total_refs += found.len();
            s.refs.insert(path.clone(), found);
        } else if !refs_capped {
            refs_capped = true;
            s.notes.push(format!(
                "/{path}: store-hash candidates beyond {MAX_LAYER_REFS} in this layer not recorded"
            ));
        }
        s.nodes.insert(path, node);
    }
    let mut inodes = HashSet::new();
    for n in s.nodes.values() {
        match n {
            Node::File { size, inode } if *size > 0 && inodes.insert(*inode) => {
                s.content_size += size;
            }
            Node::Symlink(t) => s.content_size += t.len() as u64,
            _ => {}
        }
    }
    Ok(s)
}

fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        let k = r.read(&mut buf[n..])?;
        if k == 0 {
            break;
        }
        n += k;
    }
    Ok(n)
}

fn analyse_elf(path: &str, bytes: &[u8]) -> ElfInfo {
    let label = format!("/{path}");
    let linking = ElfLinking::parse(bytes).ok();
    // Not Go, or Go with a broken structure: the linking view is still useful.
    let (artifact, damaged) = match audit::audit_bytes(&label, bytes) {
        Ok(a) => (Some(a), None),
        Err(audit::AuditError::Malformed(p)) if p.damaged => (None, Some(p.to_string())),
        Err(_) => (None, None),
    };
    let class64 = bytes.get(4) == Some(&2);
    let machine = match (bytes.get(5), bytes.get(18..20)) {
        (Some(2), Some(m)) => u16::from_be_bytes([m[0], m[1]]),
        (_, Some(m)) => u16::from_le_bytes([m[0], m[1]]),
        _ => 0,
    };
    let digest = {
        use sha2::Digest;
        let mut d = [0u8; 32];
        d.copy_from_slice(&sha2::Sha256::digest(bytes));
        Some(d)
    };
    ElfInfo {
        artifact,
        linking,
        machine,
        class64,
        digest,
        damaged,
    }
}

/// A visible path in the final filesystem and the layer its copy comes from.
#[derive(Debug, Clone)]
pub struct Visible {
    /// Layer index (0 = bottom).
    pub layer: usize,
    /// What it is.
    pub node: Node,
}

/// The filesystem a container sees: layers stacked, whiteouts applied.
#[derive(Debug, Default)]
pub struct FinalFs {
    /// Every visible path.
    pub nodes: BTreeMap<String, Visible>,
    /// For each hidden copy, (its layer, its path) -> the layer that hid it (by
    /// overwriting it, a whiteout, an opaque directory or a file over its directory).
    pub hidden_by: HashMap<(usize, String), usize>,
}

/// Symlink hops followed before giving up, as the kernel does (ELOOP at 40).
const MAX_LINKS: usize = 40;

impl FinalFs {
    /// Stack `layers`, bottom first.
    pub fn build(layers: &[&LayerScan]) -> FinalFs {
        let mut fs = FinalFs::default();
        for (i, l) in layers.iter().enumerate() {
            // Whiteouts hide lower layers only, whatever their place in the tar, so
            // they are applied before the layer's own entries.
            for d in &l.opaque {
                fs.remove_children(d, i);
            }
            for w in &l.whiteouts {
                if let Some(old) = fs.nodes.remove(w) {
                    fs.hidden_by.insert((old.layer, w.clone()), i);
                }
                fs.remove_children(w, i);
            }
            for (p, n) in &l.nodes {
                if *n != Node::Dir {
                    // A file or symlink replacing a lower directory hides its subtree.
                    if matches!(fs.nodes.get(p), Some(v) if v.node == Node::Dir) {
                        fs.remove_children(p, i);
                    }
                } else if matches!(fs.nodes.get(p), Some(v) if v.node == Node::Dir) {
                    continue; // merged directory: keep the lower entry
                }
                if let Some(old) = fs.nodes.insert(
                    p.clone(),
                    Visible {
                        layer: i,
                        node: n.clone(),
                    },
                ) {
                    fs.hidden_by.insert((old.layer, p.clone()), i);
                }
            }
        }
        fs
    }

    fn remove_children(&mut self, dir: &str, by: usize) {
        let prefix = format!("{dir}/");
        let doomed: Vec<String> = self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for k in doomed {
            if let Some(old) = self.nodes.remove(&k) {
                self.hidden_by.insert((old.layer, k), by);
            }
        }
    }

    /// Visible bytes: files (each (layer, inode) once) and symlinks.
    pub fn visible_size(&self) -> u64 {
        self.size_where(|_| true)
    }

    /// Visible bytes of the paths `keep` accepts, each inode once.
    pub fn size_where(&self, keep: impl Fn(&str) -> bool) -> u64 {
        let mut seen = HashSet::new();
        let mut total = 0;
        for (p, v) in &self.nodes {
            if !keep(p) {
                continue;
            }
            match &v.node {
                Node::File { size, inode } if *size > 0 && seen.insert((v.layer, *inode)) => {
                    total += size;
                }
                Node::Symlink(t) => total += t.len() as u64,
                _ => {}
            }
        }
        total
    }

    /// Follow symlinks component by component (directories too, as `/lib -> usr/lib`
    /// on merged-/usr systems). Returns the final path and the symlinks passed.
    pub fn resolve(&self, path: &str) -> Option<(String, Vec<String>)> {
        let mut links = Vec::new();
        let mut todo: Vec<String> = normalize(path.as_bytes())?
            .split('/')
            .rev()
            .map(str::to_string)
            .collect();
        let mut cur: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(c) = todo.pop() {
            if c == ".." {
                cur.pop();
                continue;
            }
            if c == "." || c.is_empty() {
                continue;
            }
            cur.push(c);
            let p = cur.join("/");
            match self.nodes.get(&p).map(|v| &v.node) {
                Some(Node::Symlink(t)) => {
                    hops += 1;
                    if hops > MAX_LINKS {
                        return None;
                    }
                    links.push(p);
                    cur.pop();
                    if t.starts_with('/') {
                        cur.clear();
                    }
                    for part in t.split('/').rev() {
                        todo.push(part.to_string());
                    }
                }
                Some(_) => {}
                None => {
                    // Directories need no entry of their own in a layer tar.
                    if !todo.is_empty() {
                        continue;
                    }
                    return None;
                }
            }
        }
        let p = cur.join("/");
        matches!(self.nodes.get(&p).map(|v| &v.node), Some(Node::File { .. })).then_some((p, links))
    }

    /// The visible bytes of one path (0 when absent).
    pub fn bytes(&self, path: &str) -> u64 {
        self.nodes.get(path).map_or(0, |v| v.node.bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(entries: &[(&str, &[u8])], links: &[(&str, &str, bool)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            b.append_data(&mut h, name, *data).unwrap();
        }
        for (name, target, hard) in links {
            let mut h = tar::Header::new_gnu();
            h.set_size(0);
            h.set_entry_type(if *hard {
                tar::EntryType::Link
            } else {
                tar::EntryType::Symlink
            });
            b.append_link(&mut h, name, target).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn scan_bytes(b: &[u8]) -> io::Result<LayerScan> {
        let budget = Cell::new(1 << 30);
        scan(&mut &b[..], &Options::default(), &budget)
    }

    #[test]
    fn normalizes() {
        assert_eq!(normalize(b"./a/b/").as_deref(), Some("a/b"));
        assert_eq!(normalize(b"/nix/store/x").as_deref(), Some("nix/store/x"));
        assert_eq!(normalize(b"../../etc").as_deref(), Some("etc"));
        assert_eq!(normalize(b"./"), None);
    }

    #[test]
    fn content_size_counts_hard_links_once_and_symlink_targets() {
        let t = tar_of(
            &[("app/a", b"hello"), ("app/b", b"12")],
            &[("app/a.hard", "app/a", true), ("app/a.sym", "a", false)],
        );
        let s = scan_bytes(&t).unwrap();
        assert_eq!(s.content_size, 5 + 2 + 1);
        assert_eq!(s.tar_size, t.len() as u64);
        assert_eq!(s.blob_size, t.len() as u64);
        assert_eq!(s.diff_id, s.digest);
    }

    #[test]
    fn whiteouts_and_opaque_dirs() {
        let l1 = scan_bytes(&tar_of(
            &[("d/x", b"xxxx"), ("d/y", b"yy"), ("e/z", b"z")],
            &[],
        ))
        .unwrap();
        let l2 = scan_bytes(&tar_of(
            &[("d/.wh..wh..opq", b""), ("d/n", b"nnn"), ("e/.wh.z", b"")],
            &[],
        ))
        .unwrap();
        assert_eq!(l2.content_size, 3);
        let fs = FinalFs::build(&[&l1, &l2]);
        assert_eq!(fs.visible_size(), 3);
        assert!(fs.nodes.contains_key("d/n"));
        assert!(!fs.nodes.contains_key("d/x"));
        assert!(!fs.nodes.contains_key("e/z"));
    }

    #[test]
    fn resolves_directory_symlinks() {
        let l = scan_bytes(&tar_of(
            &[("usr/lib/libc.so.6", b"c")],
            &[("lib", "usr/lib", false), ("lib64", "/usr/lib", false)],
        ))
        .unwrap();
        let fs = FinalFs::build(&[&l]);
        let (p, links) = fs.resolve("/lib64/libc.so.6").unwrap();
        assert_eq!(p, "usr/lib/libc.so.6");
        assert_eq!(links, vec!["lib64".to_string()]);
        assert!(fs.resolve("/lib/missing.so").is_none());
    }

    #[test]
    fn scanner_finds_hashes_across_chunks() {
        let h = "0vvk9y3bzvc4l2vx3hyyxhhm4b0xaxgd";
        let text = format!("xx/nix/store/{h}-glibc-2.40/lib");
        let mut s = HashScanner::default();
        let (a, b) = text.as_bytes().split_at(20);
        s.feed(a);
        s.feed(b);
        let found = s.finish();
        let mut want = [0u8; 32];
        want.copy_from_slice(h.as_bytes());
        assert!(found.contains(&want));
        // A 33-character run is not a store hash.
        let mut s = HashScanner::default();
        s.feed(format!("/{h}x-").as_bytes());
        assert!(s.finish().is_empty());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut junk = vec![0x1f, 0x8b, 8, 0];
        junk.extend_from_slice(&[0xff; 300]);
        assert!(scan_bytes(&junk).is_err());
        let t = tar_of(&[("a", &[7u8; 4000])], &[]);
        // Truncated mid-file.
        assert!(scan_bytes(&t[..1500]).is_err());
    }
}

#[cfg(test)]
mod unterminated_tests {
    use super::*;

    #[test]
    fn tolerates_a_missing_end_of_archive_but_not_missing_data() {
        // umoci 0.4.7's `insert` writes layers without the two zero blocks.
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_ustar();
        h.set_size(512);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o644);
        b.append_data(&mut h, "a", &[1u8; 512][..]).unwrap();
        let full = b.into_inner().unwrap();
        let budget = Cell::new(1 << 30);
        let s = scan(&mut &full[..1024], &Options::default(), &budget).unwrap();
        assert_eq!(s.content_size, 512);
        // Data cut short by more than the last block is an error.
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_ustar();
        h.set_size(2000);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o644);
        b.append_data(&mut h, "big", &[2u8; 2000][..]).unwrap();
        let big = b.into_inner().unwrap();
        let budget = Cell::new(1 << 30);
        assert!(scan(&mut &big[..1100], &Options::default(), &budget).is_err());
        // Nor the padding after the last file's data.
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_ustar();
        h.set_size(5);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o644);
        b.append_data(&mut h, "v", &b"v1\nxx"[..5]).unwrap();
        let full = b.into_inner().unwrap();
        let budget = Cell::new(1 << 30);
        let s = scan(&mut &full[..517], &Options::default(), &budget).unwrap();
        assert_eq!(s.content_size, 5);
    }
}

#[cfg(test)]
mod long_name_tests {
    use super::*;

    fn scan_ok(b: &[u8]) -> io::Result<LayerScan> {
        let budget = Cell::new(1 << 30);
        scan(&mut &b[..], &Options::default(), &budget)
    }

    #[test]
    fn gnu_long_names_and_pax_paths() {
        let long = format!("nix/store/{}/lib/libc.so.6", "d".repeat(150));
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(3);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, &long, &b"abc"[..]).unwrap();
        // A PAX header naming the next entry.
        let pax_path = format!("usr/share/{}/x", "p".repeat(120));
        // A record's length counts its own digits.
        let body = format!("path={pax_path}\n");
        let mut l = body.len() + 2;
        while l != body.len() + 1 + l.to_string().len() {
            l = body.len() + 1 + l.to_string().len();
        }
        let rec = format!("{l} {body}");
        let mut x = tar::Header::new_ustar();
        x.set_size(rec.len() as u64);
        x.set_entry_type(tar::EntryType::XHeader);
        x.set_path("PaxHeaders/x").unwrap();
        x.set_cksum();
        b.append(&x, rec.as_bytes()).unwrap();
        let mut f = tar::Header::new_ustar();
        f.set_size(2);
        f.set_mode(0o644);
        f.set_entry_type(tar::EntryType::Regular);
        f.set_path("short").unwrap();
        f.set_cksum();
        b.append(&f, &b"xy"[..]).unwrap();
        let t = b.into_inner().unwrap();
        let s = scan_ok(&t).unwrap();
        assert!(s.nodes.contains_key(&long), "{:?}", s.nodes.keys());
        assert!(s.nodes.contains_key(&pax_path), "{:?}", s.nodes.keys());
        assert_eq!(s.content_size, 5);
    }

    #[test]
    fn oversized_long_name_is_refused_not_buffered() {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::GNULongName);
        h.set_size(1 << 40);
        h.set_path("././@LongLink").unwrap();
        h.set_cksum();
        let mut t = h.as_bytes().to_vec();
        t.extend_from_slice(&[b'a'; 4096]);
        let e = scan_ok(&t).unwrap_err();
        assert!(e.to_string().contains("too large"), "{e}");
    }
}
