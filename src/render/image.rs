//! Human output for images: one report per image and, for several images, a comparison
//! table (one row per image). JSON goes through serde on [`ImageReport`].

use std::io::{self, Write};

use tabled::settings::Style as TableStyle;
use tabled::{Table, Tabled};

use super::{Style, human_bytes};
use crate::image::ImageReport;

/// `12.5MB`, the way `docker image ls` prints sizes (base 1000, three significant digits).
pub fn docker_size(n: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < units.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        return format!("{n}B");
    }
    let s = if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    format!("{s}{}", units[u])
}

/// Shorten `/nix/store/<32-char hash>-name` to `/nix/store/<first 7>…-name` for
/// reading; JSON keeps the full paths.
pub fn short_store_paths(s: &str) -> String {
    const P: &str = "/nix/store/";
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(P) {
        let after = &rest[i + P.len()..];
        let b = after.as_bytes();
        let is_hash = b.len() > 32
            && b[32] == b'-'
            && b[..32]
                .iter()
                .all(|c| b"0123456789abcdfghijklmnpqrsvwxyz".contains(c));
        out.push_str(&rest[..i + P.len()]);
        if is_hash {
            out.push_str(&after[..7]);
            out.push('…');
            rest = &after[32..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// One image's report.
pub fn write_image(w: &mut dyn Write, r: &ImageReport, st: &Style) -> io::Result<()> {
    let name = r
        .name
        .as_deref()
        .map(|n| format!(" {n}"))
        .unwrap_or_default();
    writeln!(w, "{}{name}", st.bold(&r.path))?;
    let outer = if r.outer_compression == "none" {
        String::new()
    } else {
        format!(" ({} compressed)", r.outer_compression)
    };
    let platform = r
        .platform
        .as_deref()
        .map(|p| format!(", {p}"))
        .unwrap_or_default();
    let n = r.layers.len();
    writeln!(
        w,
        "  image: {}{outer}{platform}, {n} layer{}",
        r.format,
        if n == 1 { "" } else { "s" }
    )?;
    let wasted = if r.wasted_bytes == 0 {
        "nothing wasted".to_string()
    } else {
        let mut by = r.wasted_by_layer.clone();
        by.sort_by_key(|w| std::cmp::Reverse(w.bytes));
        let layers: Vec<String> = by
            .iter()
            .take(3)
            .map(|x| format!("layer {}", x.layer))
            .collect();
        format!(
            "{} wasted (hidden by {}; efficiency {:.1}%)",
            human_bytes(r.wasted_bytes),
            layers.join(", "),
            r.efficiency * 100.0
        )
    };
    writeln!(
        w,
        "  size: {} content ({}, as docker image ls), {} visible, {wasted}, {} in blobs",
        human_bytes(r.content_size),
        docker_size(r.content_size),
        human_bytes(r.visible_size),
        human_bytes(r.blob_size)
    )?;
    if !r.why.is_empty() {
        writeln!(w, "  why:")?;
        for line in &r.why {
            writeln!(w, "    {} {}", st.warn("-"), short_store_paths(line))?;
        }
    }
    writeln!(w, "  causes (add up to the content size):")?;
    for c in &r.causes {
        writeln!(
            w,
            "    {:>10}  {:<32} {}",
            human_bytes(c.bytes),
            c.id,
            short_store_paths(&c.what)
        )?;
        for p in &c.parts {
            writeln!(
                w,
                "    {:>10}  {:<32} {} {}",
                "",
                "",
                st.dim("of which"),
                format_args!("{} {}", p.what, human_bytes(p.bytes))
            )?;
        }
        writeln!(w, "    {:>10}  {}", "", st.dim(&short_store_paths(&c.why)))?;
    }
    writeln!(w, "  layers:")?;
    for (i, l) in r.layers.iter().enumerate() {
        let hist = l
            .history
            .as_deref()
            .map(|h| {
                let h: String = h.chars().take(60).collect();
                format!("  {h}")
            })
            .unwrap_or_default();
        let comp = if l.compression == "none" {
            String::new()
        } else {
            format!(" ({})", l.compression)
        };
        let base = if l.base { ", base" } else { "" };
        writeln!(
            w,
            "    {:>2} {} {:>10} content {:>10} blob{comp}{base}{hist}",
            i + 1,
            &l.digest.get(..19).unwrap_or(&l.digest),
            human_bytes(l.content_size),
            human_bytes(l.blob_size),
        )?;
    }
    if !r.binaries.is_empty() {
        writeln!(w, "  Go binaries:")?;
        for b in &r.binaries {
            let cgo = b.cgo.setting.as_deref().unwrap_or("?");
            writeln!(
                w,
                "    {} {} {}, CGO_ENABLED={cgo}, {}",
                short_store_paths(&b.path),
                human_bytes(b.size),
                b.linking.kind.name(),
                stripped(b)
            )?;
            if let Some(sa) = &b.size_attribution {
                let top: Vec<String> = sa
                    .by_module
                    .iter()
                    .take(4)
                    .map(|m| format!("{} {}", m.name, human_bytes(m.bytes)))
                    .collect();
                let cov = super::coverage_lines(sa);
                writeln!(
                    w,
                    "      {}",
                    st.dim(&format!("by module: {}; {}", top.join(", "), cov[0]))
                )?;
            }
        }
    }
    for n in &r.notes {
        writeln!(w, "  note: {n}")?;
    }
    Ok(())
}

fn stripped(b: &crate::audit::Artifact) -> &'static str {
    match (b.symtab, b.dwarf) {
        (false, false) => "stripped",
        (true, false) => "symtab",
        (false, true) => "dwarf",
        (true, true) => "symtab+dwarf",
    }
}

#[derive(Tabled)]
struct Row {
    #[tabled(rename = "image")]
    image: String,
    #[tabled(rename = "content")]
    content: String,
    #[tabled(rename = "Go binaries")]
    binaries: String,
    #[tabled(rename = "libraries")]
    libraries: String,
    #[tabled(rename = "base")]
    base: String,
    #[tabled(rename = "wasted")]
    wasted: String,
    #[tabled(rename = "top cause")]
    top: String,
}

/// An empty cell of the comparison table: nothing of that kind in the image.
const EMPTY: &str = "—";

/// The side-by-side table: one row per image.
pub fn write_comparison(w: &mut dyn Write, images: &[ImageReport]) -> io::Result<()> {
    let rows: Vec<Row> = images
        .iter()
        .map(|r| {
            let bins = if r.binaries.is_empty() {
                EMPTY.to_string()
            } else {
                r.binaries
                    .iter()
                    .map(|b| {
                        let name = b.path.rsplit('/').next().unwrap_or(&b.path);
                        let cgo = match b.cgo.setting.as_deref() {
                            Some(s) => format!("cgo={s}"),
                            None if b.cgo.is_linked() => "cgo".into(),
                            None => "cgo=?".into(),
                        };
                        format!("{name} {} {cgo} {}", b.linking.kind.name(), stripped(b))
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            let libs: u64 = r.libraries.iter().map(|l| l.bytes).sum();
            let libraries = if r.libraries.is_empty() {
                EMPTY.into()
            } else {
                format!("{} ({})", r.libraries.len(), human_bytes(libs))
            };
            let top = r
                .findings
                .first()
                .map(|f| format!("{} {}", f.id, human_bytes(f.saving.unwrap_or_default())))
                .or_else(|| {
                    r.causes
                        .first()
                        .map(|c| format!("{} {}", c.id, human_bytes(c.bytes)))
                })
                .unwrap_or_default();
            // The archive, the image's name, its platform: one line each.
            let label = [
                Some(r.path.as_str()),
                r.name.as_deref(),
                r.platform.as_deref(),
            ]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
            Row {
                image: label,
                content: format!(
                    "{} ({})",
                    docker_size(r.content_size),
                    human_bytes(r.content_size)
                ),
                binaries: bins,
                libraries,
                base: r
                    .base
                    .as_ref()
                    .map(|b| {
                        let s = if b.layers == 1 { "" } else { "s" };
                        format!("{} layer{s} {}", b.layers, human_bytes(b.bytes))
                    })
                    .unwrap_or_else(|| EMPTY.into()),
                wasted: human_bytes(r.wasted_bytes),
                top,
            }
        })
        .collect();
    let mut t = Table::new(rows);
    t.with(TableStyle::psql());
    // tabled pads the last column; trailing blanks are noise in terminals and diffs.
    for line in t.to_string().lines() {
        writeln!(w, "{}", line.trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_sizes() {
        assert_eq!(docker_size(12_532_663), "12.5MB");
        assert_eq!(docker_size(54_600_000), "54.6MB");
        assert_eq!(docker_size(10_240), "10.2kB");
        assert_eq!(docker_size(999), "999B");
        assert_eq!(docker_size(8_274_000), "8.27MB");
    }

    #[test]
    fn store_paths_are_shortened_for_reading() {
        let p = "needs /nix/store/0vvk9y3bzvc4l2vx3hyyxhhm4b0xaxgd-glibc-2.40-66/lib and /nix/store/short";
        assert_eq!(
            short_store_paths(p),
            "needs /nix/store/0vvk9y3…-glibc-2.40-66/lib and /nix/store/short"
        );
    }
}
