//! `goaudit diff`: what changed between two builds, from the size model both reports
//! already carry.
//!
//! Both sides are read through the JSON shape of the report (`goaudit size --json`): a
//! binary or image read directly is turned into that shape first, so diffing two files
//! and diffing two saved reports is one path. Every list of changes is a partition of the
//! total change: each side's list sums to its total, so the deltas over every name that
//! appears on either side sum to `new total - old total` exactly.

pub mod side;

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

pub use side::{BinarySide, ImageSide, Side};

/// How a row changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Only in NEW.
    Added,
    /// Only in OLD.
    Removed,
    /// Bigger in NEW.
    Grown,
    /// Smaller in NEW.
    Shrunk,
}

impl Status {
    /// The JSON/human word.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Added => "added",
            Status::Removed => "removed",
            Status::Grown => "grown",
            Status::Shrunk => "shrunk",
        }
    }
}

/// One changed row (module, package, section, kind, cause, layer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The row's name.
    pub name: String,
    /// Extra label (a package's module), when the table has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Added, removed, grown or shrunk.
    pub status: Status,
    /// Bytes in OLD (0 when added).
    pub old: u64,
    /// Bytes in NEW (0 when removed).
    pub new: u64,
    /// `new - old`.
    pub delta: i64,
}

/// `new - old` without overflow.
pub fn delta(old: u64, new: u64) -> i64 {
    let d = i128::from(new) - i128::from(old);
    i64::try_from(d).unwrap_or(if d > 0 { i64::MAX } else { i64::MIN })
}

/// A size before and after.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Total {
    /// OLD.
    pub old: u64,
    /// NEW.
    pub new: u64,
    /// `new - old`.
    pub delta: i64,
    /// Change in percent of OLD (null when OLD is 0).
    pub percent: Option<f64>,
}

impl Total {
    /// From the two sizes.
    pub fn new(old: u64, new: u64) -> Total {
        let d = delta(old, new);
        Total {
            old,
            new,
            delta: d,
            percent: (old > 0).then(|| d as f64 * 100.0 / old as f64),
        }
    }
}

/// The changed rows between two lists keyed by name (with an optional detail label),
/// sorted by absolute change, largest first, then by name. Unchanged rows are left out;
/// the deltas sum to the difference of the lists' sums.
pub fn changes<'a>(
    old: impl IntoIterator<Item = (&'a str, Option<&'a str>, u64)>,
    new: impl IntoIterator<Item = (&'a str, Option<&'a str>, u64)>,
) -> Vec<Change> {
    let mut all: BTreeMap<&str, (Option<&str>, u64, u64)> = BTreeMap::new();
    for (name, detail, bytes) in old {
        let e = all.entry(name).or_insert((detail, 0, 0));
        e.1 = e.1.saturating_add(bytes);
    }
    for (name, detail, bytes) in new {
        let e = all.entry(name).or_insert((detail, 0, 0));
        if detail.is_some() {
            e.0 = detail;
        }
        e.2 = e.2.saturating_add(bytes);
    }
    let mut v: Vec<Change> = all
        .into_iter()
        .filter(|(_, (_, o, n))| o != n)
        .map(|(name, (detail, old, new))| Change {
            name: name.to_string(),
            detail: detail.map(str::to_string),
            status: if old == 0 {
                Status::Added
            } else if new == 0 {
                Status::Removed
            } else if new > old {
                Status::Grown
            } else {
                Status::Shrunk
            },
            old,
            new,
            delta: delta(old, new),
        })
        .collect();
    sort_changes(&mut v);
    v
}

/// Largest absolute change first, then by name.
pub fn sort_changes(v: &mut [Change]) {
    v.sort_by(|a, b| {
        b.delta
            .unsigned_abs()
            .cmp(&a.delta.unsigned_abs())
            .then_with(|| a.name.cmp(&b.name))
    });
}

/// A verdict that changed (linking, cgo, netgo, strip, Go version, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerdictChange {
    /// Stable id: `linking`, `cgo-setting`, `cgo-linked`, `net-resolver`, `os-user`,
    /// `symtab`, `dwarf`, `trimpath`, `go-version`, `arch`, `format`, `packed`.
    pub id: &'static str,
    /// What it is, for people.
    pub what: &'static str,
    /// OLD value (`-` when unknown).
    pub old: String,
    /// NEW value.
    pub new: String,
}

/// A dependency whose version changed, appeared or went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleVersionChange {
    /// Module path.
    pub path: String,
    /// OLD version (null when added).
    pub old: Option<String>,
    /// NEW version (null when removed).
    pub new: Option<String>,
    /// The module's size change, when both sides carry size attribution.
    pub delta: Option<i64>,
}

/// A build setting (`build KEY=VALUE` line) that changed, with what it means when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingChange {
    /// Setting key (`CGO_ENABLED`, `-ldflags`, `-trimpath`, `-tags`, ...).
    pub key: String,
    /// OLD value (null when absent).
    pub old: Option<String>,
    /// NEW value (null when absent).
    pub new: Option<String>,
    /// The change in words: `CGO_ENABLED 0→1`, `-trimpath dropped`, `-ldflags=-s -w dropped`.
    pub summary: String,
    /// Not recorded in buildinfo but read off the verdicts: `-trimpath` builds do not
    /// record `-ldflags`, so `-s`/`-w` show only as the symbol table and DWARF coming
    /// or going.
    pub inferred: bool,
}

/// What changed between two binaries.
#[derive(Debug, Clone, Serialize)]
pub struct BinaryDiff {
    /// OLD's path (as given, or as the saved report recorded it).
    pub old_path: String,
    /// NEW's path.
    pub new_path: String,
    /// File size.
    pub total: Total,
    /// Both sides carry size attribution (else only `total`, verdicts and versions).
    pub attributed: bool,
    /// Per module; the deltas sum to `total.delta`.
    pub by_module: Vec<Change>,
    /// Per package (detail: its module); the deltas sum to `total.delta`.
    pub by_package: Vec<Change>,
    /// Per section; the deltas sum to `total.delta`.
    pub by_section: Vec<Change>,
    /// Per kind of bytes (code, data, DWARF, ...; see docs/size.md); the deltas sum to
    /// `total.delta`. Empty when a side was saved before kinds were reported.
    pub by_kind: Vec<Change>,
    /// Verdicts that changed.
    pub verdicts: Vec<VerdictChange>,
    /// Build settings that changed.
    pub settings: Vec<SettingChange>,
    /// Dependencies whose version changed, appeared or went.
    pub modules: Vec<ModuleVersionChange>,
}

/// A layer matched (or not) between the two images.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerChange {
    /// `same` (same digest), `changed` (same position and command, other content),
    /// `added`, `removed`.
    pub status: &'static str,
    /// Layer number in OLD, from 1 (the bottom layer), as every report numbers layers.
    pub old_number: Option<usize>,
    /// Layer number in NEW, from 1.
    pub new_number: Option<usize>,
    /// Digest in NEW (in OLD when removed).
    pub digest: String,
    /// The history command that created it, when recorded.
    pub command: Option<String>,
    /// Content bytes in OLD.
    pub old: u64,
    /// Content bytes in NEW.
    pub new: u64,
    /// `new - old`.
    pub delta: i64,
}

/// A Go binary inside the images.
#[derive(Debug, Clone, Serialize)]
pub struct ImageBinaryChange {
    /// Path inside the image.
    pub path: String,
    /// `changed`, `added`, `removed`.
    pub status: &'static str,
    /// Its diff, when it is in both images and changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<BinaryDiff>,
    /// Its size (NEW, or OLD when removed) when only on one side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// What changed between two images.
#[derive(Debug, Clone, Serialize)]
pub struct ImageDiff {
    /// OLD's path.
    pub old_path: String,
    /// NEW's path.
    pub new_path: String,
    /// Content size (the sum of the visible files, `docker image ls`).
    pub total: Total,
    /// Wasted bytes (overwritten or deleted in a later layer).
    pub wasted: Total,
    /// Per cause (the causes partition the content size); deltas sum to
    /// `total.delta`.
    pub by_cause: Vec<Change>,
    /// Layers matched by digest, then by position and command; every layer of either
    /// side appears once; unchanged layers (`same`) are listed too.
    pub layers: Vec<LayerChange>,
    /// Go binaries that changed, appeared or went.
    pub binaries: Vec<ImageBinaryChange>,
}

/// A diff of two binaries or two images.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Diff {
    /// Two binaries.
    Binary(BinaryDiff),
    /// Two images.
    Image(ImageDiff),
}

impl Diff {
    /// The total change.
    pub fn total(&self) -> Total {
        match self {
            Diff::Binary(b) => b.total,
            Diff::Image(i) => i.total,
        }
    }
}

/// Diff two sides of the same kind; `None` when one is a binary and the other an image.
pub fn diff(old: &Side, new: &Side) -> Option<Diff> {
    match (old, new) {
        (Side::Binary(o), Side::Binary(n)) => Some(Diff::Binary(diff_binaries(o, n))),
        (Side::Image(o), Side::Image(n)) => Some(Diff::Image(diff_images(o, n))),
        _ => None,
    }
}

fn named(v: &[(String, u64)]) -> impl Iterator<Item = (&str, Option<&str>, u64)> {
    v.iter().map(|(n, b)| (n.as_str(), None, *b))
}

/// What changed between two binaries.
pub fn diff_binaries(o: &BinarySide, n: &BinarySide) -> BinaryDiff {
    let attributed = o.size.is_some() && n.size.is_some();
    let (mut by_module, mut by_package, mut by_section, mut by_kind) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    if let (Some(os), Some(ns)) = (&o.size, &n.size) {
        by_module = changes(named(&os.by_module), named(&ns.by_module));
        by_package = changes(
            os.by_package
                .iter()
                .map(|p| (p.0.as_str(), Some(p.1.as_str()), p.2)),
            ns.by_package
                .iter()
                .map(|p| (p.0.as_str(), Some(p.1.as_str()), p.2)),
        );
        by_section = changes(named(&os.by_section), named(&ns.by_section));
        if !os.by_kind.is_empty() && !ns.by_kind.is_empty() {
            by_kind = changes(named(&os.by_kind), named(&ns.by_kind));
        }
    }
    let module_delta: HashMap<&str, i64> = by_module
        .iter()
        .map(|c| (c.name.as_str(), c.delta))
        .collect();
    let mut modules = Vec::new();
    let mut paths: BTreeMap<&str, (Option<&str>, Option<&str>)> = BTreeMap::new();
    for (p, v) in &o.deps {
        paths.entry(p).or_default().0 = Some(v);
    }
    for (p, v) in &n.deps {
        paths.entry(p).or_default().1 = Some(v);
    }
    for (path, (ov, nv)) in paths {
        if ov != nv {
            modules.push(ModuleVersionChange {
                path: path.to_string(),
                old: ov.map(str::to_string),
                new: nv.map(str::to_string),
                delta: attributed.then(|| module_delta.get(path).copied().unwrap_or(0)),
            });
        }
    }
    modules.sort_by(|a, b| {
        let k = |m: &ModuleVersionChange| m.delta.unwrap_or(0).unsigned_abs();
        k(b).cmp(&k(a)).then_with(|| a.path.cmp(&b.path))
    });
    BinaryDiff {
        old_path: o.path.clone(),
        new_path: n.path.clone(),
        total: Total::new(o.file_size, n.file_size),
        attributed,
        by_module,
        by_package,
        by_section,
        by_kind,
        verdicts: verdict_changes(o, n),
        settings: with_inferred_ldflags(setting_changes(&o.settings, &n.settings), o, n),
        modules,
    }
}

fn verdict_changes(o: &BinarySide, n: &BinarySide) -> Vec<VerdictChange> {
    let mut v = Vec::new();
    let setting =
        |k: &str, s: &BinarySide| s.settings.iter().find(|x| x.0 == k).map(|x| x.1.clone());
    for ((id, what, old), (_, _, new)) in o.verdicts().into_iter().zip(n.verdicts()) {
        // Said by the build settings already.
        let said = match id {
            "cgo-setting" => setting("CGO_ENABLED", o) != setting("CGO_ENABLED", n),
            "trimpath" => setting("-trimpath", o) != setting("-trimpath", n),
            _ => false,
        };
        if old != new && !said {
            v.push(VerdictChange { id, what, old, new });
        }
    }
    v
}

/// The build settings that changed, each summed up in words.
pub fn setting_changes(old: &[(String, String)], new: &[(String, String)]) -> Vec<SettingChange> {
    let get = |s: &[(String, String)], k: &str| {
        s.iter()
            .rev()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let mut keys: Vec<&str> = Vec::new();
    for (k, _) in old.iter().chain(new) {
        if !keys.contains(&k.as_str()) {
            keys.push(k);
        }
    }
    let mut out = Vec::new();
    for key in keys {
        let (ov, nv) = (get(old, key), get(new, key));
        if ov == nv {
            continue;
        }
        // cgo's flag variables come and go, empty, with CGO_ENABLED itself.
        if ov.as_deref().unwrap_or("").is_empty() && nv.as_deref().unwrap_or("").is_empty() {
            continue;
        }
        let summary = setting_summary(key, ov.as_deref(), nv.as_deref());
        out.push(SettingChange {
            key: key.to_string(),
            old: ov,
            new: nv,
            summary,
            inferred: false,
        });
    }
    out
}

/// `-s`/`-w` read off the symbol table and DWARF verdicts when buildinfo does not show
/// the `-ldflags` change (a `-trimpath` build records no `-ldflags`; `strip` records
/// nothing).
fn with_inferred_ldflags(
    mut v: Vec<SettingChange>,
    o: &BinarySide,
    n: &BinarySide,
) -> Vec<SettingChange> {
    if v.iter().any(|s| s.key == "-ldflags") {
        return v;
    }
    let get = |s: &BinarySide, id: &str| {
        s.verdicts
            .iter()
            .find(|x| x.0 == id)
            .map(|x| x.2.clone())
            .unwrap_or_default()
    };
    let changed = |id: &str| {
        let (a, b) = (get(o, id), get(n, id));
        match (a.as_str(), b.as_str()) {
            ("yes", "no") => Some(true),
            ("no", "yes") => Some(false),
            _ => None,
        }
    };
    let (s, w) = (changed("symtab"), changed("dwarf"));
    let flags = match (s, w) {
        (Some(a), Some(b)) if a == b => Some(("-s -w", a)),
        (Some(a), None) => Some(("-s", a)),
        (None, Some(b)) => Some(("-w", b)),
        _ => None,
    };
    if let Some((f, added)) = flags {
        v.push(SettingChange {
            key: "-ldflags".into(),
            old: None,
            new: None,
            summary: if added {
                format!("-ldflags={f} added (or stripped)")
            } else {
                format!("-ldflags={f} dropped (or no longer stripped)")
            },
            inferred: true,
        });
    }
    v
}

/// `CGO_ENABLED 0→1`, `-trimpath dropped`, `-ldflags=-s -w dropped`, `-tags netgo added`.
fn setting_summary(key: &str, old: Option<&str>, new: Option<&str>) -> String {
    // Boolean flags are recorded only when set.
    let flag = |v: Option<&str>| v == Some("true");
    match key {
        "-trimpath" | "-race" | "-msan" | "-asan" => {
            return match (flag(old), flag(new)) {
                (true, false) => format!("{key} dropped"),
                (false, true) => format!("{key} added"),
                _ => format!("{key} {}→{}", old.unwrap_or("-"), new.unwrap_or("-")),
            };
        }
        "-ldflags" | "-gcflags" | "-tags" | "-asmflags" => {
            let words = |v: Option<&str>| -> Vec<String> {
                let v = v.unwrap_or("");
                if key == "-tags" {
                    v.split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect()
                } else {
                    v.split_whitespace().map(str::to_string).collect()
                }
            };
            let (ow, nw) = (words(old), words(new));
            let gone: Vec<&str> = ow
                .iter()
                .filter(|w| !nw.contains(w))
                .map(String::as_str)
                .collect();
            let came: Vec<&str> = nw
                .iter()
                .filter(|w| !ow.contains(w))
                .map(String::as_str)
                .collect();
            let sep = if key == "-tags" { "," } else { " " };
            let mut parts = Vec::new();
            if !gone.is_empty() {
                parts.push(format!("{key}={} dropped", gone.join(sep)));
            }
            if !came.is_empty() {
                parts.push(format!("{key}={} added", came.join(sep)));
            }
            if parts.is_empty() {
                // Same words, other order.
                parts.push(format!("{key} reordered"));
            }
            return parts.join(", ");
        }
        _ => {}
    }
    match (old, new) {
        (Some(o), Some(n)) => format!("{key} {o}→{n}"),
        (None, Some(n)) => format!("{key}={n} added"),
        (Some(o), None) => format!("{key}={o} dropped"),
        (None, None) => key.to_string(),
    }
}

/// What changed between two images.
pub fn diff_images(o: &ImageSide, n: &ImageSide) -> ImageDiff {
    let counted = |s: &'_ ImageSide| -> Vec<(String, u64)> {
        let mut m: BTreeMap<String, u64> = BTreeMap::new();
        for c in &s.causes {
            *m.entry(c.0.clone()).or_default() += c.1;
        }
        m.into_iter().collect()
    };
    let (oc, nc) = (counted(o), counted(n));
    let by_cause = changes(named(&oc), named(&nc));
    ImageDiff {
        old_path: o.path.clone(),
        new_path: n.path.clone(),
        total: Total::new(o.content_size, n.content_size),
        wasted: Total::new(o.wasted_bytes, n.wasted_bytes),
        by_cause,
        layers: match_layers(&o.layers, &n.layers),
        binaries: binary_changes(&o.binaries, &n.binaries),
    }
}

/// Match layers by digest first, then the remaining ones by position and command.
fn match_layers(o: &[side::Layer], n: &[side::Layer]) -> Vec<LayerChange> {
    let mut old_used = vec![false; o.len()];
    let mut new_match: Vec<Option<usize>> = vec![None; n.len()];
    for (j, l) in n.iter().enumerate() {
        if let Some(i) = (0..o.len()).find(|&i| !old_used[i] && o[i].digest == l.digest) {
            old_used[i] = true;
            new_match[j] = Some(i);
        }
    }
    for (j, l) in n.iter().enumerate() {
        if new_match[j].is_some() {
            continue;
        }
        if o.get(j)
            .is_some_and(|ol| !old_used[j] && ol.command == l.command)
        {
            old_used[j] = true;
            new_match[j] = Some(j);
        }
    }
    let mut out = Vec::new();
    for (j, l) in n.iter().enumerate() {
        match new_match[j] {
            Some(i) => {
                let ol = &o[i];
                out.push(LayerChange {
                    status: if ol.digest == l.digest {
                        "same"
                    } else {
                        "changed"
                    },
                    old_number: Some(i + 1),
                    new_number: Some(j + 1),
                    digest: l.digest.clone(),
                    command: l.command.clone(),
                    old: ol.content_size,
                    new: l.content_size,
                    delta: delta(ol.content_size, l.content_size),
                });
            }
            None => out.push(LayerChange {
                status: "added",
                old_number: None,
                new_number: Some(j + 1),
                digest: l.digest.clone(),
                command: l.command.clone(),
                old: 0,
                new: l.content_size,
                delta: delta(0, l.content_size),
            }),
        }
    }
    for (i, l) in o.iter().enumerate().filter(|(i, _)| !old_used[*i]) {
        out.push(LayerChange {
            status: "removed",
            old_number: Some(i + 1),
            new_number: None,
            digest: l.digest.clone(),
            command: l.command.clone(),
            old: l.content_size,
            new: 0,
            delta: delta(l.content_size, 0),
        });
    }
    out
}

fn binary_changes(o: &[BinarySide], n: &[BinarySide]) -> Vec<ImageBinaryChange> {
    let key = |b: &BinarySide| side::path_in_image(&b.path).to_string();
    let mut out = Vec::new();
    for nb in n {
        match o.iter().find(|ob| key(ob) == key(nb)) {
            Some(ob) => {
                let d = diff_binaries(ob, nb);
                if d.total.delta != 0
                    || !d.verdicts.is_empty()
                    || !d.modules.is_empty()
                    || !d.settings.is_empty()
                {
                    out.push(ImageBinaryChange {
                        path: key(nb),
                        status: "changed",
                        diff: Some(d),
                        size: None,
                    });
                }
            }
            None => out.push(ImageBinaryChange {
                path: key(nb),
                status: "added",
                diff: None,
                size: Some(nb.file_size),
            }),
        }
    }
    for ob in o {
        if !n.iter().any(|nb| key(nb) == key(ob)) {
            out.push(ImageBinaryChange {
                path: key(ob),
                status: "removed",
                diff: None,
                size: Some(ob.file_size),
            });
        }
    }
    out
}

/// A `--fail-on-growth` limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GrowthLimit {
    /// Bytes.
    Bytes(u64),
    /// Percent of OLD.
    Percent(f64),
}

impl std::str::FromStr for GrowthLimit {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if let Some(p) = t.strip_suffix('%') {
            let v: f64 = p
                .trim()
                .parse()
                .map_err(|_| format!("`{s}`: not a percentage"))?;
            if !(v >= 0.0 && v.is_finite()) {
                return Err(format!("`{s}`: must be a non-negative percentage"));
            }
            return Ok(GrowthLimit::Percent(v));
        }
        t.parse::<bytesize::ByteSize>()
            .map(|b| GrowthLimit::Bytes(b.as_u64()))
            .map_err(|_| format!("`{s}`: not a size (4MiB, 500KB, 1000) or a percentage (5%)"))
    }
}

impl GrowthLimit {
    /// Whether the change exceeds the limit (shrinking never does).
    pub fn exceeded(&self, t: &Total) -> bool {
        if t.delta <= 0 {
            return false;
        }
        match *self {
            GrowthLimit::Bytes(b) => t.delta.unsigned_abs() > b,
            GrowthLimit::Percent(p) => t.percent.is_none_or(|x| x > p),
        }
    }

    /// The limit in words.
    pub fn describe(&self) -> String {
        match *self {
            GrowthLimit::Bytes(b) => crate::render::human_bytes(b),
            GrowthLimit::Percent(p) => format!("{p}%"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_partition_the_difference() {
        let old = [("a", None, 100u64), ("b", None, 50), ("c", None, 7)];
        let new = [("a", None, 120u64), ("c", None, 7), ("d", None, 1000)];
        let v = changes(old, new);
        assert_eq!(v.iter().map(|c| c.delta).sum::<i64>(), 1127 - 157);
        assert_eq!(v[0].name, "d");
        assert_eq!(v[0].status, Status::Added);
        assert_eq!(v[1].name, "b");
        assert_eq!(v[1].status, Status::Removed);
        assert_eq!(v[2].status, Status::Grown);
        assert_eq!(v.len(), 3);
    }

    #[test]
    fn settings_in_words() {
        let s = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        let old = s(&[
            ("-ldflags", "-s -w"),
            ("-trimpath", "true"),
            ("CGO_ENABLED", "0"),
        ]);
        let new = s(&[("CGO_ENABLED", "1"), ("-tags", "netgo")]);
        let v: Vec<String> = setting_changes(&old, &new)
            .into_iter()
            .map(|c| c.summary)
            .collect();
        assert_eq!(
            v,
            [
                "-ldflags=-s -w dropped",
                "-trimpath dropped",
                "CGO_ENABLED 0→1",
                "-tags=netgo added"
            ]
        );
    }

    #[test]
    fn module_versions_from_reports() {
        let art = |version: &str, bytes: u64| {
            serde_json::json!({
                "kind": "binary", "path": "app", "size": 1000 + bytes,
                "buildinfo": {"deps": [
                    {"path": "golang.org/x/net", "version": version},
                    {"path": "golang.org/x/sys", "version": "v0.30.0"}
                ], "settings": [["CGO_ENABLED", "0"]]},
                "size_attribution": {"total": 1000 + bytes,
                    "by_module": [{"name": "std", "bytes": 1000}, {"name": "golang.org/x/net", "bytes": bytes}],
                    "by_package": [{"name": "net", "module": "std", "bytes": 1000},
                                   {"name": "golang.org/x/net/http2", "module": "golang.org/x/net", "bytes": bytes}],
                    "by_section": [{"name": ".text", "bytes": 1000 + bytes}]}
            })
        };
        let o = BinarySide::from_json(&art("v0.20.0", 100)).unwrap();
        let n = BinarySide::from_json(&art("v0.23.0", 412)).unwrap();
        let d = diff_binaries(&o, &n);
        assert_eq!(
            d.modules,
            [ModuleVersionChange {
                path: "golang.org/x/net".into(),
                old: Some("v0.20.0".into()),
                new: Some("v0.23.0".into()),
                delta: Some(312),
            }]
        );
        assert!(d.settings.is_empty() && d.verdicts.is_empty());
        assert!(
            d.by_kind.is_empty(),
            "reports without by_kind give no kinds"
        );
        // A report saved before the runtime's row moved under `std` reads as a new one.
        let mut old = art("v0.20.0", 100);
        old["size_attribution"]["by_module"][0]["name"] = "runtime".into();
        old["size_attribution"]["by_package"][0]["module"] = "runtime".into();
        let s = BinarySide::from_json(&old).unwrap().size.unwrap();
        assert_eq!(s.by_module[0].0, "std/runtime");
        assert_eq!(s.by_package[0].1, "std/runtime");
        // Lists that do not add up are a damaged report, even when they overflow.
        let mut bad = art("v0.20.0", 100);
        bad["size_attribution"]["by_module"][0]["bytes"] = u64::MAX.into();
        assert!(BinarySide::from_json(&bad).unwrap_err().contains("damaged"));
    }

    #[test]
    fn growth_limits() {
        let t = Total::new(1000, 1100);
        assert!("50".parse::<GrowthLimit>().unwrap().exceeded(&t));
        assert!(!"100".parse::<GrowthLimit>().unwrap().exceeded(&t));
        assert!("5%".parse::<GrowthLimit>().unwrap().exceeded(&t));
        assert!(!"10%".parse::<GrowthLimit>().unwrap().exceeded(&t));
        assert!(
            !"0".parse::<GrowthLimit>()
                .unwrap()
                .exceeded(&Total::new(10, 5))
        );
        assert!("x%".parse::<GrowthLimit>().is_err());
    }
}
