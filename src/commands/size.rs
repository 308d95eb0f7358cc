//! `goaudit size PATH...`: where every byte goes, and what can go.

use std::io::Write;
use std::path::PathBuf;

use super::Exit;
use crate::audit::{self, AuditError};
use crate::cli::{SizeArgs, SizeBy};
use crate::error::Error;
use crate::input::FileBytes;
use crate::input::detect::{self, InputKind};
use crate::render::Style;
use crate::render::size::{Row, SizeTable, write_table};
use crate::shrink::upx;
use crate::size::why;

/// Symbols shown per package in the HTML treemap; the rest are one "N more" box.
const TREEMAP_SYMBOLS: usize = 12;

/// Run the size report for each PATH.
pub fn run(args: &SizeArgs, out: &mut dyn Write, err: &mut dyn Write) -> std::io::Result<Exit> {
    let style = Style::for_stdout(args.output.color);
    if args.filter.is_some() && args.by == SizeBy::Section {
        super::report_error(
            err,
            &Error::Usage(
                "--filter selects packages or modules; sections belong to no package (use --by package or module)".into(),
            ),
        );
        return Ok(Exit::Error);
    }
    let view = View {
        filter: args.filter.as_deref(),
        code: args.code,
    };
    let mut artifacts = Vec::new();
    let mut images: Vec<crate::image::ImageReport> = Vec::new();
    // Input order of binaries (false) and images (true), for JSON.
    let mut order: Vec<(bool, usize)> = Vec::new();
    let mut errors = Vec::new();
    // The treemap of the first input, for --html and --svg.
    let want_tree = args.html.is_some() || args.svg.is_some();
    let mut tree: Option<(String, Vec<String>, crate::render::treemap::Node)> = None;
    for (path, label, slice) in with_fat_slices(&args.paths) {
        let path = &path;
        let is_image = if path.is_dir() {
            detect::is_image_dir(path)
        } else {
            crate::image::looks_like_archive(path)
        };
        if is_image {
            match super::audit::read_image(path, &args.limits.options_for(!args.output.json)) {
                Ok(found) => {
                    for r in found {
                        if want_tree && tree.is_none() {
                            let mut lines = vec![format!(
                                "{} content, {} layer{}, {} Go binar{}",
                                crate::render::human_bytes(r.content_size),
                                r.layers.len(),
                                if r.layers.len() == 1 { "" } else { "s" },
                                r.binaries.len(),
                                if r.binaries.len() == 1 { "y" } else { "ies" }
                            )];
                            lines.extend(r.why.iter().cloned());
                            tree = Some((
                                r.path.clone(),
                                lines,
                                crate::render::treemap::image_tree(&r),
                            ));
                        }
                        if !args.output.json {
                            if !order.is_empty() {
                                writeln!(out)?;
                            }
                            write_image(out, &r, args, &style)?;
                        }
                        order.push((true, images.len()));
                        images.push(r);
                    }
                }
                Err(e) => {
                    super::input_failed(err, &mut errors, label, e);
                }
            }
            continue;
        }
        let result = super::guard::guard(&label, || {
            FileBytes::open(path).and_then(|fb| {
                // The label names the fat slice (`path[arm64]`) when there is one.
                let to_error = |e: AuditError| match e {
                    AuditError::Malformed(p) => p.at(&label),
                    other => Error::Unsupported {
                        path: PathBuf::from(&label),
                        what: other.to_string(),
                    },
                };
                let mut data = fb.bytes();
                if crate::binary::fat::is_fat(data) {
                    data = fat_slice(data, slice).map_err(|e| e.at(path))?;
                }
                if detect::sniff(data) == InputKind::Elf && detect::is_upx_packed(data) {
                    // Sizes of a packed file mean nothing; attribute the program UPX restores.
                    if let Ok(Some((_dir, unpacked))) = upx::unpack_to_temp(path) {
                        let bytes = std::fs::read(&unpacked).map_err(|source| Error::Io {
                            path: unpacked.clone(),
                            source,
                        })?;
                        let (mut a, attr) =
                            audit::audit_detailed(&label, &bytes).map_err(to_error)?;
                        a.packed = Some("upx");
                        a.unpacked = true;
                        return Ok((a, attr));
                    }
                }
                audit::audit_detailed(&label, data).map_err(to_error)
            })
        })
        .and_then(|r| r);
        let (artifact, attribution) = match result {
            Ok(x) => x,
            Err(e) => {
                super::input_failed(err, &mut errors, label, e);
                continue;
            }
        };
        let Some(report) = artifact.size_attribution.as_ref() else {
            let e = Error::Unsupported {
                path: path.clone(),
                what: format!(
                    "packed with UPX and `upx` is not available to unpack it; {}",
                    upx::INSTALL_HINT
                ),
            };
            super::input_failed(err, &mut errors, label, e);
            continue;
        };
        if want_tree && tree.is_none() {
            let mut lines = crate::render::html::verdict_lines(&artifact);
            lines.extend(why::narrative(&artifact, Some(report)));
            tree = Some((
                artifact.path.clone(),
                lines,
                crate::render::treemap::binary_tree(
                    &artifact.path,
                    report,
                    attribution.as_ref(),
                    TREEMAP_SYMBOLS,
                ),
            ));
        }
        if !args.output.json {
            if !order.is_empty() {
                writeln!(out)?;
            }
            writeln!(
                out,
                "{}  {}",
                style.bold(&artifact.path),
                crate::render::human_bytes(report.total)
            )?;
            if artifact.packed.is_some() {
                writeln!(
                    out,
                    "{}",
                    style.warn("packed with UPX; figures are for the unpacked program")
                )?;
            }
            let table = size_table(args.by, report, attribution.as_ref(), view);
            let width = if args.wide { 0 } else { 70 };
            write_table(out, &table, args.rows, width, &style)?;
            for line in crate::render::coverage_lines(report) {
                writeln!(out, "{}", style.dim(&line))?;
            }
            writeln!(out)?;
            for line in why::narrative(&artifact, Some(report)) {
                writeln!(out, "  {line}")?;
            }
        }
        order.push((false, artifacts.len()));
        artifacts.push(artifact);
    }
    if let Some((title, lines, root)) = &tree {
        let mut write = |path: &PathBuf, content: String| {
            if let Err(source) = std::fs::write(path, content) {
                let e = Error::Io {
                    path: path.clone(),
                    source,
                };
                super::input_failed(err, &mut errors, path.display().to_string(), e);
            }
        };
        if let Some(p) = &args.html {
            let page = crate::render::html::page(&crate::render::html::Page {
                title: title.clone(),
                lines: lines.clone(),
                root,
                diff: false,
            });
            write(p, page);
        }
        if let Some(p) = &args.svg {
            write(p, crate::render::treemap::svg(root, 960.0, 600.0));
        }
    }
    if args.output.json {
        use crate::render::json::AnyArtifact;
        let all: Vec<AnyArtifact<'_>> = order
            .iter()
            .map(|&(img, i)| {
                if img {
                    AnyArtifact::Image(&images[i])
                } else {
                    AnyArtifact::Binary(&artifacts[i])
                }
            })
            .collect();
        crate::render::json::write_audit(out, &all, &errors)?;
    }
    Ok(if errors.is_empty() {
        Exit::Ok
    } else {
        Exit::Error
    })
}

/// An image: its content size, then each Go binary's table. The image's own breakdown
/// (layers, files, causes) is the audit's (`goaudit IMAGE`).
fn write_image(
    out: &mut dyn Write,
    r: &crate::image::ImageReport,
    args: &SizeArgs,
    style: &Style,
) -> std::io::Result<()> {
    use crate::render::human_bytes;
    let name = r
        .name
        .as_deref()
        .map(|n| format!(" {n}"))
        .unwrap_or_default();
    let bins = r.binaries.len();
    writeln!(
        out,
        "{}{name}  {} content, {} layer{}, {bins} Go binar{}",
        style.bold(&r.path),
        human_bytes(r.content_size),
        r.layers.len(),
        if r.layers.len() == 1 { "" } else { "s" },
        if bins == 1 { "y" } else { "ies" },
    )?;
    writeln!(
        out,
        "{}",
        style.dim(&format!(
            "  layers, files and the causes of each megabyte: goaudit {}",
            r.path
        ))
    )?;
    let width = if args.wide { 0 } else { 70 };
    // What the content size is made of: the causes partition it.
    let table = SizeTable {
        extra_header: None,
        label_headers: &["Cause", "What"],
        rows: r
            .causes
            .iter()
            .map(|c| Row {
                bytes: c.bytes,
                extra: None,
                labels: vec![
                    c.id.clone(),
                    crate::render::image::short_store_paths(&c.what),
                ],
            })
            .collect(),
        total: r.content_size,
        total_label: "content size",
        noun: "causes",
        excluded: Vec::new(),
    };
    writeln!(out)?;
    write_table(out, &table, args.rows, width, style)?;
    for b in &r.binaries {
        let Some(report) = b.size_attribution.as_ref() else {
            continue;
        };
        writeln!(out)?;
        writeln!(
            out,
            "{}  {}",
            style.bold(&crate::render::image::short_store_paths(&b.path)),
            human_bytes(report.total)
        )?;
        if args.by == SizeBy::Symbol {
            writeln!(
                out,
                "  per-symbol sizes are not kept for binaries inside an image; copy it out and run `goaudit size --by symbol` on the file"
            )?;
            continue;
        }
        write_table(
            out,
            &size_table(
                args.by,
                report,
                None,
                View {
                    filter: args.filter.as_deref(),
                    code: args.code,
                },
            ),
            args.rows,
            width,
            style,
        )?;
    }
    Ok(())
}

/// What part of the bytes a table shows: `--filter` and `--code`.
#[derive(Debug, Clone, Copy, Default)]
struct View<'a> {
    filter: Option<&'a str>,
    code: bool,
}

impl View<'_> {
    /// A package (of a module) the filter keeps: the package or its module starts with
    /// the pattern.
    fn keeps(&self, package: &str, module: &str) -> bool {
        self.filter
            .is_none_or(|f| package.starts_with(f) || module.starts_with(f))
    }

    /// What the view leaves out, in words, for the row that sums it.
    fn left_out(&self, rest: &str) -> String {
        let mut parts = Vec::new();
        if let Some(f) = self.filter {
            parts.push(format!("not matching `{f}`"));
        }
        if self.code {
            parts.push("not code".to_string());
        }
        if !rest.is_empty() {
            parts.push(rest.to_string());
        }
        format!("left out: {}", parts.join("; "))
    }
}

/// The table `--by` asks for. Symbols need the item-level attribution, which only a
/// file read directly has; without it the symbol table is empty. Whatever the view
/// leaves out is one row, so the column still adds up to the file size.
fn size_table<'a>(
    by: SizeBy,
    report: &crate::size::SizeReport,
    attribution: Option<&crate::size::Attribution>,
    view: View<'_>,
) -> SizeTable<'a> {
    let mut t = SizeTable {
        extra_header: None,
        label_headers: &["Module"],
        rows: Vec::new(),
        total: report.total,
        total_label: "file size",
        noun: "modules",
        excluded: Vec::new(),
    };
    let pkg_bytes = |p: &crate::size::PackageSize| if view.code { p.text_bytes } else { p.bytes };
    match by {
        SizeBy::Module => {
            let mut m: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
            for p in report
                .by_package
                .iter()
                .filter(|p| view.keeps(&p.name, &p.module))
            {
                *m.entry(p.module.as_str()).or_default() += pkg_bytes(p);
            }
            t.rows = m
                .into_iter()
                .filter(|(_, b)| *b > 0)
                .map(|(name, bytes)| Row {
                    bytes,
                    extra: None,
                    labels: vec![name.to_string()],
                })
                .collect();
        }
        SizeBy::Package => {
            t.extra_header = (!view.code).then_some("Text");
            t.label_headers = &["Package", "Module"];
            t.noun = "packages";
            t.rows = report
                .by_package
                .iter()
                .filter(|p| view.keeps(&p.name, &p.module) && pkg_bytes(p) > 0)
                .map(|p| Row {
                    bytes: pkg_bytes(p),
                    extra: (!view.code).then_some(p.text_bytes),
                    labels: vec![p.name.clone(), p.module.clone()],
                })
                .collect();
        }
        SizeBy::Section => {
            t.label_headers = &["Section"];
            t.noun = "sections";
            t.rows = named_rows(
                &report
                    .by_section
                    .iter()
                    .filter(|s| !view.code || matches!(s.name.as_str(), ".text" | "__text"))
                    .cloned()
                    .collect::<Vec<_>>(),
            );
        }
        SizeBy::Symbol => {
            t.label_headers = &["Symbol", "Package"];
            t.noun = "symbols";
            t.rows = attribution
                .map(|a| a.symbols(view.code))
                .unwrap_or_default()
                .into_iter()
                .filter(|(_, pkg, module, _)| view.keeps(pkg, module))
                .map(|(item, pkg, _, bytes)| Row {
                    bytes,
                    extra: None,
                    labels: vec![item, pkg],
                })
                .collect();
        }
    }
    t.rows
        .sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.labels.cmp(&b.labels)));
    let shown: u64 = t.rows.iter().map(|r| r.bytes).sum();
    let rest = report.total.saturating_sub(shown);
    if rest > 0 {
        let what = if by == SizeBy::Symbol {
            "not a symbol's code or data (see --by section)"
        } else {
            ""
        };
        t.excluded.push((view.left_out(what), rest));
    }
    t
}

/// One row per (name, bytes).
fn named_rows(list: &[crate::size::Named]) -> Vec<Row> {
    list.iter()
        .map(|n| Row {
            bytes: n.bytes,
            extra: None,
            labels: vec![n.name.clone()],
        })
        .collect()
}

/// Each PATH with its label, and a universal Mach-O once per architecture slice
/// (`path[arm64]`, slice index). Each slice's figures add up to the slice's size; the
/// fat table and the alignment between slices belong to no slice. A fat file whose table
/// does not parse is listed once, without a slice, so its error is reported when read.
fn with_fat_slices(paths: &[PathBuf]) -> Vec<(PathBuf, String, Option<usize>)> {
    let mut out = Vec::new();
    for path in paths {
        let label = path.display().to_string();
        let slices = FileBytes::open(path).ok().and_then(|fb| {
            let data = fb.bytes();
            let slices = crate::binary::fat::slices(data).ok()?;
            crate::binary::fat::is_fat(data)
                .then(|| slices.iter().map(|s| s.label(&label)).collect::<Vec<_>>())
        });
        match slices {
            Some(labels) => out.extend(
                labels
                    .into_iter()
                    .enumerate()
                    .map(|(i, l)| (path.clone(), l, Some(i))),
            ),
            None => out.push((path.clone(), label, None)),
        }
    }
    out
}

/// The bytes of slice `i` of a fat file (the first when `None`), or the table's error.
fn fat_slice(data: &[u8], i: Option<usize>) -> Result<&[u8], crate::error::ParseError> {
    let slices = crate::binary::fat::slices(data)?;
    slices
        .get(i.unwrap_or(0))
        .map(|s| s.data)
        .ok_or_else(|| crate::error::ParseError::new("fat mach-o", "slice vanished while reading"))
}
