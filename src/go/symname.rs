//! Go symbol names → the package that owns them.
//!
//! Go does not mangle names, but they are not trivially split either:
//! - methods: `net/http.(*Client).Do` — the receiver sits after the package;
//! - generics: `slices.Sort[go.shape.[]net/netip.Addr]` — the brackets hold other packages'
//!   dotted paths, so they are removed before looking for the package boundary;
//! - dictionaries: `slices..dict.Sort[string]` — a double dot after the package;
//! - closures: `pkg.F.func1.2`, method values `pkg.(*T).M-fm`;
//! - compiler data: `type:*net/http.Client` (Go ≥1.20; `type.` before), `go:itab.T,I`,
//!   `go:string.*`, `$f64.3ff0000000000000`;
//! - a `.` inside the last path element is escaped as `%2e` (`gopkg.in/yaml%2ev3.Marshal`),
//!   which keeps "the first dot after the last slash" a valid package boundary;
//! - C symbols from cgo have no package at all (`getaddrinfo`, `fputc`).

use std::borrow::Cow;

/// The package a symbol belongs to. Pseudo-packages for compiler-generated data start
/// with `go:` (`go:string`, `go:types`, `go:consts`, ...); C code is `C`.
pub fn package_of(name: &str) -> String {
    package_cow(name).into_owned()
}

/// [`package_of`] without allocating in the common case: the package is usually a prefix
/// of the name. Size attribution calls this once per function and symbol.
pub fn package_cow(name: &str) -> Cow<'_, str> {
    if let Some(rest) = name
        .strip_prefix("type:")
        .or_else(|| name.strip_prefix("type."))
    {
        return Cow::Owned(type_package(rest));
    }
    if let Some(rest) = name
        .strip_prefix("go:itab.")
        .or_else(|| name.strip_prefix("go.itab."))
    {
        // go:itab.<concrete type>,<interface>: the concrete type's package made the itab.
        let concrete = split_top_level_comma(rest);
        return Cow::Owned(type_package(concrete));
    }
    if let Some(rest) = name
        .strip_prefix("go:")
        .or_else(|| name.strip_prefix("go."))
    {
        // go:string.*, go:func.*, go:buildid, go:cuinfo.producer.<pkg>, ...
        let word: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        return if word.is_empty() {
            Cow::Borrowed("go:other")
        } else {
            Cow::Owned(format!("go:{word}"))
        };
    }
    if name.starts_with("$f64.")
        || name.starts_with("$f32.")
        || name.starts_with("$i64.")
        || name.starts_with("$i128.")
    {
        return Cow::Borrowed("go:consts");
    }
    // Host-object section symbols: `runtime/cgo(.text)`.
    if let Some(i) = name.find("(.")
        && !name[..i].contains('.')
    {
        return Cow::Borrowed(&name[..i]);
    }
    // gcc splits C functions into `f.cold`, `f.part.0`, `f.isra.0`, `f.constprop.0`: the
    // dot is not a package boundary.
    if let Some((base, suffix)) = name.split_once('.')
        && !base.contains('/')
        && is_gcc_suffix(suffix)
    {
        return Cow::Borrowed(c_symbol_package(base));
    }
    match plain_package(name) {
        Some(p) => p,
        None => Cow::Borrowed(c_symbol_package(name)),
    }
}

/// Is `suffix` (after the first dot) what gcc appends to a C function it split or
/// cloned? Every part must be one of gcc's words or a number: Go names such as
/// `slices.partitionCmpFunc` and `sort.partialInsertionSort` merely start alike.
fn is_gcc_suffix(suffix: &str) -> bool {
    const GCC: &[&str] = &[
        "cold",
        "part",
        "isra",
        "constprop",
        "lto_priv",
        "localalias",
    ];
    suffix
        .split('.')
        .all(|w| GCC.contains(&w) || (!w.is_empty() && w.bytes().all(|b| b.is_ascii_digit())))
}

/// [`package_cow`] over a sequence of names that mostly come in runs of one package
/// (functions and symbols in address order): a name that continues the previous plain
/// package (`<pkg>.` followed by no `/` and no `[`) skips the parse.
#[derive(Debug, Default)]
pub struct PackageRuns {
    last: String,
}

impl PackageRuns {
    /// The package of `name`, as [`package_cow`] gives it.
    pub fn package<'n>(&mut self, name: &'n str) -> Cow<'n, str> {
        let n = self.last.len();
        if n > 0
            && name.len() > n + 1
            && name.as_bytes()[n] == b'.'
            && name.starts_with(self.last.as_str())
            && !name.as_bytes()[n + 1..]
                .iter()
                .any(|&b| b == b'/' || b == b'[')
            // `main.cold` after `main.main` is still read as gcc's split of C `main`.
            && !(n == name.find('.').unwrap_or(0) && is_gcc_suffix(&name[n + 1..]))
        {
            return Cow::Borrowed(&name[..n]);
        }
        let p = package_cow(name);
        // A package that is the name's own prefix may start a run; pseudo-packages, C
        // owners and unescaped paths are not prefixes of their names and do not.
        self.last.clear();
        if let Cow::Borrowed(b) = p
            && name.len() > b.len()
            && name.as_bytes()[b.len()] == b'.'
            && name.starts_with(b)
        {
            self.last.push_str(b);
        }
        p
    }
}

/// The package part of `pkg.Name...`, or `None` when there is no dot at all (C symbols).
fn plain_package(name: &str) -> Option<Cow<'_, str>> {
    fn split(s: &str) -> Option<&str> {
        let path_end = s.rfind('/').map_or(0, |i| i + 1);
        let dot = s[path_end..].find('.')?;
        Some(&s[..path_end + dot]).filter(|p| !p.is_empty())
    }
    if name.contains('[') {
        let stripped = strip_brackets(name);
        return split(&stripped).map(|p| Cow::Owned(unescape(p)));
    }
    // Most names have no instantiation and no escape: borrow, don't copy.
    let pkg = split(name)?;
    Some(if pkg.contains('%') {
        Cow::Owned(unescape(pkg))
    } else {
        Cow::Borrowed(pkg)
    })
}

/// Assembly and C entry points without a package.
fn c_symbol_package(name: &str) -> &'static str {
    const RUNTIME: &[&str] = &["_rt0_", "rt0_go", "runtime", "_main", "main"];
    const CGO: &[&str] = &["crosscall", "_cgo_", "x_cgo_", "cgo_", "_cgo", "__cgo"];
    if CGO.iter().any(|p| name.starts_with(p)) {
        "runtime/cgo"
    } else if RUNTIME.iter().any(|p| name.starts_with(p)) {
        "runtime"
    } else {
        "C"
    }
}

/// Package of Go assembly whose symbols carry no package.
///
/// File-local assembly (`TEXT gogo<>(SB)`, `DATA K256<>+0(SB)`) is named without its
/// package, so [`package_of`] cannot tell it from C. For functions the pclntab still
/// records the source file of each one's entry: `pkgs[i]` of a package-less function
/// whose file is a `.s` file, or which has a pcsp table (C linked in by the Go linker
/// has none), becomes the package of the other functions compiled from the same
/// directory (by majority, since inlined code can report a callee's file), else the
/// package the path itself spells (`$GOROOT/src/<pkg>`, `<module>@<version>/<dir>`,
/// a `-trimpath` path), else [`ASSEMBLY`].
///
/// `file_of(i)` is function i's entry file and `has_pcsp(i)` whether it has a pcsp table.
/// Returns the indices it changed.
pub fn resolve_assembly<'a>(
    pkgs: &mut [String],
    file_of: impl Fn(usize) -> Option<&'a str>,
    has_pcsp: impl Fn(usize) -> bool,
) -> Vec<usize> {
    use std::collections::HashMap;
    fn dir(f: &str) -> &str {
        f.rsplit_once('/').map_or("", |(d, _)| d)
    }
    let asm: Vec<usize> = (0..pkgs.len())
        .filter(|&i| pkgs[i] == "C")
        .filter(|&i| file_of(i).is_some_and(|f| f.ends_with(".s")) || has_pcsp(i))
        .collect();
    if asm.is_empty() {
        return asm;
    }
    let mut votes: HashMap<&str, HashMap<&str, u32>> = asm
        .iter()
        .filter_map(|&i| file_of(i).map(|f| (dir(f), HashMap::new())))
        .collect();
    for (i, p) in pkgs.iter().enumerate() {
        if p == "C" || p.starts_with('[') {
            continue;
        }
        if let Some(v) = file_of(i).and_then(|f| votes.get_mut(dir(f))) {
            *v.entry(p.as_str()).or_default() += 1;
        }
    }
    let decided: Vec<(usize, String)> = asm
        .iter()
        .map(|&i| {
            let d = file_of(i).map(dir);
            let voted = d.and_then(|d| votes.get(d)).and_then(|v| {
                v.iter()
                    .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                    .map(|(p, _)| p.to_string())
            });
            let pkg = voted
                .or_else(|| d.and_then(package_of_dir))
                .unwrap_or_else(|| ASSEMBLY.to_string());
            (i, pkg)
        })
        .collect();
    for (i, p) in decided {
        pkgs[i] = p;
    }
    asm
}

/// The owner of Go assembly whose package the binary does not record.
pub const ASSEMBLY: &str = "[assembly]";

/// The import path a source directory spells: `/usr/lib/go/src/crypto/aes` →
/// `crypto/aes`; `/root/go/pkg/mod/golang.org/x/sys@v0.1.0/cpu` and its `-trimpath`
/// form `golang.org/x/sys@v0.1.0/cpu` → `golang.org/x/sys/cpu`; `-trimpath` standard
/// library `runtime` as is. An absolute path outside GOROOT and the module cache says
/// nothing about its import path.
fn package_of_dir(d: &str) -> Option<String> {
    let d = d.replace('\\', "/");
    let rel = if let Some((_, r)) = d.rsplit_once("/pkg/mod/") {
        unescape_module_path(r)
    } else if d.starts_with('/') || d.get(1..2) == Some(":") {
        // Only a GOROOT (`.../go/src/`, `.../go-1.22/src/`) spells import paths; any other
        // `src` directory is a guess.
        let (root, rel) = d.rsplit_once("/src/")?;
        let last = root.rsplit('/').next().unwrap_or("");
        if last != "go" && !last.starts_with("go-") && !last.starts_with("go1") {
            return None;
        }
        rel.to_string()
    } else if d.contains('@') {
        unescape_module_path(&d)
    } else {
        d
    };
    let path: Vec<&str> = rel
        .split('/')
        .map(|seg| seg.split_once('@').map_or(seg, |(m, _)| m))
        .collect();
    let p = path.join("/");
    (!p.is_empty()).then_some(p)
}

/// The module cache writes upper-case letters as `!` and the lower-case letter
/// (`github.com/!burnt!sushi/toml`): undo that.
fn unescape_module_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    let mut bang = false;
    for c in p.chars() {
        if bang {
            out.extend(c.to_uppercase());
            bang = false;
        } else if c == '!' {
            bang = true;
        } else {
            out.push(c);
        }
    }
    out
}

/// The package of a type expression: `*net/http.Client` → `net/http`,
/// `[]*foo.T` → `foo`, `map[string]int` → `go:types` (only built-in types).
fn type_package(t: &str) -> String {
    // `type:.eq.X`, `type:.hash.X` are generated functions for X; `type:.namedata.*`
    // and `type:.importpath.*` are name blobs shared across packages.
    if let Some(rest) = t.strip_prefix(".eq.").or_else(|| t.strip_prefix(".hash.")) {
        return type_package(rest);
    }
    if t.starts_with('.') {
        return "go:types".into();
    }
    // Peel composite-type syntax until a named type starts.
    let mut s = t;
    loop {
        let before = s;
        s = s.trim_start_matches('*');
        if let Some(r) = s.strip_prefix("[]") {
            s = r;
        }
        if s.starts_with('[') {
            // [N]T
            if let Some(close) = s.find(']') {
                s = &s[close + 1..];
            }
        }
        if let Some(r) = s.strip_prefix("map[") {
            // Take the key type when it is named; otherwise the value type.
            let key_end = matching_bracket(r).unwrap_or(r.len());
            let key = &r[..key_end];
            let p = type_package(key);
            if !p.starts_with("go:") {
                return p;
            }
            s = r.get(key_end + 1..).unwrap_or("");
        }
        for prefix in ["chan<- ", "<-chan ", "chan "] {
            if let Some(r) = s.strip_prefix(prefix) {
                s = r;
            }
        }
        if s == before {
            break;
        }
    }
    if s.starts_with("func(")
        || s.starts_with("struct {")
        || s.starts_with("interface {")
        || s.starts_with("noalg.")
    {
        return "go:types".into();
    }
    match plain_package(s) {
        Some(p) if !s.starts_with("go.shape") => p.into_owned(),
        _ => "go:types".into(),
    }
}

/// The index of the `]` matching an already-consumed `[`.
fn matching_bracket(s: &str) -> Option<usize> {
    let mut depth = 1usize;
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn split_top_level_comma(s: &str) -> &str {
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '[' | '(' | '{' => depth += 1,
            ']' | ')' | '}' => depth -= 1,
            ',' if depth == 0 => return &s[..i],
            _ => {}
        }
    }
    s
}

/// Remove every `[...]` group (generic instantiations, array lengths in receivers).
fn strip_brackets(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0u32;
    for c in s.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// `%2e` → `.` (and any other `%xx` the linker may have escaped).
fn unescape(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real names taken from Go 1.19–1.26 binaries (`go tool nm`).
    #[test]
    fn table_of_real_names() {
        let cases = [
            ("main.main", "main"),
            ("main.(*server).ServeHTTP.func1", "main"),
            ("net/http.(*Client).Do", "net/http"),
            ("net.(*netFD).listenDatagram.(*netFD).addrFunc.func1", "net"),
            ("runtime.(*_panic).nextFrame.func1", "runtime"),
            ("sync/atomic.(*Uint64).Load-fm", "sync/atomic"),
            (
                "crypto/internal/fips140/ecdh.ECDH[go.shape.*crypto/internal/fips140/nistec.P521Point]",
                "crypto/internal/fips140/ecdh",
            ),
            (
                "crypto/internal/fips140/ecdsa.init.OnceValue[go.shape.*uint8].func9.1.1",
                "crypto/internal/fips140/ecdsa",
            ),
            (
                "crypto/internal/fips140/tls12..dict.pHash[*crypto/internal/fips140/sha256.Digest]",
                "crypto/internal/fips140/tls12",
            ),
            ("slices..dict.stableCmpFunc[net.byRFC6724Info]", "slices"),
            (
                "slices.symMergeCmpFunc[go.shape.struct { net.addr net.IPAddr; net.src net/netip.Addr }]",
                "slices",
            ),
            (
                "internal/sync.(*HashTrieMap[go.shape.interface {},go.shape.interface {}]).Load",
                "internal/sync",
            ),
            (
                "vendor/golang.org/x/net/dns/dnsmessage.(*header).unpack",
                "vendor/golang.org/x/net/dns/dnsmessage",
            ),
            (
                "github.com/prometheus/client_golang/prometheus.(*Registry).Gather",
                "github.com/prometheus/client_golang/prometheus",
            ),
            ("gopkg.in/yaml%2ev3.Marshal", "gopkg.in/yaml.v3"),
            (
                "github.com/cespare/xxhash/v2.Sum64",
                "github.com/cespare/xxhash/v2",
            ),
            ("type:.eq.net/url.Error", "net/url"),
            ("type:.eq.[1]time.zone", "time"),
            (
                "type:.hash.vendor/golang.org/x/net/http2/hpack.pairNameValue",
                "vendor/golang.org/x/net/http2/hpack",
            ),
            (
                "type:.eq.sync/atomic.Pointer[go.shape.struct { unique.isEntry bool }]",
                "sync/atomic",
            ),
            ("type:*net/http.Client", "net/http"),
            ("type:[]*net/http.Cookie", "net/http"),
            ("type:map[string]*net/http.Client", "net/http"),
            ("type:map[string]int", "go:types"),
            ("type:.namedata.*func()", "go:types"),
            ("type:func(int) error", "go:types"),
            ("type.*net/http.Client", "net/http"),
            ("type..eq.net/url.Error", "net/url"),
            (
                "go:itab.*internal/godebug.runtimeStderr,internal/bisect.Writer",
                "internal/godebug",
            ),
            ("go:itab.context.todoCtx,context.Context", "context"),
            ("go.itab.*os.File,io.Writer", "os"),
            ("go:string.*", "go:string"),
            ("go:noptrdatafipsend", "go:noptrdatafipsend"),
            ("$f64.3eb0000000000000", "go:consts"),
            ("runtime/cgo(.text)", "runtime/cgo"),
            ("crosscall2", "runtime/cgo"),
            ("x_cgo_init", "runtime/cgo"),
            ("_cgo_04fbb8f65a5f_C2func_getaddrinfo", "runtime/cgo"),
            ("_rt0_amd64_linux", "runtime"),
            ("fputc", "C"),
            ("x_cgo_munmap.cold", "runtime/cgo"),
            ("__libc_start_main.part.0", "C"),
            ("memcpy.constprop.0.isra.0", "C"),
            ("slices.partitionCmpFunc[go.shape.string]", "slices"),
            ("sort.partialInsertionSort", "sort"),
            (
                "slices.partialInsertionSortOrdered[go.shape.string]",
                "slices",
            ),
            ("getaddrinfo", "C"),
        ];
        for (name, want) in cases {
            assert_eq!(package_of(name), want, "package_of({name:?})");
        }
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        for s in [
            "",
            ".",
            "..",
            "[",
            "]]]",
            "type:",
            "go:",
            "%",
            "a%2",
            "a%zz.b",
            "type:map[",
            "go:itab.",
            "(.x",
        ] {
            let _ = package_of(s);
        }
    }

    #[test]
    fn assembly_takes_the_package_of_its_directory() {
        let files = [
            Some("runtime/asm_amd64.s"),
            Some("runtime/proc.go"),
            Some("runtime/proc.go"),
            Some("/usr/lib/go/src/crypto/internal/fips140/nistec/p256_asm_amd64.s"),
            Some("golang.org/x/sys@v0.30.0/cpu/cpu_x86.s"),
            Some("/home/me/app/asm_amd64.s"),
            None,
            None,
            Some("/home/me/src/app/asm_amd64.s"),
            Some("/root/go/pkg/mod/github.com/!burnt!sushi/toml@v1.2.0/x_amd64.s"),
        ];
        let mut pkgs: Vec<String> = ["C", "runtime", "runtime", "C", "C", "C", "C", "C", "C", "C"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        // The last function has no file and no pcsp table: C under internal linking.
        resolve_assembly(&mut pkgs, |i| files[i], |i| i != 7);
        assert_eq!(
            pkgs,
            [
                "runtime",
                "runtime",
                "runtime",
                "crypto/internal/fips140/nistec",
                "golang.org/x/sys/cpu",
                ASSEMBLY,
                ASSEMBLY,
                "C",
                ASSEMBLY,
                "github.com/BurntSushi/toml"
            ]
        );
    }

    #[test]
    fn package_runs_agree_with_package_cow() {
        let names = [
            "net/http.(*Client).Do",
            "net/http.(*Client).send",
            "net/http.Get.func1",
            "net/http.F[go.shape.*net/url.URL]",
            "net/http/httptrace.WithClientTrace",
            "net.Dial",
            "net.(*conf).hostLookupOrder",
            "net%2ex.Foo",
            "type:*net.Dialer",
            "go:string.*",
            "getaddrinfo",
            "getaddrinfo.part.0",
            "runtime/cgo(.text)",
            "runtime.main",
            "runtime.main.func1",
            "_rt0_amd64_linux",
            "gopkg.in/yaml%2ev3.Marshal",
            "gopkg.in/yaml%2ev3.Unmarshal",
            "main.main",
            "main.init.0",
            "main.cold",
            "main.main",
            "main.part.0",
            "C.part.0",
            "C.x",
            "runtime.main",
            "runtime.cold",
            "sort.Sort",
            "sort.part",
            "sort.partialInsertionSort",
        ];
        let mut runs = PackageRuns::default();
        for n in names {
            assert_eq!(runs.package(n), package_cow(n), "{n}");
        }
    }
}
