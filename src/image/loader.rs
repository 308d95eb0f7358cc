//! The dynamic loader's view of an image: for an ELF file in the final filesystem, its
//! interpreter and every `DT_NEEDED` library found the way glibc's `ld.so` (or musl's)
//! would find them inside the image, transitively.
//!
//! Search order for a name without a `/` (glibc, `dl-load.c`): the object's `DT_RPATH`
//! and the executable's (only when the object has no `DT_RUNPATH`), `LD_LIBRARY_PATH`
//! from the image config's `Env`, the object's `DT_RUNPATH`, the directories of
//! `/etc/ld.so.conf` and the files it includes (what `ldconfig` puts in the cache),
//! then the built-in directories: the interpreter's own directory (a Nix glibc's
//! compiled-in path), the multiarch directories, `lib64` for 64-bit objects, `lib`,
//! `usr/lib`. musl reads `/etc/ld-musl-<arch>.path` instead of `ld.so.conf`. `$ORIGIN`,
//! `$LIB` and `$PLATFORM` are expanded; symlinks are followed component by component;
//! a candidate of another ELF class or machine is skipped, as the loader skips it.

use std::collections::{BTreeSet, HashSet, VecDeque};

use super::layers::{ElfInfo, FinalFs, LayerScan, Node, normalize};

/// What one object needs at run time.
#[derive(Debug, Default, Clone)]
pub struct Closure {
    /// Files the loader maps (interpreter and libraries), resolved paths.
    pub files: BTreeSet<String>,
    /// Symlinks passed on the way to them.
    pub links: BTreeSet<String>,
    /// The interpreter as written in `PT_INTERP`, when it is absent from the image.
    pub missing_interpreter: Option<String>,
    /// `DT_NEEDED` names found nowhere in the search path.
    pub missing: Vec<String>,
}

impl Closure {
    /// Everything missing, interpreter first.
    pub fn all_missing(&self) -> Vec<String> {
        self.missing_interpreter
            .iter()
            .cloned()
            .chain(self.missing.iter().cloned())
            .collect()
    }
}

/// The loader for one image: its filesystem, config and search directories.
#[allow(missing_debug_implementations)]
pub struct Loader<'a> {
    fs: &'a FinalFs,
    ls: &'a [&'a LayerScan],
    ld_library_path: Vec<String>,
    conf_dirs: Vec<String>,
    musl_dirs: Option<Vec<String>>,
}

/// Debian's multiarch triplet for an ELF machine.
pub fn multiarch(machine: u16) -> Option<&'static str> {
    Some(match machine {
        62 => "x86_64-linux-gnu",
        183 => "aarch64-linux-gnu",
        40 => "arm-linux-gnueabihf",
        3 => "i386-linux-gnu",
        21 => "powerpc64le-linux-gnu",
        22 => "s390x-linux-gnu",
        243 => "riscv64-linux-gnu",
        _ => return None,
    })
}

/// The GOARCH-style name of an ELF machine, as image configs write `architecture`.
pub fn goarch(machine: u16, class64: bool) -> Option<&'static str> {
    Some(match (machine, class64) {
        (62, true) => "amd64",
        (3, false) => "386",
        (183, true) => "arm64",
        (40, false) => "arm",
        (21, true) => "ppc64le",
        (22, true) => "s390x",
        (243, true) => "riscv64",
        (8, _) => "mips",
        _ => return None,
    })
}

fn platform_dir(machine: u16) -> &'static str {
    match machine {
        62 => "x86_64",
        183 => "aarch64",
        3 => "i686",
        _ => "",
    }
}

fn parent(p: &str) -> &str {
    p.rsplit_once('/').map_or("", |x| x.0)
}

impl<'a> Loader<'a> {
    /// The loader of an image with this filesystem and config.
    pub fn new(fs: &'a FinalFs, ls: &'a [&'a LayerScan], config: &serde_json::Value) -> Self {
        let mut ld_library_path = Vec::new();
        if let Some(env) = config["config"]["Env"].as_array() {
            for e in env.iter().filter_map(|e| e.as_str()) {
                if let Some(v) = e.strip_prefix("LD_LIBRARY_PATH=") {
                    ld_library_path
                        .extend(v.split([':', ';']).filter_map(|d| normalize(d.as_bytes())));
                }
            }
        }
        let mut l = Loader {
            fs,
            ls,
            ld_library_path,
            conf_dirs: Vec::new(),
            musl_dirs: None,
        };
        let mut seen = HashSet::new();
        let mut dirs = Vec::new();
        l.read_conf("etc/ld.so.conf", &mut dirs, &mut seen, 0);
        l.conf_dirs = dirs;
        let musl: Vec<String> = fs
            .nodes
            .keys()
            .filter(|k| k.starts_with("etc/ld-musl-") && k.ends_with(".path"))
            .filter_map(|k| l.text(k))
            .flat_map(|t| {
                String::from_utf8_lossy(t)
                    .split(['\n', ':'])
                    .filter_map(|d| normalize(d.trim().as_bytes()))
                    .collect::<Vec<_>>()
            })
            .collect();
        if !musl.is_empty() {
            l.musl_dirs = Some(musl);
        }
        l
    }

    /// The contents of a loader configuration file as the image shows it.
    fn text(&self, path: &str) -> Option<&'a [u8]> {
        let (p, _) = self.fs.resolve(path)?;
        let v = self.fs.nodes.get(&p)?;
        self.ls.get(v.layer)?.texts.get(&p).map(Vec::as_slice)
    }

    fn read_conf(
        &self,
        path: &str,
        dirs: &mut Vec<String>,
        seen: &mut HashSet<String>,
        depth: usize,
    ) {
        if depth > 8 || !seen.insert(path.to_string()) {
            return;
        }
        let Some(t) = self.text(path) else { return };
        for line in String::from_utf8_lossy(t).lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            if let Some(pat) = line
                .strip_prefix("include")
                .filter(|r| r.starts_with([' ', '\t']))
            {
                for pat in pat.split_whitespace() {
                    let pat = if pat.starts_with('/') {
                        pat.to_string()
                    } else {
                        format!("{}/{pat}", parent(path))
                    };
                    for f in self.glob(&pat) {
                        self.read_conf(&f, dirs, seen, depth + 1);
                    }
                }
                continue;
            }
            for d in line.split([' ', '\t', ':', ',', '=']) {
                if let Some(n) = normalize(d.as_bytes())
                    && d.starts_with('/')
                    && !dirs.contains(&n)
                {
                    dirs.push(n);
                }
            }
        }
    }

    /// `dir/*.conf`-style patterns: one `*` in the last component.
    fn glob(&self, pat: &str) -> Vec<String> {
        let Some(n) = normalize(pat.as_bytes()) else {
            return Vec::new();
        };
        let (dir, name) = n.rsplit_once('/').unwrap_or(("", &n));
        let real_dir = match self.fs.resolve_dir(dir) {
            Some(d) => d,
            None => return Vec::new(),
        };
        let (pre, suf) = name.split_once('*').unwrap_or((name, ""));
        let exact = !name.contains('*');
        let prefix = if real_dir.is_empty() {
            String::new()
        } else {
            format!("{real_dir}/")
        };
        let mut out: Vec<String> = self
            .fs
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| &k[prefix.len()..])
            .filter(|rest| !rest.contains('/'))
            .filter(|rest| {
                if exact {
                    *rest == name
                } else {
                    rest.len() >= pre.len() + suf.len()
                        && rest.starts_with(pre)
                        && rest.ends_with(suf)
                }
            })
            .map(|rest| format!("{prefix}{rest}"))
            .collect();
        out.sort();
        out
    }

    fn elf(&self, p: &str) -> Option<&'a ElfInfo> {
        let v = self.fs.nodes.get(p)?;
        self.ls.get(v.layer)?.elves.get(p)
    }

    fn expand(&self, d: &str, origin: &str, class64: bool, machine: u16) -> Option<String> {
        let o = format!("/{origin}");
        let lib = if class64 { "lib64" } else { "lib" };
        let d = d
            .replace("${ORIGIN}", &o)
            .replace("$ORIGIN", &o)
            .replace("${LIB}", lib)
            .replace("$LIB", lib)
            .replace("${PLATFORM}", platform_dir(machine))
            .replace("$PLATFORM", platform_dir(machine));
        if !d.starts_with('/') {
            return None; // relative entries are relative to the process's cwd
        }
        normalize(d.as_bytes())
    }

    /// A usable candidate: present, and of the requester's class and machine when it is
    /// an ELF file goaudit read.
    fn candidate(&self, path: &str, class64: bool, machine: u16) -> Option<(String, Vec<String>)> {
        let (p, links) = self.fs.resolve(path)?;
        if let Some(e) = self.elf(&p)
            && machine != 0
            && e.machine != 0
            && (e.machine != machine || e.class64 != class64)
        {
            return None;
        }
        Some((p, links))
    }

    /// The closure of the ELF file at `path` (a visible, resolved path).
    pub fn closure(&self, path: &str) -> Closure {
        let mut c = Closure::default();
        let Some(info) = self.elf(path) else { return c };
        let Some(link) = info.linking.as_ref() else {
            return c;
        };
        let (class64, machine) = (info.class64, info.machine);
        let mut builtin: Vec<String> = Vec::new();
        let musl = link
            .interpreter
            .as_deref()
            .is_some_and(|i| i.contains("ld-musl"));
        if let Some(i) = link.interpreter.as_deref().filter(|i| *i != "<unreadable>") {
            match self.fs.resolve(i) {
                Some((p, links)) => {
                    builtin.push(parent(&p).to_string());
                    c.files.insert(p);
                    c.links.extend(links);
                }
                None => c.missing_interpreter = Some(i.to_string()),
            }
        }
        if musl {
            match &self.musl_dirs {
                Some(d) => builtin.extend(d.iter().cloned()),
                None => builtin.extend(["lib", "usr/local/lib", "usr/lib"].map(String::from)),
            }
        } else {
            builtin.extend(self.conf_dirs.iter().cloned());
            if let Some(t) = multiarch(machine) {
                builtin.push(format!("lib/{t}"));
                builtin.push(format!("usr/lib/{t}"));
            }
            if class64 {
                builtin.push("lib64".into());
                builtin.push("usr/lib64".into());
            }
            builtin.push("lib".into());
            builtin.push("usr/lib".into());
        }
        let exe_rpath: Vec<String> = if link.runpath.is_empty() {
            link.rpath.clone()
        } else {
            Vec::new()
        };
        let exe_origin = parent(path).to_string();
        let mut queue: VecDeque<String> = VecDeque::from([path.to_string()]);
        let mut done: HashSet<String> = HashSet::new();
        let mut names_done: HashSet<String> = HashSet::new();
        while let Some(obj) = queue.pop_front() {
            if !done.insert(obj.clone()) {
                continue;
            }
            let Some(l) = self.elf(&obj).and_then(|e| e.linking.as_ref()) else {
                continue;
            };
            let origin = parent(&obj).to_string();
            let mut dirs: Vec<String> = Vec::new();
            let split = |v: &Vec<String>| -> Vec<String> {
                v.iter()
                    .flat_map(|r| r.split(':').map(str::to_string).collect::<Vec<_>>())
                    .collect()
            };
            if l.runpath.is_empty() {
                for d in split(&l.rpath) {
                    dirs.extend(self.expand(&d, &origin, class64, machine));
                }
                if obj != path {
                    for d in split(&exe_rpath) {
                        dirs.extend(self.expand(&d, &exe_origin, class64, machine));
                    }
                }
            }
            dirs.extend(self.ld_library_path.iter().cloned());
            for d in split(&l.runpath) {
                dirs.extend(self.expand(&d, &origin, class64, machine));
            }
            dirs.extend(builtin.iter().cloned());
            for name in &l.needed {
                // The loader maps each soname once.
                if !names_done.insert(name.clone()) {
                    continue;
                }
                let found = if name.contains('/') {
                    self.candidate(name, class64, machine)
                } else {
                    dirs.iter()
                        .find_map(|d| self.candidate(&format!("{d}/{name}"), class64, machine))
                };
                match found {
                    Some((p, links)) => {
                        c.links.extend(links);
                        if c.files.insert(p.clone()) {
                            queue.push_back(p);
                        }
                    }
                    None => c.missing.push(name.clone()),
                }
            }
        }
        c
    }
}

impl FinalFs {
    /// Resolve a directory path through symlinks (the directory need not have an entry
    /// of its own).
    pub fn resolve_dir(&self, path: &str) -> Option<String> {
        let mut cur: Vec<String> = Vec::new();
        let mut todo: Vec<String> = path.split('/').rev().map(str::to_string).collect();
        let mut hops = 0;
        while let Some(c) = todo.pop() {
            if c == ".." {
                cur.pop();
                continue;
            }
            if c == "." || c.is_empty() {
                continue;
            }
            cur.push(c);
            let p = cur.join("/");
            if let Some(Node::Symlink(t)) = self.nodes.get(&p).map(|v| &v.node) {
                hops += 1;
                if hops > 40 {
                    return None;
                }
                cur.pop();
                if t.starts_with('/') {
                    cur.clear();
                }
                todo.extend(t.split('/').rev().map(str::to_string));
            }
        }
        Some(cur.join("/"))
    }
}
