//! Why an image is the size it is: the base, each Go binary, the shared libraries a
//! dynamic binary drags in, Nix store paths and what references each, other payload.
//!
//! Nix decides what an image holds by scanning file bytes for the hashes of other store
//! paths and by the config's references; the graph built here follows the same rule
//! (candidate hashes come from [`super::layers::HashScanner`]), so "why is glibc here"
//! has the answer Nix would give.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use serde_json::Value;

use super::archive::{Plan, Source};
use super::layers::{FinalFs, HashScanner, LayerScan, Node};
use super::{Base, Cause, FileSize, ImageReport, LayerReport, Library, StorePath};
use crate::audit::Artifact;
use crate::binary::elf::{ElfLinking, LinkKind};
use crate::error::{Error, Result};
use crate::finding::{Code, Finding};
use crate::render::human_bytes;

/// Directories the loader searches when nothing else says where a library is.
const DEFAULT_LIB_DIRS: &[&str] = &[
    "lib",
    "usr/lib",
    "lib64",
    "usr/lib64",
    "lib/x86_64-linux-gnu",
    "usr/lib/x86_64-linux-gnu",
    "lib/aarch64-linux-gnu",
    "usr/lib/aarch64-linux-gnu",
    "usr/local/lib",
];
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

/// Which libc a closure holds, by its files.
fn libc_name(files: &BTreeSet<String>) -> &'static str {
    if files.iter().any(|f| f.contains("ld-musl")) {
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

struct Closure {
    files: BTreeSet<String>,
    links: BTreeSet<String>,
    missing: Vec<String>,
}

fn parent(p: &str) -> &str {
    p.rsplit_once('/').map_or("", |x| x.0)
}

/// The loader and every library a binary needs, transitively, as the loader would find
/// them in this filesystem.
fn lib_closure(fs: &FinalFs, ls: &[&LayerScan], bin_path: &str, l: &ElfLinking) -> Closure {
    let mut c = Closure {
        files: BTreeSet::new(),
        links: BTreeSet::new(),
        missing: Vec::new(),
    };
    let mut extra_dirs: Vec<String> = Vec::new();
    if let Some(i) = l.interpreter.as_deref().filter(|i| *i != "<unreadable>") {
        match fs.resolve(i) {
            Some((p, links)) => {
                extra_dirs.push(parent(&p).to_string());
                if let Some(n) = super::layers::normalize(i.as_bytes()) {
                    extra_dirs.push(parent(&n).to_string());
                }
                c.files.insert(p);
                c.links.extend(links);
            }
            None => c.missing.push(i.to_string()),
        }
    }
    let linking_of = |p: &str| -> Option<ElfLinking> {
        let v = fs.nodes.get(p)?;
        ls.get(v.layer)?.elves.get(p)?.linking.clone()
    };
    let mut queue: VecDeque<(String, String, ElfLinking)> = VecDeque::new();
    queue.push_back((bin_path.to_string(), String::new(), l.clone()));
    let mut visited: HashSet<String> = HashSet::new();
    while let Some((from, _, link)) = queue.pop_front() {
        let origin = parent(&from).to_string();
        let mut dirs: Vec<String> = Vec::new();
        for d in link
            .rpath
            .iter()
            .chain(&link.runpath)
            .flat_map(|r| r.split(':'))
        {
            let d = d
                .replace("$ORIGIN", &format!("/{origin}"))
                .replace("${ORIGIN}", &format!("/{origin}"));
            if let Some(n) = super::layers::normalize(d.as_bytes()) {
                dirs.push(n);
            }
        }
        dirs.extend(extra_dirs.iter().cloned());
        dirs.extend(DEFAULT_LIB_DIRS.iter().map(|s| s.to_string()));
        for name in &link.needed {
            if !visited.insert(name.clone()) {
                continue;
            }
            let found = if name.contains('/') {
                fs.resolve(name)
            } else {
                dirs.iter()
                    .find_map(|d| fs.resolve(&format!("{d}/{name}")))
                    .or_else(|| {
                        let suffix = format!("/{name}");
                        fs.nodes
                            .keys()
                            .filter(|k| k.ends_with(&suffix))
                            .find_map(|k| fs.resolve(k))
                    })
            };
            match found {
                Some((p, links)) => {
                    c.links.extend(links);
                    if c.files.insert(p.clone())
                        && let Some(ll) = linking_of(&p)
                    {
                        queue.push_back((p, name.clone(), ll));
                    }
                }
                None => c.missing.push(name.clone()),
            }
        }
    }
    c
}

fn push_cause(
    causes: &mut Vec<Cause>,
    id: &str,
    what: String,
    bytes: u64,
    why: String,
    fix: Option<&str>,
) {
    causes.push(Cause {
        id: id.to_string(),
        what,
        bytes,
        why,
        fix: fix.map(str::to_string),
        counted: !Cause::OVERLAYS.contains(&id),
    });
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

fn main_module_key(b: &Bin) -> String {
    b.artifact
        .buildinfo
        .as_ref()
        .and_then(|bi| bi.main.as_ref().map(|m| m.path.clone()).or(bi.path.clone()))
        .unwrap_or_else(|| format!("file name {}", b.path.rsplit('/').next().unwrap_or(&b.path)))
}

fn payload_kind(p: &str) -> &'static str {
    let lower = p.to_ascii_lowercase();
    if lower.contains("ssl/certs")
        || lower.contains("ca-certificates")
        || lower.contains("ca-bundle")
        || lower.ends_with(".crt")
        || lower.ends_with(".pem")
    {
        "certificates"
    } else if lower.contains("zoneinfo") || lower.contains("tzdata") {
        "tzdata"
    } else {
        "other-files"
    }
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
    let nix = ls.iter().any(|l| l.absolute_names)
        || history
            .iter()
            .flatten()
            .any(|h| h.starts_with("store paths:"))
        || fs.nodes.keys().any(|k| store_root(k).is_some());

    // Go binaries and other ELF files in the final filesystem.
    let mut bins: Vec<Bin> = Vec::new();
    let mut other_elves: Vec<String> = Vec::new();
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
                Some(a) => bins.push(Bin {
                    path: p.clone(),
                    layer: i,
                    artifact: a.clone(),
                    linking: info.linking.clone(),
                }),
                None => other_elves.push(p.clone()),
            }
        }
    }
    bins.sort_by(|a, b| a.path.cmp(&b.path));
    other_elves.sort();

    let graph = StoreGraph::build(&fs, &ls, &plan.config);

    // The base: layers below the first application layer.
    let first_go = bins.iter().map(|b| b.layer).min();
    let first_nix = history
        .iter()
        .position(|h| h.as_deref().is_some_and(|h| h.starts_with("store paths:")));
    let first_app = match (first_go, first_nix) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let base = match first_app {
        Some(n) if n > 0 => Some(Base {
            layers: n,
            bytes: ls[..n].iter().map(|l| l.content_size).sum(),
            evidence: {
                let which = if n == 1 {
                    "layer 1 comes".to_string()
                } else {
                    format!("layers 1-{n} come")
                };
                if first_nix == Some(n) {
                    format!("{which} before the first Nix store-path layer (config history)")
                } else {
                    format!("{which} before the first layer holding a Go binary")
                }
            },
        }),
        _ => None,
    };
    let base_layers = base.as_ref().map_or(0, |b| b.layers);

    let mut causes: Vec<Cause> = Vec::new();
    let mut actionable: Vec<(Code, usize)> = Vec::new();
    let mut covered: HashSet<String> = HashSet::new();
    let mut covered_nodes: BTreeSet<usize> = BTreeSet::new();
    if let Some(b) = &base {
        push_cause(
            &mut causes,
            "base",
            format!("base layers ({})", b.layers),
            b.bytes,
            b.evidence.clone(),
            None,
        );
        for (p, v) in &fs.nodes {
            if v.layer < base_layers {
                covered.insert(p.clone());
            }
        }
    }

    for b in &bins {
        covered.insert(b.path.clone());
        push_cause(
            &mut causes,
            "go-binary",
            format!("/{}", b.path),
            b.artifact.size,
            describe_bin(&b.artifact),
            None,
        );
        let sym = b.artifact.debug.symtab_bytes + b.artifact.debug.dwarf_bytes;
        if sym > 0 {
            let mut parts = Vec::new();
            if b.artifact.debug.symtab_bytes > 0 {
                parts.push(format!(
                    "the symbol table (.symtab/.strtab, {})",
                    human_bytes(b.artifact.debug.symtab_bytes)
                ));
            }
            if b.artifact.debug.dwarf_bytes > 0 {
                parts.push(format!(
                    "DWARF ({})",
                    human_bytes(b.artifact.debug.dwarf_bytes)
                ));
            }
            actionable.push((Code::SymbolsNotStripped, causes.len()));
            push_cause(
                &mut causes,
                Code::SymbolsNotStripped.id(),
                format!("symbols of /{}", b.path),
                sym,
                format!("{} kept in the binary", parts.join(" and ")),
                Some("build with -ldflags='-s -w' (or strip --strip-all)"),
            );
        }
    }

    // Shared libraries each dynamic binary pulls in.
    let mut needed_by: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut charged: HashSet<String> = HashSet::new();
    let mut broken: Vec<String> = Vec::new();
    let roots_all = graph.all_roots();
    for b in &bins {
        let Some(l) = &b.linking else { continue };
        if b.artifact.linking.kind != LinkKind::Dynamic
            || (l.interpreter.is_none() && l.needed.is_empty())
        {
            continue;
        }
        let c = lib_closure(&fs, &ls, &b.path, l);
        if !c.missing.is_empty() {
            broken.push(format!(
                "/{} will not start: it is dynamically linked and the image lacks {}",
                b.path,
                c.missing.join(", ")
            ));
        }
        for f in c.files.iter().chain(&c.links) {
            needed_by
                .entry(f.clone())
                .or_default()
                .insert(format!("/{}", b.path));
        }
        // In a Nix image the loader's store path brings its whole reference closure.
        let hit: BTreeSet<usize> = c
            .files
            .iter()
            .filter_map(|f| store_root(f).and_then(|r| graph.index.get(r).copied()))
            .collect();
        let own = store_root(&b.path).and_then(|r| graph.index.get(r).copied());
        let mut set = BTreeSet::new();
        if !hit.is_empty() {
            let others: Vec<usize> = roots_all
                .iter()
                .copied()
                .filter(|&r| Some(r) != own)
                .collect();
            let shared = graph.reach(others, own);
            set = graph
                .reach(hit.iter().copied(), own)
                .difference(&shared)
                .copied()
                .filter(|&n| Some(n) != own && !covered_nodes.contains(&n))
                .collect();
        }
        let mut bytes = graph.bytes(&set);
        let mut loose: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        for f in c.files.iter().chain(&c.links) {
            let in_set = store_root(f)
                .and_then(|r| graph.index.get(r))
                .is_some_and(|i| set.contains(i));
            if in_set || charged.contains(f) || covered.contains(f) {
                continue;
            }
            if let Some(v) = fs.nodes.get(f) {
                let key = match v.node {
                    Node::File { inode, .. } => (v.layer, inode, String::new()),
                    _ => (v.layer, 0, f.clone()),
                };
                if seen.insert(key) {
                    bytes += v.node.bytes();
                }
            }
            charged.insert(f.clone());
            loose.push(format!("/{f}"));
        }
        for f in c.files.iter().chain(&c.links) {
            covered.insert(f.clone());
        }
        if bytes == 0 {
            continue;
        }
        let interp = l.interpreter.clone().unwrap_or_else(|| "none".into());
        let cgo = match b.artifact.cgo.setting.as_deref() {
            Some(s) => format!(" (CGO_ENABLED={s})"),
            None if b.artifact.cgo.is_linked() => " (cgo linked)".into(),
            None => String::new(),
        };
        let mut ships: Vec<String> = graph.names(&set);
        ships.extend(loose.iter().filter(|p| !p.contains("/nix/store/")).cloned());
        let libc = needs_libc(l);
        // Libraries beyond libc's own family mean real C dependencies, which
        // CGO_ENABLED=0 alone cannot remove.
        let c_deps: Vec<&String> = l
            .needed
            .iter()
            .filter(|n| !LIBC_FAMILY.iter().any(|f| n.starts_with(f)))
            .collect();
        let name = if libc {
            let mut all = c.files.clone();
            all.extend(set.iter().map(|&i| graph.roots[i].clone()));
            if c_deps.is_empty() {
                format!("{} closure", libc_name(&all))
            } else {
                format!("{} and C library closure", libc_name(&all))
            }
        } else {
            "shared libraries".to_string()
        };
        if ships.len() > MAX_LISTED {
            let more = ships.len() - MAX_LISTED;
            ships.truncate(MAX_LISTED);
            ships.push(format!("and {more} more"));
        }
        let missing = if c.missing.is_empty() {
            String::new()
        } else {
            format!("; not found in the image: {}", c.missing.join(", "))
        };
        // A CGO_ENABLED=0 PIE needs only the loader, to relocate itself.
        let pie_only = l.needed.is_empty() && b.artifact.cgo.linked == Some(false);
        let how = if pie_only {
            " as a position-independent executable (-buildmode=pie) the loader must relocate"
                .to_string()
        } else {
            cgo
        };
        let why = format!(
            "needed because /{} is dynamically linked{how}: interpreter {interp}, needs {}; ships {}{missing}",
            b.path,
            if l.needed.is_empty() {
                "no libraries".into()
            } else {
                l.needed.join(", ")
            },
            ships.join(", ")
        );
        covered_nodes.extend(set.iter().copied());
        if libc {
            actionable.push((Code::CgoLibcClosure, causes.len()));
            push_cause(
                &mut causes,
                Code::CgoLibcClosure.id(),
                name,
                bytes,
                why,
                Some(if pie_only {
                    "build without -buildmode=pie for a static binary"
                } else if c_deps.is_empty() {
                    "build with CGO_ENABLED=0 (or -tags netgo,osusergo) for a static binary"
                } else {
                    "it links C libraries beyond libc: drop those cgo dependencies to build with CGO_ENABLED=0"
                }),
            );
        } else {
            push_cause(&mut causes, "shared-libraries", name, bytes, why, None);
        }
    }

    // Store paths the config drags in that the contents do not need.
    let mut extra: BTreeSet<usize> = BTreeSet::new();
    if !graph.contents_roots.is_empty() && !graph.config_roots.is_empty() {
        let from_contents = graph.reach(graph.contents_roots.iter().copied(), None);
        extra = graph
            .reach(graph.config_roots.keys().copied(), None)
            .difference(&from_contents)
            .copied()
            .collect();
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
            actionable.push((Code::ConfigReferencesExtraClosure, causes.len()));
            push_cause(
                &mut causes,
                Code::ConfigReferencesExtraClosure.id(),
                format!(
                    "closure of the image config's {}",
                    fields.into_iter().collect::<Vec<_>>().join("/")
                ),
                graph.bytes(&extra),
                format!(
                    "the config names {}, which nothing in the image contents references; the image ships its closure: {}",
                    named.join(", "),
                    graph.names(&extra).join(", ")
                ),
                Some("point the config's Cmd/Entrypoint at the package the image already contains"),
            );
            covered_nodes.extend(extra.iter().copied());
        }
    }

    // Two builds of one program.
    let mut groups: BTreeMap<String, Vec<&Bin>> = BTreeMap::new();
    for b in &bins {
        groups.entry(main_module_key(b)).or_default().push(b);
    }
    for (key, g) in &groups {
        if g.len() < 2 {
            continue;
        }
        let in_extra = |b: &Bin| {
            store_root(&b.path)
                .and_then(|r| graph.index.get(r))
                .is_some_and(|i| extra.contains(i))
        };
        let mut dups: Vec<&&Bin> = g.iter().filter(|b| in_extra(b)).collect();
        if dups.is_empty() || dups.len() == g.len() {
            // Keep the largest copy, charge the others.
            let mut sorted: Vec<&&Bin> = g.iter().collect();
            sorted.sort_by(|a, b| {
                b.artifact
                    .size
                    .cmp(&a.artifact.size)
                    .then(a.path.cmp(&b.path))
            });
            dups = sorted[1..].to_vec();
        }
        let bytes: u64 = dups.iter().map(|b| b.artifact.size).sum();
        let all: Vec<String> = g
            .iter()
            .map(|b| format!("/{} ({})", b.path, human_bytes(b.artifact.size)))
            .collect();
        let why_extra = if dups.iter().any(|b| in_extra(b)) {
            "; the extra copy is reached only through the image config"
        } else {
            ""
        };
        actionable.push((Code::DuplicateGoMainModule, causes.len()));
        push_cause(
            &mut causes,
            Code::DuplicateGoMainModule.id(),
            format!("duplicate build of {key}"),
            bytes,
            format!(
                "{} Go binaries share the main module: {}{why_extra}",
                g.len(),
                all.join(", ")
            ),
            Some("ship one build of the program"),
        );
    }

    // Store paths not explained above, with what references each.
    for (i, root) in graph.roots.iter().enumerate() {
        if bins
            .iter()
            .any(|b| store_root(&b.path) == Some(root.as_str()))
        {
            covered_nodes.insert(i);
        }
        if covered_nodes.contains(&i) || graph.size[i] == 0 {
            continue;
        }
        let refs: Vec<String> = graph.referenced_by[i].iter().cloned().collect();
        let why = if refs.is_empty() {
            "nothing in the image references it".to_string()
        } else {
            format!("referenced by {}", refs.join(", "))
        };
        push_cause(
            &mut causes,
            "nix-store-path",
            format!("/{root}"),
            graph.size[i],
            why,
            None,
        );
        covered_nodes.insert(i);
    }
    for p in fs.nodes.keys() {
        if store_root(p)
            .and_then(|r| graph.index.get(r))
            .is_some_and(|i| covered_nodes.contains(i))
        {
            covered.insert(p.clone());
        }
    }

    // Everything else.
    // Per kind: total bytes and (bytes, path) of each file.
    type Payload = (u64, Vec<(u64, String)>);
    let mut payload: BTreeMap<&'static str, Payload> = BTreeMap::new();
    let mut seen = HashSet::new();
    for (p, v) in &fs.nodes {
        if covered.contains(p) {
            continue;
        }
        let n = match v.node {
            Node::File { size, inode } if seen.insert((v.layer, inode)) => size,
            Node::File { .. } => 0,
            ref other => other.bytes(),
        };
        if n == 0 {
            continue;
        }
        let e = payload.entry(payload_kind(p)).or_default();
        e.0 += n;
        e.1.push((n, format!("/{p}")));
    }
    for (kind, (bytes, mut files)) in payload {
        files.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let ex: Vec<String> = files
            .iter()
            .take(3)
            .map(|(n, p)| format!("{p} {}", human_bytes(*n)))
            .collect();
        let what = match kind {
            "certificates" => "CA certificates",
            "tzdata" => "time zone data",
            _ => "other files",
        };
        push_cause(
            &mut causes,
            kind,
            what.to_string(),
            bytes,
            format!(
                "{} file{} in the application layers, largest {}",
                files.len(),
                if files.len() == 1 { "" } else { "s" },
                ex.join(", ")
            ),
            None,
        );
    }

    // Hidden copies.
    let mut wasted_files: Vec<FileSize> = Vec::new();
    for (i, l) in ls.iter().enumerate() {
        for (p, n) in &l.nodes {
            let b = n.bytes();
            if b == 0 {
                continue;
            }
            if fs.nodes.get(p).is_some_and(|v| v.layer == i) {
                continue;
            }
            wasted_files.push(FileSize {
                path: format!("/{p}"),
                bytes: b,
                layer: i,
            });
        }
    }
    wasted_files.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.path.cmp(&b.path)));
    wasted_files.truncate(TOP_FILES);
    if wasted_bytes > 0 {
        let ex = wasted_files
            .first()
            .map(|f| {
                format!(
                    ", largest {} {} in layer {}",
                    f.path,
                    human_bytes(f.bytes),
                    f.layer + 1
                )
            })
            .unwrap_or_default();
        push_cause(
            &mut causes,
            "wasted",
            "overwritten or deleted files".into(),
            wasted_bytes,
            format!("lower-layer content hidden by a later layer's copy or whiteout{ex}"),
            Some("delete or replace files in the layer that creates them"),
        );
    }

    // Order: biggest first, keeping track of the actionable ones.
    let mut order: Vec<usize> = (0..causes.len()).collect();
    order.sort_by(|&a, &b| causes[b].bytes.cmp(&causes[a].bytes).then(a.cmp(&b)));
    let mut findings = Vec::new();
    actionable.sort_by(|a, b| {
        causes[b.1]
            .bytes
            .cmp(&causes[a.1].bytes)
            .then(a.1.cmp(&b.1))
    });
    // A binary that cannot start matters more than any byte count.
    let mut why = broken.clone();
    notes.extend(broken);
    for (code, i) in &actionable {
        let c = &causes[*i];
        let fix = c
            .fix
            .as_deref()
            .map(|f| format!("; {f}"))
            .unwrap_or_default();
        why.push(format!(
            "{} {}: {}{fix}",
            c.what,
            human_bytes(c.bytes),
            c.why
        ));
        let mut f = Finding::new(*code, format!("{}: {}", c.what, c.why));
        f.saving = Some(c.bytes);
        findings.push(f);
    }
    let causes: Vec<Cause> = order.into_iter().map(|i| causes[i].clone()).collect();

    let mut largest: Vec<FileSize> = fs
        .nodes
        .iter()
        .filter(|(_, v)| v.node.bytes() > 0)
        .map(|(p, v)| FileSize {
            path: format!("/{p}"),
            bytes: v.node.bytes(),
            layer: v.layer,
        })
        .collect();
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
                store_paths: sp.into_iter().collect(),
            }
        })
        .collect();

    let mut libraries: Vec<Library> = Vec::new();
    let mut lib_paths: BTreeSet<String> = other_elves
        .iter()
        .filter(|p| p.contains(".so"))
        .cloned()
        .collect();
    lib_paths.extend(
        needed_by
            .keys()
            .filter(|k| matches!(fs.nodes.get(*k).map(|v| &v.node), Some(Node::File { .. })))
            .cloned(),
    );
    for p in lib_paths {
        libraries.push(Library {
            bytes: fs.bytes(&p),
            needed_by: needed_by
                .get(&p)
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default(),
            path: format!("/{p}"),
        });
    }

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
    Ok(ImageReport {
        kind: "image",
        path: label.to_string(),
        name: plan.name.clone(),
        format,
        outer_compression: if src.is_dir { "none" } else { src.outer.name() },
        content_size,
        visible_size,
        wasted_bytes,
        blob_size: ls.iter().map(|l| l.blob_size).sum(),
        layers,
        base,
        binaries: bins.into_iter().map(|b| b.artifact).collect(),
        libraries,
        store_paths,
        largest_files: largest,
        wasted_files,
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
