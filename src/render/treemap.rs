//! The tree a treemap draws (module → package → symbol for a binary; image → layer →
//! file → module for an image; module → package for a diff), the squarified layout,
//! and the static SVG. The HTML page lays the same tree out in the browser.
//!
//! Every node's children sum to the node exactly: what is too small to show is one
//! `other` child, so the areas still add up to the total.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::size::{Attribution, SizeReport};

/// One box of the treemap.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    /// Label.
    #[serde(rename = "n")]
    pub name: String,
    /// Bytes (the area); for a diff, the absolute change.
    #[serde(rename = "b")]
    pub bytes: u64,
    /// Colour class: `go`, `std`, `runtime`, `cgo`, `meta`, `unattributed`, `other`,
    /// `layer`, `file`; `grown`, `shrunk` for a diff.
    #[serde(rename = "k")]
    pub kind: &'static str,
    /// Signed change, for a diff.
    #[serde(rename = "d", skip_serializing_if = "Option::is_none")]
    pub delta: Option<i64>,
    /// Children, largest first; they sum to `bytes`.
    #[serde(rename = "c", skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Node>,
}

impl Node {
    fn leaf(name: impl Into<String>, bytes: u64, kind: &'static str) -> Node {
        Node {
            name: name.into(),
            bytes,
            kind,
            delta: None,
            children: Vec::new(),
        }
    }
}

/// The colour class of a package of a module.
pub fn kind_of(module: &str, package: &str) -> &'static str {
    if package.starts_with("go:pclntab")
        || package == "go:func"
        || package == "[dwarf]"
        || package == "[symtab]"
        || module == "[dwarf]"
        || module == "[symtab]"
    {
        return "meta";
    }
    if module == "C (cgo)" || package == "C" || package.starts_with("C: ") {
        return "cgo";
    }
    match module {
        crate::size::RUNTIME_MODULE => "runtime",
        "std" | "cmd" => "std",
        "[unattributed]" => "unattributed",
        m if m.starts_with('[') => "other",
        _ => "go",
    }
}

/// Sort largest first and fold the tail beyond `keep` (and anything below `min`) into
/// one `other` node, so the children still sum to their parent.
fn fold(mut v: Vec<Node>, keep: usize, min: u64, kind: &'static str) -> Vec<Node> {
    v.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.name.cmp(&b.name)));
    let cut = v.iter().take(keep).take_while(|n| n.bytes >= min).count();
    if v.len() - cut <= 1 {
        return v;
    }
    let rest = v.split_off(cut);
    let bytes = rest.iter().fold(0u64, |a, n| a.saturating_add(n.bytes));
    if bytes > 0 {
        v.push(Node::leaf(format!("{} more", rest.len()), bytes, kind));
    }
    v
}

/// Binary: module → package → symbol (the `symbols` largest per package, plus one row
/// for the rest, when the item-level attribution is at hand).
pub fn binary_tree(
    name: &str,
    report: &SizeReport,
    attribution: Option<&Attribution>,
    symbols: usize,
) -> Node {
    // Symbols smaller than this are summed: they would be invisible anyway, and a page
    // for a 90 MiB binary stays small.
    let min = report.total / 200_000;
    let mut items: BTreeMap<&str, Vec<(String, u64)>> = BTreeMap::new();
    let by_item = attribution.map(|a| a.by_item()).unwrap_or_default();
    for (item, pkg, bytes) in &by_item {
        items
            .entry(pkg.as_str())
            .or_default()
            .push((item.clone(), *bytes));
    }
    let mut modules: BTreeMap<&str, Vec<Node>> = BTreeMap::new();
    for p in &report.by_package {
        let kind = kind_of(&p.module, &p.name);
        let children = items
            .remove(p.name.as_str())
            .filter(|v| v.len() > 1)
            .map(|v| {
                fold(
                    v.into_iter().map(|(n, b)| Node::leaf(n, b, kind)).collect(),
                    symbols,
                    min,
                    kind,
                )
            })
            .unwrap_or_default();
        modules.entry(p.module.as_str()).or_default().push(Node {
            name: p.name.clone(),
            bytes: p.bytes,
            kind,
            delta: None,
            children,
        });
    }
    let mods: Vec<Node> = modules
        .into_iter()
        .map(|(m, pkgs)| {
            let bytes = pkgs.iter().map(|p| p.bytes).sum();
            let kind = if pkgs.iter().all(|p| p.kind == pkgs[0].kind) {
                pkgs[0].kind
            } else {
                kind_of(m, "")
            };
            let children = fold(pkgs, 200, min, kind);
            Node {
                name: m.to_string(),
                bytes,
                kind,
                delta: None,
                children: if children.len() == 1 && children[0].name == m {
                    children.into_iter().next().unwrap().children
                } else {
                    children
                },
            }
        })
        .collect();
    Node {
        name: name.to_string(),
        bytes: report.total,
        kind: "other",
        delta: None,
        children: fold(mods, 200, 0, "other"),
    }
}

/// Image: layer → file → module (Go binaries) with the largest files per layer and one
/// row for the rest of each layer.
pub fn image_tree(r: &crate::image::ImageReport) -> Node {
    let mut layers = Vec::new();
    for (i, l) in r.layers.iter().enumerate() {
        let mut files: Vec<Node> = Vec::new();
        let mut listed = 0u64;
        for f in r.largest_files.iter().filter(|f| f.layer == i) {
            listed += f.bytes;
            let bin = r
                .binaries
                .iter()
                .find(|b| crate::diff::side::path_in_image(&b.path) == f.path);
            let children = bin
                .and_then(|b| b.size_attribution.as_ref())
                .filter(|s| s.total == f.bytes)
                .map(|s| binary_tree(&f.path, s, None, 0).children)
                .unwrap_or_default();
            files.push(Node {
                name: f.path.clone(),
                bytes: f.bytes,
                kind: if children.is_empty() { "file" } else { "go" },
                delta: None,
                children,
            });
        }
        // Deleted or overwritten files count in the layer but not in the content size.
        let rest = l.content_size.saturating_sub(listed);
        if rest > 0 {
            files.push(Node::leaf("other files", rest, "other"));
        }
        let name = match &l.history {
            Some(h) => format!("#{i} {h}"),
            None => format!("#{i} {}", l.digest),
        };
        layers.push(Node {
            name,
            bytes: l.content_size.max(listed),
            kind: "layer",
            delta: None,
            children: fold(files, 100, 0, "other"),
        });
    }
    let total = layers.iter().map(|l| l.bytes).sum();
    Node {
        name: r.name.clone().unwrap_or_else(|| r.path.clone()),
        bytes: total,
        kind: "other",
        delta: None,
        children: layers,
    }
}

/// A diff: module → package, areas by absolute change, coloured grown or shrunk.
pub fn diff_tree(d: &crate::diff::BinaryDiff) -> Node {
    let kind = |delta: i64| if delta >= 0 { "grown" } else { "shrunk" };
    let mut modules: BTreeMap<&str, Vec<Node>> = BTreeMap::new();
    for p in &d.by_package {
        modules
            .entry(p.detail.as_deref().unwrap_or(""))
            .or_default()
            .push(Node {
                name: p.name.clone(),
                bytes: p.delta.unsigned_abs(),
                kind: kind(p.delta),
                delta: Some(p.delta),
                children: Vec::new(),
            });
    }
    let mods: Vec<Node> = d
        .by_module
        .iter()
        .map(|m| {
            let pkgs = modules.remove(m.name.as_str()).unwrap_or_default();
            // Packages of a module can grow and shrink at once: the module's box holds
            // the absolute changes of its packages.
            let bytes: u64 = pkgs
                .iter()
                .fold(0u64, |a, p| a.saturating_add(p.bytes))
                .max(m.delta.unsigned_abs());
            Node {
                name: m.name.clone(),
                bytes,
                kind: kind(m.delta),
                delta: Some(m.delta),
                children: pkgs,
            }
        })
        .collect();
    let bytes = mods.iter().fold(0u64, |a, m| a.saturating_add(m.bytes));
    Node {
        name: d.new_path.clone(),
        bytes,
        kind: "other",
        delta: Some(d.total.delta),
        children: fold(mods, 200, 0, "other"),
    }
}

/// A laid-out rectangle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

/// Squarified treemap layout (Bruls, Huizing, van Wijk) of `sizes` (largest first) in
/// `r`: one rectangle per size, areas proportional, tiling `r` exactly.
pub fn squarify(sizes: &[u64], r: Rect) -> Vec<Rect> {
    let total: f64 = sizes.iter().map(|&s| s as f64).sum();
    let mut out = vec![
        Rect {
            x: r.x,
            y: r.y,
            w: 0.0,
            h: 0.0
        };
        sizes.len()
    ];
    if total <= 0.0 || r.w <= 0.0 || r.h <= 0.0 {
        return out;
    }
    let scale = r.w * r.h / total;
    let areas: Vec<f64> = sizes.iter().map(|&s| s as f64 * scale).collect();
    let mut free = r;
    let mut i = 0;
    while i < areas.len() {
        let side = free.w.min(free.h);
        let worst = |row: &[f64]| {
            let s: f64 = row.iter().sum();
            let (mx, mn) = row
                .iter()
                .fold((0f64, f64::MAX), |(a, b), &x| (a.max(x), b.min(x)));
            if s <= 0.0 || mn <= 0.0 {
                return f64::MAX;
            }
            (side * side * mx / (s * s)).max(s * s / (side * side * mn))
        };
        let mut j = i + 1;
        while j < areas.len() && worst(&areas[i..=j]) <= worst(&areas[i..j]) {
            j += 1;
        }
        let row = &areas[i..j];
        let s: f64 = row.iter().sum();
        let last = j == areas.len();
        if free.w >= free.h {
            // A column on the left.
            let w = if last { free.w } else { s / free.h };
            let mut y = free.y;
            for (k, &a) in row.iter().enumerate() {
                let h = if k + 1 == row.len() {
                    free.y + free.h - y
                } else {
                    a / w
                };
                out[i + k] = Rect { x: free.x, y, w, h };
                y += h;
            }
            free = Rect {
                x: free.x + w,
                w: free.w - w,
                ..free
            };
        } else {
            let h = if last { free.h } else { s / free.w };
            let mut x = free.x;
            for (k, &a) in row.iter().enumerate() {
                let w = if k + 1 == row.len() {
                    free.x + free.w - x
                } else {
                    a / h
                };
                out[i + k] = Rect { x, y: free.y, w, h };
                x += w;
            }
            free = Rect {
                y: free.y + h,
                h: free.h - h,
                ..free
            };
        }
        i = j;
    }
    out
}

/// Fill colours of the kinds (shared with the HTML page).
pub const COLOURS: [(&str, &str); 11] = [
    ("go", "#4e79a7"),
    ("std", "#59a14f"),
    ("runtime", "#9c755f"),
    ("cgo", "#e15759"),
    ("meta", "#b07aa1"),
    ("unattributed", "#bab0ac"),
    ("other", "#d7d2cc"),
    ("layer", "#76b7b2"),
    ("file", "#edc948"),
    ("grown", "#e15759"),
    ("shrunk", "#59a14f"),
];

fn colour(kind: &str) -> &'static str {
    COLOURS
        .iter()
        .find(|c| c.0 == kind)
        .map_or("#cccccc", |c| c.1)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A static SVG treemap: the root's children (class `item`, one rect each, areas
/// proportional to bytes, tiling the canvas) and inside each its own children (class
/// `sub`) below a label strip.
pub fn svg(root: &Node, width: f64, height: f64) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(
        s,
        "<title>{} ({})</title>",
        esc(&root.name),
        super::human_bytes(root.bytes)
    );
    let sizes: Vec<u64> = root.children.iter().map(|c| c.bytes).collect();
    let rects = squarify(
        &sizes,
        Rect {
            x: 0.0,
            y: 0.0,
            w: width,
            h: height,
        },
    );
    for (c, r) in root.children.iter().zip(&rects) {
        let label = format!("{} {}", c.name, super::human_bytes(c.bytes));
        let _ = writeln!(
            s,
            r##"<rect class="item" x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="{}" stroke="#ffffff" stroke-width="1" data-name="{}" data-bytes="{}"><title>{}</title></rect>"##,
            r.x,
            r.y,
            r.w,
            r.h,
            colour(c.kind),
            esc(&c.name),
            c.bytes,
            esc(&label)
        );
        let strip = 14.0;
        if r.h > strip * 2.0 && r.w > 20.0 && !c.children.is_empty() {
            let inner = Rect {
                x: r.x + 2.0,
                y: r.y + strip,
                w: r.w - 4.0,
                h: r.h - strip - 2.0,
            };
            let sizes: Vec<u64> = c.children.iter().map(|g| g.bytes).collect();
            for (g, gr) in c.children.iter().zip(squarify(&sizes, inner)) {
                let _ = writeln!(
                    s,
                    r##"<rect class="sub" x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="{}" fill-opacity="0.75" stroke="#ffffff" stroke-width="0.5" data-name="{}" data-bytes="{}"><title>{}</title></rect>"##,
                    gr.x,
                    gr.y,
                    gr.w,
                    gr.h,
                    colour(g.kind),
                    esc(&g.name),
                    g.bytes,
                    esc(&format!("{} {}", g.name, super::human_bytes(g.bytes)))
                );
            }
        }
        if r.w > 40.0 && r.h > 12.0 {
            let max_chars = ((r.w - 4.0) / 6.5) as usize;
            let text: String = label.chars().take(max_chars).collect();
            let _ = writeln!(
                s,
                r##"<text x="{:.2}" y="{:.2}" fill="#111111">{}</text>"##,
                r.x + 3.0,
                r.y + 11.0,
                esc(&text)
            );
        }
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squarify_tiles_exactly() {
        let sizes = [600u64, 300, 200, 100, 50, 25, 5];
        let r = Rect {
            x: 0.0,
            y: 0.0,
            w: 400.0,
            h: 300.0,
        };
        let v = squarify(&sizes, r);
        let total: f64 = v.iter().map(|r| r.w * r.h).sum();
        assert!((total - 120_000.0).abs() < 1e-6, "{total}");
        let sum: u64 = sizes.iter().sum();
        for (s, r) in sizes.iter().zip(&v) {
            let want = *s as f64 / sum as f64 * 120_000.0;
            assert!(
                (r.w * r.h - want).abs() < 1e-6 * want.max(1.0),
                "{s}: {r:?}"
            );
            assert!(r.x >= -1e-9 && r.y >= -1e-9 && r.x + r.w <= 400.0 + 1e-6);
        }
    }

    #[test]
    fn fold_keeps_the_sum() {
        let v: Vec<Node> = (1..=10)
            .map(|i| Node::leaf(i.to_string(), i, "go"))
            .collect();
        let f = fold(v, 3, 0, "other");
        assert_eq!(f.len(), 4);
        assert_eq!(f.iter().map(|n| n.bytes).sum::<u64>(), 55);
        assert_eq!(f[3].name, "7 more");
    }
}
