//! Why an image is the size it is: the base, each Go binary, the shared libraries a
//! dynamic binary drags in, Nix store paths and what references each, other payload.
//!
//! Nix decides what an image holds by scanning file bytes for the hashes of other store
//! paths and by the config's references; the graph built here follows the same rule
//! (candidate hashes come from [`super::layers::HashScanner`]), so "why is glibc here"
//! has the answer Nix would give.

use crate::render::plural;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use serde_json::Value;

use super::archive::{Plan, Source};
use super::layers::{FinalFs, HashScanner, LayerScan, Node};
use super::{
    Base, Cause, FileSize, ImageReport, LayerReport, Library, Part, StorePath, WastedLayer,
};
use crate::audit::Artifact;
use crate::binary::elf::{ElfLinking, LinkKind};
use crate::error::{Error, Result};
use crate::finding::{Code, Finding};
use crate::render::human_bytes;

/// glibc's own libraries: needing only these means the binary is dynamic for libc alone.
const LIBC_FAMILY: &[&str] = &[
    "libc.so",
    "libm.so",
    "libpthread.so",
    "libdl.so",
    "libresolv.so",
    "librt.so",
    "libutil.so",
    "ld-linux",
    "libc.musl",
];
/// Names listed in one cause's `why` before "and N more".
const MAX_LISTED: usize = 8;
/// Entries in the `largest_files` and `wasted_files` lists.
const TOP_FILES: usize = 10;

/// `nix/store/<32 nix-base32>-<name>` at the start of a normalised path.
pub fn store_root(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("nix/store/")?;
    let top = rest.split('/').next()?;
    let b = top.as_bytes();
    if b.len() < 34 || b[32] != b'-' {
        return None;
    }
    if !b[..32]
        .iter()
        .all(|c| b"0123456789abcdfghijklmnpqrsvwxyz".contains(c))
    {
        return None;
    }
    Some(&path[..10 + top.len()])
}

/// The store path's name without the hash: `glibc-2.40-66`.
fn store_name(root: &str) -> &str {
    root.rsplit('/')
        .next()
        .map_or(root, |t| t.get(33..).unwrap_or(t))
}

struct Bin {
    path: String,
    layer: usize,
    artifact: Artifact,
    linking: Option<ElfLinking>,
    digest: Option<[u8; 32]>,
}

/// The Nix store paths in the image and who references whom.
#[derive(Default)]
struct StoreGraph {
    roots: Vec<String>,
    index: HashMap<String, usize>,
    size: Vec<u64>,
    edges: Vec<BTreeSet<usize>>,
    referenced_by: Vec<BTreeSet<String>>,
    /// Referenced from files outside the store: the image's `contents`.
    contents_roots: BTreeSet<usize>,
    /// Referenced from the config, with the fields naming them.
    config_roots: BTreeMap<usize, BTreeSet<&'static str>>,
}

impl StoreGraph {
    fn build(fs: &FinalFs, ls: &[&LayerScan], config: &Value) -> StoreGraph {
        let mut g = StoreGraph::default();
        let mut by_hash: HashMap<[u8; 32], usize> = HashMap::new();
        let mut seen_inodes: HashSet<(usize, u64)> = HashSet::new();
        for (p, v) in &fs.nodes {
            let Some(root) = store_root(p) else { continue };
            let i = match g.index.get(root) {
                Some(&i) => i,
                None => {
                    let i = g.roots.len();
                    g.roots.push(root.to_string());
                    g.index.insert(root.to_string(), i);
                    g.size.push(0);
                    g.edges.push(BTreeSet::new());
                    g.referenced_by.push(BTreeSet::new());
                    let mut h = [0u8; 32];
                    h.copy_from_slice(&root.as_bytes()[10..42]);
                    by_hash.insert(h, i);
                    i
                }
            };
            match &v.node {
                Node::File { size, inode } => {
                    if seen_inodes.insert((v.layer, *inode)) {
                        g.size[i] += size;
                    }
                }
                n => g.size[i] += n.bytes(),
            }
        }
        if g.roots.is_empty() {
            return g;
        }
        for (p, v) in &fs.nodes {
            let Some(refs) = ls.get(v.layer).and_then(|l| l.refs.get(p)) else {
                continue;
            };
            let from = store_root(p).and_then(|r| g.index.get(r).copied());
            for h in refs {
                let Some(&j) = by_hash.get(h) else { continue };
                match from {
                    Some(i) if i == j => {}
                    Some(i) => {
                        // Name the first referring file of each store path: it says
                        // which binary or library needs the other path.
                        if g.edges[i].insert(j) {
                            g.referenced_by[j].insert(format!("/{p}"));
                        }
                    }
                    None => {
                        g.contents_roots.insert(j);
                        g.referenced_by[j].insert(format!("/{p}"));
                    }
                }
            }
        }
        let cfg = &config["config"];
        for field in ["Cmd", "Entrypoint", "Env"] {
            let mut sc = HashScanner::default();
            if let Some(a) = cfg[field].as_array() {
                for s in a.iter().filter_map(Value::as_str) {
                    sc.feed(s.as_bytes());
                    sc.feed(b"\n");
                }
            }
            for h in sc.finish() {
                if let Some(&j) = by_hash.get(&h) {
                    g.config_roots.entry(j).or_default().insert(field);
                    g.referenced_by[j].insert(format!("image config {field}"));
                }
            }
        }
        g
    }

    fn reach(
        &self,
        starts: impl IntoIterator<Item = usize>,
        skip: Option<usize>,
    ) -> BTreeSet<usize> {
        let mut out = BTreeSet::new();
        let mut q: VecDeque<usize> = starts.into_iter().filter(|&s| Some(s) != skip).collect();
        while let Some(n) = q.pop_front() {
            if !out.insert(n) {
                continue;
            }
            for &m in &self.edges[n] {
                if Some(m) != skip && !out.contains(&m) {
                    q.push_back(m);
                }
            }
        }
        out
    }

    /// Everything the image starts from: contents, config, and store paths nothing
    /// else references.
    fn all_roots(&self) -> BTreeSet<usize> {
        let mut has_in = vec![false; self.roots.len()];
        for e in &self.edges {
            for &m in e {
                has_in[m] = true;
            }
        }
        let mut r: BTreeSet<usize> = self.contents_roots.clone();
        r.extend(self.config_roots.keys().copied());
        r.extend((0..self.roots.len()).filter(|&i| !has_in[i]));
        r
    }

    fn bytes(&self, set: &BTreeSet<usize>) -> u64 {
        set.iter().map(|&i| self.size[i]).sum()
    }

    fn names(&self, set: &BTreeSet<usize>) -> Vec<String> {
        let mut v: Vec<usize> = set.iter().copied().collect();
        v.sort_by(|a, b| self.size[*b].cmp(&self.size[*a]));
        v.iter()
            .map(|&i| store_name(&self.roots[i]).to_string())
            .collect()
    }
}

fn layer_history(config: &Value, n: usize) -> Vec<Option<String>> {
    let mut out = Vec::new();
    if let Some(h) = config["history"].as_array() {
        for e in h {
            if e["empty_layer"].as_bool() == Some(true) {
                continue;
            }
            let s = e["comment"]
                .as_str()
                .filter(|s| !s.is_empty())
                .or(e["created_by"].as_str())
                .map(str::to_string);
            out.push(s);
        }
    }
    out.resize(n, None);
    out
}

fn parent(p: &str) -> &str {
    p.rsplit_once('/').map_or("", |x| x.0)
}

/// Which libc a closure holds, by its files.
fn libc_name(files: &BTreeSet<String>) -> &'static str {
    if files
        .iter()
        .any(|f| f.contains("ld-musl") || f.contains("musl"))
    {
        "musl libc"
    } else if files
        .iter()
        .any(|f| f.ends_with("libc.so.6") || f.contains("glibc") || f.contains("ld-linux"))
    {
        "glibc"
    } else {
        "libc"
    }
}

fn needs_libc(l: &ElfLinking) -> bool {
    l.needed
        .iter()
        .any(|n| n.starts_with("libc.so") || n.starts_with("libc.musl"))
        || l.interpreter.as_deref().is_some_and(|i| {
            i.contains("ld-linux") || i.contains("ld-musl") || i.contains("ld64.so")
        })
}

fn basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// `layer 3` or `layers 1-3`, 1-based.
fn layer_span(first: usize, n: usize) -> String {
    if n == 1 {
        format!("layer {}", first + 1)
    } else {
        format!("layers {}-{}", first + 1, first + n)
    }
}

fn describe_bin(a: &Artifact) -> String {
    let module = a
        .buildinfo
        .as_ref()
        .and_then(|b| b.main.as_ref().map(|m| m.path.clone()).or(b.path.clone()))
        .map(|m| format!("Go program {m}"))
        .unwrap_or_else(|| "Go program".into());
    let ver = a
        .go_version
        .as_deref()
        .map(|v| format!(" ({v})"))
        .unwrap_or_default();
    let cgo = match a.cgo.setting.as_deref() {
        Some(s) => format!(", CGO_ENABLED={s}"),
        None if a.cgo.is_linked() => ", cgo linked".into(),
        None => String::new(),
    };
    let strip = match (a.symtab, a.dwarf) {
        (false, false) => "stripped",
        (true, false) => "symbol table kept",
        (false, true) => "DWARF kept",
        (true, true) => "not stripped",
    };
    format!("{module}{ver}: {}{cgo}, {strip}", a.linking.kind.name())
}

/// The program a binary is a build of: its main module (or package path) and version.
fn program_key(b: &Bin) -> Option<String> {
    let bi = b.artifact.buildinfo.as_ref()?;
    match &bi.main {
        Some(m) => Some(format!("{}@{}", m.path, m.version)),
        None => bi.path.clone(),
    }
}

fn program_name(b: &Bin) -> String {
    b.artifact
        .buildinfo
        .as_ref()
        .and_then(|bi| bi.main.as_ref().map(|m| m.path.clone()).or(bi.path.clone()))
        .unwrap_or_else(|| basename(&b.path).to_string())
}

/// Visible files the report names by kind, wherever they are.
fn housekeeping_kind(p: &str) -> Option<(&'static str, &'static str, &'static str)> {
    const KINDS: &[(&str, &str, &str, &str)] = &[
        (
            "var/lib/apt/lists/",
            "package-cache",
            "apt package lists",
            "rm -rf /var/lib/apt/lists/* in the RUN that runs apt-get install",
        ),
        (
            "var/cache/apt/",
            "package-cache",
            "apt package cache",
            "apt-get clean in the RUN that runs apt-get install",
        ),
        (
            "var/cache/apk/",
            "package-cache",
            "apk package cache",
            "apk add --no-cache",
        ),
        (
            "var/cache/dnf/",
            "package-cache",
            "dnf package cache",
            "dnf clean all in the RUN that installs",
        ),
        (
            "var/cache/yum/",
            "package-cache",
            "yum package cache",
            "yum clean all in the RUN that installs",
        ),
        (
            "root/.cache/pip/",
            "package-cache",
            "pip cache",
            "pip install --no-cache-dir",
        ),
        (
            "usr/share/doc/",
            "docs",
            "documentation (/usr/share/doc)",
            "leave docs out (dpkg path-exclude for /usr/share/doc, or a slim or distroless base)",
        ),
        (
            "usr/share/man/",
            "docs",
            "manual pages (/usr/share/man)",
            "leave manual pages out (dpkg path-exclude for /usr/share/man, or a slim base)",
        ),
        (
            "usr/share/info/",
            "docs",
            "info pages (/usr/share/info)",
            "leave info pages out (dpkg path-exclude, or a slim base)",
        ),
    ];
    KINDS
        .iter()
        .find(|k| p.starts_with(k.0))
        .map(|k| (k.1, k.2, k.3))
}

/// Package caches and docs get a row of their own from this size up.
const LARGE: u64 = 1 << 20;

fn payload_kind(p: &str) -> Option<&'static str> {
    let lower = p.to_ascii_lowercase();
    if lower.contains("ssl/certs")
        || lower.contains("ca-certificates")
        || lower.contains("ca-bundle")
        || lower.ends_with(".crt")
        || lower.ends_with(".pem")
    {
        Some("certificates")
    } else if lower.contains("zoneinfo") || lower.contains("tzdata") {
        Some("tzdata")
    } else {
        None
    }
}

/// Who owns each visible byte: every file (each inode once) and symlink goes to exactly
/// one cause row.
struct Claims<'f> {
    fs: &'f FinalFs,
    inode_paths: HashMap<(usize, u64), Vec<String>>,
    owner: HashMap<String, usize>,
    units: HashSet<(usize, u64)>,
    bytes: Vec<u64>,
    files: Vec<Vec<(u64, String)>>,
}

impl<'f> Claims<'f> {
    fn new(fs: &'f FinalFs) -> Self {
        let mut inode_paths: HashMap<(usize, u64), Vec<String>> = HashMap::new();
        for (p, v) in &fs.nodes {
            if let Node::File { inode, .. } = v.node {
                inode_paths
                    .entry((v.layer, inode))
                    .or_default()
                    .push(p.clone());
            }
        }
        Claims {
            fs,
            inode_paths,
            owner: HashMap::new(),
            units: HashSet::new(),
            bytes: Vec::new(),
            files: Vec::new(),
        }
    }

    fn claimed(&self, p: &str) -> bool {
        self.owner.contains_key(p)
    }

    /// Give `p` (and its hard links) to `row`, unless another row has it. Returns the
    /// bytes added.
    fn claim(&mut self, p: &str, row: usize) -> u64 {
        if self.owner.contains_key(p) {
            return 0;
        }
        let Some(v) = self.fs.nodes.get(p) else {
            return 0;
        };
        if self.bytes.len() <= row {
            self.bytes.resize(row + 1, 0);
            self.files.resize(row + 1, Vec::new());
        }
        let n = match v.node {
            Node::File { size, inode } => {
                for q in self
                    .inode_paths
                    .get(&(v.layer, inode))
                    .into_iter()
                    .flatten()
                {
                    self.owner.insert(q.clone(), row);
                }
                if self.units.insert((v.layer, inode)) {
                    size
                } else {
                    0
                }
            }
            ref other => {
                self.owner.insert(p.to_string(), row);
                other.bytes()
            }
        };
        self.bytes[row] += n;
        if n > 0 {
            self.files[row].push((n, format!("/{p}")));
        }
        n
    }

    fn row_bytes(&self, row: usize) -> u64 {
        self.bytes.get(row).copied().unwrap_or(0)
    }

    /// The largest files of a row, for its `why`.
    fn largest(&self, row: usize, k: usize) -> String {
        let mut f = self.files.get(row).cloned().unwrap_or_default();
        f.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        f.iter()
            .take(k)
            .map(|(n, p)| format!("{p} {}", human_bytes(*n)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn count(&self, row: usize) -> usize {
        self.files.get(row).map_or(0, Vec::len)
    }
}

fn new_cause(
    causes: &mut Vec<Cause>,
    id: &str,
    what: String,
    why: String,
    fix: Option<&str>,
) -> usize {
    causes.push(Cause {
        id: id.to_string(),
        what,
        bytes: 0,
        why,
        fix: fix.map(str::to_string),
        parts: Vec::new(),
    });
    causes.len() - 1
}

/// Is this history entry the base image's last step (its CMD or ENTRYPOINT)?
fn is_final_config_step(e: &Value) -> bool {
    let c = e["created_by"].as_str().unwrap_or("");
    e["empty_layer"].as_bool() == Some(true)
        && (c.contains("#(nop) CMD")
            || c.contains("#(nop)  CMD")
            || c.contains("#(nop) ENTRYPOINT")
            || c.contains("#(nop)  ENTRYPOINT")
            || c.starts_with("CMD ")
            || c.starts_with("ENTRYPOINT "))
}

fn is_buildkit(e: &Value) -> bool {
    e["comment"].as_str() == Some("buildkit.dockerfile.v0")
        || e["created_by"]
            .as_str()
            .is_some_and(|c| c.ends_with("# buildkit"))
}

fn is_ko(e: &Value) -> bool {
    e["author"].as_str() == Some("github.com/ko-build/ko")
        || e["created_by"]
            .as_str()
            .is_some_and(|c| c.starts_with("ko build"))
}

/// How many bottom layers the config history says came from the base image, and how it
/// says so.
fn base_from_history(config: &Value, n_layers: usize) -> Option<(usize, String)> {
    let h = config["history"].as_array()?;
    // (history entry, layers below it)
    let mut below = Vec::with_capacity(h.len());
    let mut layers = 0usize;
    for e in h {
        below.push(layers);
        if e["empty_layer"].as_bool() != Some(true) {
            layers += 1;
        }
    }
    if layers != n_layers {
        return None; // a history that does not match the layers says nothing
    }
    if let Some(k) = h.iter().position(|e| {
        e["comment"]
            .as_str()
            .or(e["created_by"].as_str())
            .is_some_and(|c| c.starts_with("store paths:"))
    }) {
        return Some((
            below[k],
            "before the first Nix store-path layer (config history)".into(),
        ));
    }
    if let Some(k) = h.iter().position(is_ko) {
        return Some((below[k], "before ko's layers (config history)".into()));
    }
    // The base image's history ends with its CMD/ENTRYPOINT; this image's steps follow.
    for (k, e) in h.iter().enumerate().rev() {
        if is_final_config_step(e) && below[k] < layers {
            let step = e["created_by"].as_str().unwrap_or("").trim();
            let step: String = step
                .trim_start_matches("/bin/sh -c #(nop) ")
                .trim()
                .chars()
                .take(40)
                .collect();
            return Some((
                below[k],
                format!("the base image's history ends with `{step}` (config history)"),
            ));
        }
    }
    // The Dockerfile's steps (buildkit) after a base that was not built by them.
    let mut k = h.len();
    while k > 0 && is_buildkit(&h[k - 1]) {
        k -= 1;
    }
    if k > 0 && k < h.len() {
        return Some((
            below[k],
            "the Dockerfile's steps (buildkit) start after it (config history)".into(),
        ));
    }
    None
}

/// The program a container runs: Entrypoint then Cmd, the first word found as the
/// runtime would (absolute, relative to WorkingDir, or on the config's PATH).
fn entrypoint(config: &Value) -> Vec<String> {
    let c = &config["config"];
    let mut argv: Vec<String> = Vec::new();
    for f in ["Entrypoint", "Cmd"] {
        if let Some(a) = c[f].as_array() {
            argv.extend(a.iter().filter_map(|x| x.as_str().map(str::to_string)));
        }
    }
    argv
}

fn find_program(fs: &FinalFs, config: &Value, prog: &str) -> Option<String> {
    let c = &config["config"];
    if prog.contains('/') {
        let p = if prog.starts_with('/') {
            prog.to_string()
        } else {
            format!("{}/{prog}", c["WorkingDir"].as_str().unwrap_or("/"))
        };
        return fs.resolve(&p).map(|x| x.0);
    }
    let path = c["Env"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e.as_str())
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        .to_string();
    path.split(':')
        .filter(|d| !d.is_empty())
        .find_map(|d| fs.resolve(&format!("{d}/{prog}")).map(|x| x.0))
}

/// Assemble one image's report.
pub fn build_report(
    label: &str,
    src: &Source,
    plan: &Plan,
    scans: &HashMap<String, LayerScan>,
) -> Result<ImageReport> {
    let mut ls: Vec<&LayerScan> = Vec::new();
    for l in &plan.layers {
        ls.push(scans.get(&l.member).ok_or_else(|| Error::Malformed {
            path: src.path.clone(),
            format: "image archive",
            what: format!("{}: blob was not read", l.label),
        })?);
    }
    let history = layer_history(&plan.config, ls.len());
    let fs = FinalFs::build(&ls);
    let content_size: u64 = ls.iter().map(|l| l.content_size).sum();
    let visible_size = fs.visible_size();
    let wasted_bytes = content_size.saturating_sub(visible_size);
    let has_store = fs.nodes.keys().any(|k| store_root(k).is_some())
        || ls
            .iter()
            .any(|l| l.nodes.keys().any(|k| store_root(k).is_some()));
    let loader = super::loader::Loader::new(&fs, &ls, &plan.config);

    // Go toolchains (GOROOT trees) and Go build caches.
    let mut goroots: Vec<String> = Vec::new();
    for (p, v) in &fs.nodes {
        if !matches!(v.node, Node::File { .. }) || !(p == "bin/go" || p.ends_with("/bin/go")) {
            continue;
        }
        let root = parent(parent(p)).to_string();
        let pre = if root.is_empty() {
            String::new()
        } else {
            format!("{root}/")
        };
        let has = |sub: &str| {
            let q = format!("{pre}{sub}");
            fs.nodes
                .range(q.clone()..)
                .next()
                .is_some_and(|(k, _)| k.starts_with(&q))
        };
        if has("pkg/tool/") || has("src/runtime/") {
            goroots.push(root);
        }
    }
    let in_goroot = |p: &str| {
        goroots
            .iter()
            .any(|r| r.is_empty() || p.starts_with(&format!("{r}/")))
    };

    // Go binaries and other ELF files in the final filesystem.
    let mut bins: Vec<Bin> = Vec::new();
    let mut toolchain_bins: Vec<String> = Vec::new();
    let mut executables: Vec<String> = Vec::new();
    let mut notes = Vec::new();
    for (i, l) in ls.iter().enumerate() {
        notes.extend(l.notes.iter().cloned());
        for (p, info) in &l.elves {
            let visible = fs
                .nodes
                .get(p)
                .is_some_and(|v| v.layer == i && matches!(v.node, Node::File { .. }));
            if !visible {
                continue;
            }
            match &info.artifact {
                Some(_) if in_goroot(p) => toolchain_bins.push(p.clone()),
                Some(a) => bins.push(Bin {
                    path: p.clone(),
                    layer: i,
                    artifact: a.clone(),
                    linking: info.linking.clone(),
                    digest: info.digest,
                }),
                None => {
                    // Never counted as a healthy non-Go file without saying so.
                    if let Some(d) = &info.damaged {
                        notes.push(format!("/{p}: {d}; not audited"));
                    }
                    if info
                        .linking
                        .as_ref()
                        .is_some_and(|l| l.interpreter.is_some())
                        && !basename(p).contains(".so")
                    {
                        executables.push(p.clone());
                    }
                }
            }
        }
    }
    bins.sort_by(|a, b| a.path.cmp(&b.path));
    executables.sort();
    let nix = has_store;

    let graph = StoreGraph::build(&fs, &ls, &plan.config);
    let mut root_files: HashMap<usize, Vec<String>> = HashMap::new();
    for p in fs.nodes.keys() {
        if let Some(i) = store_root(p).and_then(|r| graph.index.get(r)) {
            root_files.entry(*i).or_default().push(p.clone());
        }
    }

    // The base: from the config history, else the layers below the first Go binary.
    let first_go = bins.iter().map(|b| b.layer).min();
    let base = match base_from_history(&plan.config, ls.len()) {
        Some((n, ev)) if n > 0 => Some(Base {
            layers: n,
            bytes: ls[..n].iter().map(|l| l.content_size).sum(),
            evidence: format!("{} {ev}", layer_span(0, n)),
        }),
        Some(_) => None,
        // The history says nothing either way: the layers below the first Go binary.
        None => match first_go {
            Some(n) if n > 0 => Some(Base {
                layers: n,
                bytes: ls[..n].iter().map(|l| l.content_size).sum(),
                evidence: format!(
                    "{} {} before the first layer holding a Go binary (the config history names no base)",
                    layer_span(0, n),
                    if n == 1 { "comes" } else { "come" }
                ),
            }),
            _ => None,
        },
    };
    let base_layers = base.as_ref().map_or(0, |b| b.layers);

    let mut causes: Vec<Cause> = Vec::new();
    let mut claims = Claims::new(&fs);
    // (code, saving, line) of each actionable cause.
    let mut actionable: Vec<(Option<Code>, u64, String, String)> = Vec::new();

    // 1. Go toolchains and build caches: whole trees.
    for r in &goroots {
        let row = new_cause(
            &mut causes,
            Code::GoToolchain.id(),
            format!("Go toolchain /{r}"),
            String::new(),
            Some(
                "use a multi-stage build: compile in a golang image and copy only the binary into the runtime image",
            ),
        );
        let pre = if r.is_empty() {
            String::new()
        } else {
            format!("{r}/")
        };
        let paths: Vec<String> = fs
            .nodes
            .range(pre.clone()..)
            .take_while(|(k, _)| k.starts_with(&pre))
            .map(|(k, _)| k.clone())
            .collect();
        for p in &paths {
            claims.claim(p, row);
        }
        let go_programs = toolchain_bins
            .iter()
            .filter(|b| b.starts_with(&pre))
            .count();
        causes[row].why = format!(
            "a GOROOT tree (bin/go, pkg/tool/…/compile) ships in the runtime image: {}, {} of them {}",
            plural(claims.count(row), "file", "files"),
            go_programs,
            if go_programs == 1 {
                "a Go program"
            } else {
                "Go programs"
            }
        );
    }
    let mut caches: BTreeMap<String, usize> = BTreeMap::new();
    for p in fs.nodes.keys() {
        let root = if let Some(i) = p.find(".cache/go-build/") {
            Some(p[..i + ".cache/go-build".len()].to_string())
        } else {
            p.find("go/pkg/mod/")
                .filter(|&i| i == 0 || p.as_bytes()[i - 1] == b'/')
                .map(|i| p[..i + "go/pkg/mod".len()].to_string())
        };
        let Some(root) = root else { continue };
        if claims.claimed(p) {
            continue;
        }
        let row = *caches.entry(root.clone()).or_insert_with(|| {
            new_cause(
                &mut causes,
                "go-build-cache",
                format!("Go build cache /{root}"),
                String::new(),
                Some("use a multi-stage build (or a cache mount: RUN --mount=type=cache,target=/root/.cache/go-build) so the cache stays out of the image"),
            )
        });
        claims.claim(p, row);
    }
    for (root, &row) in &caches {
        causes[row].why = format!(
            "{} the Go command wrote while building, left in the image; largest {}",
            plural(claims.count(row), "file", "files"),
            claims.largest(row, 2)
        );
        let _ = root;
    }

    // 2. Store paths the config drags in that the contents do not need (Nix).
    let mut extra: BTreeSet<usize> = BTreeSet::new();
    if !graph.contents_roots.is_empty() && !graph.config_roots.is_empty() {
        let from_contents = graph.reach(graph.contents_roots.iter().copied(), None);
        extra = graph
            .reach(graph.config_roots.keys().copied(), None)
            .difference(&from_contents)
            .copied()
            .collect();
    }
    let in_extra = |p: &str| {
        store_root(p)
            .and_then(|r| graph.index.get(r))
            .is_some_and(|i| extra.contains(i))
    };

    // 3. Go binaries: one copy of each program; the extra copies are duplicates.
    let argv = entrypoint(&plan.config);
    let entry_path = argv
        .first()
        .and_then(|p| find_program(&fs, &plan.config, p));
    let mut group_of: Vec<usize> = (0..bins.len()).collect();
    fn find(g: &mut [usize], i: usize) -> usize {
        let mut r = i;
        while g[r] != r {
            r = g[r];
        }
        g[i] = r;
        r
    }
    for i in 0..bins.len() {
        for j in 0..i {
            let same_bytes = bins[i].digest.is_some() && bins[i].digest == bins[j].digest;
            let same_prog =
                program_key(&bins[i]).is_some() && program_key(&bins[i]) == program_key(&bins[j]);
            if same_bytes || same_prog {
                let (a, b) = (find(&mut group_of, i), find(&mut group_of, j));
                group_of[a] = b;
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..bins.len() {
        let r = find(&mut group_of, i);
        groups.entry(r).or_default().push(i);
    }
    let mut dup_of: HashSet<usize> = HashSet::new();
    for g in groups.values().filter(|g| g.len() > 1) {
        let extra_copies: Vec<usize> = g
            .iter()
            .copied()
            .filter(|&i| in_extra(&bins[i].path))
            .collect();
        let dups: Vec<usize> = if !extra_copies.is_empty() && extra_copies.len() < g.len() {
            extra_copies
        } else if let Some(k) = g
            .iter()
            .copied()
            .find(|&i| entry_path.as_deref() == Some(bins[i].path.as_str()))
        {
            g.iter().copied().filter(|&i| i != k).collect()
        } else {
            let mut sorted = g.clone();
            sorted.sort_by(|&a, &b| {
                bins[b]
                    .artifact
                    .size
                    .cmp(&bins[a].artifact.size)
                    .then(bins[a].path.cmp(&bins[b].path))
            });
            sorted[1..].to_vec()
        };
        let all: Vec<String> = g
            .iter()
            .map(|&i| format!("/{} ({})", bins[i].path, human_bytes(bins[i].artifact.size)))
            .collect();
        let same = g
            .iter()
            .all(|&i| bins[i].digest.is_some() && bins[i].digest == bins[g[0]].digest);
        let kept: Vec<String> = g
            .iter()
            .filter(|i| !dups.contains(i))
            .map(|&i| format!("/{}", bins[i].path))
            .collect();
        let why_extra = if dups.iter().any(|&i| in_extra(&bins[i].path)) {
            ", reached only through the image config,"
        } else {
            ""
        };
        let row = new_cause(
            &mut causes,
            Code::DuplicateGoMainModule.id(),
            format!("duplicate build of {}", program_name(&bins[g[0]])),
            format!(
                "{} copies of one program ({}): {}; {} {} kept, the extra {}{why_extra} {} charged here",
                g.len(),
                if same {
                    "identical bytes"
                } else {
                    "same main module and version"
                },
                all.join(", "),
                kept.join(", "),
                if kept.len() == 1 { "is" } else { "are" },
                if dups.len() == 1 { "copy" } else { "copies" },
                if dups.len() == 1 { "is" } else { "are" },
            ),
            Some("ship one build of the program"),
        );
        for &i in &dups {
            claims.claim(&bins[i].path, row);
            dup_of.insert(i);
        }
        let saving = claims.row_bytes(row);
        let c = &causes[row];
        actionable.push((
            Some(Code::DuplicateGoMainModule),
            saving,
            format!("{}: {}", c.what, c.why),
            c.fix.clone().unwrap_or_default(),
        ));
    }
    for (i, b) in bins.iter().enumerate() {
        if dup_of.contains(&i) {
            continue;
        }
        let row = new_cause(
            &mut causes,
            "go-binary",
            format!("/{}", b.path),
            describe_bin(&b.artifact),
            None,
        );
        claims.claim(&b.path, row);
        let links: Vec<String> = claims
            .inode_paths
            .iter()
            .find(|(_, v)| v.contains(&b.path))
            .map(|(_, v)| {
                v.iter()
                    .filter(|q| **q != b.path)
                    .map(|q| format!("/{q}"))
                    .collect()
            })
            .unwrap_or_default();
        if !links.is_empty() {
            causes[row].why.push_str(&format!(
                "; also hard-linked as {} (counted once)",
                links.join(", ")
            ));
        }
    }
    for (i, b) in bins.iter().enumerate() {
        let d = &b.artifact.debug;
        // Removing a duplicate saves its symbols with it: not a second saving.
        if d.symtab_bytes + d.dwarf_bytes == 0 || dup_of.contains(&i) {
            continue;
        }
        let mut parts = Vec::new();
        if d.symtab_bytes > 0 {
            parts.push(Part {
                what: "symbol table (.symtab/.strtab)".into(),
                bytes: d.symtab_bytes,
            });
        }
        if d.dwarf_bytes > 0 {
            parts.push(Part {
                what: "DWARF (.debug_*)".into(),
                bytes: d.dwarf_bytes,
            });
        }
        let desc: Vec<String> = parts
            .iter()
            .map(|p| format!("the {} {}", p.what, human_bytes(p.bytes)))
            .collect();
        let bpath = format!("/{}", b.path);
        if let Some(c) = causes
            .iter_mut()
            .find(|c| c.id == "go-binary" && c.what == bpath)
        {
            c.parts = parts;
        }
        actionable.push((
            Some(Code::SymbolsNotStripped),
            d.symtab_bytes + d.dwarf_bytes,
            format!(
                "symbols of {bpath}: {} kept inside the binary",
                desc.join(" and ")
            ),
            "build with -ldflags='-s -w' (or strip --strip-all)".into(),
        ));
    }

    // 4. What the loader maps for each dynamic program, charged once per set of needers.
    let mut broken: Vec<String> = Vec::new();
    let mut closures: Vec<(usize, super::loader::Closure)> = Vec::new();
    for (i, b) in bins.iter().enumerate() {
        let Some(l) = &b.linking else { continue };
        if b.artifact.linking.kind != LinkKind::Dynamic
            || (l.interpreter.is_none() && l.needed.is_empty())
        {
            continue;
        }
        let c = loader.closure(&b.path);
        let missing = c.all_missing();
        if !missing.is_empty() {
            broken.push(format!(
                "/{} will not start: it is dynamically linked and the image lacks {}",
                b.path,
                missing.join(", ")
            ));
        }
        closures.push((i, c));
    }
    let mut other_needers: HashMap<String, BTreeSet<String>> = HashMap::new();
    if !closures.is_empty() {
        for e in &executables {
            let c = loader.closure(e);
            for f in c.files.iter().chain(&c.links) {
                other_needers
                    .entry(f.clone())
                    .or_default()
                    .insert(format!("/{e}"));
            }
        }
    }
    // file -> the Go binaries that need it.
    let mut go_needers: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for (i, c) in &closures {
        for f in c.files.iter().chain(&c.links) {
            go_needers.entry(f.clone()).or_default().insert(*i);
        }
    }
    // In a Nix image the loader's store paths bring their whole reference closure,
    // minus what anything else in the image also needs.
    let roots_all = graph.all_roots();
    for (i, c) in &closures {
        let hit: BTreeSet<usize> = c
            .files
            .iter()
            .filter_map(|f| store_root(f).and_then(|r| graph.index.get(r).copied()))
            .collect();
        if hit.is_empty() {
            continue;
        }
        let own = store_root(&bins[*i].path).and_then(|r| graph.index.get(r).copied());
        let others: Vec<usize> = roots_all
            .iter()
            .copied()
            .filter(|&r| Some(r) != own)
            .collect();
        let shared = graph.reach(others, own);
        for n in graph.reach(hit.iter().copied(), own).difference(&shared) {
            if Some(*n) == own {
                continue;
            }
            for p in root_files.get(n).into_iter().flatten() {
                go_needers.entry(p.clone()).or_default().insert(*i);
            }
        }
    }
    let mut lib_groups: BTreeMap<(Vec<usize>, bool), Vec<String>> = BTreeMap::new();
    for (f, who) in &go_needers {
        let key = (
            who.iter().copied().collect::<Vec<_>>(),
            other_needers.contains_key(f),
        );
        lib_groups.entry(key).or_default().push(f.clone());
    }
    let mut libraries: Vec<Library> = Vec::new();
    for ((who, shared), files) in &lib_groups {
        let mut real: Vec<(u64, String)> = files
            .iter()
            .filter(|f| matches!(fs.nodes.get(*f).map(|v| &v.node), Some(Node::File { .. })))
            .map(|f| (fs.bytes(f), f.clone()))
            .collect();
        real.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let libc = who
            .iter()
            .any(|&i| bins[i].linking.as_ref().is_some_and(needs_libc));
        let fileset: BTreeSet<String> = files.iter().cloned().collect();
        let mut names: Vec<String> = Vec::new();
        let stores: BTreeSet<&str> = files.iter().filter_map(|f| store_root(f)).collect();
        if !stores.is_empty() {
            let mut by_size: Vec<(u64, &str)> = stores
                .iter()
                .map(|r| (graph.index.get(*r).map_or(0, |&i| graph.size[i]), *r))
                .collect();
            by_size.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
            names.extend(by_size.iter().map(|(_, r)| store_name(r).to_string()));
        } else {
            names.extend(real.iter().map(|(_, p)| basename(p).to_string()));
        }
        if names.len() > MAX_LISTED {
            let more = names.len() - MAX_LISTED;
            names.truncate(MAX_LISTED);
            names.push(format!("and {more} more"));
        }
        let c_deps: Vec<&String> = who
            .iter()
            .filter_map(|&i| bins[i].linking.as_ref())
            .flat_map(|l| l.needed.iter())
            .filter(|n| !LIBC_FAMILY.iter().any(|f| n.starts_with(f)))
            .collect();
        let pie_only = who.iter().all(|&i| {
            bins[i]
                .linking
                .as_ref()
                .is_some_and(|l| l.needed.is_empty())
                && bins[i].artifact.cgo.linked == Some(false)
        });
        let base_name = if pie_only {
            "the dynamic loader".to_string()
        } else if libc && c_deps.is_empty() {
            libc_name(&fileset).to_string()
        } else if libc {
            format!("{} and C libraries", libc_name(&fileset))
        } else {
            "shared libraries".to_string()
        };
        let how_of = |i: usize| -> String {
            let b = &bins[i];
            if pie_only {
                " as a position-independent executable (-buildmode=pie) the loader must relocate"
                    .to_string()
            } else {
                match b.artifact.cgo.setting.as_deref() {
                    Some(s) => format!(", CGO_ENABLED={s}"),
                    None if b.artifact.cgo.is_linked() => ", cgo linked".into(),
                    None => String::new(),
                }
            }
        };
        let hows: BTreeSet<String> = who.iter().map(|&i| how_of(i)).collect();
        let paths: Vec<String> = who.iter().map(|&i| format!("/{}", bins[i].path)).collect();
        let mut why = if who.len() == 1 || hows.len() == 1 {
            format!(
                "needed because {} {} dynamically linked{}",
                paths.join(" and "),
                if who.len() == 1 { "is" } else { "are" },
                hows.iter().next().cloned().unwrap_or_default()
            )
        } else {
            let each: Vec<String> = who
                .iter()
                .map(|&i| format!("/{}{}", bins[i].path, how_of(i)))
                .collect();
            format!(
                "needed because these are dynamically linked: {}",
                each.join("; ")
            )
        };
        let interps: BTreeSet<String> = who
            .iter()
            .filter_map(|&i| bins[i].linking.as_ref().and_then(|l| l.interpreter.clone()))
            .collect();
        let needed: BTreeSet<String> = who
            .iter()
            .filter_map(|&i| bins[i].linking.as_ref())
            .flat_map(|l| l.needed.iter().cloned())
            .collect();
        if !interps.is_empty() || !needed.is_empty() {
            why.push_str(&format!(
                " (interpreter {}; needs {})",
                interps.into_iter().collect::<Vec<_>>().join(", "),
                if needed.is_empty() {
                    "no libraries".into()
                } else {
                    needed.into_iter().collect::<Vec<_>>().join(", ")
                }
            ));
        }
        let mut also: BTreeSet<String> = BTreeSet::new();
        for f in files {
            also.extend(other_needers.get(f).into_iter().flatten().cloned());
        }
        if *shared {
            let list: Vec<String> = also.iter().take(3).cloned().collect();
            why.push_str(&format!(
                "; also needed by {} in the image ({}{})",
                plural(also.len(), "other program", "other programs"),
                list.join(", "),
                if also.len() > 3 { ", …" } else { "" }
            ));
        }
        let fix: Option<&str> = if *shared {
            None
        } else if pie_only {
            Some("build without -buildmode=pie for a static binary")
        } else if !libc {
            None
        } else if c_deps.is_empty() {
            Some("build with CGO_ENABLED=0 (or -tags netgo,osusergo) for a static binary")
        } else {
            Some(
                "it links C libraries beyond libc: drop those cgo dependencies to build with CGO_ENABLED=0",
            )
        };
        let id = if libc || pie_only {
            Code::CgoLibcClosure.id()
        } else {
            "shared-libraries"
        };
        let row = new_cause(
            &mut causes,
            id,
            format!("{base_name} ({})", names.join(", ")),
            why,
            fix,
        );
        for f in files {
            claims.claim(f, row);
        }
        for (n, p) in &real {
            libraries.push(Library {
                path: format!("/{p}"),
                bytes: *n,
                needed_by: who.iter().map(|&i| format!("/{}", bins[i].path)).collect(),
            });
        }
        let bytes = claims.row_bytes(row);
        if fix.is_some() && (libc || pie_only) && bytes > 0 {
            let c = &causes[row];
            actionable.push((
                Some(Code::CgoLibcClosure),
                bytes,
                format!("{}: {}", c.what, c.why),
                c.fix.clone().unwrap_or_default(),
            ));
        }
    }
    libraries.sort_by(|a, b| a.path.cmp(&b.path));

    // 5. The rest of the config's extra closure, then each other store path.
    if !extra.is_empty() {
        let fields: BTreeSet<&str> = graph
            .config_roots
            .iter()
            .filter(|(k, _)| extra.contains(k))
            .flat_map(|(_, f)| f.iter().copied())
            .collect();
        let named: Vec<String> = graph
            .config_roots
            .keys()
            .filter(|k| extra.contains(k))
            .map(|&k| format!("/{}", graph.roots[k]))
            .collect();
        let what = format!(
            "closure of the image config's {}",
            fields.into_iter().collect::<Vec<_>>().join("/")
        );
        let why = format!(
            "the config names {}, which nothing in the image contents references; the image ships its closure: {}",
            named.join(", "),
            graph.names(&extra).join(", ")
        );
        let fix = "point the config's Cmd/Entrypoint at the package the image already contains";
        let row = new_cause(
            &mut causes,
            Code::ConfigReferencesExtraClosure.id(),
            what.clone(),
            why.clone(),
            Some(fix),
        );
        for n in &extra {
            for p in root_files.get(n).into_iter().flatten() {
                claims.claim(p, row);
            }
        }
        // The whole closure goes when the config is fixed, duplicate copy included.
        actionable.push((
            Some(Code::ConfigReferencesExtraClosure),
            graph.bytes(&extra),
            format!("{what}: {why}"),
            fix.into(),
        ));
    }
    for (i, root) in graph.roots.iter().enumerate() {
        let refs: Vec<String> = graph.referenced_by[i].iter().cloned().collect();
        let why = if refs.is_empty() {
            "nothing in the image references it".to_string()
        } else {
            format!("referenced by {}", refs.join(", "))
        };
        let row = new_cause(&mut causes, "nix-store-path", format!("/{root}"), why, None);
        for p in root_files.get(&i).into_iter().flatten() {
            claims.claim(p, row);
        }
    }

    // 5b. Byte-identical copies of the same non-Go ELF program or library outside the
    // rows above (Go programs are grouped in 3, store paths are Nix's business).
    let mut elf_copies: BTreeMap<[u8; 32], Vec<String>> = BTreeMap::new();
    let mut elf_units: HashSet<(usize, u64)> = HashSet::new();
    for (i, l) in ls.iter().enumerate() {
        for (p, info) in &l.elves {
            let Some(v) = fs.nodes.get(p) else { continue };
            let Node::File { inode, size } = v.node else {
                continue;
            };
            if v.layer != i
                || size == 0
                || info.artifact.is_some()
                || info.damaged.is_some()
                || in_goroot(p)
                || store_root(p).is_some()
            {
                continue;
            }
            // Hard links are one file: only its first path counts as a copy.
            if let Some(d) = info.digest
                && elf_units.insert((i, inode))
            {
                elf_copies.entry(d).or_default().push(p.clone());
            }
        }
    }
    for copies in elf_copies.values_mut().filter(|c| c.len() > 1) {
        copies.sort();
        // Keep the entrypoint, else a copy another row already holds (a library the
        // loader resolves), else the first path.
        let keep = copies
            .iter()
            .position(|p| entry_path.as_deref() == Some(p.as_str()))
            .or_else(|| copies.iter().position(|p| claims.claimed(p)))
            .unwrap_or(0);
        let extra: Vec<&String> = copies
            .iter()
            .enumerate()
            .filter(|&(k, p)| k != keep && !claims.claimed(p))
            .map(|(_, p)| p)
            .collect();
        if extra.is_empty() {
            continue;
        }
        let size = fs.bytes(&copies[keep]);
        let all: Vec<String> = copies.iter().map(|p| format!("/{p}")).collect();
        let row = new_cause(
            &mut causes,
            "duplicate-elf",
            format!("duplicate copies of {}", basename(&copies[keep])),
            format!(
                "{} byte-identical copies of one ELF file ({} each): {}; /{} is kept, the other {} charged here",
                copies.len(),
                human_bytes(size),
                all.join(", "),
                copies[keep],
                if extra.len() == 1 {
                    "copy is"
                } else {
                    "copies are"
                }
            ),
            Some("keep one copy (a symlink to it where another path is needed)"),
        );
        for p in extra {
            claims.claim(p, row);
        }
        let c = &causes[row];
        actionable.push((
            None,
            claims.row_bytes(row),
            format!("{}: {}", c.what, c.why),
            c.fix.clone().unwrap_or_default(),
        ));
    }

    // 6. Package caches and docs, where large.
    let mut hk: BTreeMap<&'static str, (Vec<String>, u64, &'static str, &'static str)> =
        BTreeMap::new();
    for (p, v) in &fs.nodes {
        if claims.claimed(p) {
            continue;
        }
        if let Some((id, what, fix)) = housekeeping_kind(p) {
            let e = hk.entry(what).or_insert((Vec::new(), 0, id, fix));
            e.0.push(p.clone());
            e.1 += v.node.bytes();
        }
    }
    for (what, (paths, approx, id, fix)) in hk {
        if approx < LARGE {
            continue;
        }
        let row = new_cause(&mut causes, id, what.to_string(), String::new(), Some(fix));
        for p in &paths {
            claims.claim(p, row);
        }
        let layers: BTreeSet<usize> = paths
            .iter()
            .filter_map(|p| fs.nodes.get(p))
            .map(|v| v.layer + 1)
            .collect();
        causes[row].why = format!(
            "{} in layer{} {}, largest {}",
            plural(claims.count(row), "file", "files"),
            if layers.len() == 1 { "" } else { "s" },
            layers
                .iter()
                .map(|l| l.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            claims.largest(row, 2)
        );
    }

    // 7. The base image, then the application layers' files by kind and by layer.
    if let Some(b) = &base {
        let row = new_cause(
            &mut causes,
            "base",
            format!("base image ({})", layer_span(0, b.layers)),
            b.evidence.clone(),
            None,
        );
        let paths: Vec<String> = fs
            .nodes
            .iter()
            .filter(|(_, v)| v.layer < base_layers)
            .map(|(k, _)| k.clone())
            .collect();
        for p in &paths {
            claims.claim(p, row);
        }
    }
    let mut kind_rows: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut layer_rows: BTreeMap<usize, usize> = BTreeMap::new();
    let paths: Vec<(String, usize)> = fs.nodes.iter().map(|(k, v)| (k.clone(), v.layer)).collect();
    for (p, layer) in &paths {
        if claims.claimed(p) || fs.bytes(p) == 0 {
            continue;
        }
        let row = match payload_kind(p) {
            Some(kind) => *kind_rows.entry(kind).or_insert_with(|| {
                let what = if kind == "certificates" {
                    "CA certificates"
                } else {
                    "time zone data"
                };
                new_cause(&mut causes, kind, what.into(), String::new(), None)
            }),
            None => *layer_rows.entry(*layer).or_insert_with(|| {
                let hist = history[*layer]
                    .as_deref()
                    .map(|h| {
                        let h = h.trim_start_matches("/bin/sh -c ").trim();
                        let short: String = h.chars().take(50).collect();
                        format!(": {short}{}", if h.chars().count() > 50 { "…" } else { "" })
                    })
                    .unwrap_or_default();
                new_cause(
                    &mut causes,
                    "app-layer",
                    format!("layer {}{hist}", layer + 1),
                    String::new(),
                    None,
                )
            }),
        };
        claims.claim(p, row);
    }
    for &row in kind_rows.values().chain(layer_rows.values()) {
        causes[row].why = format!(
            "{}{}, largest {}",
            plural(claims.count(row), "file", "files"),
            if base.is_some() {
                " outside the base"
            } else {
                ""
            },
            claims.largest(row, 3)
        );
    }

    // 8. Hidden copies, by the layer that hides them.
    let mut hidden_by_layer: BTreeMap<usize, u64> = BTreeMap::new();
    let mut wasted_files: Vec<FileSize> = Vec::new();
    for (i, l) in ls.iter().enumerate() {
        let mut groups: HashMap<u64, (u64, Vec<&String>)> = HashMap::new();
        for (p, n) in &l.nodes {
            match n {
                Node::File { size, inode } if *size > 0 => {
                    let e = groups.entry(*inode).or_insert((*size, Vec::new()));
                    e.1.push(p);
                }
                Node::Symlink(t) => {
                    let visible = fs.nodes.get(p).is_some_and(|v| v.layer == i);
                    if !visible {
                        let by = fs.hidden_by.get(&(i, p.clone())).copied().unwrap_or(i);
                        *hidden_by_layer.entry(by).or_default() += t.len() as u64;
                        wasted_files.push(FileSize {
                            path: format!("/{p}"),
                            bytes: t.len() as u64,
                            layer: i + 1,
                            hidden_by: Some(by + 1),
                            links: Vec::new(),
                        });
                    }
                }
                _ => {}
            }
        }
        for (size, paths) in groups.values() {
            if paths
                .iter()
                .any(|p| fs.nodes.get(*p).is_some_and(|v| v.layer == i))
            {
                continue;
            }
            let by = paths
                .iter()
                .filter_map(|p| fs.hidden_by.get(&(i, (*p).clone())).copied())
                .max()
                .unwrap_or(i);
            *hidden_by_layer.entry(by).or_default() += size;
            // One hidden copy, whatever number of hard links it had.
            let mut names: Vec<String> = paths.iter().map(|p| format!("/{p}")).collect();
            names.sort();
            let first = names.remove(0);
            wasted_files.push(FileSize {
                path: first,
                bytes: *size,
                layer: i + 1,
                hidden_by: Some(by + 1),
                links: names,
            });
        }
    }
    wasted_files.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.path.cmp(&b.path)));
    wasted_files.truncate(TOP_FILES);
    let wasted_by_layer: Vec<WastedLayer> = hidden_by_layer
        .iter()
        .map(|(&l, &bytes)| WastedLayer {
            layer: l + 1,
            bytes,
            history: history[l].clone(),
        })
        .collect();
    let mut wasted_row = None;
    if wasted_bytes > 0 {
        let by: Vec<String> = {
            let mut v = wasted_by_layer.clone();
            v.sort_by_key(|w| std::cmp::Reverse(w.bytes));
            v.iter()
                .take(3)
                .map(|w| format!("layer {} hides {}", w.layer, human_bytes(w.bytes)))
                .collect()
        };
        let ex = wasted_files
            .first()
            .map(|f| {
                format!(
                    "; largest {} {} (layer {})",
                    f.path,
                    human_bytes(f.bytes),
                    f.layer
                )
            })
            .unwrap_or_default();
        let row = new_cause(
            &mut causes,
            "wasted",
            "overwritten or deleted in a later layer".into(),
            format!(
                "lower-layer content still shipped under a later copy or whiteout: {}{ex}",
                by.join(", ")
            ),
            Some(
                "delete or replace files in the layer that creates them (in the same RUN), not in a later one",
            ),
        );
        wasted_row = Some(row);
        let c = &causes[row];
        actionable.push((
            None,
            wasted_bytes,
            format!("{}: {}", c.what, c.why),
            c.fix.clone().unwrap_or_default(),
        ));
    }

    // Rows get their bytes; empty ones go.
    for (i, c) in causes.iter_mut().enumerate() {
        c.bytes = if Some(i) == wasted_row {
            wasted_bytes
        } else {
            claims.row_bytes(i)
        };
    }
    // Package caches and docs are actionable where they got a row.
    for c in &causes {
        if (c.id == "package-cache"
            || c.id == "docs"
            || c.id == Code::GoToolchain.id()
            || c.id == "go-build-cache")
            && c.bytes > 0
        {
            let code = (c.id == Code::GoToolchain.id()).then_some(Code::GoToolchain);
            actionable.push((
                code,
                c.bytes,
                format!("{}: {}", c.what, c.why),
                c.fix.clone().unwrap_or_default(),
            ));
        }
    }
    let mut causes: Vec<Cause> = causes.into_iter().filter(|c| c.bytes > 0).collect();
    causes.sort_by(|a, b| {
        (a.id == "wasted")
            .cmp(&(b.id == "wasted"))
            .then(b.bytes.cmp(&a.bytes))
    });
    debug_assert_eq!(causes.iter().map(|c| c.bytes).sum::<u64>(), content_size);

    // Can the container start?
    let mut start: Vec<String> = Vec::new();
    if argv.is_empty() {
        start.push(
            "the image config has no Entrypoint or Cmd: the container has nothing to run".into(),
        );
    } else {
        match &entry_path {
            None => start.push(format!("the entrypoint {} is not in the image", argv[0])),
            Some(p) => {
                let v = fs.nodes.get(p);
                let info = v.and_then(|v| ls[v.layer].elves.get(p));
                if let Some(info) = info {
                    let c = loader.closure(p);
                    let missing = c.all_missing();
                    if !missing.is_empty() {
                        start.push(format!(
                            "/{p} cannot start: it is dynamically linked and the image lacks {}",
                            missing.join(", ")
                        ));
                    }
                    let arch = plan.config["architecture"].as_str();
                    if let (Some(want), Some(have)) =
                        (arch, super::loader::goarch(info.machine, info.class64))
                        && want != have
                    {
                        start.push(format!(
                            "/{p} is built for {have} but the image's platform is {}",
                            plan.platform.clone().unwrap_or_else(|| want.to_string())
                        ));
                    }
                }
            }
        }
    }

    // Findings and the narrative, biggest first; a container that cannot start first.
    actionable.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
    let mut findings = Vec::new();
    let mut why: Vec<String> = start.clone();
    for s in &start {
        findings.push(Finding::new(Code::ImageCannotStart, s.clone()));
    }
    for b in &broken {
        if !start
            .iter()
            .any(|s| s.starts_with(b.split(' ').next().unwrap_or("")))
        {
            why.push(b.clone());
        }
    }
    notes.extend(broken);
    for (code, saving, line, fix) in &actionable {
        let fix = if fix.is_empty() {
            String::new()
        } else {
            format!("; {fix}")
        };
        let (what, rest) = line.split_once(": ").unwrap_or((line, ""));
        why.push(format!("{what} {}: {rest}{fix}", human_bytes(*saving)));
        if let Some(code) = code {
            let mut f = Finding::new(*code, line.clone());
            f.saving = Some(*saving);
            findings.push(f);
        }
    }

    // One entry per file: the hard links of a file are its other names, not more bytes.
    let mut largest: Vec<FileSize> = Vec::new();
    let mut listed: HashSet<(usize, u64)> = HashSet::new();
    for (p, v) in fs.nodes.iter().filter(|(_, v)| v.node.bytes() > 0) {
        let mut links = Vec::new();
        if let Node::File { inode, .. } = v.node {
            if !listed.insert((v.layer, inode)) {
                continue;
            }
            links = claims
                .inode_paths
                .get(&(v.layer, inode))
                .into_iter()
                .flatten()
                .filter(|q| *q != p)
                .map(|q| format!("/{q}"))
                .collect();
            links.sort();
        }
        largest.push(FileSize {
            path: format!("/{p}"),
            bytes: v.node.bytes(),
            layer: v.layer + 1,
            hidden_by: None,
            links,
        });
    }
    largest.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.path.cmp(&b.path)));
    largest.truncate(TOP_FILES);

    let layers = ls
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut sp: BTreeSet<String> = BTreeSet::new();
            for p in l.nodes.keys() {
                if let Some(r) = store_root(p) {
                    sp.insert(format!("/{r}"));
                }
            }
            LayerReport {
                number: i + 1,
                digest: l.digest.clone(),
                diff_id: l.diff_id.clone(),
                compression: l.compression.name(),
                blob_size: l.blob_size,
                tar_size: l.tar_size,
                content_size: l.content_size,
                entries: l
                    .nodes
                    .values()
                    .filter(|n| matches!(n, Node::File { .. } | Node::Symlink(_)))
                    .count(),
                whiteouts: l.whiteouts.len() + l.opaque.len(),
                history: history[i].clone(),
                base: i < base_layers,
                store_paths: sp.into_iter().collect(),
            }
        })
        .collect();

    let store_paths = graph
        .roots
        .iter()
        .enumerate()
        .map(|(i, r)| StorePath {
            path: format!("/{r}"),
            bytes: graph.size[i],
            references: graph.edges[i]
                .iter()
                .map(|&j| format!("/{}", graph.roots[j]))
                .collect(),
            referenced_by: graph.referenced_by[i].iter().cloned().collect(),
        })
        .collect();

    let mut format = plan.format.clone();
    if nix {
        format.push_str("+nix");
    }
    let efficiency = if content_size == 0 {
        1.0
    } else {
        visible_size as f64 / content_size as f64
    };
    Ok(ImageReport {
        kind: "image",
        path: label.to_string(),
        name: plan.name.clone(),
        platform: plan.platform.clone(),
        format,
        outer_compression: if src.is_dir { "none" } else { src.outer.name() },
        content_size,
        visible_size,
        wasted_bytes,
        efficiency,
        blob_size: ls.iter().map(|l| l.blob_size).sum(),
        entrypoint: argv,
        layers,
        base,
        binaries: bins.into_iter().map(|b| b.artifact).collect(),
        libraries,
        store_paths,
        largest_files: largest,
        wasted_files,
        wasted_by_layer,
        causes,
        findings,
        why,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_roots() {
        let p = "nix/store/0vvk9y3bzvc4l2vx3hyyxhhm4b0xaxgd-glibc-2.40-66/lib/libc.so.6";
        assert_eq!(
            store_root(p),
            Some("nix/store/0vvk9y3bzvc4l2vx3hyyxhhm4b0xaxgd-glibc-2.40-66")
        );
        assert_eq!(store_name(store_root(p).unwrap()), "glibc-2.40-66");
        assert_eq!(store_root("nix/store/short-x/y"), None);
        assert_eq!(store_root("usr/lib/x"), None);
    }
}
