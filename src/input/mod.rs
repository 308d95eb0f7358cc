//! Input handling: turning the PATHs a user gave into files to audit.
//!
//! A file is mapped read-only (never copied, never written). A directory is walked
//! recursively; entries that cannot be read and symlink loops are reported and the walk
//! goes on.

pub mod detect;

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A read-only view of a whole file: memory-mapped when possible.
#[derive(Debug)]
pub struct FileBytes {
    map: Option<memmap2::Mmap>,
}

impl FileBytes {
    /// Map `path` read-only. Empty files map to an empty slice.
    pub fn open(path: &Path) -> Result<Self> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if meta.is_dir() {
            return Err(Error::Unsupported {
                path: path.to_path_buf(),
                what: "is a directory".into(),
            });
        }
        if meta.len() == 0 {
            return Ok(FileBytes { map: None });
        }
        // SAFETY: the map is read-only and private to this process. If another process
        // truncates the file while we read it, access can fault; that is the accepted
        // trade-off of every mmap-based reader (ripgrep, object's examples) for not
        // copying multi-hundred-megabyte binaries.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
        Ok(FileBytes { map: Some(map) })
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        self.map.as_deref().unwrap_or(&[])
    }
}

/// One thing found while expanding the user's PATHs.
#[derive(Debug)]
pub enum Entry {
    /// A regular file to look at. `explicit` is true when the user named it directly,
    /// which makes "not a Go binary" an error rather than a skip.
    File {
        /// The file.
        path: PathBuf,
        /// Named on the command line rather than found in a directory.
        explicit: bool,
    },
    /// A directory that is an image (an OCI layout, or skopeo's `dir:` layout): audited
    /// as one image.
    OciLayout(PathBuf),
    /// Something that could not be read; reported, never fatal to the walk.
    Error(Error),
    /// Something a walk left out on purpose (a symlink loop such as Debian's
    /// `/usr/bin/X11 -> .`): a note, not an error.
    Skipped(String),
}

/// Expand PATHs: files as given, directories walked in sorted order.
pub fn expand(paths: &[PathBuf]) -> Vec<Entry> {
    let mut out = Vec::new();
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => {
                if detect::is_image_dir(p) {
                    out.push(Entry::OciLayout(p.clone()));
                } else {
                    let mut seen = Vec::new();
                    walk(p, &mut out, &mut seen);
                }
            }
            Ok(_) => out.push(Entry::File {
                path: p.clone(),
                explicit: true,
            }),
            Err(source) => out.push(Entry::Error(Error::Io {
                path: p.clone(),
                source,
            })),
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<Entry>, seen: &mut Vec<PathBuf>) {
    // Symlinked directories are followed, so guard against loops by canonical path.
    let canon = match std::fs::canonicalize(dir) {
        Ok(c) => c,
        Err(source) => {
            out.push(Entry::Error(Error::Io {
                path: dir.to_path_buf(),
                source,
            }));
            return;
        }
    };
    if seen.contains(&canon) {
        out.push(Entry::Skipped(format!(
            "{}: symlink loop (points back to {}), not followed",
            dir.display(),
            canon.display()
        )));
        return;
    }
    seen.push(canon);
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(source) => {
            out.push(Entry::Error(Error::Io {
                path: dir.to_path_buf(),
                source,
            }));
            seen.pop();
            return;
        }
    };
    let mut children: Vec<PathBuf> = Vec::new();
    for e in rd {
        match e {
            Ok(e) => children.push(e.path()),
            Err(source) => out.push(Entry::Error(Error::Io {
                path: dir.to_path_buf(),
                source,
            })),
        }
    }
    children.sort();
    for c in children {
        match std::fs::metadata(&c) {
            // Version-control metadata holds no artifacts (and can be large).
            Ok(m) if m.is_dir() && c.file_name().is_some_and(|n| n == ".git") => {}
            Ok(m) if m.is_dir() => {
                if detect::is_image_dir(&c) {
                    out.push(Entry::OciLayout(c));
                } else {
                    walk(&c, out, seen);
                }
            }
            Ok(m) if m.is_file() => out.push(Entry::File {
                path: c,
                explicit: false,
            }),
            Ok(_) => {} // sockets, fifos, devices: not binaries
            Err(source) => {
                // A dangling symlink or a loop of symlinks (ELOOP) lands here.
                if source.raw_os_error() == Some(40) {
                    out.push(Entry::Skipped(format!(
                        "{}: symlink loop, not followed",
                        c.display()
                    )));
                } else {
                    out.push(Entry::Error(Error::Other(format!(
                        "{}: {source}",
                        c.display()
                    ))));
                }
            }
        }
    }
    seen.pop();
}
