//! Running the external `upx` packer: pack, test, unpack.
//!
//! UPX's exit status is 0 for success, 1 for an error and 2 for a warning (such as "not
//! packed" or "already packed"); every non-zero status is a failure here, because a
//! warning still means the file was not produced as asked.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Serialize;

/// How hard UPX compresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum UpxLevel {
    /// `upx --lzma`: about 28–33% of a stripped Go binary; the default.
    Lzma,
    /// `upx -1`: fastest, about 41–48% of a stripped Go binary.
    Fast,
    /// `upx --best`: NRV at its slowest, measured ten times slower than LZMA and still
    /// larger; not recommended.
    // Named `best` at first, which read as "smallest": that spelling is still accepted.
    #[serde(rename = "nrv-max")]
    #[value(name = "nrv-max", alias = "best")]
    NrvMax,
}

impl UpxLevel {
    /// The UPX flags for this level.
    pub fn args(self) -> &'static [&'static str] {
        match self {
            UpxLevel::Fast => &["-1"],
            UpxLevel::NrvMax => &["--best"],
            UpxLevel::Lzma => &["--lzma"],
        }
    }

    /// The command as shown in reports, e.g. `upx --lzma`.
    pub fn label(self) -> String {
        format!("upx {}", self.args().join(" "))
    }
}

/// How to get UPX, shown whenever it is needed and missing.
pub const INSTALL_HINT: &str = "install UPX: on Debian 12 `apt-get install -t bookworm-backports upx-ucl` \
     (enable bookworm-backports first), elsewhere the `upx` package or a release from the UPX project";

/// `upx` on PATH, if any.
pub fn find() -> Option<PathBuf> {
    which::which("upx").ok()
}

/// Pack `input` into the new file `output` at `level`.
pub fn pack(upx: &Path, level: UpxLevel, input: &Path, output: &Path) -> Result<(), String> {
    let mut args: Vec<&OsStr> = level.args().iter().map(OsStr::new).collect();
    args.extend([
        OsStr::new("-q"),
        OsStr::new("-o"),
        output.as_os_str(),
        input.as_os_str(),
    ]);
    run(upx, &args)
}

/// `upx -t`: UPX decompresses the file in memory and checks its checksums.
pub fn test(upx: &Path, file: &Path) -> Result<(), String> {
    run(upx, &[OsStr::new("-t"), OsStr::new("-q"), file.as_os_str()])
}

/// `upx -d -o output input`: restore the original program into a new file.
pub fn unpack(upx: &Path, input: &Path, output: &Path) -> Result<(), String> {
    run(
        upx,
        &[
            OsStr::new("-d"),
            OsStr::new("-q"),
            OsStr::new("-o"),
            output.as_os_str(),
            input.as_os_str(),
        ],
    )
}

/// Unpack a UPX-packed file into a fresh temporary directory, for auditing.
///
/// Returns `Ok(None)` when `upx` is not installed. The directory (and the unpacked file)
/// disappear when the returned guard is dropped.
pub fn unpack_to_temp(packed: &Path) -> Result<Option<(tempfile::TempDir, PathBuf)>, String> {
    let Some(upx) = find() else {
        return Ok(None);
    };
    let dir = tempfile::Builder::new()
        .prefix("goaudit-unpack-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let out = dir.path().join("unpacked");
    unpack(&upx, packed, &out)?;
    Ok(Some((dir, out)))
}

fn run(upx: &Path, args: &[&OsStr]) -> Result<(), String> {
    let shown = std::iter::once("upx".to_string())
        .chain(args.iter().map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new(upx)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    // UPX prints its exception ("upx: x: CantPackException: bad DT_HASH") on stderr,
    // but some builds put it on stdout; the last non-empty line is the reason.
    let reason = stderr
        .lines()
        .chain(stdout.lines())
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no message");
    let status = out
        .status
        .code()
        .map_or("killed by a signal".to_string(), |c| format!("exit {c}"));
    Err(format!("`{shown}` failed ({status}): {reason}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_flags() {
        assert_eq!(UpxLevel::Lzma.label(), "upx --lzma");
        assert_eq!(UpxLevel::Fast.label(), "upx -1");
        assert_eq!(UpxLevel::NrvMax.label(), "upx --best");
        use clap::ValueEnum;
        assert_eq!(UpxLevel::from_str("nrv-max", false), Ok(UpxLevel::NrvMax));
        assert_eq!(UpxLevel::from_str("best", false), Ok(UpxLevel::NrvMax));
        let shown: Vec<String> = UpxLevel::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value())
            .filter(|p| !p.is_hide_set())
            .map(|p| p.get_name().to_string())
            .collect();
        assert_eq!(shown, ["lzma", "fast", "nrv-max"]);
    }

    #[test]
    fn a_failing_command_reports_its_last_line() {
        // `false` stands in for a UPX that fails: the status must surface.
        let e = run(Path::new("false"), &[]).unwrap_err();
        assert!(e.contains("exit 1"), "{e}");
        let e = run(Path::new("/nonexistent/upx"), &[]).unwrap_err();
        assert!(e.starts_with("cannot run `upx`"), "{e}");
    }
}
