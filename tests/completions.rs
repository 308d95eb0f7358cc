//! `goaudit completions` and `goaudit man`: the bash script loads in bash and completes
//! subcommands and flags; the man page renders with groff without warnings; the
//! examples in `--help` parse as real command lines.

mod support;

use std::process::Command;

use clap::Parser;
use support::{goaudit, require_tool};

fn stdout_of(args: &[&str]) -> String {
    let out = goaudit().args(args).output().expect("run goaudit");
    assert!(
        out.status.success(),
        "goaudit {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "goaudit {args:?} wrote to stderr");
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Load the generated script in a non-interactive bash and run its completion function
/// on `words` (the last one is being completed); return the candidates.
fn bash_complete(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let bash = require_tool("bash", "apt-get install bash");
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let prog = format!(
        r#"source '{script}' || exit 9
complete -p goaudit || exit 8
COMP_WORDS=({words})
COMP_CWORD={cword}
COMP_LINE="${{COMP_WORDS[*]}}"
COMP_POINT=${{#COMP_LINE}}
_goaudit goaudit "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}"
"#,
        script = script.display(),
        words = quoted.join(" "),
        cword = words.len() - 1,
    );
    let out = Command::new(bash)
        .arg("--norc")
        .arg("-c")
        .arg(&prog)
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "bash could not load or run the completion script (exit {:?}):\n{}\n{}",
        out.status.code(),
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines = stdout.lines();
    // First line: `complete -p goaudit` shows the function is registered for goaudit.
    let registered = lines.next().unwrap_or_default();
    assert!(
        registered.contains("_goaudit") && registered.ends_with("goaudit"),
        "complete -p goaudit printed {registered:?}"
    );
    lines.map(str::to_string).collect()
}

#[test]
fn bash_completion_loads_and_completes_subcommands_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("goaudit.bash");
    std::fs::write(&script, stdout_of(&["completions", "bash"])).unwrap();

    let got = bash_complete(&script, &["goaudit", "ch"]);
    assert_eq!(got, ["check"], "completing `goaudit ch`");

    let got = bash_complete(&script, &["goaudit", ""]);
    for sub in [
        "audit",
        "buildinfo",
        "check",
        "baseline",
        "hook",
        "size",
        "shrink",
        "completions",
        "man",
    ] {
        assert!(got.iter().any(|c| c == sub), "{sub} not offered: {got:?}");
    }

    let got = bash_complete(&script, &["goaudit", "size", "--b"]);
    assert_eq!(got, ["--by"], "completing `goaudit size --b`");

    let got = bash_complete(&script, &["goaudit", "completions", ""]);
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        assert!(
            got.iter().any(|c| c == shell),
            "{shell} not offered: {got:?}"
        );
    }
}

#[test]
fn every_shell_gets_a_script_naming_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let s = stdout_of(&["completions", shell]);
        for sub in ["check", "baseline", "shrink", "completions"] {
            assert!(s.contains(sub), "{shell} script lacks {sub}");
        }
    }
    let out = goaudit().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "unknown shell must be a usage error"
    );
}

/// groff with every warning on (`-ww`) and output discarded (`-z`): a page it warns
/// about is not valid roff.
fn groff_check(page: &[u8], what: &str) -> String {
    let groff = require_tool(
        "groff",
        "apt-get install groff-base (scripts/setup.sh does)",
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("page.1");
    std::fs::write(&path, page).unwrap();
    let check = Command::new(&groff)
        .args(["-man", "-ww", "-z"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        check.status.success() && check.stderr.is_empty(),
        "groff warns about {what}:\n{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let text = Command::new(&groff)
        .args(["-man", "-Tutf8", "-P-cbou"])
        .arg(&path)
        .env("MANWIDTH", "100")
        .output()
        .unwrap();
    assert!(text.status.success(), "groff could not render {what}");
    String::from_utf8_lossy(&text.stdout).into_owned()
}

#[test]
fn man_page_is_valid_roff_and_renders_the_commands_and_examples() {
    let page = stdout_of(&["man"]);
    assert!(page.contains(".TH goaudit 1"), "no .TH header");
    let text = groff_check(page.as_bytes(), "goaudit man");
    for want in [
        "NAME",
        "SYNOPSIS",
        "really static",
        "goaudit-check(1)",
        "goaudit-completions(1)",
        "EXAMPLES",
        "goaudit hook install",
    ] {
        assert!(text.contains(want), "rendered page lacks {want:?}:\n{text}");
    }

    // --dir writes a page per subcommand (hidden ones excepted), each valid.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("man1");
    let out = goaudit().args(["man", "--dir"]).arg(&d).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in [
        "goaudit.1",
        "goaudit-check.1",
        "goaudit-size.1",
        "goaudit-hook-install.1",
    ] {
        let p = d.join(name);
        let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        groff_check(&bytes, name);
    }
    let check = std::fs::read_to_string(d.join("goaudit-check.1")).unwrap();
    assert!(
        check.contains("require\\-static"),
        "check page lacks --require-static"
    );
    assert!(
        !d.join("goaudit-debug-pclntab.1").exists(),
        "hidden command got a page"
    );
}

/// The examples at the end of `goaudit --help` are real command lines: each parses with
/// the same clap definitions main() uses.
#[test]
fn help_examples_parse() {
    let help = stdout_of(&["--help"]);
    let examples = help
        .split("\nExamples:\n")
        .nth(1)
        .expect("--help has an Examples: section");
    let mut n = 0;
    for line in examples.lines().take_while(|l| l.starts_with("  ")) {
        // The command is the text before the aligned comment; `a && b` is two commands,
        // `... | jq` and `source <(...)` keep only goaudit's part.
        let cmdline = line.trim().split("   ").next().unwrap().trim();
        let cmdline = cmdline
            .trim_start_matches("source <(")
            .trim_end_matches(')');
        for cmd in cmdline.split("&&") {
            let cmd = cmd.split('|').next().unwrap().trim();
            let words: Vec<&str> = cmd.split_whitespace().collect();
            assert_eq!(words[0], "goaudit", "example {line:?}");
            let cli = goaudit::cli::Cli::try_parse_from(&words)
                .unwrap_or_else(|e| panic!("example `{cmd}` does not parse:\n{e}"));
            // A bare word that is not a path must be a subcommand, not a file to audit
            // (a misspelt subcommand would parse as one).
            let first = words.get(1).copied().unwrap_or("");
            if !first.starts_with('-') && !first.contains('/') && !first.contains('.') {
                assert!(
                    cli.command.is_some(),
                    "example `{cmd}`: {first} is no subcommand"
                );
            }
            n += 1;
        }
    }
    assert!(n >= 8, "only {n} examples found");
}
