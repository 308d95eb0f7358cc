//! `goaudit hook install|uninstall`: a git pre-push hook that runs `goaudit check`.
//!
//! The hook goes where git looks for it (`git rev-parse --git-path hooks`, which honours
//! core.hooksPath) and carries a marker line so that goaudit only ever overwrites or
//! removes a hook it wrote itself. A user's own pre-push hook replaced with `--force` is
//! kept beside it as `pre-push.goaudit-backup`, run first by goaudit's hook, and put
//! back by `uninstall`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::{Args, Subcommand};

use super::{Exit, report_error};
use crate::error::Error;

/// The line that identifies a hook goaudit wrote.
pub const MARKER: &str = "# managed by goaudit";

/// Where a replaced pre-push hook is kept, beside the hook; goaudit's hook runs it first.
pub const BACKUP: &str = "pre-push.goaudit-backup";

/// `goaudit hook ...`
#[derive(Debug, Args, Clone)]
pub struct HookArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: HookAction,
}

/// Hook actions.
#[derive(Debug, Subcommand, Clone)]
pub enum HookAction {
    /// Write a pre-push hook that runs `goaudit check` (skip once with GOAUDIT_SKIP=1).
    Install {
        /// Install over a pre-push hook goaudit did not write: it is kept as
        /// pre-push.goaudit-backup and run before the check (uninstall puts it back).
        #[arg(long)]
        force: bool,
    },
    /// Remove the pre-push hook, if goaudit wrote it, and put back the hook it replaced.
    Uninstall {
        /// Remove the pre-push hook even if goaudit did not write it.
        #[arg(long)]
        force: bool,
    },
}

/// Run a hook action in the repository of the current directory.
pub fn run(args: &HookArgs, out: &mut dyn Write, err: &mut dyn Write) -> std::io::Result<Exit> {
    let res = match &args.action {
        HookAction::Install { force } => install(*force),
        HookAction::Uninstall { force } => uninstall(*force),
    };
    match res {
        Ok(msg) => {
            writeln!(out, "{msg}")?;
            Ok(Exit::Ok)
        }
        Err(e) => {
            report_error(err, &e);
            Ok(Exit::Error)
        }
    }
}

/// The pre-push hook path for the repository around the current directory.
pub fn hook_path() -> Result<PathBuf, Error> {
    let o = Command::new("git")
        .args(["rev-parse", "--git-path", "hooks"])
        .output()
        .map_err(|e| Error::Other(format!("cannot run git: {e}")))?;
    if !o.status.success() {
        let msg = String::from_utf8_lossy(&o.stderr);
        return Err(Error::Usage(format!(
            "not inside a git repository: {}",
            msg.trim().trim_start_matches("fatal: ")
        )));
    }
    let dir = String::from_utf8_lossy(&o.stdout)
        .trim_end_matches(['\n', '\r'])
        .to_string();
    Ok(PathBuf::from(dir).join("pre-push"))
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The hook script. It first runs the hook it replaced, when one is saved beside it (both
/// get git's arguments and the pushed refs on stdin; its failure blocks the push), then
/// `goaudit check --hook`. It prefers the goaudit that installed it (so a hook works in a
/// shell without goaudit on PATH), falling back to PATH when that file is gone.
pub fn script(exe: &Path) -> String {
    format!(
        r#"#!/bin/sh
{MARKER}: written by `goaudit hook install`, removed by `goaudit hook uninstall`.
# Runs the pre-push hook it replaced ({BACKUP} beside this file), if any, then
# `goaudit check` (goaudit.toml) before every push.
# Skip the check once with: GOAUDIT_SKIP=1 git push   (or git push --no-verify)
chained="$(dirname "$0")/{BACKUP}"
piped=
refs=
if [ -x "$chained" ] && [ ! -t 0 ]; then
    # Both hooks read the refs being pushed on stdin: keep them for the second.
    piped=1
    refs=$(cat)
fi
with_refs() {{
    if [ -n "$piped" ]; then
        {{ [ -z "$refs" ] || printf '%s
' "$refs"; }} | "$@"
    else
        "$@"
    fi
}}
if [ -x "$chained" ]; then
    with_refs "$chained" "$@"
    status=$?
    if [ "$status" -ne 0 ]; then
        echo "goaudit: push blocked: the pre-push hook goaudit replaced ($chained) failed with exit status $status" >&2
        exit "$status"
    fi
fi
if [ "${{GOAUDIT_SKIP:-}}" = "1" ]; then
    echo "goaudit: GOAUDIT_SKIP=1 set, skipping the check" >&2
    exit 0
fi
goaudit={exe}
if [ ! -x "$goaudit" ]; then
    goaudit=$(command -v goaudit) || {{
        echo "goaudit: not found (installed from {exe_plain}, not on PATH); install it or run: goaudit hook uninstall" >&2
        exit 1
    }}
fi
with_refs "$goaudit" check --hook
"#,
        exe = shell_quote(&exe.to_string_lossy()),
        exe_plain = exe.to_string_lossy().replace(['"', '$', '`', '\\'], "_"),
    )
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn install(force: bool) -> Result<String, Error> {
    let path = hook_path()?;
    let backup = path.with_file_name(BACKUP);
    let mut note = String::new();
    if let Ok(old) = std::fs::read(&path) {
        let ours = String::from_utf8_lossy(&old).contains(MARKER);
        if !ours {
            if !force {
                return Err(Error::Usage(format!(
                    "{}: a pre-push hook goaudit did not write is already there; chain `goaudit check --hook` from it, or install with --force (it is kept as {BACKUP} and run before the check)",
                    path.display()
                )));
            }
            if backup.exists() {
                return Err(Error::Usage(format!(
                    "{}: a hook saved by an earlier `goaudit hook install --force` is there; move it away (or make it the pre-push hook again) before replacing this one",
                    backup.display()
                )));
            }
            // A rename keeps the hook's mode, so it stays executable.
            std::fs::rename(&path, &backup).map_err(io(&backup))?;
            note = format!(
                "; it runs the hook it replaced first, saved as {}",
                backup.display()
            );
        }
    }
    if note.is_empty() && is_executable(&backup) {
        note = format!("; it runs the hook saved as {} first", backup.display());
    }
    let exe = std::env::current_exe()
        .map_err(|e| Error::Other(format!("cannot locate the goaudit executable: {e}")))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    std::fs::write(&path, script(&exe)).map_err(io(&path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .map_err(io(&path))?;
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let config = if crate::check::config::discover(&cwd).is_none() {
        "\nnote: no goaudit.toml found from here up; until there is one, the hook fails every push (see docs/check.md)"
    } else {
        ""
    };
    Ok(format!(
        "installed pre-push hook {}{note}; skip once with GOAUDIT_SKIP=1 git push{config}",
        path.display()
    ))
}

fn uninstall(force: bool) -> Result<String, Error> {
    let path = hook_path()?;
    let old = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(format!("no pre-push hook at {}", path.display()));
        }
        Err(e) => return Err(io(&path)(e)),
    };
    let ours = String::from_utf8_lossy(&old).contains(MARKER);
    if !ours && !force {
        return Err(Error::Usage(format!(
            "{}: this pre-push hook was not written by goaudit; left in place (use --force to remove it)",
            path.display()
        )));
    }
    let backup = path.with_file_name(BACKUP);
    if ours && backup.exists() {
        // The hook goaudit replaced goes back where it was, mode and all.
        std::fs::rename(&backup, &path).map_err(io(&path))?;
        return Ok(format!(
            "removed goaudit's pre-push hook and put back the hook it replaced at {}",
            path.display()
        ));
    }
    std::fs::remove_file(&path).map_err(io(&path))?;
    if backup.exists() {
        Ok(format!(
            "removed {}; the hook it replaced is still at {}",
            path.display(),
            backup.display()
        ))
    } else {
        Ok(format!("removed {}", path.display()))
    }
}

/// Whether `path` is a file git would run as a hook.
fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_quotes_the_path_and_carries_the_marker() {
        let s = script(Path::new("/opt/it's here/goaudit"));
        assert!(s.starts_with("#!/bin/sh\n# managed by goaudit"));
        assert!(s.contains(r"goaudit='/opt/it'\''s here/goaudit'"));
        assert!(s.contains("with_refs \"$goaudit\" check --hook"));
        assert!(s.contains("chained=\"$(dirname \"$0\")/pre-push.goaudit-backup\""));
    }
}
