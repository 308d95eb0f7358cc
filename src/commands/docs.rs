//! `goaudit completions SHELL` and `goaudit man`: shell completion scripts and man pages
//! generated from the clap definitions in [`crate::cli`], so they never drift from the
//! flags goaudit really takes.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, CommandFactory};

use super::{Exit, report_error};
use crate::error::Error;

/// `goaudit completions SHELL`
#[derive(Debug, Args, Clone)]
pub struct CompletionsArgs {
    /// The shell to write a completion script for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `goaudit man [--dir DIR]`
#[derive(Debug, Args, Clone)]
pub struct ManArgs {
    /// Write goaudit.1 and one goaudit-SUBCOMMAND.1 page per subcommand into DIR instead
    /// of printing goaudit.1 on stdout.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// The clap command, named as installed.
fn command() -> clap::Command {
    crate::cli::Cli::command()
        .name("goaudit")
        .bin_name("goaudit")
}

/// Print the completion script for one shell.
pub fn completions(args: &CompletionsArgs, out: &mut dyn Write) -> std::io::Result<Exit> {
    let mut cmd = command();
    clap_complete::generate(args.shell, &mut cmd, "goaudit", out);
    Ok(Exit::Ok)
}

/// Print goaudit.1, or write every page into a directory.
pub fn man(args: &ManArgs, out: &mut dyn Write, err: &mut dyn Write) -> std::io::Result<Exit> {
    let cmd = command();
    match &args.dir {
        None => {
            top_page(cmd, out)?;
            Ok(Exit::Ok)
        }
        Some(dir) => {
            let res =
                std::fs::create_dir_all(dir).and_then(|()| clap_mangen::generate_to(cmd, dir));
            match res {
                Ok(()) => {
                    writeln!(out, "wrote man pages to {}", dir.display())?;
                    Ok(Exit::Ok)
                }
                Err(e) => {
                    report_error(
                        err,
                        &Error::Io {
                            path: dir.clone(),
                            source: e,
                        },
                    );
                    Ok(Exit::Error)
                }
            }
        }
    }
}

/// goaudit.1: clap_mangen's sections, with the `--help` examples as an EXAMPLES section
/// set verbatim (`.nf`) instead of clap_mangen's filled paragraph.
fn top_page(cmd: clap::Command, out: &mut dyn Write) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(cmd);
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    man.render_subcommands_section(out)?;
    write_examples(crate::cli::EXAMPLES, out)?;
    man.render_version_section(out)
}

/// The examples text as roff: a heading line ends with `:`, indented lines are set
/// verbatim, other lines are filled text.
fn write_examples(text: &str, out: &mut dyn Write) -> std::io::Result<()> {
    let mut verbatim = false;
    for line in text.lines() {
        let esc = roff_escape(line);
        if line == "Examples:" {
            writeln!(out, ".SH EXAMPLES")?;
        } else if let Some(body) = line.strip_prefix("  ") {
            if !verbatim {
                writeln!(out, ".PP\n.nf")?;
                verbatim = true;
            }
            writeln!(out, "{}", roff_escape(body))?;
        } else {
            if verbatim {
                writeln!(out, ".fi")?;
                verbatim = false;
            }
            if line.is_empty() {
                writeln!(out, ".PP")?;
            } else {
                writeln!(out, "{esc}")?;
            }
        }
    }
    if verbatim {
        writeln!(out, ".fi")?;
    }
    Ok(())
}

/// Text safe in a roff line: backslashes and minus signs escaped, no leading control
/// character.
fn roff_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    if s.starts_with('.') || s.starts_with('\'') {
        o.push_str("\\&");
    }
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\e"),
            '-' => o.push_str("\\-"),
            '\'' => o.push_str("\\(aq"),
            '`' => o.push_str("\\(ga"),
            _ => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_are_verbatim_roff() {
        let mut v = Vec::new();
        write_examples("Examples:\n  a --b 'c'   d\n\nExit -1.\n", &mut v).unwrap();
        assert_eq!(
            String::from_utf8(v).unwrap(),
            ".SH EXAMPLES\n.PP\n.nf\na \\-\\-b \\(aqc\\(aq   d\n.fi\n.PP\nExit \\-1.\n"
        );
        assert_eq!(roff_escape(".x\\"), "\\&.x\\e");
    }
}
