//! `goaudit buildinfo PATH...`: the same text as `go version -m`, byte for byte.
//!
//! A file that is not Go (or whose header is broken) gets one error line on stderr and
//! exit 2 (and an entry in `errors` with `--json`), and the remaining files are still
//! printed.

use std::io::Write;

use serde::Serialize;

use super::Exit;
use crate::binary::Binary;
use crate::cli::BuildinfoArgs;
use crate::error::Error;
use crate::go::buildinfo::{self, BuildInfo};
use crate::input::FileBytes;
use crate::render::json::{InputError, Tool};

/// `buildinfo --json`: the envelope every command's JSON shares.
#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: Tool,
    /// One entry per Go binary, in input order.
    buildinfo: &'a [Entry],
    /// Inputs that could not be read: `{path, error}`.
    errors: &'a [InputError],
}

/// One binary's buildinfo and the path it was read from.
#[derive(Serialize)]
struct Entry {
    path: String,
    buildinfo: BuildInfo,
}

/// Print buildinfo for each file.
pub fn run(
    args: &BuildinfoArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<Exit> {
    let mut infos: Vec<Entry> = Vec::new();
    let mut errors: Vec<InputError> = Vec::new();
    for path in &args.paths {
        let label = path.display().to_string();
        let is_image = if path.is_dir() {
            crate::input::detect::is_image_dir(path)
        } else {
            crate::image::looks_like_archive(path)
        };
        if is_image {
            // Each Go binary in the image, labelled `<archive>:<path in the image>`.
            match super::audit::read_image(path, &args.limits.options_for(!args.json)) {
                Ok(found) => {
                    let keys = super::check::image_keys(&label, &found);
                    for (image, r) in keys.iter().zip(&found) {
                        if r.binaries.is_empty() {
                            writeln!(err, "goaudit: {image}: no Go binaries in the image")?;
                        }
                        for b in &r.binaries {
                            let Some(bi) = &b.buildinfo else { continue };
                            let inner = format!("{image}:{}", b.path);
                            if bi.inferred && !args.json {
                                writeln!(
                                    err,
                                    "goaudit: {inner}: no buildinfo header; go version inferred from the binary, module info unavailable"
                                )?;
                            }
                            if args.json {
                                infos.push(Entry {
                                    path: inner,
                                    buildinfo: bi.clone(),
                                });
                            } else {
                                out.write_all(&buildinfo::format_go_version_m_bytes(
                                    inner.as_bytes(),
                                    bi,
                                ))?;
                            }
                        }
                    }
                }
                Err(e) => super::input_failed(err, &mut errors, label, e),
            }
            continue;
        }
        let result = super::guard::guard(&label, || {
            FileBytes::open(path).and_then(|fb| {
                let mut data = fb.bytes();
                // `go version` reads a universal Mach-O through its first slice only
                // (debug/buildinfo takes `Arches[0]`), so the output names the file once.
                if crate::binary::fat::is_fat(data) {
                    let slices = crate::binary::fat::slices(data).map_err(|e| e.at(path))?;
                    data = slices.first().map_or(&[][..], |s| s.data);
                }
                let bin = Binary::parse(data).map_err(|e| e.at(path))?;
                match buildinfo::read(&bin).map_err(|e| e.at(path))? {
                    Some(bi) => Ok(bi),
                    None => Err(Error::Unsupported {
                        path: path.clone(),
                        what: "no Go buildinfo found".into(),
                    }),
                }
            })
        })
        .and_then(|r| r);
        match result {
            Ok(buildinfo) if args.json => infos.push(Entry {
                path: label,
                buildinfo,
            }),
            Ok(bi) => {
                // `go version -m` prints nothing for a binary without the header; printing
                // the recovered version is more useful, but it must not pass for the real
                // thing, hence the note on stderr.
                if bi.inferred {
                    let _ = writeln!(
                        err,
                        "goaudit: {label}: no buildinfo header; go version inferred from the binary, module info unavailable"
                    );
                }
                out.write_all(&buildinfo::format_go_version_m_bytes(
                    &label_bytes(path),
                    &bi,
                ))?
            }
            Err(e) => super::input_failed(err, &mut errors, label, e),
        }
    }
    if args.json {
        let doc = Document {
            schema_version: crate::audit::SCHEMA_VERSION,
            tool: Tool::this(),
            buildinfo: &infos,
            errors: &errors,
        };
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
    }
    Ok(if errors.is_empty() {
        Exit::Ok
    } else {
        Exit::Error
    })
}

/// The file name exactly as given, as `go version` prints it (not UTF-8 on Unix is fine).
fn label_bytes(path: &std::path::Path) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        path.display().to_string().into_bytes()
    }
}
