//! `goaudit size` tables, laid out like cargo-bloat's: sizes right-aligned in binary units,
//! a percentage of the file, the top N rows, one row summing the rest, and a total row, so
//! the column always adds up to the file size.

use std::io::{self, Write};

use tabled::builder::Builder;
use tabled::settings::object::Columns;
use tabled::settings::{Alignment, Style as TableStyle};

use super::{Style, human_bytes};

/// One table row before truncation: the label columns and the byte count.
#[derive(Debug, Clone)]
pub struct Row {
    /// Bytes owned.
    pub bytes: u64,
    /// Extra numeric column (text bytes for packages), shown when the table has one.
    pub extra: Option<u64>,
    /// Label columns (name, module, ...).
    pub labels: Vec<String>,
}

/// A size table: headers for the label columns, rows largest first.
#[derive(Debug)]
pub struct SizeTable<'a> {
    /// Header of the extra numeric column, if any (e.g. "Text").
    pub extra_header: Option<&'a str>,
    /// Headers of the label columns.
    pub label_headers: &'a [&'a str],
    /// Rows, largest first.
    pub rows: Vec<Row>,
    /// The file size (the total row).
    pub total: u64,
    /// What the total is, for its row: "file size", or "content size" for an image.
    pub total_label: &'a str,
    /// What a "more" row counts ("modules", "packages", ...).
    pub noun: &'a str,
    /// Bytes the view leaves out (a `--filter`, `--code`, or what is no symbol), each
    /// with what it is, shown before the total so the column still adds up.
    pub excluded: Vec<(String, u64)>,
}

/// Write the table with the top `n` rows (0 = all). Names longer than `width` are cut
/// with `...` unless `width` is 0.
pub fn write_table(
    w: &mut dyn Write,
    t: &SizeTable<'_>,
    n: usize,
    width: usize,
    st: &Style,
) -> io::Result<()> {
    let pct = |b: u64| format!("{:.1}%", b as f64 * 100.0 / t.total.max(1) as f64);
    let cut = |s: &str| {
        if width == 0 || s.chars().count() <= width {
            s.to_string()
        } else {
            let keep: String = s.chars().take(width.saturating_sub(3)).collect();
            format!("{keep}...")
        }
    };
    let mut b = Builder::default();
    let mut header = vec!["Size".to_string(), "File".to_string()];
    if let Some(h) = t.extra_header {
        header.push(h.to_string());
    }
    header.extend(t.label_headers.iter().map(|h| h.to_string()));
    b.push_record(header.iter().map(|h| st.bold(h)));
    let shown = if n == 0 {
        t.rows.len()
    } else {
        n.min(t.rows.len())
    };
    for r in &t.rows[..shown] {
        let mut rec = vec![human_bytes(r.bytes), pct(r.bytes)];
        if t.extra_header.is_some() {
            rec.push(r.extra.map_or(String::new(), human_bytes));
        }
        rec.extend(r.labels.iter().map(|l| cut(l)));
        b.push_record(rec);
    }
    let rest = &t.rows[shown..];
    if !rest.is_empty() {
        let bytes: u64 = rest.iter().map(|r| r.bytes).sum();
        let mut rec = vec![human_bytes(bytes), pct(bytes)];
        if t.extra_header.is_some() {
            rec.push(human_bytes(rest.iter().filter_map(|r| r.extra).sum()));
        }
        rec.push(st.dim(&format!(
            "{} more {}; use -n N to show more",
            rest.len(),
            t.noun
        )));
        rec.extend(std::iter::repeat_n(
            String::new(),
            t.label_headers.len().saturating_sub(1),
        ));
        b.push_record(rec);
    }
    for (what, bytes) in t.excluded.iter().filter(|e| e.1 > 0) {
        let mut rec = vec![human_bytes(*bytes), pct(*bytes)];
        if t.extra_header.is_some() {
            rec.push(String::new());
        }
        rec.push(st.dim(what));
        rec.extend(std::iter::repeat_n(
            String::new(),
            t.label_headers.len().saturating_sub(1),
        ));
        b.push_record(rec);
    }
    let mut rec = vec![st.bold(&human_bytes(t.total)), "100.0%".to_string()];
    if t.extra_header.is_some() {
        rec.push(human_bytes(t.rows.iter().filter_map(|r| r.extra).sum()));
    }
    rec.push(st.bold(&format!("total ({})", t.total_label)));
    rec.extend(std::iter::repeat_n(
        String::new(),
        t.label_headers.len().saturating_sub(1),
    ));
    b.push_record(rec);

    let mut table = b.build();
    let numeric = if t.extra_header.is_some() { 3 } else { 2 };
    table.with(TableStyle::blank());
    table.modify(Columns::new(0..numeric), Alignment::right());
    // tabled pads every line to the widest row; trailing blanks are noise in a terminal.
    for line in table.to_string().lines() {
        writeln!(w, "{}", line.trim_end())?;
    }
    Ok(())
}
