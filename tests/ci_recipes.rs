//! The recipes of docs/ci.md run as written: the goaudit.toml of section 0, the hook
//! install, the baseline commands and every `run:` / `script:` command of the GitHub
//! Actions and GitLab CI jobs are taken from the page and run, in order, in a demo Go
//! module. Only the steps that need the network are left out, and they are named here:
//! `cargo install` (goaudit is put where the recipe's cache or artifact would put it)
//! and the `uses:` actions.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{go_binary, repo_root, require_tool};

/// A fenced block of the page: the heading above it, its language and its text.
#[derive(Debug)]
struct Block {
    heading: String,
    lang: String,
    body: String,
}

fn blocks(md: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut heading = String::new();
    let mut cur: Option<Block> = None;
    for line in md.lines() {
        if let Some(b) = cur.as_mut() {
            if line.starts_with("```") {
                out.push(cur.take().unwrap());
            } else {
                b.body.push_str(line);
                b.body.push('\n');
            }
        } else if let Some(lang) = line.strip_prefix("```") {
            cur = Some(Block {
                heading: heading.clone(),
                lang: lang.trim().to_string(),
                body: String::new(),
            });
        } else if line.starts_with('#') {
            heading = line.trim_start_matches('#').trim().to_string();
        }
    }
    out
}

fn block<'a>(all: &'a [Block], heading: &str, lang: &str, first_line: &str) -> &'a Block {
    all.iter()
        .find(|b| b.heading == heading && b.lang == lang && b.body.starts_with(first_line))
        .unwrap_or_else(|| {
            panic!("docs/ci.md: no {lang} block starting {first_line:?} under {heading:?}")
        })
}

/// Run a shell script in `dir`; panic with its output unless it exits 0.
fn sh(dir: &Path, script: &str, env: &[(&str, String)], what: &str) -> String {
    let mut cmd = Command::new("sh");
    cmd.arg("-ec").arg(script).current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{what}: `{script}` exited {:?}:\n{text}",
        out.status.code()
    );
    text
}

/// The value of `key:` on a YAML line, unquoted.
fn yaml_value<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let t = line.trim_start().trim_start_matches("- ");
    t.strip_prefix(key)?.strip_prefix(':').map(|v| {
        let v = v.trim();
        v.strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(v)
    })
}

/// The demo repository: a Go module with cmd/api (std only, so `go build` needs no
/// network), the goaudit.toml of section 0, committed.
fn demo_repo(root: &Path, config: &str, env: &[(&str, String)]) {
    std::fs::create_dir_all(root.join("cmd/api")).unwrap();
    std::fs::write(root.join("go.mod"), "module example.com/demo\n\ngo 1.21\n").unwrap();
    std::fs::write(
        root.join("cmd/api/main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\t\"net/http\"\n)\n\nfunc main() {\n\thttp.HandleFunc(\"/\", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, \"ok\") })\n\t_ = http.ListenAndServe(\":8080\", nil)\n}\n",
    )
    .unwrap();
    std::fs::write(root.join("goaudit.toml"), config).unwrap();
    std::fs::write(root.join(".gitignore"), "dist/\n").unwrap();
    sh(
        root,
        "git init -q -b main . && git add -A && git commit -qm demo",
        env,
        "demo repository",
    );
}

fn goaudit_exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_goaudit"))
}

/// PATH with go, git and the system tools but without goaudit: a recipe must put
/// goaudit on PATH itself (or where its cache restores it).
fn base_path(extra: &[PathBuf]) -> String {
    let go = go_binary();
    let mut dirs: Vec<PathBuf> = extra.to_vec();
    dirs.push(go.parent().unwrap().to_path_buf());
    dirs.extend(["/usr/local/bin", "/usr/bin", "/bin"].map(PathBuf::from));
    std::env::join_paths(dirs).unwrap().into_string().unwrap()
}

#[test]
fn ci_recipes_in_docs_run_as_written() {
    require_tool("git", "apt-get install git");
    let md = std::fs::read_to_string(repo_root().join("docs/ci.md")).unwrap();
    let all = blocks(&md);
    let config = &block(
        &all,
        "0. Install goaudit and write goaudit.toml",
        "toml",
        "version = 1",
    )
    .body;
    let hook = &block(&all, "a. Plain git", "sh", "goaudit hook install").body;
    let baseline = &block(
        &all,
        "2. CI gate with a size budget and a baseline",
        "sh",
        "CGO_ENABLED=0",
    )
    .body;
    let gha = &block(
        &all,
        "GitHub Actions",
        "yaml",
        "# .github/workflows/goaudit.yml",
    )
    .body;
    let gitlab = &block(&all, "GitLab CI", "yaml", "# .gitlab-ci.yml").body;

    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let root = tmp.path().join("repo");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&root).unwrap();
    // goaudit where a local install puts it, for sections 0-2.
    let local_bin = home.join(".local-goaudit");
    std::fs::create_dir_all(&local_bin).unwrap();
    std::fs::copy(goaudit_exe(), local_bin.join("goaudit")).unwrap();
    let mut env = vec![
        ("HOME", home.display().to_string()),
        ("GOTOOLCHAIN", "local".to_string()),
        ("GOFLAGS", "-mod=mod".to_string()),
        ("GOCACHE", support::go_env("GOCACHE")),
        ("GOPATH", support::go_env("GOPATH")),
        ("GIT_AUTHOR_NAME", "t".into()),
        ("GIT_AUTHOR_EMAIL", "t@example.com".into()),
        ("GIT_COMMITTER_NAME", "t".into()),
        ("GIT_COMMITTER_EMAIL", "t@example.com".into()),
        ("PATH", base_path(std::slice::from_ref(&local_bin))),
    ];
    demo_repo(&root, config, &env);

    // 1a: the hook install writes goaudit's hook.
    sh(&root, hook, &env, "docs/ci.md 1a");
    let hook_file = root.join(".git/hooks/pre-push");
    let text = std::fs::read_to_string(&hook_file).expect("hook installed");
    assert!(
        text.contains("# managed by goaudit") && text.contains("check --hook"),
        "{text}"
    );

    // 2: build, baseline write, commit.
    sh(&root, baseline, &env, "docs/ci.md section 2");
    assert!(root.join(".goaudit/baseline.json").is_file());
    let log = sh(
        &root,
        "git log --oneline -1 -- .goaudit/baseline.json",
        &env,
        "git log",
    );
    assert!(
        log.contains("goaudit baseline"),
        "baseline not committed: {log}"
    );

    // GitHub Actions: goaudit restored to the cache's path, then every run: in order.
    let mut skipped = Vec::new();
    let mut runs = Vec::new();
    let mut cache_path = None;
    for line in gha.lines() {
        if let Some(v) = yaml_value(line, "uses") {
            skipped.push(v.split('@').next().unwrap().to_string());
        } else if let Some(v) = yaml_value(line, "path") {
            cache_path = Some(v.to_string());
        } else if let Some(v) = yaml_value(line, "run") {
            assert!(
                !v.starts_with('|') && !v.starts_with('>'),
                "multi-line run: extend this test"
            );
            if v.starts_with("cargo install") {
                skipped.push("cargo install".into());
            } else {
                runs.push(v.to_string());
            }
        } else if let Some((k, v)) = line.trim().split_once(": ")
            && line.starts_with("  ")
            && !line.starts_with("   ")
            && k.starts_with("GOAUDIT_")
        {
            env.push((k, v.split('#').next().unwrap().trim().to_string()));
        }
    }
    assert_eq!(
        skipped,
        [
            "actions/checkout",
            "actions/setup-go",
            "actions/cache",
            "cargo install",
            "github/codeql-action/upload-sarif"
        ],
        "the steps this test does not run"
    );
    let cache_path = cache_path.expect("actions/cache path");
    let cached = home.join(cache_path.strip_prefix("~/").expect("a path under ~"));
    assert!(
        cached.ends_with(".cargo/bin/goaudit"),
        "cache must hold cargo install's binary: {cache_path}"
    );
    std::fs::create_dir_all(cached.parent().unwrap()).unwrap();
    std::fs::copy(goaudit_exe(), &cached).unwrap();
    let mut gh_env = env.clone();
    gh_env.retain(|(k, _)| *k != "PATH");
    // The runner image has ~/.cargo/bin on PATH (rustup's default).
    gh_env.push(("PATH", base_path(&[cached.parent().unwrap().to_path_buf()])));
    gh_env.push(("GITHUB_ACTIONS", "true".into()));
    gh_env.push((
        "GITHUB_STEP_SUMMARY",
        root.join("summary.md").display().to_string(),
    ));
    assert!(runs.len() >= 3, "{runs:?}");
    for r in &runs {
        sh(&root, r, &gh_env, "GitHub Actions step");
    }
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("goaudit.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let summary = std::fs::read_to_string(root.join("summary.md")).unwrap();
    assert!(summary.contains("dist/api-linux-amd64"), "{summary}");

    // GitLab CI: the build job's install is network; its artifact is put in place, and
    // the rust image must be new enough for goaudit's rust-version.
    let cargo_toml = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    let msrv = cargo_toml
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .expect("rust-version in Cargo.toml")
        .trim_matches('"');
    let version = |v: &str| -> Vec<u32> { v.split('.').map(|x| x.parse().unwrap()).collect() };
    let mut jobs: Vec<(String, Vec<String>)> = Vec::new();
    let mut in_script = false;
    let mut rust_image = None;
    let mut artifact = None;
    for line in gitlab.lines() {
        if !line.starts_with(' ') && line.ends_with(':') && !line.starts_with('#') {
            jobs.push((line.trim_end_matches(':').to_string(), Vec::new()));
            in_script = false;
        } else if let Some(img) = yaml_value(line, "image") {
            if let Some(tag) = img.strip_prefix("rust:") {
                rust_image = Some(tag.split_whitespace().next().unwrap().to_string());
            }
        } else if line.trim() == "script:" {
            in_script = true;
        } else if in_script && line.trim_start().starts_with("- ") {
            jobs.last_mut()
                .unwrap()
                .1
                .push(line.trim_start()[2..].to_string());
        } else if line.trim_start().starts_with("paths: [") && line.contains("bin/goaudit") {
            artifact = Some(
                line.trim()
                    .trim_start_matches("paths: [")
                    .trim_end_matches(']')
                    .to_string(),
            );
        } else {
            in_script = false;
        }
    }
    let tag = rust_image.expect("a rust: image for the build job");
    assert!(
        version(&tag) >= version(msrv),
        "GitLab build image rust:{tag} is older than rust-version {msrv}"
    );
    let (build_job, build) = &jobs[0];
    assert_eq!(build_job, "goaudit-build");
    assert_eq!(build.len(), 1);
    assert!(build[0].starts_with("cargo install --locked"), "{build:?}");
    let install_root = build[0]
        .split(" --root ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .expect("cargo install --root DIR");
    let artifact = artifact.expect("the build job's artifact");
    assert_eq!(
        artifact,
        format!("{install_root}/bin/goaudit"),
        "artifact is not what the install wrote"
    );
    std::fs::create_dir_all(root.join(install_root).join("bin")).unwrap();
    std::fs::copy(goaudit_exe(), root.join(&artifact)).unwrap();
    let (job, script) = &jobs[1];
    assert_eq!(job, "goaudit");
    let mut gl_env = env.clone();
    gl_env.retain(|(k, _)| *k != "PATH");
    gl_env.push(("PATH", base_path(&[])));
    // One shell, as a GitLab job runs its script lines.
    sh(&root, &script.join("\n"), &gl_env, "GitLab CI goaudit job");
    let junit = std::fs::read_to_string(root.join("goaudit-junit.xml")).unwrap();
    assert!(
        junit.starts_with("<?xml") && junit.contains("<testsuite"),
        "{junit}"
    );
}
