//! `goaudit check`, `baseline` and `hook` driven through the CLI on real Go binaries,
//! real git repositories and real config files.

mod support;

#[path = "fixtures/images/mod.rs"]
mod fixtures;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use support::{goaudit, testbin};

fn out_str(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("goaudit was killed by a signal")
}

/// Run goaudit in `dir` with `args`.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    goaudit()
        .current_dir(dir)
        .args(args)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GOAUDIT_SKIP")
        .env("NO_COLOR", "1")
        .output()
        .expect("run goaudit")
}

/// A project directory with a goaudit.toml and binaries copied into it.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new(config: &str) -> Project {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("goaudit.toml"), config).unwrap();
        Project { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn put(&self, rel: &str, testbin_name: &str) -> PathBuf {
        let dst = self.path().join(rel);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(testbin(testbin_name), &dst).unwrap();
        dst
    }

    fn run(&self, args: &[&str]) -> Output {
        run_in(self.path(), args)
    }
}

fn git(dir: &Path, args: &[&str]) -> Output {
    git_env(dir, args, &[])
}

fn git_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let git = support::require_tool("git", "install git (apt-get install git)");
    let mut c = Command::new(git);
    c.current_dir(dir)
        .args([
            "-c",
            "user.name=goaudit test",
            "-c",
            "user.email=test@example.invalid",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GOAUDIT_SKIP")
        .env("NO_COLOR", "1");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run git")
}

fn git_ok(dir: &Path, args: &[&str]) -> String {
    let o = git(dir, args);
    let (so, se) = out_str(&o);
    assert!(o.status.success(), "git {args:?} failed: {so}{se}");
    so
}

/// A work repository with a local bare remote and a policy that denies dynamic linking
/// of `bin/app`.
fn repo_with_remote() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let remote = tmp.path().join("remote.git");
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    git_ok(
        tmp.path(),
        &["init", "-q", "--bare", remote.to_str().unwrap()],
    );
    git_ok(&work, &["init", "-q"]);
    git_ok(
        &work,
        &["remote", "add", "origin", remote.to_str().unwrap()],
    );
    // The binaries these tests push are prebuilt test binaries with no VCS stamp, so
    // the stale-artifact comparison is off here (it has its own test below).
    std::fs::write(
        work.join("goaudit.toml"),
        "version = 1\npaths = [\"bin/app\"]\n\n[rules]\ndynamic-link = \"deny\"\n\n[hook]\nstale = \"off\"\n",
    )
    .unwrap();
    std::fs::write(work.join(".gitignore"), "bin/\n").unwrap();
    std::fs::write(work.join("main.go"), "package main\n\nfunc main() {}\n").unwrap();
    git_ok(&work, &["add", "."]);
    git_ok(&work, &["commit", "-q", "-m", "initial"]);
    (tmp, work)
}

fn put_bin(work: &Path, name: &str) {
    std::fs::create_dir_all(work.join("bin")).unwrap();
    std::fs::copy(testbin(name), work.join("bin/app")).unwrap();
}

fn remote_heads(work: &Path) -> String {
    git_ok(work, &["ls-remote", "--heads", "origin"])
}

#[test]
fn pre_push_hook_blocks_a_dynamic_binary_and_passes_a_static_one() {
    let (_tmp, work) = repo_with_remote();
    let o = run_in(&work, &["hook", "install"]);
    let (so, se) = out_str(&o);
    assert_eq!(code(&o), 0, "hook install: {so}{se}");
    let hook = work.join(".git/hooks/pre-push");
    let text = std::fs::read_to_string(&hook).expect("pre-push hook written");
    assert!(text.contains("# managed by goaudit"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&hook).unwrap().permissions().mode();
        assert!(mode & 0o111 != 0, "hook not executable: {mode:o}");
    }

    // Dynamically linked: the push is refused with the rule's message.
    put_bin(&work, "netuser-default");
    let o = git(&work, &["push", "origin", "HEAD:refs/heads/main"]);
    let (so, se) = out_str(&o);
    assert!(
        !o.status.success(),
        "push of a dynamic binary went through: {so}{se}"
    );
    assert!(se.contains("dynamic-link"), "rule id missing: {se}");
    assert!(
        se.contains("dynamically linked: PT_INTERP"),
        "rule message missing: {se}"
    );
    assert!(se.contains("push blocked"), "{se}");
    assert!(
        se.contains("failed to push") || se.contains("hook declined"),
        "{se}"
    );
    assert_eq!(remote_heads(&work), "", "remote must stay empty");

    // The escape hatch skips the check once.
    let o = git_env(
        &work,
        &["push", "origin", "HEAD:refs/heads/skipped"],
        &[("GOAUDIT_SKIP", "1")],
    );
    let (so, se) = out_str(&o);
    assert!(o.status.success(), "GOAUDIT_SKIP=1 push failed: {so}{se}");
    assert!(se.contains("GOAUDIT_SKIP=1"), "{se}");

    // Statically linked: the push goes through.
    put_bin(&work, "netuser-cgo0");
    let o = git(&work, &["push", "origin", "HEAD:refs/heads/main"]);
    let (so, se) = out_str(&o);
    assert!(
        o.status.success(),
        "push of a static binary refused: {so}{se}"
    );
    assert!(remote_heads(&work).contains("refs/heads/main"));

    // Deleting a branch ships nothing, so even a dynamic binary does not block it.
    put_bin(&work, "netuser-default");
    let o = git(&work, &["push", "origin", "--delete", "skipped"]);
    let (so, se) = out_str(&o);
    assert!(o.status.success(), "branch deletion blocked: {so}{se}");
    assert!(se.contains("only deletes refs"), "{se}");

    let o = run_in(&work, &["hook", "uninstall"]);
    assert_eq!(code(&o), 0, "{:?}", out_str(&o));
    assert!(!hook.exists());
}

/// `go build` of the repository's main package into `bin/app`, CGO_ENABLED=0, with the
/// VCS stamp (the default inside a git work tree).
fn go_build_app(work: &Path) {
    let o = Command::new(support::go_binary())
        .args(["build", "-buildvcs=true", "-o", "bin/app", "."])
        .current_dir(work)
        .env("CGO_ENABLED", "0")
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("run go build");
    assert!(o.status.success(), "go build: {:?}", out_str(&o));
}

/// The VCS stamp of `bin` as `go version -m` prints it (independent of goaudit).
fn go_vcs(bin: &Path) -> (String, String) {
    let o = Command::new(support::go_binary())
        .args(["version", "-m"])
        .arg(bin)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let get = |k: &str| {
        text.lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix(&format!("build\t{k}="))
                    .map(str::to_string)
            })
            .unwrap_or_default()
    };
    (get("vcs.revision"), get("vcs.modified"))
}

#[test]
fn pre_push_hook_refuses_an_artifact_not_built_from_the_pushed_commit() {
    let (_tmp, work) = repo_with_remote();
    std::fs::write(work.join("go.mod"), "module example.com/app\n\ngo 1.21\n").unwrap();
    let config = |hook: &str| {
        std::fs::write(
            work.join("goaudit.toml"),
            format!(
                "version = 1\npaths = [\"bin/app\"]\n\n[rules]\ndynamic-link = \"deny\"\n{hook}"
            ),
        )
        .unwrap();
    };
    config("");
    git_ok(&work, &["add", "."]);
    git_ok(&work, &["commit", "-q", "-m", "go.mod"]);
    assert_eq!(code(&run_in(&work, &["hook", "install"])), 0);

    // Built from the commit being pushed: the push goes through.
    go_build_app(&work);
    let head = git_ok(&work, &["rev-parse", "HEAD"]).trim().to_string();
    assert_eq!(
        go_vcs(&work.join("bin/app")),
        (head.clone(), "false".into())
    );
    let o = git(&work, &["push", "origin", "HEAD:refs/heads/main"]);
    let (so, se) = out_str(&o);
    assert!(o.status.success(), "fresh artifact refused: {so}{se}");
    assert!(!se.contains("stale"), "{se}");

    // A new commit, yesterday's binary: refused by default (fail closed), naming both.
    std::fs::write(
        work.join("main.go"),
        "package main\n\nfunc main() { println(1) }\n",
    )
    .unwrap();
    git_ok(&work, &["commit", "-q", "-am", "change"]);
    let new_head = git_ok(&work, &["rev-parse", "HEAD"]).trim().to_string();
    let o = git(&work, &["push", "origin", "HEAD:refs/heads/main"]);
    let (so, se) = out_str(&o);
    assert!(!o.status.success(), "stale artifact pushed: {so}{se}");
    assert!(se.contains("stale artifact: bin/app"), "{se}");
    assert!(
        se.contains(&head[..12]) && se.contains(&new_head[..12]),
        "{se}"
    );
    assert!(se.contains("GOAUDIT_SKIP=1"), "{se}");
    assert!(
        se.contains("build = "),
        "the fix names the [hook] build key: {se}"
    );
    assert!(!remote_heads(&work).contains(&new_head), "remote moved");

    // stale = "warn": reported, the push goes on.
    config("\n[hook]\nstale = \"warn\"\n");
    git_ok(&work, &["commit", "-q", "-am", "warn on stale"]);
    let o = git(&work, &["push", "origin", "HEAD:refs/heads/main"]);
    let (so, se) = out_str(&o);
    assert!(o.status.success(), "stale = warn blocked: {so}{se}");
    assert!(se.contains("warning: stale artifact: bin/app"), "{se}");

    // A build command: the hook rebuilds from the pushed tree first, then checks it.
    config(
        "\n[hook]\nbuild = \"CGO_ENABLED=0 GOTOOLCHAIN=local go build -buildvcs=true -o bin/app .\"\n",
    );
    git_ok(&work, &["commit", "-q", "-am", "build in the hook"]);
    let top = git_ok(&work, &["rev-parse", "HEAD"]).trim().to_string();
    let go_dir = support::go_binary().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        go_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = git_env(
        &work,
        &["push", "origin", "HEAD:refs/heads/main"],
        &[("PATH", &path)],
    );
    let (so, se) = out_str(&o);
    assert!(
        o.status.success(),
        "push with a build command refused: {so}{se}"
    );
    assert!(se.contains("running the hook's build command"), "{se}");
    assert_eq!(
        go_vcs(&work.join("bin/app")).0,
        top,
        "the hook did not rebuild"
    );
    assert!(remote_heads(&work).contains(&top));

    // A failing build command blocks the push with its status.
    config("\n[hook]\nbuild = \"exit 3\"\n");
    git_ok(&work, &["commit", "-q", "-am", "broken build"]);
    let o = git(&work, &["push", "origin", "HEAD:refs/heads/main"]);
    let (so, se) = out_str(&o);
    assert!(!o.status.success(), "{so}{se}");
    assert!(se.contains("failed (exit 3)"), "{se}");

    // Built from a dirty tree (vcs.modified=true): not exactly the commit pushed.
    config("");
    git_ok(&work, &["commit", "-q", "-am", "no hook table"]);
    std::fs::write(
        work.join("main.go"),
        "package main\n\nfunc main() { println(2) }\n",
    )
    .unwrap();
    go_build_app(&work);
    assert_eq!(go_vcs(&work.join("bin/app")).1, "true");
    let o = git(&work, &["push", "origin", "HEAD:refs/heads/main"]);
    let (so, se) = out_str(&o);
    assert!(!o.status.success(), "dirty build pushed: {so}{se}");
    assert!(se.contains("vcs.modified=true"), "{se}");
}

#[test]
fn pre_push_hook_names_a_missing_artifact_once_with_the_skip_hint() {
    let (_tmp, work) = repo_with_remote();
    assert_eq!(code(&run_in(&work, &["hook", "install"])), 0);
    let o = git(&work, &["push", "origin", "HEAD:refs/heads/main"]);
    let (so, se) = out_str(&o);
    assert!(!o.status.success(), "{so}{se}");
    assert_eq!(
        se.matches("matches no file").count(),
        1,
        "the error must be printed once:\n{se}"
    );
    assert!(se.contains("GOAUDIT_SKIP=1 git push"), "{se}");
}

#[test]
fn hook_install_honours_core_hooks_path_and_never_clobbers_a_foreign_hook() {
    let (_tmp, work) = repo_with_remote();
    git_ok(&work, &["config", "core.hooksPath", ".githooks"]);
    let hook = work.join(".githooks/pre-push");
    let default_hook = work.join(".git/hooks/pre-push");

    let o = run_in(&work, &["hook", "install"]);
    assert_eq!(code(&o), 0, "{:?}", out_str(&o));
    assert!(
        std::fs::read_to_string(&hook)
            .unwrap()
            .contains("# managed by goaudit")
    );
    assert!(
        !default_hook.exists(),
        "wrote into .git/hooks despite core.hooksPath"
    );
    // Re-installing over our own hook is fine.
    assert_eq!(code(&run_in(&work, &["hook", "install"])), 0);

    let foreign = "#!/bin/sh\necho someone else's hook\n";
    std::fs::write(&hook, foreign).unwrap();
    let o = run_in(&work, &["hook", "install"]);
    let (_, se) = out_str(&o);
    assert_eq!(code(&o), 2, "{se}");
    assert!(se.contains("--force"), "{se}");
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), foreign);
    let o = run_in(&work, &["hook", "uninstall"]);
    assert_eq!(code(&o), 2);
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), foreign);

    let o = run_in(&work, &["hook", "install", "--force"]);
    assert_eq!(code(&o), 0, "{:?}", out_str(&o));
    assert!(
        std::fs::read_to_string(&hook)
            .unwrap()
            .contains("# managed by goaudit")
    );
    let backup = work.join(".githooks/pre-push.goaudit-backup");
    assert_eq!(std::fs::read_to_string(backup).unwrap(), foreign);

    let outside = tempfile::tempdir().unwrap();
    let o = run_in(outside.path(), &["hook", "install"]);
    let (_, se) = out_str(&o);
    assert_eq!(code(&o), 2);
    assert!(se.contains("not inside a git repository"), "{se}");
}

/// `hook install --force` over the user's own pre-push hook keeps it and runs it first
/// (with git's arguments and the pushed refs on stdin; its failure blocks the push), then
/// the check; `hook uninstall` puts it back.
#[test]
fn hook_install_force_chains_the_users_hook_and_uninstall_restores_it() {
    let (tmp, work) = repo_with_remote();
    let log = tmp.path().join("user-hook.log");
    let hook = work.join(".git/hooks/pre-push");
    let backup = work.join(".git/hooks/pre-push.goaudit-backup");
    let users = format!(
        "#!/bin/sh\n# the user's own hook\nlog='{}'\necho \"user hook: $1 $2\" >> \"$log\"\ncat >> \"$log\"\nif [ \"${{USER_HOOK_FAIL:-}}\" = 1 ]; then\n    echo 'user hook says no' >&2\n    exit 3\nfi\n",
        log.display()
    );
    std::fs::write(&hook, &users).unwrap();
    let exec_mode = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    };
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o750)).unwrap();
    }

    let o = run_in(&work, &["hook", "install", "--force"]);
    let (so, se) = out_str(&o);
    assert_eq!(code(&o), 0, "{so}{se}");
    assert!(so.contains("runs the hook it replaced first"), "{so}");
    assert!(
        std::fs::read_to_string(&hook)
            .unwrap()
            .contains("# managed by goaudit")
    );
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), users);
    assert_eq!(exec_mode(&backup), 0o750, "the saved hook keeps its mode");

    // The user's hook passes, the check does not: blocked by goaudit, after the user's
    // hook saw git's arguments and the refs.
    put_bin(&work, "netuser-default");
    let o = git(&work, &["push", "origin", "HEAD:refs/heads/main"]);
    let (so, se) = out_str(&o);
    assert!(!o.status.success(), "{so}{se}");
    assert!(se.contains("dynamic-link"), "{se}");
    let head = git_ok(&work, &["rev-parse", "HEAD"]).trim().to_string();
    let seen = std::fs::read_to_string(&log).expect("the user's hook ran");
    assert!(seen.starts_with("user hook: origin "), "{seen}");
    assert!(
        seen.contains(&format!(" {head} refs/heads/main ")),
        "the user's hook got the refs on stdin: {seen}"
    );
    assert_eq!(remote_heads(&work), "");

    // The user's hook fails: the push is blocked by it, and the check does not run.
    put_bin(&work, "netuser-cgo0");
    let o = git_env(
        &work,
        &["push", "origin", "HEAD:refs/heads/main"],
        &[("USER_HOOK_FAIL", "1")],
    );
    let (so, se) = out_str(&o);
    assert!(!o.status.success(), "{so}{se}");
    assert!(se.contains("user hook says no"), "{se}");
    assert!(
        se.contains("the pre-push hook goaudit replaced") && se.contains("exit status 3"),
        "{se}"
    );
    assert!(!se.contains("goaudit check"), "the check ran anyway: {se}");
    assert_eq!(remote_heads(&work), "");
    // GOAUDIT_SKIP skips the check, not the user's hook.
    let o = git_env(
        &work,
        &["push", "origin", "HEAD:refs/heads/main"],
        &[("USER_HOOK_FAIL", "1"), ("GOAUDIT_SKIP", "1")],
    );
    assert!(!o.status.success(), "{:?}", out_str(&o));

    // Both pass: pushed.
    let o = git(&work, &["push", "origin", "HEAD:refs/heads/main"]);
    let (so, se) = out_str(&o);
    assert!(o.status.success(), "{so}{se}");
    assert!(se.contains("goaudit check passed"), "{se}");
    assert!(remote_heads(&work).contains("refs/heads/main"));
    // The check got the refs too: a push that only deletes is recognised as one.
    git_ok(&work, &["push", "-q", "origin", "HEAD:refs/heads/tmp"]);
    put_bin(&work, "netuser-default");
    let o = git(&work, &["push", "origin", "--delete", "tmp"]);
    let (so, se) = out_str(&o);
    assert!(o.status.success(), "{so}{se}");
    assert!(se.contains("only deletes refs"), "{se}");

    // Uninstall puts the user's hook back, mode and all.
    let o = run_in(&work, &["hook", "uninstall"]);
    let (so, se) = out_str(&o);
    assert_eq!(code(&o), 0, "{so}{se}");
    assert!(so.contains("put back the hook it replaced"), "{so}");
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), users);
    assert_eq!(exec_mode(&hook), 0o750);
    assert!(!backup.exists());
}

/// Module paths `go version -m` lists as dependencies of `bin`: an oracle independent of
/// goaudit's own parser.
fn go_deps(bin: &Path) -> Vec<String> {
    let o = Command::new(support::go_binary())
        .args(["version", "-m"])
        .arg(bin)
        .output()
        .expect("run go version -m");
    assert!(o.status.success());
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.get(1) == Some(&"dep")).then(|| f[2].to_string())
        })
        .collect()
}

#[test]
fn baseline_then_growth_names_the_modules_that_grew() {
    let p = Project::new(
        "version = 1\n\n[[budget]]\npath = \"dist/app\"\nmax_growth_percent = 5\nnoise_floor = \"16KiB\"\n",
    );
    let small = p.put("dist/app", "hello-default");
    let small_size = std::fs::metadata(&small).unwrap().len();

    let o = p.run(&["baseline", "write"]);
    assert_eq!(code(&o), 0, "{:?}", out_str(&o));
    let text = std::fs::read_to_string(p.path().join(".goaudit/baseline.json")).unwrap();
    let b: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(b["schema_version"], 1);
    assert_eq!(b["artifacts"][0]["path"], "dist/app");
    assert_eq!(b["artifacts"][0]["size"], small_size);

    // Unchanged binary: growth 0, passes.
    let o = p.run(&["check"]);
    assert_eq!(code(&o), 0, "{:?}", out_str(&o));

    // The same slot now holds a program with extra dependencies.
    let big = p.put("dist/app", "promserver-default");
    let big_size = std::fs::metadata(&big).unwrap().len();
    let o = p.run(&["check"]);
    let (so, se) = out_str(&o);
    assert_eq!(code(&o), 1, "{so}{se}");
    assert!(so.contains("size-growth"), "{so}");
    assert!(so.contains("grew by"), "{so}");
    assert!(so.contains("modules that grew:"), "{so}");
    // The growth is also split by kind of bytes (code, data, DWARF, ...).
    assert!(so.contains("by kind: "), "{so}");

    let o = p.run(&["check", "--format", "json"]);
    assert_eq!(code(&o), 1);
    let j: Value = serde_json::from_slice(&o.stdout).expect("check JSON");
    let a = &j["artifacts"][0];
    let g = &a["growth"];
    assert_eq!(g["baseline_size"], small_size);
    assert_eq!(
        g["delta"].as_i64().unwrap(),
        big_size as i64 - small_size as i64
    );
    let modules = g["modules"].as_array().expect("module deltas");
    // The kinds partition the change: their deltas add up to the whole growth.
    let kinds = g["kinds"].as_array().expect("kind deltas");
    assert!(!kinds.is_empty(), "{g}");
    assert_eq!(
        kinds
            .iter()
            .map(|k| k["delta"].as_i64().unwrap())
            .sum::<i64>(),
        g["delta"].as_i64().unwrap(),
        "{g}"
    );
    let new_deps = {
        let before = go_deps(&testbin("hello-default"));
        let after = go_deps(&testbin("promserver-default"));
        after
            .into_iter()
            .filter(|d| !before.contains(d))
            .collect::<Vec<_>>()
    };
    assert!(
        new_deps
            .iter()
            .any(|d| d == "github.com/prometheus/client_golang"),
        "{new_deps:?}"
    );
    let client = modules
        .iter()
        .find(|m| m["name"] == "github.com/prometheus/client_golang")
        .unwrap_or_else(|| panic!("client_golang not named among the modules that grew: {g}"));
    assert_eq!(client["before"], 0);
    assert!(client["delta"].as_i64().unwrap() > 0);
    assert_eq!(client["delta"], client["after"]);
    // Each growing module that is a new dependency per `go version -m` is reported as new.
    for m in modules {
        let name = m["name"].as_str().unwrap();
        if new_deps.iter().any(|d| d == name) {
            assert_eq!(m["before"], 0, "{name} is new in the bigger build");
        }
    }
    let growth = a["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "size-growth")
        .unwrap();
    assert_eq!(growth["status"], "fail");
    let top = modules[0]["name"].as_str().unwrap();
    let msg = growth["violations"][0]["message"].as_str().unwrap();
    assert!(msg.contains(top), "largest grower {top} not named: {msg}");
    assert_eq!(growth["violations"][0]["location"]["line"], 5);

    // A per-module cap on the new dependency.
    let cfg = |cap: &str| {
        format!(
            "version = 1\n\n[[budget]]\npath = \"dist/app\"\n[budget.modules]\n\"github.com/prometheus/client_golang\" = \"{cap}\"\n"
        )
    };
    std::fs::write(p.path().join("goaudit.toml"), cfg("1KiB")).unwrap();
    let o = p.run(&["check"]);
    let (so, se) = out_str(&o);
    assert_eq!(code(&o), 1, "{so}{se}");
    assert!(so.contains("module-budget"), "{so}");
    assert!(
        so.contains("module github.com/prometheus/client_golang is"),
        "{so}"
    );
    std::fs::write(p.path().join("goaudit.toml"), cfg("100MiB")).unwrap();
    let o = p.run(&["check"]);
    assert_eq!(code(&o), 0, "{:?}", out_str(&o));

    // The same growth gate from the command line.
    let pct = (big_size - small_size) as f64 * 100.0 / small_size as f64;
    let above = format!("{}", pct.ceil() + 1.0);
    let below = format!("{}", (pct.floor() - 1.0).max(0.0));
    let o = p.run(&["check", "--max-growth", &above]);
    assert_eq!(code(&o), 0, "{:?}", out_str(&o));
    let o = p.run(&["check", "--max-growth", &below]);
    let (so, se) = out_str(&o);
    assert_eq!(code(&o), 1, "{so}{se}");
    assert!(so.contains("size-growth"), "{so}");
}

/// Module caps: `std` counts the runtime (the `std/runtime` row of `goaudit size`), and
/// a cap naming a module the binary lacks is a warning naming the nearest module it has.
#[test]
fn module_caps_count_the_runtime_in_std_and_name_unknown_modules() {
    let p = Project::new("version = 1\n");
    let bin = p.put("dist/app", "netuser-cgo0");
    let o = p.run(&["size", "--json", bin.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{:?}", out_str(&o));
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    let row = |name: &str| {
        j["artifacts"][0]["size_attribution"]["by_module"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .and_then(|m| m["bytes"].as_u64())
            .unwrap_or_else(|| panic!("no {name} row"))
    };
    let (std_only, runtime) = (row("std"), row("std/runtime"));
    assert!(runtime > 0 && std_only > 0);

    let cfg = |caps: &str| {
        std::fs::write(
            p.path().join("goaudit.toml"),
            format!("version = 1\n\n[[budget]]\npath = \"dist/app\"\n[budget.modules]\n{caps}"),
        )
        .unwrap();
    };
    // Over std's own row, under std with the runtime: the cap counts the runtime.
    cfg(&format!("std = {}\n", std_only + runtime / 2));
    let o = p.run(&["check"]);
    let (so, se) = out_str(&o);
    assert_eq!(code(&o), 1, "{so}{se}");
    assert!(so.contains("module-budget"), "{so}");
    assert!(so.contains("module std is"), "{so}");
    cfg(&format!("std = {}\n", std_only + runtime));
    let o = p.run(&["check"]);
    assert_eq!(code(&o), 0, "{:?}", out_str(&o));
    // The runtime alone, by its row's name.
    cfg(&format!("\"std/runtime\" = {}\n", runtime - 1));
    assert_eq!(code(&p.run(&["check"])), 1);

    // A cap on a module that is not in the binary: a warning (exit 0) naming the cap,
    // its line and the nearest module present.
    cfg("\"std/runtim\" = \"1MiB\"\n\"github.com/prometheus/client_golang\" = \"1MiB\"\n");
    let o = p.run(&["check"]);
    let (so, se) = out_str(&o);
    assert_eq!(code(&o), 0, "{so}{se}");
    assert!(
        so.contains("module budget `std/runtim` (1.0 MiB) matches no module in this binary, so it never applies; the nearest module it has is `std/runtime`"),
        "{so}"
    );
    assert!(
        so.contains("module budget `github.com/prometheus/client_golang` (1.0 MiB)"),
        "{so}"
    );
    assert!(so.contains("goaudit.toml:6:"), "the cap's line: {so}");
    let o = p.run(&["check", "--format", "json"]);
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        status_of(&j["artifacts"][0], "module-budget-unmatched"),
        "warn"
    );
    assert_eq!(status_of(&j["artifacts"][0], "module-budget"), "pass");
    // Denied, such a cap fails the check.
    let o = p.run(&["check", "--deny", "module-budget-unmatched"]);
    assert_eq!(code(&o), 1, "{:?}", out_str(&o));
}

/// A run that fails several ways at once, on an artifact whose name needs escaping.
fn failing_project() -> Project {
    let p = Project::new(
        "version = 1\npaths = [\"dist/*\"]\n\n[rules]\ndynamic-link = \"deny\"\ncgo-linked = \"warn\"\n\n[[budget]]\npath = \"dist/*\"\nmax_size = \"1MiB\"\n",
    );
    p.put("dist/app,v1:x", "netuser-default");
    p.put("dist/ok", "hello-cgo0");
    p
}

#[test]
fn json_output_carries_rule_ids_and_statuses() {
    let p = failing_project();
    let o = p.run(&["check", "--format", "json"]);
    let (so, se) = out_str(&o);
    assert_eq!(code(&o), 1, "{so}{se}");
    let j: Value = serde_json::from_str(&so).expect("valid JSON on stdout");
    assert_eq!(j["schema_version"], 1);
    assert_eq!(j["summary"]["passed"], false);
    let ids: Vec<&str> = j["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"dynamic-link") && ids.contains(&"module-budget"));
    let bad = j["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == "dist/app,v1:x")
        .expect("artifact keyed by its path relative to goaudit.toml");
    let status = |rule: &str| {
        bad["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == rule)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("dynamic-link"), "fail");
    assert_eq!(status("cgo-linked"), "warn");
    assert_eq!(status("size-budget"), "fail");
    assert_eq!(status("symtab-present"), "skip");
    assert_eq!(status("upx-packed"), "pass");
}

#[test]
fn sarif_has_the_required_fields_and_points_at_the_config() {
    let p = failing_project();
    let o = p.run(&["check", "--format", "sarif"]);
    assert_eq!(code(&o), 1);
    let s: Value = serde_json::from_slice(&o.stdout).expect("SARIF is JSON");
    assert_eq!(s["version"], "2.1.0");
    assert!(s["$schema"].as_str().unwrap().contains("sarif"));
    let run = &s["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "goaudit");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for r in rules {
        for field in ["shortDescription", "fullDescription", "help"] {
            assert!(
                r[field]["text"].is_string(),
                "rule {} lacks {field}",
                r["id"]
            );
        }
        assert!(r["id"].is_string());
    }
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    let rule_ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for r in results {
        let id = r["ruleId"].as_str().unwrap();
        assert!(rule_ids.contains(&id), "{id}");
        assert_eq!(rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"], id);
        assert!(r["message"]["text"].is_string());
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(loc["artifactLocation"]["uri"].is_string(), "{r}");
        assert!(r["partialFingerprints"].as_object().unwrap().len() == 1);
    }
    let dynamic = results
        .iter()
        .find(|r| r["ruleId"] == "dynamic-link")
        .unwrap();
    assert_eq!(dynamic["level"], "error");
    let loc = &dynamic["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "goaudit.toml");
    assert_eq!(loc["region"]["startLine"], 5);
    let budget = results
        .iter()
        .find(|r| r["ruleId"] == "size-budget")
        .unwrap();
    assert_eq!(
        budget["locations"][0]["physicalLocation"]["region"]["startLine"],
        10
    );
    let warn = results
        .iter()
        .find(|r| r["ruleId"] == "cgo-linked")
        .unwrap();
    assert_eq!(warn["level"], "warning");
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);

    // An input that cannot be read is a failed invocation, not a rule result.
    let o = p.run(&["check", "--format", "sarif", "dist/ok", "dist/missing"]);
    assert_eq!(code(&o), 2);
    let s: Value = serde_json::from_slice(&o.stdout).expect("SARIF is JSON");
    let inv = &s["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let notes = inv["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("dist/missing")
    );
}

#[test]
fn junit_parses_as_xml_with_one_testcase_per_artifact_and_rule() {
    use quick_xml::events::Event;
    let p = failing_project();
    let o = p.run(&["check", "--format", "junit"]);
    assert_eq!(code(&o), 1);
    let xml = String::from_utf8(o.stdout).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut depth = 0i32;
    let mut roots = 0;
    let mut testcases = Vec::new();
    let mut current = (String::new(), String::new());
    let mut failures = Vec::new();
    let mut skipped = Vec::new();
    loop {
        let ev = reader
            .read_event()
            .unwrap_or_else(|e| panic!("JUnit is not well-formed XML: {e}\n{xml}"));
        let (start, e) = match &ev {
            Event::Start(e) => (true, e.clone()),
            Event::Empty(e) => (false, e.clone()),
            Event::End(_) => {
                depth -= 1;
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        if depth == 0 {
            roots += 1;
        }
        let attr = |name: &str| {
            e.try_get_attribute(name).unwrap().map(|a| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .unwrap()
                    .into_owned()
            })
        };
        match e.name().0 {
            "testcase" => {
                current = (attr("classname").unwrap(), attr("name").unwrap());
                testcases.push(current.clone());
            }
            "failure" => failures.push(current.clone()),
            "skipped" => skipped.push(current.clone()),
            _ => {}
        }
        if start {
            depth += 1;
        }
    }
    assert_eq!(depth, 0, "unbalanced tags");
    assert_eq!(roots, 1);
    assert!(xml.contains("<testsuites"));
    // Every rule, once for each of the two artifacts.
    let rules: Vec<&(String, String)> = testcases.iter().filter(|(a, _)| a == "dist/ok").collect();
    for id in ["dynamic-link", "size-budget", "module-budget", "vcs-dirty"] {
        assert_eq!(
            rules.iter().filter(|(_, r)| r == id).count(),
            1,
            "{id}: {testcases:?}"
        );
    }
    assert_eq!(testcases.len(), 2 * rules.len(), "{testcases:?}");
    let bad = "dist/app,v1:x".to_string();
    assert!(failures.contains(&(bad.clone(), "dynamic-link".into())));
    assert!(failures.contains(&(bad.clone(), "size-budget".into())));
    assert!(
        !failures.contains(&(bad.clone(), "cgo-linked".into())),
        "warnings are not failures"
    );
    assert!(
        skipped.contains(&(bad.clone(), "symtab-present".into())),
        "allowed rules are skipped"
    );
    // The static binary breaks only its size budget.
    let ok_failures: Vec<&str> = failures
        .iter()
        .filter(|(a, _)| a == "dist/ok")
        .map(|(_, r)| r.as_str())
        .collect();
    assert_eq!(ok_failures, ["size-budget"]);
}

#[test]
fn github_annotations_are_escaped_capped_and_summarised() {
    let p = failing_project();
    let o = p.run(&["check", "--format", "github"]);
    let (so, _) = out_str(&o);
    assert_eq!(code(&o), 1);
    let lines: Vec<&str> = so.lines().collect();
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("::error ") || l.starts_with("::warning ")),
        "{so}"
    );
    let dynamic = lines
        .iter()
        .find(|l| l.contains("dynamic-link"))
        .expect("dynamic-link annotation");
    let (props, message) = dynamic
        .trim_start_matches("::error ")
        .split_once("::")
        .expect("properties::message");
    // Properties escape ':' and ',' so the artifact name cannot break the command.
    assert!(
        props.contains("title=goaudit dynamic-link%3A dist/app%2Cv1%3Ax"),
        "{props}"
    );
    assert!(props.contains("file=goaudit.toml,line=5,col="), "{props}");
    assert!(
        message.starts_with("dist/app,v1:x: dynamically linked"),
        "{message}"
    );
    // Every '%' in the output is an escape sequence.
    for (i, _) in so.match_indices('%') {
        let esc = &so[i..(i + 3).min(so.len())];
        assert!(
            ["%25", "%0D", "%0A", "%3A", "%2C"].contains(&esc),
            "raw % at {i}: {so}"
        );
    }

    // Under GitHub Actions the human format adds annotations (at most 10 per kind) and a
    // job summary table.
    let q = Project::new("version = 1\npaths = [\"dist/*\"]\n[rules]\nsymtab-present = \"deny\"\n");
    for i in 0..12 {
        q.put(&format!("dist/app{i:02}"), "hello-cgo0");
    }
    let summary = q.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let o = goaudit()
        .current_dir(q.path())
        .arg("check")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let (so, se) = out_str(&o);
    assert_eq!(code(&o), 1, "{so}{se}");
    assert!(
        so.contains("goaudit check failed"),
        "human report first: {so}"
    );
    assert_eq!(
        so.lines().filter(|l| l.starts_with("::error ")).count(),
        10,
        "{so}"
    );
    assert!(so.contains("2 more errors"), "{so}");
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.starts_with("earlier step\n"),
        "summary must be appended to"
    );
    assert!(md.contains("| artifact | size | baseline |"), "{md}");
    assert_eq!(
        md.lines().filter(|l| l.starts_with("| `dist/app")).count(),
        12,
        "{md}"
    );
}

#[test]
fn markdown_output_has_the_table() {
    let p = failing_project();
    let o = p.run(&["check", "--format", "markdown"]);
    let (so, _) = out_str(&o);
    assert_eq!(code(&o), 1);
    assert!(
        so.contains("| artifact | size | baseline | Δ | Δ% | limit | status |"),
        "{so}"
    );
    assert!(so.contains("| `dist/app,v1:x` |"), "{so}");
    assert!(so.contains("| error | `dynamic-link` |"), "{so}");
}

#[test]
fn bad_configs_exit_2_with_file_line_col() {
    let cases: &[(&str, &str)] = &[
        (
            "version = 1\n[rules]\ndynamic-link = \"deny\"\nfrobnicate = \"deny\"\n",
            "goaudit.toml:4:1:",
        ),
        (
            "version = 1\n[[budget]]\npath = \"x\"\nmax_sise = \"1MiB\"\n",
            "goaudit.toml:4:1:",
        ),
        (
            "version = 1\n[[budget]]\npath = \"x\"\nmax_size = true\n",
            "goaudit.toml:4:12:",
        ),
        (
            "version = 1\n[[budget]]\npath = \"x\"\nmax_size = \"12 megs\"\n",
            "goaudit.toml:4:12:",
        ),
        (
            "version = 1\n[rules]\ncgo-linked = \"fatal\"\n",
            "goaudit.toml:3:14:",
        ),
        ("[rules]\ncgo-linked = \"deny\"\n", "goaudit.toml:1:1:"),
        // A mistyped rule id gets the nearest real one.
        (
            "version = 1\n[rules]\ncgo-resolve = \"deny\"\n",
            "goaudit.toml:3:1: unknown rule `cgo-resolve`; did you mean `cgo-resolver`?",
        ),
        (
            "version = 1\n[hook]\nstale = \"maybe\"\n",
            "goaudit.toml:3:9: invalid stale \"maybe\"",
        ),
        (
            "version = 1\n[hook]\nbuidl = \"make\"\n",
            "goaudit.toml:3:1:",
        ),
    ];
    for (cfg, want) in cases {
        let p = Project::new(cfg);
        p.put("bin/app", "netuser-cgo0");
        let o = p.run(&["check", "bin/app"]);
        let (so, se) = out_str(&o);
        assert_eq!(code(&o), 2, "{cfg}: {so}{se}");
        assert!(se.contains(want), "{cfg}: want {want} in {se}");
        assert!(so.is_empty(), "no report on a config error: {so}");
    }
    // A bad size on the command line is a usage error too.
    let p = Project::new("version = 1\n");
    p.put("bin/app", "netuser-cgo0");
    let o = p.run(&["check", "--max-size", "12 megs", "bin/app"]);
    assert_eq!(code(&o), 2);
    // The config is found from a subdirectory, and --config overrides discovery.
    std::fs::create_dir_all(p.path().join("sub/dir")).unwrap();
    std::fs::write(p.path().join("sub/other.toml"), "version = 1\nbogus = 1\n").unwrap();
    let o = run_in(
        &p.path().join("sub/dir"),
        &["check", "../../bin/app", "--require-static"],
    );
    assert_eq!(code(&o), 0, "{:?}", out_str(&o));
    let o = run_in(
        &p.path().join("sub/dir"),
        &["check", "../../bin/app", "--config", "../other.toml"],
    );
    let (_, se) = out_str(&o);
    assert_eq!(code(&o), 2);
    assert!(se.contains("other.toml:2:1:"), "{se}");
}

#[test]
fn exit_codes_never_mix_policy_and_errors() {
    let p = Project::new("version = 1\n[[budget]]\npath = \"dist/missing\"\nmax_size = \"1MiB\"\n");
    let bin = p.put("bin/app", "netuser-default");
    // A budget whose path matches nothing: the artifacts were not built, exit 2.
    let o = p.run(&["check"]);
    let (_, se) = out_str(&o);
    assert_eq!(code(&o), 2);
    assert!(
        se.contains("goaudit.toml:3:8:") && se.contains("matches no file"),
        "{se}"
    );

    // Policy failure alone: 1; with --exit-zero: 0, still reported.
    let o = p.run(&["check", "--require-static", "bin/app"]);
    assert_eq!(code(&o), 1);
    let o = p.run(&["check", "--require-static", "--exit-zero", "bin/app"]);
    let (so, _) = out_str(&o);
    assert_eq!(code(&o), 0);
    assert!(so.contains("dynamic-link"), "{so}");

    // A policy failure next to an unreadable input: the run is incomplete, exit 2.
    let o = p.run(&["check", "--require-static", "bin/app", "bin/nope"]);
    assert_eq!(code(&o), 2);
    // --exit-zero never hides a tool error.
    let o = p.run(&["check", "--exit-zero", "bin/nope"]);
    assert_eq!(code(&o), 2);
    // A named file that is not a Go binary is an error, not a pass.
    std::fs::write(p.path().join("bin/readme.txt"), "hello").unwrap();
    let o = p.run(&["check", "bin/readme.txt"]);
    assert_eq!(code(&o), 2);
    // Conflicting levels on the command line.
    let o = p.run(&[
        "check",
        "--require-static",
        "--allow",
        "dynamic-link",
        "bin/app",
    ]);
    let (_, se) = out_str(&o);
    assert_eq!(code(&o), 2);
    assert!(se.contains("dynamic-link"), "{se}");
    // Unknown rule id.
    let o = p.run(&["check", "--deny", "static", bin.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    // A mistyped one gets the nearest real id, as in goaudit.toml.
    let o = p.run(&["check", "--warn", "dynamic-linking", "bin/app"]);
    let (_, se) = out_str(&o);
    assert_eq!(code(&o), 2);
    assert!(se.contains("did you mean `dynamic-link`?"), "{se}");
    // No config and no PATH.
    let empty = tempfile::tempdir().unwrap();
    let o = run_in(empty.path(), &["check"]);
    assert_eq!(code(&o), 2);
}

/// Build a small static Go program whose read-only data holds a Nix store path, as a
/// binary built by Nix does.
fn with_nix_ref(p: &Project) -> String {
    let src = p.path().join("nixsrc");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("main.go"),
        "package main\n\nimport \"fmt\"\n\nvar libc = \"/nix/store/0c1k7v4pl2vfsz1yn2cbsbv1mbm6y3g9-glibc-2.38/lib/libc.so.6\"\n\nfunc main() { fmt.Println(libc) }\n",
    )
    .unwrap();
    std::fs::create_dir_all(p.path().join("bin")).unwrap();
    let o = Command::new(support::go_binary())
        .current_dir(&src)
        .args(["build", "-o", "../bin/nix", "main.go"])
        .env("CGO_ENABLED", "0")
        .env("GOFLAGS", "")
        .output()
        .expect("run go build");
    assert!(
        o.status.success(),
        "go build of the nix fixture failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    "bin/nix".into()
}

#[test]
fn every_audit_rule_fails_and_passes_as_documented() {
    let p = Project::new("version = 1\n");
    let nix = with_nix_ref(&p);
    // (rule, a binary that violates it, a binary that does not)
    let cases: &[(&str, &str, &str)] = &[
        ("dynamic-link", "netuser-default", "netuser-cgo0"),
        ("cgo-linked", "netuser-default", "netuser-cgo0"),
        ("cgo-resolver", "netuser-default", "netuser-netgo"),
        ("cgo-os-user", "netuser-default", "netuser-osusergo"),
        ("symtab-present", "netuser-w", "netuser-s"),
        ("dwarf-present", "netuser-default", "netuser-w"),
        ("no-trimpath", "netuser-cgo0", "netuser-cgo0-trimpath-sw"),
        ("vcs-dirty", "netuser-vcs", "netuser-cgo0"),
        (
            "upx-packed",
            "netuser-cgo0-trimpath-sw-upx",
            "netuser-cgo0-trimpath-sw",
        ),
        ("nix-store-ref", "", "netuser-cgo0"),
    ];
    for (rule, bad, good) in cases {
        let bad_path = if bad.is_empty() {
            nix.clone()
        } else {
            p.put(&format!("bin/{bad}"), bad);
            format!("bin/{bad}")
        };
        p.put(&format!("bin/{good}"), good);
        let o = p.run(&["check", "--deny", rule, &bad_path]);
        let (so, se) = out_str(&o);
        assert_eq!(code(&o), 1, "{rule} should fail on {bad_path}: {so}{se}");
        assert!(so.contains(&format!("error   {rule}")), "{rule}: {so}");
        let o = p.run(&["check", "--deny", rule, &format!("bin/{good}")]);
        let (so, se) = out_str(&o);
        assert_eq!(code(&o), 0, "{rule} should pass on {good}: {so}{se}");
        // At warn level the violation is reported and the check passes.
        let o = p.run(&["check", "--warn", rule, &bad_path]);
        let (so, _) = out_str(&o);
        assert_eq!(code(&o), 0, "{rule} at warn: {so}");
        assert!(so.contains(&format!("warning {rule}")), "{rule}: {so}");
        // At allow level it is not evaluated.
        let o = p.run(&["check", "--allow", rule, &bad_path]);
        let (so, _) = out_str(&o);
        assert!(!so.contains(rule), "{rule} allowed but reported: {so}");
    }
    // The shorthand flags.
    p.put("bin/dyn", "netuser-default");
    p.put("bin/static", "netuser-cgo0");
    assert_eq!(code(&p.run(&["check", "--require-static", "bin/dyn"])), 1);
    assert_eq!(
        code(&p.run(&["check", "--require-static", "bin/static"])),
        0
    );
    assert_eq!(code(&p.run(&["check", "--no-cgo", "bin/dyn"])), 1);
    assert_eq!(code(&p.run(&["check", "--no-cgo", "bin/static"])), 0);
    let size = std::fs::metadata(p.path().join("bin/static"))
        .unwrap()
        .len();
    let at = size.to_string();
    let below = (size - 1).to_string();
    assert_eq!(code(&p.run(&["check", "--max-size", &at, "bin/static"])), 0);
    let o = p.run(&["check", "--max-size", &below, "bin/static"]);
    let (so, _) = out_str(&o);
    assert_eq!(code(&o), 1);
    assert!(
        so.contains("size-budget") && so.contains("over its budget"),
        "{so}"
    );
}

#[test]
fn docs_rule_table_and_example_config_match_the_tool() {
    let root = support::repo_root();
    // The example config parses: a config error would be exit 2.
    let example = root.join("docs/goaudit.toml");
    let p = Project::new("version = 1\n");
    p.put("bin/app", "netuser-cgo0");
    let o = p.run(&[
        "check",
        "--config",
        example.to_str().unwrap(),
        "--format",
        "json",
        "bin/app",
    ]);
    let (so, se) = out_str(&o);
    assert!(
        matches!(code(&o), 0 | 1),
        "docs/goaudit.toml rejected: {se}"
    );
    let j: Value = serde_json::from_str(&so).unwrap();
    assert_eq!(j["config"], "goaudit.toml");

    // The defaults documented in docs/check.md are the ones in force without a config.
    let o = p.run(&["check", "--format", "json", "bin/app"]);
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    let doc = std::fs::read_to_string(root.join("docs/check.md")).unwrap();
    let mut documented = 0;
    for line in doc.lines() {
        let cells: Vec<&str> = line.split(" | ").collect();
        let Some(id) = cells
            .first()
            .and_then(|c| c.strip_prefix("| `"))
            .and_then(|c| c.strip_suffix('`'))
        else {
            continue;
        };
        let Some(rule) = j["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
        else {
            continue;
        };
        assert_eq!(cells.len(), 4, "rule row for {id}: {line}");
        assert_eq!(
            rule["level"], cells[2],
            "default level of {id} in docs/check.md"
        );
        documented += 1;
    }
    assert_eq!(
        documented,
        j["rules"].as_array().unwrap().len(),
        "every rule is documented in docs/check.md"
    );
}

/// A Docker 25+ `docker save` archive holding one layer with `binary` at `app/server`.
fn image_with(dir: &Path, file: &str, binary: &str) -> (PathBuf, u64) {
    use fixtures::{E, layer_tar};
    let bin = std::fs::read(testbin(binary)).unwrap();
    let size = bin.len() as u64;
    let layer = layer_tar(&[E::Dir("app/".into()), fixtures::file("app/server", bin)]);
    let cfg = fixtures::config(
        &[&layer],
        serde_json::json!({"Entrypoint": ["/app/server"]}),
        vec![serde_json::json!({"created_by": "COPY server /app/server"})],
    );
    let path = dir.join(file);
    std::fs::write(&path, fixtures::docker25(&cfg, &[layer], "example/app:1")).unwrap();
    (path, size)
}

fn results_of<'a>(doc: &'a Value, path: &str) -> &'a Value {
    doc["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == path)
        .unwrap_or_else(|| panic!("no artifact {path} in {doc:#}"))
}

fn status_of(artifact: &Value, rule: &str) -> String {
    artifact["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == rule)
        .unwrap_or_else(|| panic!("no rule {rule} in {artifact:#}"))["status"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn check_gates_container_images_and_the_binaries_inside() {
    let p = Project::new("version = 1\n");
    let (_, static_size) = image_with(p.path(), "static.tar", "netuser-cgo0");
    let (_, dynamic_size) = image_with(p.path(), "dynamic.tar", "netuser-default");

    // --require-static fails on the dynamic binary inside the image, by its image path.
    let o = p.run(&[
        "check",
        "--require-static",
        "--format",
        "json",
        "static.tar",
        "dynamic.tar",
    ]);
    let (so, se) = out_str(&o);
    assert_eq!(code(&o), 1, "{so}{se}");
    let doc: Value = serde_json::from_str(&so).unwrap();
    let paths: Vec<&str> = doc["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "static.tar",
            "static.tar:/app/server",
            "dynamic.tar",
            "dynamic.tar:/app/server"
        ]
    );
    let dynamic_bin = results_of(&doc, "dynamic.tar:/app/server");
    assert_eq!(dynamic_bin["kind"], "binary");
    assert_eq!(dynamic_bin["size"], dynamic_size);
    assert_eq!(status_of(dynamic_bin, "dynamic-link"), "fail");
    assert_eq!(
        status_of(results_of(&doc, "static.tar:/app/server"), "dynamic-link"),
        "pass"
    );
    // The image itself carries the image-level rules; linking is judged per binary.
    let dynamic_img = results_of(&doc, "dynamic.tar");
    assert_eq!(dynamic_img["kind"], "image");
    assert_eq!(status_of(dynamic_img, "dynamic-link"), "skip");
    // The dynamic binary on scratch has no loader: that image cannot start.
    assert_eq!(status_of(dynamic_img, "image-cannot-start"), "fail");
    assert_eq!(
        status_of(results_of(&doc, "static.tar"), "image-cannot-start"),
        "pass"
    );
    assert_eq!(doc["summary"]["failures"], 2, "{so}");

    // SARIF points at the archive, a real file (`dynamic.tar:/app/server` is no URI);
    // the message names the binary inside.
    let o = p.run(&[
        "check",
        "--require-static",
        "--format",
        "sarif",
        "dynamic.tar",
    ]);
    assert_eq!(code(&o), 1, "{:?}", out_str(&o));
    let sarif: Value = serde_json::from_slice(&o.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let dynamic = results
        .iter()
        .find(|r| r["ruleId"] == "dynamic-link")
        .expect("dynamic-link result");
    assert_eq!(
        dynamic["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "dynamic.tar"
    );
    assert!(
        dynamic["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("dynamic.tar:/app/server: ")
    );

    // A size budget applies to the image's content size (the `docker image ls` rule:
    // the layer's file bytes, here the one binary).
    let img = |doc: &Value, k: &str| results_of(doc, k)["size"].as_u64().unwrap();
    let budget = (static_size + dynamic_size) / 2;
    let o = p.run(&[
        "check",
        "--format",
        "json",
        "--max-size",
        &budget.to_string(),
        "static.tar",
        "dynamic.tar",
    ]);
    let (so, se) = out_str(&o);
    assert_eq!(code(&o), 1, "{so}{se}");
    let doc: Value = serde_json::from_str(&so).unwrap();
    assert_eq!(img(&doc, "static.tar"), static_size);
    assert_eq!(img(&doc, "dynamic.tar"), dynamic_size);
    assert_eq!(
        status_of(results_of(&doc, "static.tar"), "size-budget"),
        "pass"
    );
    assert_eq!(
        status_of(results_of(&doc, "dynamic.tar"), "size-budget"),
        "fail"
    );

    // Baseline and growth work on images: swap the image behind the same name.
    std::fs::copy(p.path().join("static.tar"), p.path().join("app.tar")).unwrap();
    let o = p.run(&["baseline", "write", "app.tar"]);
    assert_eq!(code(&o), 0, "{:?}", out_str(&o));
    let b: Value = serde_json::from_str(
        &std::fs::read_to_string(p.path().join(".goaudit/baseline.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(b["artifacts"][0]["path"], "app.tar");
    assert_eq!(b["artifacts"][0]["size"], static_size);
    assert_eq!(b["artifacts"][1]["path"], "app.tar:/app/server");
    std::fs::copy(p.path().join("dynamic.tar"), p.path().join("app.tar")).unwrap();
    assert!(
        dynamic_size > static_size,
        "the cgo build should be the bigger one"
    );
    let half = (dynamic_size - static_size) as f64 * 100.0 / static_size as f64 / 2.0;
    let o = p.run(&["check", "--max-growth", &format!("{half:.3}"), "app.tar"]);
    let (so, se) = out_str(&o);
    assert_eq!(code(&o), 1, "{so}{se}");
    assert!(
        so.contains("app.tar ") && so.contains("size-growth"),
        "{so}"
    );

    // An OCI layout directory is one image, not a folder of blobs to walk.
    let layout = p.path().join("layout");
    let bin = std::fs::read(testbin("netuser-cgo0")).unwrap();
    let layer = fixtures::layer_tar(&[fixtures::file("server", bin)]);
    let cfg = fixtures::config(
        &[&layer],
        serde_json::json!({"Entrypoint": ["/server"]}),
        vec![],
    );
    fixtures::oci_layout_dir(
        &layout,
        &cfg,
        &[layer],
        "application/vnd.oci.image.layer.v1.tar",
    );
    let o = p.run(&["check", "--require-static", "--format", "json", "layout"]);
    let (so, se) = out_str(&o);
    assert_eq!(code(&o), 0, "{so}{se}");
    let doc: Value = serde_json::from_str(&so).unwrap();
    assert_eq!(results_of(&doc, "layout")["kind"], "image");
    assert_eq!(
        status_of(results_of(&doc, "layout:/server"), "dynamic-link"),
        "pass"
    );

    // goaudit.toml may name the layout, literally or by a glob; its blobs are not
    // artifacts of their own.
    for paths in [r#"["layout"]"#, r#"["lay*"]"#, r#"["**/layout"]"#] {
        std::fs::write(
            p.path().join("goaudit.toml"),
            format!("version = 1\npaths = {paths}\n"),
        )
        .unwrap();
        let o = p.run(&["check", "--require-static", "--format", "json"]);
        let (so, se) = out_str(&o);
        assert_eq!(code(&o), 0, "{paths}: {so}{se}");
        let doc: Value = serde_json::from_str(&so).unwrap();
        let keys: Vec<&str> = doc["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["path"].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["layout", "layout:/server"], "{paths}");
    }

    // A budget on the binaries inside an archive reads the archive; the image itself is
    // not under that budget.
    std::fs::write(
        p.path().join("goaudit.toml"),
        "version = 1\n\n[[budget]]\npath = \"dynamic.tar:/**\"\nmax_size = \"1KiB\"\n",
    )
    .unwrap();
    let o = p.run(&["check", "--format", "json"]);
    let (so, se) = out_str(&o);
    assert_eq!(code(&o), 1, "{so}{se}");
    let doc: Value = serde_json::from_str(&so).unwrap();
    assert_eq!(
        status_of(results_of(&doc, "dynamic.tar:/app/server"), "size-budget"),
        "fail"
    );
    assert_eq!(
        status_of(results_of(&doc, "dynamic.tar"), "size-budget"),
        "skip"
    );
}

/// (content, visible) of each image in `path`, from the layer tars by Python's tarfile
/// (tests/fixtures/images/image_sizes.py), not by goaudit.
fn independent_sizes(path: &Path) -> Vec<(u64, u64)> {
    let py = support::require_tool("python3", "install python3 (`apt-get install python3`)");
    let out = Command::new(py)
        .arg(support::repo_root().join("tests/fixtures/images/image_sizes.py"))
        .arg(path)
        .output()
        .expect("run image_sizes.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["content"].as_u64().unwrap(),
                i["visible"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// An image whose later layers overwrite one file and delete another: wasted bytes.
fn wasteful_image(dir: &Path) -> PathBuf {
    use fixtures::{E, file, filler, layer_tar};
    let bin = std::fs::read(testbin("netuser-cgo0-trimpath-sw")).unwrap();
    let l1 = layer_tar(&[
        E::Dir("app/".into()),
        file("app/server", bin),
        file("data/big.bin", filler(300_000, 31)),
        file("data/keep.txt", filler(20_000, 32)),
        E::Hard("data/keep.link".into(), "data/keep.txt".into()),
    ]);
    let l2 = layer_tar(&[file("data/big.bin", filler(100_000, 33))]);
    let l3 = layer_tar(&[file("data/.wh.keep.txt", ""), file("etc/motd", "hi\n")]);
    let cfg = fixtures::config(
        &[&l1, &l2, &l3],
        serde_json::json!({"Entrypoint": ["/app/server"]}),
        vec![
            serde_json::json!({"created_by": "COPY . /"}),
            serde_json::json!({"created_by": "RUN make data"}),
            serde_json::json!({"created_by": "RUN rm /data/keep.txt"}),
        ],
    );
    let p = dir.join("wasteful.tar");
    std::fs::write(
        &p,
        fixtures::docker25(&cfg, &[l1, l2, l3], "example/waste:1"),
    )
    .unwrap();
    p
}

fn rule_of<'a>(artifact: &'a Value, rule: &str) -> &'a Value {
    artifact["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == rule)
        .unwrap_or_else(|| panic!("no rule {rule} in {artifact:#}"))
}

#[test]
fn wasted_and_efficiency_budgets_gate_images() {
    let p = Project::new("version = 1\n");
    let img = wasteful_image(p.path());
    let sizes = independent_sizes(&img);
    assert_eq!(sizes.len(), 1);
    let (content, visible) = sizes[0];
    let wasted = content - visible;
    // big.bin's first copy is hidden; deleting keep.txt hides nothing, its hard link
    // keep.link still holds the bytes.
    assert_eq!(wasted, 300_000, "the fixture's own arithmetic");

    let check = |args: &[&str]| {
        let mut a = vec!["check", "--format", "json"];
        a.extend_from_slice(args);
        a.push("wasteful.tar");
        let o = p.run(&a);
        let (so, se) = out_str(&o);
        let doc: Value = serde_json::from_str(&so).unwrap_or_else(|e| panic!("{e}: {so}{se}"));
        (code(&o), doc)
    };

    // Bytes: at the limit passes, one byte under fails with that byte as the saving.
    let (c, doc) = check(&["--max-wasted", &wasted.to_string()]);
    assert_eq!(c, 0, "{doc:#}");
    assert_eq!(
        status_of(results_of(&doc, "wasteful.tar"), "wasted-budget"),
        "pass"
    );
    let (c, doc) = check(&["--max-wasted", &(wasted - 1).to_string()]);
    assert_eq!(c, 1, "{doc:#}");
    let r = rule_of(results_of(&doc, "wasteful.tar"), "wasted-budget");
    assert_eq!(r["status"], "fail");
    assert_eq!(r["level"], "deny");
    assert_eq!(r["violations"][0]["saving"], 1);
    let msg = r["violations"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("layer 2 hides") && msg.contains("/data/big.bin"),
        "{msg}"
    );
    // The binary inside is no image: skipped, never passed.
    assert_eq!(
        status_of(
            results_of(&doc, "wasteful.tar:/app/server"),
            "wasted-budget"
        ),
        "skip"
    );
    // Efficiency is skipped while no minimum is set.
    assert_eq!(
        status_of(results_of(&doc, "wasteful.tar"), "efficiency-budget"),
        "skip"
    );

    // A share of the content size, either side of the real share.
    let share = wasted as f64 * 100.0 / content as f64;
    let (c, _) = check(&["--max-wasted", &format!("{:.4}%", share + 0.01)]);
    assert_eq!(c, 0);
    let (c, doc) = check(&["--max-wasted", &format!("{:.4}%", share - 0.01)]);
    assert_eq!(c, 1, "{doc:#}");

    // Efficiency = visible / content.
    let eff = visible as f64 * 100.0 / content as f64;
    let (c, doc) = check(&["--min-efficiency", &format!("{:.4}", eff - 0.01)]);
    assert_eq!(c, 0, "{doc:#}");
    assert_eq!(
        status_of(results_of(&doc, "wasteful.tar"), "efficiency-budget"),
        "pass"
    );
    let (c, doc) = check(&["--min-efficiency", &format!("{:.4}", eff + 0.01)]);
    assert_eq!(c, 1, "{doc:#}");
    let r = rule_of(results_of(&doc, "wasteful.tar"), "efficiency-budget");
    assert_eq!(r["status"], "fail");
    assert!(
        r["violations"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with(&format!("efficiency {:.1}% ", (eff * 10.0).floor() / 10.0)),
        "{r}"
    );
    // --warn turns it into a warning.
    let (c, doc) = check(&[
        "--min-efficiency",
        &format!("{:.4}", eff + 0.01),
        "--warn",
        "efficiency-budget",
    ]);
    assert_eq!(c, 0, "{doc:#}");
    assert_eq!(
        status_of(results_of(&doc, "wasteful.tar"), "efficiency-budget"),
        "warn"
    );

    // Bad flag values are usage errors.
    for bad in [["--max-wasted", "5 percent"], ["--min-efficiency", "101"]] {
        let o = p.run(&["check", bad[0], bad[1], "wasteful.tar"]);
        assert_eq!(code(&o), 2, "{bad:?}");
    }

    // From goaudit.toml, with the line in every output format.
    std::fs::write(
        p.path().join("goaudit.toml"),
        format!(
            "version = 1\n\n[[budget]]\npath = \"wasteful.tar\"\nmax_wasted = {}\nmin_efficiency = \"{:.4}%\"\n",
            wasted - 1,
            eff + 0.01
        ),
    )
    .unwrap();
    let o = p.run(&["check", "--format", "json"]);
    let (so, se) = out_str(&o);
    assert_eq!(code(&o), 1, "{so}{se}");
    let doc: Value = serde_json::from_str(&so).unwrap();
    let img = results_of(&doc, "wasteful.tar");
    let w = rule_of(img, "wasted-budget");
    assert_eq!(w["violations"][0]["location"]["line"], 5, "{w}");
    assert_eq!(w["violations"][0]["location"]["col"], 14, "{w}");
    let e = rule_of(img, "efficiency-budget");
    assert_eq!(e["violations"][0]["location"]["line"], 6, "{e}");
    assert_eq!(doc["summary"]["failures"], 2, "{so}");
    for (format, needles) in [
        (
            "human",
            vec!["wasted-budget", "efficiency-budget", "goaudit.toml:5:14"],
        ),
        ("markdown", vec!["wasted-budget", "efficiency-budget"]),
        (
            "github",
            vec!["::error", "wasted-budget", "efficiency-budget", "line=5"],
        ),
        ("junit", vec!["wasted-budget", "efficiency-budget"]),
        ("sarif", vec![]),
    ] {
        let o = p.run(&["check", "--format", format]);
        let (so, se) = out_str(&o);
        assert_eq!(code(&o), 1, "{format}: {so}{se}");
        for n in needles {
            assert!(so.contains(n), "{format}: {n:?} not in {so}");
        }
        if format == "junit" {
            assert_eq!(so.matches("<failure").count(), 2, "{so}");
        }
        if format == "sarif" {
            let sarif: Value = serde_json::from_str(&so).unwrap();
            let mut ids: Vec<&str> = sarif["runs"][0]["results"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["kind"] != "open")
                .map(|r| r["ruleId"].as_str().unwrap())
                .collect();
            ids.sort();
            assert_eq!(ids, ["efficiency-budget", "wasted-budget"], "{so}");
        }
    }
}

#[test]
fn budgets_apply_through_symlinked_directories() {
    // dist/ is a symlink to a build directory outside the project: the artifact is
    // named dist/app, as written, and its budget applies (it used to be skipped, keyed
    // by its absolute path).
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(outside.path().join("build")).unwrap();
    std::fs::copy(testbin("netuser-cgo0"), outside.path().join("build/app")).unwrap();
    let p = Project::new("version = 1\n");
    std::os::unix::fs::symlink(outside.path().join("build"), p.path().join("dist")).unwrap();
    std::fs::create_dir_all(p.path().join("docs")).unwrap();
    std::fs::write(p.path().join("docs/readme.txt"), "not a binary\n").unwrap();
    for budget in ["dist/app", "dist/*", "**/app"] {
        std::fs::write(
            p.path().join("goaudit.toml"),
            format!(
                "version = 1\n\n[[budget]]\npath = \"{budget}\"\nmax_size = \"1KiB\"\n\n[[budget]]\npath = \"docs/*\"\nmax_size = \"1KiB\"\n"
            ),
        )
        .unwrap();
        for args in [
            vec!["check", "--format", "json"],
            vec!["check", "--format", "json", "dist/app"],
        ] {
            let o = p.run(&args);
            let (so, se) = out_str(&o);
            assert_eq!(code(&o), 1, "{budget} {args:?}: {so}{se}");
            let doc: Value = serde_json::from_str(&so).unwrap();
            assert_eq!(
                status_of(results_of(&doc, "dist/app"), "size-budget"),
                "fail"
            );
            // A budget whose files are no artifacts is named, not silently passed over.
            if args.len() == 3 {
                assert!(
                    se.contains(
                        "goaudit.toml:8:8: [[budget]] path `docs/*` matches no artifact checked"
                    ),
                    "{se}"
                );
            }
        }
    }

    // Inside the project: bin -> build. Named through the link, the artifact keeps that
    // name, and a budget or override written for the resolved path applies too.
    let q = Project::new("version = 1\n");
    q.put("build/app", "netuser-cgo0");
    std::os::unix::fs::symlink("build", q.path().join("bin")).unwrap();
    std::fs::write(
        q.path().join("goaudit.toml"),
        "version = 1\n\n[[budget]]\npath = \"build/app\"\nmax_size = \"1KiB\"\n\n[[override]]\npath = \"build/*\"\nreason = \"vendored C library\"\n[override.rules]\ndynamic-link = \"allow\"\n",
    )
    .unwrap();
    let o = q.run(&["check", "--require-static", "--format", "json", "bin/app"]);
    let (so, se) = out_str(&o);
    assert_eq!(code(&o), 1, "{so}{se}");
    let doc: Value = serde_json::from_str(&so).unwrap();
    let a = results_of(&doc, "bin/app");
    assert_eq!(status_of(a, "size-budget"), "fail");
    let dl = rule_of(a, "dynamic-link");
    assert_eq!(dl["status"], "skip", "{dl}");
    assert!(
        dl["note"].as_str().unwrap().contains("vendored C library"),
        "{dl}"
    );
    assert!(!se.contains("matches no artifact"), "{se}");
}
