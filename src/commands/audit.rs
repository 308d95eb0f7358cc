//! `goaudit [audit] PATH...`

use std::io::Write;

use super::{Exit, report_error};
use crate::audit::{self, Artifact, AuditError};
use crate::cli::AuditArgs;
use crate::error::Error;
use crate::input::{self, Entry, FileBytes};
use crate::render::{self, Style, json::InputError};

/// Run the audit over every PATH.
pub fn run(args: &AuditArgs, out: &mut dyn Write, err: &mut dyn Write) -> std::io::Result<Exit> {
    if args.paths.is_empty() {
        report_error(
            err,
            &Error::Usage("no PATH given; try `goaudit ./mybinary` or `goaudit --help`".into()),
        );
        return Ok(Exit::Error);
    }
    let style = Style::for_stdout(args.output.color);
    // A directory is reported as one table, a line per binary, once everything is read
    // (a directory holding a single binary keeps its full report); files named one by
    // one are reported as they are read.
    let walking = !args.output.json
        && args
            .paths
            .iter()
            .any(|p| p.is_dir() && !input::detect::is_oci_layout(p));
    let stream = !args.output.json && !walking;
    let mut artifacts = Vec::new();
    let mut images: Vec<crate::image::ImageReport> = Vec::new();
    // Input order of binaries (false) and images (true), for JSON.
    let mut order: Vec<(bool, usize)> = Vec::new();
    let image_opts = args.limits.options_for(!args.output.json);
    let mut errors = Vec::new();
    let mut skipped = 0usize;
    let fail = |err: &mut dyn Write, e: Error, errors: &mut Vec<InputError>, path: String| {
        super::input_failed(err, errors, path, e)
    };

    for entry in input::expand(&args.paths) {
        match entry {
            Entry::Skipped(note) => {
                writeln!(err, "goaudit: note: {note}")?;
            }
            Entry::Error(e) => {
                let path = error_path(&e);
                let e = with_subcommand_hint(e);
                fail(err, e, &mut errors, path);
            }
            Entry::OciLayout(p) => match read_image(&p, &image_opts) {
                Ok(found) => {
                    for r in found {
                        emit_image(r, stream, &style, out, &mut order, &mut images)?;
                    }
                }
                Err(e) => fail(err, e, &mut errors, p.display().to_string()),
            },
            // Archives (tar, gzip, zstd by content) are container images.
            Entry::File { path, explicit } if crate::image::looks_like_archive(&path) => {
                match read_image(&path, &image_opts) {
                    Ok(found) => {
                        for r in found {
                            emit_image(r, stream, &style, out, &mut order, &mut images)?;
                        }
                    }
                    Err(Error::Unsupported { .. }) if !explicit => skipped += 1,
                    Err(e) => fail(err, e, &mut errors, path.display().to_string()),
                }
            }
            Entry::File { path, explicit } => {
                let label = path.display().to_string();
                // A universal Mach-O yields one report per architecture slice.
                let slices =
                    super::guard::guard(&label, || audit_file_slices(&path, &label, args.size))
                        .unwrap_or_else(|e| vec![(label.clone(), Err(FileError::Fail(e)))]);
                for (label, audited) in slices {
                    match audited {
                        Ok(a) => {
                            order.push((false, artifacts.len()));
                            if stream {
                                if order.len() > 1 {
                                    writeln!(out)?;
                                }
                                render::text::write_artifact(out, &a, &style)?;
                            }
                            artifacts.push(a);
                        }
                        Err(FileError::Skip) if !explicit => skipped += 1,
                        Err(FileError::Skip) => {
                            let e = Error::Unsupported {
                                path: label.clone().into(),
                                what: "not a Go binary".into(),
                            };
                            fail(err, e, &mut errors, label);
                        }
                        Err(FileError::Fail(e)) => fail(err, e, &mut errors, label),
                    }
                }
            }
        }
    }

    if errors.is_empty() && artifacts.is_empty() && images.is_empty() {
        // Nothing to audit is an error, as in `check`: a CI step auditing an empty
        // directory (a build that wrote elsewhere) must not pass.
        let named: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
        let named = named.join(", ");
        let e = Error::Usage(format!(
            "{named}: no Go binaries or container images found ({skipped} other file{} skipped)",
            if skipped == 1 { "" } else { "s" }
        ));
        fail(err, e, &mut errors, named);
    }

    if args.output.json {
        if images.is_empty() {
            render::json::write_audit(out, &artifacts, &errors)?;
        } else {
            let mixed: Vec<render::json::AnyArtifact<'_>> = order
                .iter()
                .map(|&(img, i)| {
                    if img {
                        render::json::AnyArtifact::Image(&images[i])
                    } else {
                        render::json::AnyArtifact::Binary(&artifacts[i])
                    }
                })
                .collect();
            render::json::write_audit(out, &mixed, &errors)?;
        }
        return Ok(exit(&errors));
    }
    if walking {
        // Binaries first, then each image's report.
        match artifacts.as_slice() {
            [] => {}
            [one] => render::text::write_artifact(out, one, &style)?,
            all => render::text::write_table(out, all, &style)?,
        }
        for (i, r) in images.iter().enumerate() {
            if i > 0 || !artifacts.is_empty() {
                writeln!(out)?;
            }
            render::image::write_image(out, r, &style)?;
        }
    }
    if images.len() > 1 {
        writeln!(out)?;
        render::image::write_comparison(out, &images)?;
    } else if (skipped > 0 && !artifacts.is_empty()) || artifacts.len() > 1 {
        writeln!(out)?;
        let hint = if walking && artifacts.len() > 1 {
            "; `goaudit PATH` gives one binary's full report"
        } else {
            ""
        };
        writeln!(
            out,
            "{} Go binar{} audited, {skipped} other file{} skipped{hint}",
            artifacts.len(),
            if artifacts.len() == 1 { "y" } else { "ies" },
            if skipped == 1 { "" } else { "s" }
        )?;
    }
    Ok(exit(&errors))
}

fn exit(errors: &[InputError]) -> Exit {
    if errors.is_empty() {
        Exit::Ok
    } else {
        Exit::Error
    }
}

/// A path that does not exist and reads like a mistyped subcommand (`goaudit chek`)
/// gets "did you mean `goaudit check`?".
fn with_subcommand_hint(e: Error) -> Error {
    let Error::Io { path, source } = &e else {
        return e;
    };
    let word = path.to_string_lossy();
    if source.kind() != std::io::ErrorKind::NotFound || word.contains(['/', '\\', '.']) {
        return e;
    }
    use clap::CommandFactory;
    let cmd = crate::cli::Cli::command();
    let names: Vec<String> = cmd
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect();
    match crate::suggest::nearest(&word, names.iter().map(String::as_str)) {
        Some(n) => Error::Usage(format!(
            "{word}: no such file or directory, and no subcommand `{word}`; did you mean `goaudit {n}`?"
        )),
        None => e,
    }
}

/// Print an image report (human output, when `print` is set) and remember it, in input
/// order, for JSON and for printing later.
fn emit_image(
    r: crate::image::ImageReport,
    print: bool,
    style: &Style,
    out: &mut dyn Write,
    order: &mut Vec<(bool, usize)>,
    images: &mut Vec<crate::image::ImageReport>,
) -> std::io::Result<()> {
    if print {
        if !order.is_empty() {
            writeln!(out)?;
        }
        render::image::write_image(out, &r, style)?;
    }
    order.push((true, images.len()));
    images.push(r);
    Ok(())
}

/// Read a container image, a panic inside becoming its error.
pub(crate) fn read_image(
    path: &std::path::Path,
    opts: &crate::image::Options,
) -> Result<Vec<crate::image::ImageReport>, Error> {
    super::guard::guard(&path.display().to_string(), || {
        crate::image::read(path, opts)
    })
    .and_then(|r| r)
}

/// Why one file produced no report; shared with `check` and `baseline`.
pub(crate) enum FileError {
    /// Not an executable or not Go: skipped inside a directory, an error when named.
    Skip,
    /// Unreadable or malformed.
    Fail(Error),
}

/// Audit one file; without `with_size` the byte attribution is skipped, which is what
/// keeps the human report as fast as `go version -m`.
pub(crate) fn audit_file_with(
    path: &std::path::Path,
    label: &str,
    with_size: bool,
) -> Result<Artifact, FileError> {
    let bytes = FileBytes::open(path).map_err(FileError::Fail)?;
    let data = bytes.bytes();
    if data.is_empty() {
        return Err(FileError::Fail(Error::Unsupported {
            path: path.into(),
            what: "empty file".into(),
        }));
    }
    // A UPX-packed program is audited through `upx -d` when upx is installed.
    if let Some(a) = crate::shrink::audit_packed(path, label, data) {
        return Ok(a);
    }
    let audited = if with_size {
        audit::audit_bytes(label, data)
    } else {
        audit::audit_fast(label, data)
    };
    match audited {
        Ok(a) => Ok(a),
        Err(AuditError::NotExecutable) | Err(AuditError::NotGo) => Err(FileError::Skip),
        Err(AuditError::Malformed(p)) => Err(FileError::Fail(p.at(path))),
    }
}

/// Audit one file, or each architecture slice of a universal Mach-O (labelled
/// `label[arm64]`), returning each report with its label. A fat table that does not fit
/// the file is one error for the whole file.
pub(crate) fn audit_file_slices(
    path: &std::path::Path,
    label: &str,
    with_size: bool,
) -> Vec<(String, Result<Artifact, FileError>)> {
    let bytes = match FileBytes::open(path) {
        Ok(b) => b,
        Err(e) => return vec![(label.to_string(), Err(FileError::Fail(e)))],
    };
    let data = bytes.bytes();
    if !crate::binary::fat::is_fat(data) {
        return vec![(label.to_string(), audit_file_with(path, label, with_size))];
    }
    let slices = match crate::binary::fat::slices(data) {
        Ok(s) => s,
        Err(e) => return vec![(label.to_string(), Err(FileError::Fail(e.at(path))))],
    };
    slices
        .iter()
        .map(|s| {
            let label = s.label(label);
            let audited = if with_size {
                audit::audit_bytes(&label, s.data)
            } else {
                audit::audit_fast(&label, s.data)
            };
            let result = match audited {
                Ok(a) => Ok(a),
                Err(AuditError::NotExecutable) | Err(AuditError::NotGo) => Err(FileError::Skip),
                Err(AuditError::Malformed(p)) => Err(FileError::Fail(p.at(&label))),
            };
            (label, result)
        })
        .collect()
}

fn error_path(e: &Error) -> String {
    match e {
        Error::Io { path, .. }
        | Error::Unsupported { path, .. }
        | Error::Malformed { path, .. }
        | Error::Damaged { path, .. }
        | Error::Internal { path, .. } => path.display().to_string(),
        other => other
            .to_string()
            .split(": ")
            .next()
            .unwrap_or("")
            .to_string(),
    }
}
