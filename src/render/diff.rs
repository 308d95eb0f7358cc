//! `goaudit diff` output: human tables and markdown for pull-request comments. Every
//! table ends with a total row, and the rows a table does not show (below `--threshold`,
//! or past `-n`) are summed in their own rows, so the column still adds up to the total
//! change.

use super::plural;
use std::io::{self, Write};

use super::{Style, human_bytes};
use crate::diff::{BinaryDiff, Change, Diff, ImageDiff, Total};

/// Options shared by the human and markdown renderers.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Rows per table (0 = all); the rest are summed in one row.
    pub rows: usize,
    /// Rows whose absolute change is below this are hidden (summed in one row).
    pub threshold: u64,
    /// Cut names longer than this (0 = never).
    pub width: usize,
}

/// `+1.2 MiB` / `-300 B` / `0 B`.
pub fn signed(d: i64) -> String {
    let sign = match d.signum() {
        1 => "+",
        -1 => "-",
        _ => "",
    };
    format!("{sign}{}", human_bytes(d.unsigned_abs()))
}

/// `+3.1%`, or empty when OLD was 0.
fn percent(p: Option<f64>) -> String {
    p.map(|p| format!("{}{p:.1}%", if p < 0.0 { "" } else { "+" }))
        .unwrap_or_default()
}

/// How one table is shown: the rows shown, then summary rows.
struct Shown<'a> {
    rows: Vec<&'a Change>,
    /// (count, delta) past `-n`.
    more: (usize, i64),
    /// (count, delta) below the threshold.
    hidden: (usize, i64),
}

fn select<'a>(v: &'a [Change], o: &Options) -> Shown<'a> {
    let (keep, below): (Vec<&Change>, Vec<&Change>) = v
        .iter()
        .partition(|c| c.delta.unsigned_abs() >= o.threshold);
    let n = if o.rows == 0 {
        keep.len()
    } else {
        o.rows.min(keep.len())
    };
    let sum = |x: &[&Change]| x.iter().fold(0i64, |a, c| a.saturating_add(c.delta));
    Shown {
        more: (keep.len() - n, sum(&keep[n..])),
        hidden: (below.len(), sum(&below)),
        rows: keep[..n].to_vec(),
    }
}

fn cut(s: &str, width: usize) -> String {
    if width == 0 || s.chars().count() <= width {
        s.to_string()
    } else {
        let keep: String = s.chars().take(width.saturating_sub(3)).collect();
        format!("{keep}...")
    }
}

/// Colour a delta: growth is bad news, shrinking good.
fn paint(st: &Style, d: i64, s: &str) -> String {
    match d.signum() {
        1 => st.bad(s),
        -1 => st.good(s),
        _ => s.to_string(),
    }
}

/// The one-line headline: `OLD → NEW  8.1 MiB → 8.4 MiB  +312 KiB (+3.7%)`.
fn headline(what: &str, t: &Total) -> String {
    format!(
        "{what} {} → {}  {} {}",
        human_bytes(t.old),
        human_bytes(t.new),
        signed(t.delta),
        if t.percent.is_some() {
            format!("({})", percent(t.percent))
        } else {
            String::new()
        }
    )
    .trim_end()
    .to_string()
}

/// One table in human form.
/// A table's title, label headers and what its total is.
struct Spec<'a> {
    title: &'a str,
    headers: &'a [&'a str],
    total_label: &'a str,
}

fn text_table(
    w: &mut dyn Write,
    spec: &Spec<'_>,
    v: &[Change],
    total: &Total,
    o: &Options,
    st: &Style,
) -> io::Result<()> {
    let (title, headers, total_label) = (spec.title, spec.headers, spec.total_label);
    use tabled::builder::Builder;
    use tabled::settings::object::Columns;
    use tabled::settings::{Alignment, Style as TableStyle};
    if v.is_empty() {
        return Ok(());
    }
    writeln!(w)?;
    writeln!(w, "{}", st.bold(title))?;
    let shown = select(v, o);
    let mut b = Builder::default();
    let mut h = vec!["Change", "Old", "New", ""];
    h.extend_from_slice(headers);
    b.push_record(h.iter().map(|x| st.bold(x)));
    let empty_labels = || std::iter::repeat_n(String::new(), headers.len().saturating_sub(1));
    for c in &shown.rows {
        let mut rec = vec![
            paint(st, c.delta, &signed(c.delta)),
            human_bytes(c.old),
            human_bytes(c.new),
            c.status.as_str().to_string(),
            cut(&c.name, o.width),
        ];
        if headers.len() > 1 {
            rec.push(c.detail.clone().unwrap_or_default());
        }
        b.push_record(rec);
    }
    let mut summary = |count: usize, d: i64, what: String| {
        let mut rec = vec![
            signed(d),
            String::new(),
            String::new(),
            String::new(),
            st.dim(&what),
        ];
        rec.extend(empty_labels());
        b.push_record(rec);
        let _ = count;
    };
    if shown.more.0 > 0 {
        summary(
            shown.more.0,
            shown.more.1,
            format!(
                "{} more; use -n N to show more",
                plural(shown.more.0, "row", "rows")
            ),
        );
    }
    if shown.hidden.0 > 0 {
        summary(
            shown.hidden.0,
            shown.hidden.1,
            format!(
                "{} below the threshold of {}",
                plural(shown.hidden.0, "row", "rows"),
                human_bytes(o.threshold)
            ),
        );
    }
    let mut rec = vec![
        st.bold(&signed(total.delta)),
        human_bytes(total.old),
        human_bytes(total.new),
        String::new(),
        st.bold(&format!("total ({total_label})")),
    ];
    rec.extend(empty_labels());
    b.push_record(rec);
    let mut table = b.build();
    table.with(TableStyle::blank());
    table.modify(Columns::new(0..3), Alignment::right());
    for line in table.to_string().lines() {
        writeln!(w, "{}", line.trim_end())?;
    }
    Ok(())
}

/// The human report.
pub fn write_text(w: &mut dyn Write, d: &Diff, o: &Options, st: &Style) -> io::Result<()> {
    match d {
        Diff::Binary(b) => write_binary_text(w, b, o, st, true),
        Diff::Image(i) => write_image_text(w, i, o, st),
    }
}

/// The lines naming what changed besides sizes: verdicts, build settings, versions.
pub fn change_lines(b: &BinaryDiff) -> Vec<String> {
    let mut lines = Vec::new();
    if !b.settings.is_empty() {
        lines.push(format!(
            "build settings: {}",
            b.settings
                .iter()
                .map(|s| s.summary.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for v in &b.verdicts {
        lines.push(format!("{}: {} → {}", v.what, v.old, v.new));
    }
    for m in &b.modules {
        let d = m
            .delta
            .map(|d| format!(" ({})", signed(d)))
            .unwrap_or_default();
        lines.push(match (&m.old, &m.new) {
            (Some(o), Some(n)) => format!("{} {o} → {n}{d}", m.path),
            (None, Some(n)) => format!("{} {n} added{d}", m.path),
            (Some(o), None) => format!("{} {o} removed{d}", m.path),
            (None, None) => m.path.clone(),
        });
    }
    lines
}

/// The kinds that changed in words: `DWARF +2.0 MiB, symbol table +486 KiB`.
pub fn kind_summary(b: &BinaryDiff, n: usize) -> String {
    b.by_kind
        .iter()
        .take(n)
        .map(|c| format!("{} {}", crate::size::kind_label(&c.name), signed(c.delta)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn write_binary_text(
    w: &mut dyn Write,
    b: &BinaryDiff,
    o: &Options,
    st: &Style,
    header: bool,
) -> io::Result<()> {
    if header {
        writeln!(w, "{} → {}", st.bold(&b.old_path), st.bold(&b.new_path))?;
    }
    writeln!(
        w,
        "{}",
        paint(st, b.total.delta, &headline("file size", &b.total))
    )?;
    for l in change_lines(b) {
        writeln!(w, "  {l}")?;
    }
    if !b.by_kind.is_empty() {
        writeln!(w, "  by kind: {}", kind_summary(b, 4))?;
    }
    if !b.attributed {
        writeln!(
            w,
            "{}",
            st.dim("  no size attribution on one side (packed, or not a Go binary): only the file size is compared")
        )?;
        return Ok(());
    }
    let kinds: Vec<Change> = b
        .by_kind
        .iter()
        .map(|c| Change {
            name: crate::size::kind_label(&c.name).to_string(),
            ..c.clone()
        })
        .collect();
    text_table(
        w,
        &Spec {
            title: "By kind",
            headers: &["Kind"],
            total_label: "file size",
        },
        &kinds,
        &b.total,
        o,
        st,
    )?;
    text_table(
        w,
        &Spec {
            title: "By module",
            headers: &["Module"],
            total_label: "file size",
        },
        &b.by_module,
        &b.total,
        o,
        st,
    )?;
    text_table(
        w,
        &Spec {
            title: "By package",
            headers: &["Package", "Module"],
            total_label: "file size",
        },
        &b.by_package,
        &b.total,
        o,
        st,
    )?;
    text_table(
        w,
        &Spec {
            title: "By section",
            headers: &["Section"],
            total_label: "file size",
        },
        &b.by_section,
        &b.total,
        o,
        st,
    )?;
    if b.total.delta == 0 && b.by_package.is_empty() {
        writeln!(w, "{}", st.good("  no size change"))?;
    }
    Ok(())
}

fn layer_changes(i: &ImageDiff) -> Vec<Change> {
    i.layers
        .iter()
        .filter(|l| l.status != "same" || l.delta != 0)
        .map(|l| Change {
            name: format!(
                "#{} {}",
                // 1-based, as every layer number a report prints.
                l.new_number.or(l.old_number).unwrap_or(0),
                l.command.as_deref().unwrap_or(short_digest(&l.digest))
            ),
            detail: None,
            status: match l.status {
                "added" => crate::diff::Status::Added,
                "removed" => crate::diff::Status::Removed,
                _ if l.delta >= 0 => crate::diff::Status::Grown,
                _ => crate::diff::Status::Shrunk,
            },
            old: l.old,
            new: l.new,
            delta: l.delta,
        })
        .collect()
}

fn short_digest(d: &str) -> &str {
    let d = d.strip_prefix("sha256:").unwrap_or(d);
    &d[..d.len().min(12)]
}

fn write_image_text(w: &mut dyn Write, i: &ImageDiff, o: &Options, st: &Style) -> io::Result<()> {
    writeln!(w, "{} → {}", st.bold(&i.old_path), st.bold(&i.new_path))?;
    writeln!(
        w,
        "{}",
        paint(st, i.total.delta, &headline("content size", &i.total))
    )?;
    if i.wasted.delta != 0 {
        writeln!(w, "  {}", headline("wasted", &i.wasted))?;
    }
    let same = i.layers.iter().filter(|l| l.status == "same").count();
    writeln!(
        w,
        "  layers: {} unchanged, {} changed, {} added, {} removed",
        same,
        i.layers.iter().filter(|l| l.status == "changed").count(),
        i.layers.iter().filter(|l| l.status == "added").count(),
        i.layers.iter().filter(|l| l.status == "removed").count(),
    )?;
    text_table(
        w,
        &Spec {
            title: "By cause",
            headers: &["Cause"],
            total_label: "content size",
        },
        &i.by_cause,
        &i.total,
        o,
        st,
    )?;
    // Layers are a partition of the content size only without whiteouts and overwrites;
    // their total row is the sum of the layers' own bytes.
    let lt = layer_total(i);
    text_table(
        w,
        &Spec {
            title: "By layer",
            headers: &["Layer"],
            total_label: "layer bytes",
        },
        &layer_changes(i),
        &lt,
        o,
        st,
    )?;
    for b in &i.binaries {
        writeln!(w)?;
        match &b.diff {
            Some(d) => {
                writeln!(w, "{}", st.bold(&b.path))?;
                write_binary_text(w, d, o, st, false)?;
            }
            None => writeln!(
                w,
                "{}  {} ({})",
                st.bold(&b.path),
                b.status,
                human_bytes(b.size.unwrap_or(0))
            )?,
        }
    }
    Ok(())
}

fn layer_total(i: &ImageDiff) -> Total {
    let old = i.layers.iter().fold(0u64, |a, l| a.saturating_add(l.old));
    let new = i.layers.iter().fold(0u64, |a, l| a.saturating_add(l.new));
    Total::new(old, new)
}

// ---- markdown ----------------------------------------------------------------------

use super::markdown::cell;

fn md_table(
    w: &mut dyn Write,
    title: &str,
    headers: &[&str],
    v: &[Change],
    total: &Total,
    total_label: &str,
    o: &Options,
) -> io::Result<()> {
    if v.is_empty() {
        return Ok(());
    }
    let shown = select(v, o);
    let n_rows = shown.rows.len();
    // Long tables fold away so the comment stays one screen.
    let fold = n_rows > 5;
    writeln!(w)?;
    if fold {
        writeln!(
            w,
            "<details><summary><b>{title}</b> ({})</summary>\n",
            plural(v.len(), "change", "changes")
        )?;
    } else {
        writeln!(w, "**{title}**\n")?;
    }
    write!(w, "| Δ | old | new | |")?;
    for h in headers {
        write!(w, " {h} |")?;
    }
    writeln!(w)?;
    write!(w, "|---:|---:|---:|---|")?;
    for _ in headers {
        write!(w, "---|")?;
    }
    writeln!(w)?;
    let blanks = " |".repeat(headers.len().saturating_sub(1));
    for c in &shown.rows {
        write!(
            w,
            "| {} | {} | {} | {} | {} |",
            signed(c.delta),
            human_bytes(c.old),
            human_bytes(c.new),
            c.status.as_str(),
            cell(&cut(&c.name, o.width))
        )?;
        if headers.len() > 1 {
            write!(w, " {} |", cell(c.detail.as_deref().unwrap_or("")))?;
        }
        writeln!(w)?;
    }
    if shown.more.0 > 0 {
        writeln!(
            w,
            "| {} | | | | {} more |{blanks}",
            signed(shown.more.1),
            plural(shown.more.0, "row", "rows")
        )?;
    }
    if shown.hidden.0 > 0 {
        writeln!(
            w,
            "| {} | | | | {} below {} |{blanks}",
            signed(shown.hidden.1),
            plural(shown.hidden.0, "row", "rows"),
            human_bytes(o.threshold)
        )?;
    }
    writeln!(
        w,
        "| **{}** | {} | {} | | **total** ({total_label}) |{blanks}",
        signed(total.delta),
        human_bytes(total.old),
        human_bytes(total.new)
    )?;
    if fold {
        writeln!(w, "\n</details>")?;
    }
    Ok(())
}

/// The markdown report, ready for a pull-request comment.
pub fn write_markdown(w: &mut dyn Write, d: &Diff, o: &Options) -> io::Result<()> {
    match d {
        Diff::Binary(b) => {
            writeln!(
                w,
                "### goaudit diff: `{}` {}\n",
                cell(&b.new_path),
                md_headline(&b.total)
            )?;
            write_binary_md(w, b, o)
        }
        Diff::Image(i) => {
            writeln!(
                w,
                "### goaudit diff: `{}` {}\n",
                cell(&i.new_path),
                md_headline(&i.total)
            )?;
            writeln!(w, "- compared with `{}`", cell(&i.old_path))?;
            if i.wasted.delta != 0 {
                writeln!(w, "- {}", cell(&headline("wasted", &i.wasted)))?;
            }
            md_table(
                w,
                "By cause",
                &["cause"],
                &i.by_cause,
                &i.total,
                "content size",
                o,
            )?;
            let lt = layer_total(i);
            md_table(
                w,
                "By layer",
                &["layer"],
                &layer_changes(i),
                &lt,
                "layer bytes",
                o,
            )?;
            for b in &i.binaries {
                writeln!(w)?;
                match &b.diff {
                    Some(d) => {
                        writeln!(w, "#### `{}` {}\n", cell(&b.path), md_headline(&d.total))?;
                        write_binary_md(w, d, o)?;
                    }
                    None => writeln!(
                        w,
                        "#### `{}` {} ({})",
                        cell(&b.path),
                        b.status,
                        human_bytes(b.size.unwrap_or(0))
                    )?,
                }
            }
            Ok(())
        }
    }
}

fn md_headline(t: &Total) -> String {
    let icon = match t.delta.signum() {
        1 => "📈",
        -1 => "📉",
        _ => "➖",
    };
    format!(
        "{icon} {} → {} (**{}**{})",
        human_bytes(t.old),
        human_bytes(t.new),
        signed(t.delta),
        t.percent
            .map(|_| format!(", {}", percent(t.percent)))
            .unwrap_or_default()
    )
}

fn write_binary_md(w: &mut dyn Write, b: &BinaryDiff, o: &Options) -> io::Result<()> {
    if b.old_path != b.new_path {
        writeln!(w, "- compared with `{}`", cell(&b.old_path))?;
    }
    for l in change_lines(b) {
        writeln!(w, "- {}", cell(&l))?;
    }
    if !b.by_kind.is_empty() {
        writeln!(w, "- by kind: {}", cell(&kind_summary(b, 4)))?;
    }
    let kinds: Vec<Change> = b
        .by_kind
        .iter()
        .map(|c| Change {
            name: crate::size::kind_label(&c.name).to_string(),
            ..c.clone()
        })
        .collect();
    md_table(w, "By kind", &["kind"], &kinds, &b.total, "file size", o)?;
    md_table(
        w,
        "By module",
        &["module"],
        &b.by_module,
        &b.total,
        "file size",
        o,
    )?;
    md_table(
        w,
        "By package",
        &["package", "module"],
        &b.by_package,
        &b.total,
        "file size",
        o,
    )?;
    md_table(
        w,
        "By section",
        &["section"],
        &b.by_section,
        &b.total,
        "file size",
        o,
    )?;
    Ok(())
}
