//! `goaudit check [PATH...]`: evaluate the policy, render it, exit 0/1/2.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use clap::Args;

use super::audit::{FileError, audit_file_slices};
use super::{Exit, report_error};
use crate::audit::Artifact;
use crate::check::baseline::{self, Baseline};
use crate::check::config::{self, Budget, Config, Level, Limit, PathPattern};
use crate::check::image::Waste;
use crate::check::rules::{self, Facts, Policy};
use crate::check::{CheckReport, RuleSummary};
use crate::error::Error;
use crate::finding::Code;
use crate::image::ImageReport;
use crate::input::{self, Entry};
use crate::render::json::InputError;
use crate::render::{self, ColorChoice, Style};

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    /// Readable report (plus GitHub annotations and a job summary under GITHUB_ACTIONS=true).
    Human,
    /// One JSON document.
    Json,
    /// A GitHub-flavoured markdown table.
    Markdown,
    /// GitHub Actions workflow commands (`::error`, `::warning`).
    Github,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// JUnit XML: one testcase per artifact and rule.
    Junit,
}

/// `goaudit check [PATH...]`
#[derive(Debug, Args, Clone)]
pub struct CheckArgs {
    /// Binaries, container images (docker-archive, OCI, Nix dockerTools) or directories
    /// to check; default: the `paths` and `[[budget]]` paths of
    /// goaudit.toml.
    pub paths: Vec<PathBuf>,
    /// Config file; default: the first goaudit.toml, .goaudit.toml or
    /// .config/goaudit.toml found walking up from the current directory.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Baseline file; default: `baseline` in the config, else .goaudit/baseline.json.
    #[arg(long, value_name = "PATH")]
    pub baseline: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: CheckFormat,
    /// Fail unless every binary is statically linked (deny dynamic-link).
    #[arg(long)]
    pub require_static: bool,
    /// Fail when runtime/cgo is linked (deny cgo-linked, cgo-resolver, cgo-os-user).
    #[arg(long)]
    pub no_cgo: bool,
    /// Size budget for every checked binary, e.g. 12MiB, 12.5MB, 800KiB.
    #[arg(long, value_name = "SIZE", value_parser = parse_size_arg)]
    pub max_size: Option<u64>,
    /// Budget on the gzip-compressed size (level 6: what a registry or download
    /// transfers) of every checked binary.
    #[arg(long, value_name = "SIZE", value_parser = parse_size_arg)]
    pub max_gzip_size: Option<u64>,
    /// Budget on the zstd-compressed size of every checked binary.
    #[arg(long, value_name = "SIZE", value_parser = parse_size_arg)]
    pub max_zstd_size: Option<u64>,
    /// Allowed growth against the baseline for every checked binary, in percent.
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent_arg)]
    pub max_growth: Option<f64>,
    /// Cap on every checked image's wasted bytes (content overwritten or deleted in a
    /// later layer): a size such as 20MiB, or a share of the content size such as 5%.
    #[arg(long, value_name = "SIZE|PERCENT", value_parser = config::parse_wasted)]
    pub max_wasted: Option<config::Wasted>,
    /// Minimum efficiency of every checked image (visible bytes / content bytes), in
    /// percent, e.g. 95.
    #[arg(long, value_name = "PERCENT", value_parser = config::parse_percent)]
    pub min_efficiency: Option<f64>,
    /// Set a rule to deny (repeatable).
    #[arg(long, value_name = "RULE", value_parser = parse_rule_arg)]
    pub deny: Vec<Code>,
    /// Set a rule to warn (repeatable).
    #[arg(long, value_name = "RULE", value_parser = parse_rule_arg)]
    pub warn: Vec<Code>,
    /// Set a rule to allow (repeatable).
    #[arg(long, value_name = "RULE", value_parser = parse_rule_arg)]
    pub allow: Vec<Code>,
    /// Report violations but exit 0 (errors still exit 2).
    #[arg(long)]
    pub exit_zero: bool,
    /// Run as a git pre-push hook: honour GOAUDIT_SKIP=1, read the pushed refs from
    /// stdin when it is not a terminal.
    #[arg(long)]
    pub hook: bool,
    /// When to colour human output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// Limits on reading container images.
    #[command(flatten)]
    pub limits: crate::cli::ImageLimits,
}

fn parse_size_arg(s: &str) -> Result<u64, String> {
    config::parse_size(s)
}

fn parse_percent_arg(s: &str) -> Result<f64, String> {
    let t = s.trim().trim_end_matches('%');
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!(
            "invalid percentage {s:?}: expected a non-negative number such as 5 or 2.5"
        )),
    }
}

fn parse_rule_arg(s: &str) -> Result<Code, String> {
    Code::from_id(s).ok_or_else(|| config::unknown_rule(s))
}

/// An audited file or image and the key reports and budgets use for it.
#[derive(Debug)]
pub(crate) struct Target {
    /// Path relative to the config root, `/`-separated (as given when outside the root);
    /// `app[arm64]` for a slice of a universal Mach-O, `image.tar:/bin/app` for a binary
    /// inside a container image.
    pub key: String,
    /// The file on disk the key points into (the archive, the universal binary), as
    /// reports that need a real path (SARIF locations) give it.
    pub file: String,
    /// The artifact's other name, when the path as given and the path with its symlinks
    /// resolved name it differently (a file reached through a symlinked directory):
    /// budgets and overrides written for either apply.
    pub alias: Option<String>,
    /// What was audited.
    pub subject: Subject,
}

/// A binary, or a container image whose binaries are targets of their own.
#[derive(Debug)]
pub(crate) enum Subject {
    /// A Go binary.
    Binary(Box<Artifact>),
    /// A container image: budgets apply to its content size.
    Image(Box<ImageReport>),
}

impl Target {
    /// What the rules and the baseline read.
    pub fn facts(&self) -> Facts<'_> {
        match &self.subject {
            Subject::Binary(a) => Facts::of(&self.key, a),
            Subject::Image(r) => Facts::of_image(&self.key, r),
        }
    }
}

/// The config (if any) and the directory paths are relative to.
pub(crate) struct Setup {
    pub cfg: Option<Config>,
    pub root: PathBuf,
}

/// Load `--config` or discover one from the current directory.
pub(crate) fn setup(explicit: Option<&Path>) -> Result<Setup, Error> {
    let cwd = std::env::current_dir().map_err(|source| Error::Io {
        path: PathBuf::from("."),
        source,
    })?;
    let file = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => config::discover(&cwd),
    };
    let cfg = file.as_deref().map(config::load).transpose()?;
    let root = cfg.as_ref().map_or(cwd, |c| c.root.clone());
    Ok(Setup { cfg, root })
}

/// Audit the PATHs given, or else the config's patterns. Errors are printed to `err`
/// and returned for the report. `with_size` runs the byte attribution (per-module
/// sizes), which only module budgets, growth reports and baselines need.
pub(crate) fn collect(
    paths: &[PathBuf],
    s: &Setup,
    with_size: bool,
    image_opts: &crate::image::Options,
    err: &mut dyn Write,
) -> Result<(Vec<Target>, Vec<InputError>), Error> {
    // (path, named explicitly rather than found by a walk or a glob, an OCI layout)
    let mut files: Vec<(PathBuf, bool, bool)> = Vec::new();
    let mut errors = Vec::new();
    let fail = |err: &mut dyn Write, e: Error, errors: &mut Vec<InputError>, path: String| {
        super::input_failed(err, errors, path, e)
    };
    if !paths.is_empty() {
        for entry in input::expand(paths) {
            match entry {
                Entry::File { path, explicit } => files.push((path, explicit, false)),
                Entry::OciLayout(p) => files.push((p, true, true)),
                Entry::Skipped(note) => {
                    let _ = writeln!(err, "goaudit: note: {note}");
                }
                Entry::Error(e) => {
                    let p = e.to_string();
                    fail(err, e, &mut errors, p);
                }
            }
        }
    } else {
        let Some(cfg) = &s.cfg else {
            return Err(Error::Usage(
                "no PATH given and no goaudit.toml found; name the binaries (`goaudit check ./bin/app`) or write a goaudit.toml (see docs/check.md)".into(),
            ));
        };
        let patterns: Vec<&PathPattern> = cfg
            .paths
            .iter()
            .chain(cfg.budgets.iter().map(|b| &b.path))
            .collect();
        if patterns.is_empty() {
            return Err(Error::Usage(format!(
                "{}: no `paths` and no [[budget]] entries, so nothing to check; add `paths = [\"bin/*\"]` or name the binaries",
                cfg.display
            )));
        }
        for p in patterns {
            // `app.tar:/bin/*` and `app.tar#tag` budget artifacts inside an archive: the
            // input to read is the archive.
            let file_part = p.glob.split(":/").next().unwrap_or("");
            let file_part = file_part.split('#').next().unwrap_or("");
            let outer;
            let p = if file_part != p.glob && !file_part.is_empty() {
                outer = PathPattern::new(file_part, p.location.clone())?;
                &outer
            } else {
                p
            };
            let found = expand_pattern(&s.root, p);
            if found.is_empty() {
                let at = p
                    .location
                    .as_ref()
                    .map_or(cfg.display.clone(), |l| l.to_string());
                fail(
                    err,
                    Error::Usage(format!(
                        "{at}: {:?} matches no file; build the artifacts before running check",
                        p.glob
                    )),
                    &mut errors,
                    p.glob.clone(),
                );
            }
            for f in found {
                let layout = f.is_dir();
                files.push((f, !p.is_glob(), layout));
            }
        }
    }

    let mut seen: Vec<PathBuf> = Vec::new();
    let mut targets = Vec::new();
    for (path, explicit, layout) in files {
        let canon = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if seen.contains(&canon) {
            continue;
        }
        seen.push(canon.clone());
        let (key, alias) = keys_for(&path, &canon, &s.root);
        // Archives (tar, gzip, zstd by content) and OCI layouts are container images.
        if layout || crate::image::looks_like_archive(&path) {
            match super::audit::read_image(&path, image_opts) {
                Ok(found) => push_images(&key, alias.as_deref(), found, &mut targets),
                Err(Error::Unsupported { .. }) if !explicit => {}
                Err(e) => fail(err, e, &mut errors, key),
            }
            continue;
        }
        let slices = super::guard::guard(&key, || audit_file_slices(&path, &key, with_size))
            .unwrap_or_else(|e| vec![(key.clone(), Err(FileError::Fail(e)))]);
        for (label, audited) in slices {
            match audited {
                Ok(artifact) => targets.push(Target {
                    // A slice's label is the file's key and its architecture.
                    alias: alias
                        .as_ref()
                        .map(|a| format!("{a}{}", label.strip_prefix(key.as_str()).unwrap_or(""))),
                    key: label,
                    file: key.clone(),
                    subject: Subject::Binary(Box::new(artifact)),
                }),
                Err(FileError::Skip) if !explicit => {}
                Err(FileError::Skip) => fail(
                    err,
                    Error::Unsupported {
                        path: label.clone().into(),
                        what: "not a Go binary".into(),
                    },
                    &mut errors,
                    label,
                ),
                Err(FileError::Fail(e)) => fail(err, e, &mut errors, label),
            }
        }
    }
    Ok((targets, errors))
}

/// One target per image (keyed by the archive, plus `#<name>` when it holds several
/// images) and one per Go binary in it (`<image key>:<path in the image>`).
fn push_images(key: &str, alias: Option<&str>, found: Vec<ImageReport>, targets: &mut Vec<Target>) {
    let keys = image_keys(key, &found);
    let aliases: Vec<Option<String>> = match alias {
        Some(a) => image_keys(a, &found).into_iter().map(Some).collect(),
        None => vec![None; found.len()],
    };
    for ((image_key, alias), mut r) in keys.into_iter().zip(aliases).zip(found) {
        let binaries = std::mem::take(&mut r.binaries);
        targets.push(Target {
            key: image_key.clone(),
            file: key.to_string(),
            alias: alias.clone(),
            subject: Subject::Image(Box::new(r)),
        });
        for b in binaries {
            let inner = b.path.trim_start_matches('/').to_string();
            targets.push(Target {
                key: format!("{image_key}:/{inner}"),
                file: key.to_string(),
                alias: alias.as_ref().map(|a| format!("{a}:/{inner}")),
                subject: Subject::Binary(Box::new(b)),
            });
        }
    }
}

/// The key of each image in one archive: the archive's own key when it holds one image,
/// else `<key>#<tag>`, with the image's position added where tags repeat (the platforms
/// of a multi-platform index share one) so that no two keys are the same.
pub(crate) fn image_keys(key: &str, found: &[ImageReport]) -> Vec<String> {
    let names: Vec<Option<&str>> = found.iter().map(|r| r.name.as_deref()).collect();
    keys_for_names(key, &names)
}

fn keys_for_names(key: &str, names: &[Option<&str>]) -> Vec<String> {
    if names.len() == 1 {
        return vec![key.to_string()];
    }
    names
        .iter()
        .enumerate()
        .map(|(i, name)| match name {
            Some(n) if names.iter().filter(|o| *o == name).count() == 1 => format!("{key}#{n}"),
            Some(n) => format!("{key}#{n}@{i}"),
            None => format!("{key}#{i}"),
        })
        .collect()
}

/// The key of a file: its path relative to `root`, `/`-separated, as given (a file
/// reached through a symlinked directory keeps the name it was given by) when that is
/// under the root, else with its symlinks resolved, else the path as given. The second
/// value is the other name when the two differ, so that a budget written for either
/// applies.
fn keys_for(given: &Path, canon: &Path, root: &Path) -> (String, Option<String>) {
    let rel = |p: &Path, base: &Path| -> Option<String> {
        let r = p.strip_prefix(base).ok()?;
        Some(
            r.components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
        )
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    let root_given = lexical(&cwd.join(root));
    let root_canon = std::fs::canonicalize(root).unwrap_or_else(|_| root_given.clone());
    let given_abs = lexical(&cwd.join(given));
    let as_given = rel(&given_abs, &root_given).or_else(|| rel(&given_abs, &root_canon));
    let resolved = rel(canon, &root_canon);
    match (as_given, resolved) {
        (Some(g), Some(r)) if g != r => (g, Some(r)),
        (Some(g), _) => (g, None),
        (None, Some(r)) => (r, None),
        (None, None) => (given.to_string_lossy().replace('\\', "/"), None),
    }
}

/// `p` with `.` components dropped and `..` taken back lexically (as the user wrote it;
/// the symlinks are resolved separately).
fn lexical(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push(c);
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The policy as it applies to `t`: a budget or `[[override]]` whose path matches the
/// artifact's other name (see [`Target::alias`]) applies as if written for `t.key`.
fn policy_for<'p>(policy: &'p Policy, t: &Target) -> std::borrow::Cow<'p, Policy> {
    let Some(alias) = t.alias.as_deref() else {
        return std::borrow::Cow::Borrowed(policy);
    };
    let retarget = |p: &PathPattern| -> Option<PathPattern> {
        if p.matcher.is_match(&t.key) || !p.matcher.is_match(alias) {
            return None;
        }
        let g = globset::Glob::new(&globset::escape(&t.key)).ok()?;
        Some(PathPattern {
            glob: p.glob.clone(),
            matcher: g.compile_matcher(),
            location: p.location.clone(),
        })
    };
    if !policy
        .budgets
        .iter()
        .map(|b| &b.path)
        .chain(policy.overrides.iter().map(|o| &o.path))
        .any(|p| retarget(p).is_some())
    {
        return std::borrow::Cow::Borrowed(policy);
    }
    let mut p = policy.clone();
    for b in &mut p.budgets {
        if let Some(np) = retarget(&b.path) {
            b.path = np;
        }
    }
    for o in &mut p.overrides {
        if let Some(np) = retarget(&o.path) {
            o.path = np;
        }
    }
    std::borrow::Cow::Owned(p)
}

/// Does `p` match the target by either of its names?
fn matches_target(p: &PathPattern, t: &Target) -> bool {
    p.matcher.is_match(&t.key) || t.alias.as_deref().is_some_and(|a| p.matcher.is_match(a))
}

/// Files under `root` matching a pattern: a literal path as is (when it exists), a glob
/// by walking only the directory before its first wildcard.
fn expand_pattern(root: &Path, p: &PathPattern) -> Vec<PathBuf> {
    // An OCI image layout is a directory that is one artifact.
    let is_layout = |d: &Path| d.is_dir() && crate::input::detect::is_image_dir(d);
    if !p.is_glob() {
        let f = root.join(&p.glob);
        return if f.is_file() || is_layout(&f) {
            vec![f]
        } else {
            Vec::new()
        };
    }
    let mut base = PathBuf::new();
    for comp in p.glob.split('/') {
        if comp.contains(['*', '?', '[', '{']) {
            break;
        }
        base.push(comp);
    }
    let mut out = Vec::new();
    let mut stack = vec![root.join(&base)];
    // A glob such as `**/api` must not wander forever: cap the walk. Symlinked
    // directories are followed (dist/ is often a link to the build's output), each real
    // directory once.
    let mut budget = 200_000usize;
    let mut walked: std::collections::HashSet<PathBuf> = std::collections::HashSet::new();
    while let Some(dir) = stack.pop() {
        if !walked.insert(std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone())) {
            continue;
        }
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = rd.filter_map(|e| e.ok()).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            budget = budget.saturating_sub(1);
            if budget == 0 {
                return out;
            }
            let path = e.path();
            let Ok(ft) = e.file_type() else { continue };
            let is_dir = ft.is_dir() || (ft.is_symlink() && path.is_dir());
            let matches = |path: &Path| {
                path.strip_prefix(root)
                    .is_ok_and(|rel| p.matcher.is_match(rel.to_string_lossy().replace('\\', "/")))
            };
            if is_dir && is_layout(&path) {
                // Its blobs are not artifacts of their own.
                if matches(&path) {
                    out.push(path);
                }
            } else if is_dir {
                if e.file_name() != ".git" {
                    stack.push(path);
                }
            } else if let Ok(rel) = path.strip_prefix(root) {
                let rel = rel.to_string_lossy().replace('\\', "/");
                if p.matcher.is_match(&rel) && path.is_file() {
                    out.push(path);
                }
            }
        }
    }
    out.sort();
    out
}

/// The compressed sizes the budgets of `t` ask for. Only a binary that is a whole file
/// on disk is measured; for the others the sizes stay unknown and the budget errors.
fn compressed_sizes(t: &Target, policy: &Policy, root: &Path) -> Result<rules::Compressed, String> {
    let (gzip, zstd) = policy.compressed_needed(&t.key);
    if !(gzip || zstd) || t.key != t.file || !matches!(t.subject, Subject::Binary(_)) {
        return Ok(rules::Compressed::default());
    }
    let path = root.join(&t.file);
    let path = if path.is_file() {
        path
    } else {
        PathBuf::from(&t.file)
    };
    let bytes = crate::input::FileBytes::open(&path).map_err(|e| e.to_string())?;
    let data = bytes.bytes();
    Ok(rules::Compressed {
        gzip: gzip.then(|| crate::size::compressed::gzip_len(data)),
        zstd: zstd.then(|| crate::size::compressed::zstd_len(data)),
    })
}

/// Apply the command-line rule flags; a rule given two levels is a usage error.
fn apply_flags(args: &CheckArgs, policy: &mut Policy) -> Result<(), Error> {
    let mut set: Vec<(Code, Level, &str)> = Vec::new();
    if args.require_static {
        set.push((Code::DynamicLink, Level::Deny, "--require-static"));
    }
    if args.no_cgo {
        for c in [Code::CgoLinked, Code::CgoResolver, Code::CgoOsUser] {
            set.push((c, Level::Deny, "--no-cgo"));
        }
    }
    for &c in &args.deny {
        set.push((c, Level::Deny, "--deny"));
    }
    for &c in &args.warn {
        set.push((c, Level::Warn, "--warn"));
    }
    for &c in &args.allow {
        set.push((c, Level::Allow, "--allow"));
    }
    for (i, (c, l, flag)) in set.iter().enumerate() {
        if let Some((_, l2, flag2)) = set[..i].iter().find(|(c2, l2, _)| c2 == c && l2 != l) {
            return Err(Error::Usage(format!(
                "rule {c} is set to {} by {flag2} and to {} by {flag}",
                l2.name(),
                l.name()
            )));
        }
        policy.set(*c, *l);
    }
    if args.max_size.is_some()
        || args.max_growth.is_some()
        || args.max_gzip_size.is_some()
        || args.max_zstd_size.is_some()
        || args.max_wasted.is_some()
        || args.min_efficiency.is_some()
    {
        policy.budgets.push(Budget {
            max_size: args.max_size.map(Limit::from_flag),
            max_gzip_size: args.max_gzip_size.map(Limit::from_flag),
            max_zstd_size: args.max_zstd_size.map(Limit::from_flag),
            max_growth_percent: args.max_growth.map(Limit::from_flag),
            max_wasted: args.max_wasted.map(Limit::from_flag),
            min_efficiency: args.min_efficiency.map(Limit::from_flag),
            ..Budget::new(PathPattern::new("**", None)?)
        });
    }
    Ok(())
}

/// What the pre-push hook learnt from git's stdin.
#[derive(Debug, PartialEq, Eq)]
enum Push {
    /// Refs are being updated: check.
    Updates,
    /// Only deletions: nothing is being shipped.
    DeletesOnly,
}

/// git writes `<local ref> <local sha> <remote ref> <remote sha>` lines; a local sha of
/// all zeros is a deletion. lefthook leaves a terminal on stdin, so it is read only when
/// it is not one (otherwise the hook would wait forever). Returns what the push does and
/// the commits it ships (empty when stdin said nothing).
fn read_pre_push_stdin() -> (Push, Vec<String>) {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return (Push::Updates, Vec::new());
    }
    let mut text = String::new();
    let _ = stdin.lock().take(1 << 20).read_to_string(&mut text);
    (classify_push(&text), pushed_commits(&text))
}

/// The local shas being pushed (deletions left out), in input order, without repeats.
fn pushed_commits(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let Some(sha) = line.split_whitespace().nth(1) else {
            continue;
        };
        let is_sha = sha.len() >= 40 && sha.bytes().all(|b| b.is_ascii_hexdigit());
        if is_sha && sha.bytes().any(|b| b != b'0') && !out.iter().any(|s| s == sha) {
            out.push(sha.to_ascii_lowercase());
        }
    }
    out
}

/// `git rev-parse HEAD` in `dir`: what is being pushed when git's stdin is not available.
fn head_commit(dir: &Path) -> Option<String> {
    let o = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let sha = String::from_utf8_lossy(&o.stdout).trim().to_string();
    (o.status.success() && !sha.is_empty()).then_some(sha)
}

/// Why a binary was not built from one of `pushed`, or None when it was: its buildinfo
/// `vcs.revision` must be a pushed commit and `vcs.modified` false.
pub(crate) fn staleness(a: &Artifact, pushed: &[String]) -> Option<String> {
    let short = |s: &str| s.chars().take(12).collect::<String>();
    let push = pushed
        .iter()
        .map(|s| short(s))
        .collect::<Vec<_>>()
        .join(", ");
    if a.unknown.is_some() {
        return Some(format!(
            "cannot read its VCS stamp ({}), so it cannot be matched to the pushed commit {push}",
            a.unknown.as_ref().map_or("", |u| u.reason.as_str())
        ));
    }
    let Some(rev) = a.vcs.as_ref().and_then(|v| v.revision.as_deref()) else {
        return Some(format!(
            "has no vcs.revision (built with -buildvcs=false, outside the repository, or by a tool that drops it), so it cannot be matched to the pushed commit {push}"
        ));
    };
    if !pushed.iter().any(|p| p.eq_ignore_ascii_case(rev)) {
        return Some(format!(
            "was built from {} (vcs.revision), not from the pushed commit {push}",
            short(rev)
        ));
    }
    if a.vcs.as_ref().and_then(|v| v.modified) == Some(true) {
        return Some(format!(
            "was built from {} with uncommitted changes (vcs.modified=true), not exactly the pushed commit",
            short(rev)
        ));
    }
    None
}

/// Run `[hook] build` with `sh -c` in `root`, its output on `err`'s side (stderr).
fn run_build(cmd: &str, root: &Path, err: &mut dyn Write) -> Result<(), Error> {
    let _ = writeln!(err, "goaudit: running the hook's build command: {cmd}");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .current_dir(root)
        .stdin(std::process::Stdio::null())
        // git shows a hook's stderr; the build's stdout goes there too.
        .stdout(std::io::stderr())
        .status()
        .map_err(|e| Error::Other(format!("cannot run the hook's build command `{cmd}`: {e}")))?;
    if status.success() {
        return Ok(());
    }
    let how = status
        .code()
        .map_or("killed by a signal".to_string(), |c| format!("exit {c}"));
    Err(Error::Other(format!(
        "the hook's build command `{cmd}` failed ({how}); fix the build, or skip once with GOAUDIT_SKIP=1 git push"
    )))
}

fn classify_push(text: &str) -> Push {
    let mut any = false;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        any = true;
        let local_sha = line.split_whitespace().nth(1).unwrap_or("");
        if local_sha.is_empty() || local_sha.bytes().any(|b| b != b'0') {
            return Push::Updates;
        }
    }
    if any {
        Push::DeletesOnly
    } else {
        Push::Updates
    }
}

/// Run the check.
pub fn run(args: &CheckArgs, out: &mut dyn Write, err: &mut dyn Write) -> std::io::Result<Exit> {
    let mut pushed = Vec::new();
    if args.hook {
        if std::env::var("GOAUDIT_SKIP").is_ok_and(|v| v == "1") {
            writeln!(err, "goaudit: GOAUDIT_SKIP=1 set, skipping the check")?;
            return Ok(Exit::Ok);
        }
        let (push, commits) = read_pre_push_stdin();
        if push == Push::DeletesOnly {
            writeln!(err, "goaudit: the push only deletes refs, nothing to check")?;
            return Ok(Exit::Ok);
        }
        pushed = commits;
    }
    let fail = |err: &mut dyn Write, e: Error| {
        report_error(err, &e);
        Ok(Exit::Error)
    };
    let s = match setup(args.config.as_deref()) {
        Ok(s) => s,
        Err(e) => return fail(err, e),
    };
    let hook_cfg = s.cfg.as_ref().map(|c| c.hook.clone()).unwrap_or_default();
    if args.hook
        && let Some(cmd) = &hook_cfg.build
        && let Err(e) = run_build(cmd, &s.root, err)
    {
        return fail(err, e);
    }
    let mut policy = Policy::new(s.cfg.as_ref());
    if let Err(e) = apply_flags(args, &mut policy) {
        return fail(err, e);
    }

    let baseline_path = args
        .baseline
        .clone()
        .or_else(|| s.cfg.as_ref().and_then(|c| c.baseline.clone()))
        .unwrap_or_else(|| s.root.join(config::DEFAULT_BASELINE));
    let baseline: Option<Baseline> = match baseline::read(&baseline_path) {
        Ok(None) if args.baseline.is_some() => {
            return fail(
                err,
                Error::Usage(format!(
                    "{}: baseline not found; write one with `goaudit baseline write`",
                    baseline_path.display()
                )),
            );
        }
        Ok(b) => b,
        Err(e) => return fail(err, e),
    };

    // A hook that only gates linking and cgo should cost what `go version -m` costs.
    let with_size = baseline.is_some()
        || (policy.budgets.iter().any(|b| !b.modules.is_empty())
            && [Code::ModuleBudget, Code::ModuleBudgetUnmatched]
                .iter()
                .any(|&c| policy.setting(c).level != Level::Allow));
    // In the hook the report (on stderr) lists unreadable inputs already: one line each.
    let mut quiet = std::io::sink();
    let collect_err: &mut dyn Write = if args.hook && args.format == CheckFormat::Human {
        &mut quiet
    } else {
        err
    };
    let (targets, mut errors) = match collect(
        &args.paths,
        &s,
        with_size,
        // The human report (also on stderr in hook mode) is for people.
        &args.limits.options_for(args.format == CheckFormat::Human),
        collect_err,
    ) {
        Ok(t) => t,
        Err(e) => return fail(err, e),
    };
    // The hook checks what is pushed: an artifact built from another commit (or from a
    // dirty tree) says nothing about it.
    let mut stale: Vec<String> = Vec::new();
    if args.hook && hook_cfg.stale != config::Stale::Off {
        if pushed.is_empty() {
            pushed.extend(head_commit(&s.root));
        }
        for t in &targets {
            if let Subject::Binary(a) = &t.subject
                && t.file == t.key
                && let Some(why) = staleness(a, &pushed)
            {
                stale.push(format!("{}: {why}", t.key));
            }
        }
    }
    if targets.is_empty() && errors.is_empty() {
        return fail(
            err,
            Error::Usage("no Go binaries or container images found in the given PATHs".into()),
        );
    }

    // An override that matches nothing is most likely a typo'd path: say so (the run
    // is not changed by it, so it is a warning, not an error).
    for o in &policy.overrides {
        if !targets.iter().any(|t| matches_target(&o.path, t)) {
            let at = o
                .path
                .location
                .as_ref()
                .map(|l| format!("{l}: "))
                .unwrap_or_default();
            writeln!(
                err,
                "goaudit: warning: {at}[[override]] path `{}` matches no artifact checked",
                o.path.glob
            )?;
        }
    }
    // The same for a budget written in goaudit.toml whose files were found but whose
    // pattern names none of their artifacts: it would otherwise be skipped silently.
    if args.paths.is_empty() {
        for b in &policy.budgets {
            let Some(at) = &b.path.location else { continue };
            if !targets.iter().any(|t| matches_target(&b.path, t))
                && !errors.iter().any(|e| e.path == b.path.glob)
            {
                writeln!(
                    err,
                    "goaudit: warning: {at}: [[budget]] path `{}` matches no artifact checked",
                    b.path.glob
                )?;
            }
        }
    }
    let mut checks = Vec::new();
    for t in &targets {
        let policy = policy_for(&policy, t);
        let policy = policy.as_ref();
        match rules::evaluate(t.facts(), policy, baseline.as_ref()).and_then(|mut c| {
            let sizes = compressed_sizes(t, policy, &s.root)?;
            rules::compressed_budgets(&mut c, policy, sizes)?;
            if let Subject::Image(r) = &t.subject {
                crate::check::image::budgets(&mut c, policy, t.alias.as_deref(), &Waste::of(r));
            }
            Ok(c)
        }) {
            Ok(mut c) => {
                c.file = t.file.clone();
                checks.push(c)
            }
            Err(msg) => {
                writeln!(err, "goaudit: {msg}")?;
                errors.push(InputError {
                    path: t.key.clone(),
                    error: msg,
                });
            }
        }
    }
    let rules_used = Code::ALL
        .iter()
        .map(|&c| {
            let st = policy.setting(c);
            RuleSummary {
                id: c,
                level: st.level,
                description: c.description(),
                location: st.location,
            }
        })
        .collect();
    let report = CheckReport::new(
        s.cfg.as_ref().map(|c| c.display.clone()),
        baseline
            .as_ref()
            .map(|_| display_path(&baseline_path, &s.root)),
        rules_used,
        checks,
        errors,
    );

    // git versions disagree on where a pre-push hook's stdout goes; stderr is where
    // every version shows it next to git's own "failed to push".
    let mut hook_buf = Vec::new();
    let out: &mut dyn Write = if args.hook && args.format == CheckFormat::Human {
        &mut hook_buf
    } else {
        out
    };
    match args.format {
        CheckFormat::Human => {
            let style = if args.hook {
                stderr_style(args.color)
            } else {
                Style::for_stdout(args.color)
            };
            crate::check::human::write(out, &report, &style)?;
            if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
                render::github::write(out, &report, render::github::ANNOTATION_LIMIT)?;
                if let Some(path) =
                    std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty())
                    && let Err(e) = append_summary(Path::new(&path), &report)
                {
                    writeln!(
                        err,
                        "goaudit: warning: cannot append to GITHUB_STEP_SUMMARY {}: {e}",
                        Path::new(&path).display()
                    )?;
                }
            }
        }
        CheckFormat::Json => crate::check::write_json(out, &report)?,
        CheckFormat::Markdown => render::markdown::write(out, &report)?,
        CheckFormat::Github => {
            render::github::write(out, &report, render::github::ANNOTATION_LIMIT)?
        }
        CheckFormat::Sarif => render::sarif::write(out, &report)?,
        CheckFormat::Junit => render::junit::write(out, &report)?,
    }
    err.write_all(&hook_buf)?;

    if !stale.is_empty() {
        let (level, tail) = match hook_cfg.stale {
            config::Stale::Fail => ("error", ""),
            _ => ("warning", " (stale = \"warn\")"),
        };
        for line in &stale {
            writeln!(err, "goaudit: {level}: stale artifact: {line}{tail}")?;
        }
        let fix = match &hook_cfg.build {
            Some(_) => "the [hook] build command did not rebuild it; fix the command's output path",
            None => {
                "rebuild it from the commit being pushed, or name the build command as `build = \"...\"` under [hook] in goaudit.toml"
            }
        };
        writeln!(err, "goaudit: {fix}")?;
        if hook_cfg.stale == config::Stale::Fail {
            writeln!(
                err,
                "goaudit: push blocked: the artifacts checked are not the commit being pushed; skip once with GOAUDIT_SKIP=1 git push"
            )?;
            return Ok(Exit::Error);
        }
    }

    if report.summary.unevaluated > 0 {
        // A deny rule that could not be evaluated never passes: the run is incomplete.
        writeln!(
            err,
            "goaudit: {} deny rule{} could not be evaluated, so the check is incomplete",
            report.summary.unevaluated,
            if report.summary.unevaluated == 1 {
                ""
            } else {
                "s"
            }
        )?;
        if args.hook {
            writeln!(
                err,
                "goaudit: push blocked; fix that, or skip once with GOAUDIT_SKIP=1 git push"
            )?;
        }
    }
    if report.incomplete() {
        if args.hook && !report.errors.is_empty() {
            writeln!(
                err,
                "goaudit: push blocked: {} input{} could not be checked; build them first, or skip once with GOAUDIT_SKIP=1 git push",
                report.errors.len(),
                if report.errors.len() == 1 { "" } else { "s" }
            )?;
        }
        return Ok(Exit::Error);
    }
    if report.summary.failures > 0 {
        if args.hook {
            writeln!(
                err,
                "goaudit: push blocked: {} deny-level violation(s); fix them, or skip once with GOAUDIT_SKIP=1 git push",
                report.summary.failures
            )?;
        }
        if !args.exit_zero {
            return Ok(Exit::Policy);
        }
    }
    Ok(Exit::Ok)
}

/// Like [`Style::for_stdout`], for a report written to stderr.
fn stderr_style(choice: ColorChoice) -> Style {
    let color = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stderr().is_terminal()
        }
    };
    Style { color }
}

/// `p` relative to `root` when under it, `/`-separated.
pub(crate) fn display_path(p: &Path, root: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

fn append_summary(path: &Path, report: &CheckReport) -> std::io::Result<()> {
    let mut buf = Vec::new();
    render::markdown::write(&mut buf, report)?;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)?;
    f.write_all(&buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_push_stdin_deletions_only() {
        let z = "0".repeat(40);
        let a = "a".repeat(40);
        assert_eq!(
            classify_push(&format!("(delete) {z} refs/heads/x {a}\n")),
            Push::DeletesOnly
        );
        assert_eq!(
            classify_push(&format!("refs/heads/main {a} refs/heads/main {z}\n")),
            Push::Updates
        );
        assert_eq!(classify_push(""), Push::Updates);
    }

    #[test]
    fn pushed_commits_leave_out_deletions_and_repeats() {
        let z = "0".repeat(40);
        let a = "a".repeat(40);
        let b = "B".repeat(40);
        let text = format!(
            "refs/heads/x {a} refs/heads/x {z}\n(delete) {z} refs/heads/y {a}\nrefs/heads/z {a} refs/heads/z {z}\nrefs/tags/t {b} refs/tags/t {z}\ngarbage\n"
        );
        assert_eq!(
            pushed_commits(&text),
            vec![a.clone(), b.to_ascii_lowercase()]
        );
        assert!(pushed_commits("").is_empty());
    }

    #[test]
    fn flag_parsers() {
        assert_eq!(parse_size_arg("12MiB"), Ok(12 << 20));
        assert!(parse_size_arg("12 megs").is_err());
        assert_eq!(parse_percent_arg("5%"), Ok(5.0));
        assert!(parse_percent_arg("-1").is_err());
        assert_eq!(parse_rule_arg("cgo-linked"), Ok(Code::CgoLinked));
        assert!(parse_rule_arg("cgo").unwrap_err().contains("dynamic-link"));
        let e = parse_rule_arg("dynamic-linking").unwrap_err();
        assert!(e.contains("did you mean `dynamic-link`?"), "{e}");
        assert!(
            !parse_rule_arg("static")
                .unwrap_err()
                .contains("did you mean")
        );
        assert_eq!(config::parse_percent("95%"), Ok(95.0));
        assert!(config::parse_percent("101").is_err());
        assert!(config::parse_percent("-1").is_err());
    }

    #[test]
    fn every_image_of_an_archive_gets_its_own_key() {
        assert_eq!(keys_for_names("a.tar", &[Some("x:1")]), ["a.tar"]);
        assert_eq!(
            keys_for_names("a.tar", &[Some("x:1"), Some("y:1"), None]),
            ["a.tar#x:1", "a.tar#y:1", "a.tar#2"]
        );
        // The platforms of a multi-platform index share the tag.
        assert_eq!(
            keys_for_names("a.tar", &[Some("x:1"), Some("x:1")]),
            ["a.tar#x:1@0", "a.tar#x:1@1"]
        );
    }

    #[test]
    fn star_star_matches_everything() {
        let p = PathPattern::new("**", None).unwrap();
        assert!(p.matcher.is_match("a"));
        assert!(p.matcher.is_match("a/b/c"));
        assert!(p.matcher.is_match("/abs/path"));
    }
}
