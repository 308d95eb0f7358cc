//! Size attribution: every byte of the file owned by exactly one item, rolled up to
//! packages, modules and sections. The owners add up to the file size exactly.
//!
//! Sources claim file ranges at descending priority (see [`ranges`]); the best source wins
//! each byte:
//!
//! 1. the format's headers;
//! 2. function code from the pclntab (works stripped: code never moves when symbols go);
//! 3. sized symbols from the symbol table (data, and C code the pclntab does not list);
//! 4. each function's own pclntab records;
//! 5. symbol-table entries and their names;
//! 6. DWARF, per compilation unit (a Go CU is a package) and per FDE;
//! 7. whole sections whose owner is known (`.gopclntab` remainder, `.go.buildinfo`, the
//!    dynamic-linking tables, ...);
//! 8. any other section byte: `unattributed <section>`;
//! 9. bytes between sections: padding.

pub mod cnames;
pub mod compressed;
pub mod disasm;
pub mod dwarf;
pub mod funcdata;
pub mod ranges;
pub mod types;
pub mod why;

use std::collections::HashMap;

use serde::Serialize;

use crate::binary::{Binary, read_uint};
use crate::go::pclntab::Version;
use crate::go::symname::{ASSEMBLY, PackageRuns, resolve_assembly};
use crate::go::{BuildInfo, Pclntab};
use ranges::{ClaimSet, OwnerId, Piece};

/// A name with a byte count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Named {
    /// Module, section or other owner name.
    pub name: String,
    /// Bytes of the file it owns.
    pub bytes: u64,
}

/// One package's share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageSize {
    /// Import path (`net/http`, `main`, `github.com/x/y/z`), or a pseudo-package: `go:*`
    /// for compiler- and linker-generated data, `C` for C code linked through cgo, and
    /// bracketed names (`[headers]`, `[padding]`, `[unattributed .rodata]`) for the rest.
    pub name: String,
    /// The module it belongs to (`std`, `runtime`, the main module path, a dependency path).
    pub module: String,
    /// Total bytes owned.
    pub bytes: u64,
    /// Bytes of machine code (`.text`) owned.
    pub text_bytes: u64,
}

/// The size attribution of one binary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SizeReport {
    /// The file size; equals the sum of every list below.
    pub total: u64,
    /// Bytes whose owner is not known (in `by_package` as `[unattributed <section>]`).
    pub unattributed: u64,
    /// Bytes with a known owner: `total - unattributed`.
    pub attributed_bytes: u64,
    /// The unattributed bytes per section, largest first, each with why nothing names
    /// them; sums to `unattributed`.
    pub unattributed_by_section: Vec<Unattributed>,
    /// Per module, largest first.
    pub by_module: Vec<Named>,
    /// Per package, largest first.
    pub by_package: Vec<PackageSize>,
    /// Per section, plus `[headers]` and `[padding]` outside sections, largest first.
    pub by_section: Vec<Named>,
    /// Per kind of bytes (one of [`KINDS`]: code, data, type and string data, ...),
    /// largest first.
    pub by_kind: Vec<Named>,
}

/// Unattributed bytes of one section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unattributed {
    /// Section name (`.rodata`).
    pub section: String,
    /// Bytes nobody claimed there.
    pub bytes: u64,
    /// Why nothing names them.
    pub reason: String,
}

/// Why the unattributed bytes of a section have no owner.
pub fn unattributed_reason(section: &str) -> &'static str {
    let n = section.trim_start_matches("__").trim_start_matches('.');
    match n {
        "rodata" | "rdata" | "data.rel.ro" | "go.func" | "gofunc" => {
            "read-only data that no code, data or type metadata names"
        }
        "go.type" | "gotype" | "typelink" => {
            "type data no typelink, itab, descriptor or code reaches"
        }
        "data" | "noptrdata" | "go.module" | "go.fipsinfo" | "go_fipsinfo" => {
            "variables that no code or data names (or code the decoder skips)"
        }
        "text" => "code outside every function the pclntab lists",
        _ if n.starts_with("note") || n.contains("build-id") => "notes no owner is known for",
        _ if n.contains("eh_frame") => "C unwind tables no unit names",
        _ => "no metadata of the binary covers these bytes",
    }
}

/// The kinds of bytes `by_kind` splits a binary into, with their human labels. The ids
/// are stable (JSON).
pub const KINDS: [(&str, &str); 10] = [
    ("code", "Go code"),
    ("data", "data"),
    ("types-strings", "type and string data"),
    ("pclntab", "pclntab and funcdata"),
    ("dwarf", "debug info (DWARF)"),
    ("symtab", "symbol table"),
    ("cgo", "C code and data (cgo)"),
    ("dynamic-linking", "dynamic-linking tables"),
    ("headers", "file headers"),
    ("other", "padding and unattributed"),
];

/// The human label of a kind id (the id itself when unknown).
pub fn kind_label(id: &str) -> &str {
    KINDS.iter().find(|k| k.0 == id).map_or(id, |k| k.1)
}

/// The kind id of one owner's bytes (see [`KINDS`]).
pub fn kind_class(kind: Kind, item: &str, package: &str) -> &'static str {
    let c_code = package == "C" || package.starts_with("C: ") || package == "runtime/cgo";
    match kind {
        Kind::Dwarf => "dwarf",
        Kind::Symtab => "symtab",
        Kind::Pclntab => "pclntab",
        Kind::Header => "headers",
        _ if c_code => "cgo",
        Kind::Text => "code",
        Kind::Types => "types-strings",
        Kind::Data
            if item.starts_with("type:")
                || item.starts_with("go:string")
                || item.starts_with("go.string")
                || matches!(package, "go:types" | "go:string" | "go:itab") =>
        {
            "types-strings"
        }
        Kind::Data if item == "funcdata" || package == "go:func" => "pclntab",
        Kind::Data => "data",
        Kind::Other if package == "[dynamic linking]" => "dynamic-linking",
        Kind::Other => "other",
    }
}

/// What kind of bytes an owner holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Machine code.
    Text,
    /// Data (variables, strings).
    Data,
    /// Type descriptors, their names and itabs found through Go's type metadata.
    Types,
    /// pclntab records.
    Pclntab,
    /// Symbol-table entries and names.
    Symtab,
    /// DWARF.
    Dwarf,
    /// File-format headers.
    Header,
    /// Anything else (padding, dynamic-linking tables, unattributed bytes).
    Other,
}

/// One owner: an item (function, symbol, unit, ...) in a package.
#[derive(Debug, Clone)]
pub struct Owner {
    /// The item's name (function or symbol name, or a description).
    pub item: Box<str>,
    /// Index into [`Attribution::packages`].
    pub package: u32,
    /// What kind of bytes.
    pub kind: Kind,
    /// A pseudo-item shared by a package's bytes of one kind (`symbol table`, `DWARF
    /// unit`, `funcdata`, a section name, padding), not a function or data symbol.
    pub pseudo: bool,
}

/// The full attribution: who owns each piece of the file.
#[derive(Debug)]
pub struct Attribution {
    /// File size.
    pub total: u64,
    /// Package names, indexed by [`Owner::package`].
    pub packages: Vec<String>,
    /// Owners, indexed by [`OwnerId`].
    pub owners: Vec<Owner>,
    /// The file, partitioned, in offset order.
    pub pieces: Vec<Piece>,
    /// Section of each piece (name), or `[headers]`/`[padding]` outside sections.
    pub piece_sections: Vec<u32>,
    /// Section names indexed by `piece_sections`.
    pub section_names: Vec<String>,
    /// Module of each package.
    pub package_modules: Vec<String>,
}

/// Owner bookkeeping while claims are collected.
#[derive(Debug, Default)]
struct Owners {
    packages: Vec<String>,
    package_index: HashMap<String, u32>,
    owners: Vec<Owner>,
    /// Shared owners by (package, kind), then label; looked up by `&str` without
    /// allocating, since symbol-table entries ask once per symbol.
    fixed: HashMap<(u32, Kind), HashMap<Box<str>, OwnerId>>,
}

impl Owners {
    fn package(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.package_index.get(name) {
            return i;
        }
        let i = self.packages.len() as u32;
        self.packages.push(name.to_string());
        self.package_index.insert(name.to_string(), i);
        i
    }

    /// A distinct owner for one item.
    fn item(&mut self, item: &str, package: &str, kind: Kind) -> OwnerId {
        let package = self.package(package);
        self.owners.push(Owner {
            item: item.into(),
            package,
            kind,
            pseudo: false,
        });
        (self.owners.len() - 1) as OwnerId
    }

    /// A shared owner (one per package/kind/label), for pseudo-items.
    fn shared(&mut self, item: &str, package: &str, kind: Kind) -> OwnerId {
        let p = self.package(package);
        if let Some(&id) = self.fixed.get(&(p, kind)).and_then(|m| m.get(item)) {
            return id;
        }
        self.owners.push(Owner {
            item: item.into(),
            package: p,
            kind,
            pseudo: true,
        });
        let id = (self.owners.len() - 1) as OwnerId;
        self.fixed
            .entry((p, kind))
            .or_default()
            .insert(item.into(), id);
        id
    }
}

/// Section names whose whole remainder has a known owner.
fn known_section_owner(name: &str) -> Option<(&'static str, Kind)> {
    let n = name.trim_start_matches("__").trim_start_matches('.');
    Some(match n {
        "gopclntab" | "data.rel.ro.gopclntab" => ("go:pclntab", Kind::Pclntab),
        "go.buildinfo" | "go_buildinfo" => ("go:buildinfo", Kind::Data),
        "note.go.buildid" => ("go:buildid", Kind::Data),
        "typelink" | "itablink" | "data.rel.ro.typelink" | "data.rel.ro.itablink" => {
            ("go:types", Kind::Types)
        }
        "gosymtab" | "data.rel.ro.gosymtab" => ("go:symtab", Kind::Data),
        "symtab" | "strtab" => ("[symtab]", Kind::Symtab),
        _ if n.starts_with("debug_") || n.starts_with("zdebug_") => ("[dwarf]", Kind::Dwarf),
        "shstrtab" => ("[headers]", Kind::Header),
        "interp" | "dynamic" | "dynsym" | "dynstr" | "hash" | "gnu.hash" | "gnu.version"
        | "gnu.version_r" | "rela" | "rela.dyn" | "rela.plt" | "rel.dyn" | "rel.plt" | "plt"
        | "plt.got" | "got" | "got.plt" | "idata" | "la_symbol_ptr" | "nl_symbol_ptr" | "got_"
        | "stubs" | "reloc" => ("[dynamic linking]", Kind::Other),
        _ => return None,
    })
}

/// Attribute every byte of `bin`.
pub fn attribute(
    bin: &Binary<'_>,
    pclntab: Option<&Pclntab>,
    buildinfo: Option<&BuildInfo>,
) -> Attribution {
    let mut cs = ClaimSet::new();
    let mut ow = Owners::default();
    let file_len = bin.data.len() as u64;

    cs.next_class();
    for (what, off, len) in bin.header_ranges() {
        let id = ow.shared(what, "[headers]", Kind::Header);
        cs.claim(off, off.saturating_add(len), id);
    }

    // Function code. The package is cached per name prefix: thousands of methods and
    // closures share a package, and parsing names is the hot loop on big binaries.
    cs.next_class();
    let mut funcs_by_addr: Vec<(u64, u64, String)> = Vec::new();
    // Owners of C code and their address, renamed once DWARF and glibc evidence is in.
    let mut c_owners: Vec<(OwnerId, u64)> = Vec::new();
    // Each function's package, parsed once and reused by every class below.
    let mut runs = PackageRuns::default();
    let mut func_pkgs: Vec<String> = pclntab
        .map(|p| {
            p.funcs
                .iter()
                .map(|f| runs.package(&f.name).into_owned())
                .collect()
        })
        .unwrap_or_default();
    // Package-less Go assembly, by name, for the symbols and symbol-table entries below.
    let mut assembly: HashMap<&str, String> = HashMap::new();
    if let Some(p) = pclntab {
        let file_of = |i: usize| {
            p.funcs[i]
                .meta
                .file
                .and_then(|x| p.files.get(x as usize))
                .map(String::as_str)
        };
        for i in resolve_assembly(&mut func_pkgs, file_of, |i| p.funcs[i].meta.pcsp.is_some()) {
            assembly.insert(p.funcs[i].name.as_str(), func_pkgs[i].clone());
        }
    }
    // Without cgo every package-less symbol is Go assembly (data such as `K256<>`, whose
    // package nothing records); with cgo it may be C.
    let cgo_free = pclntab.is_some_and(|p| !p.funcs.iter().any(|f| f.name == "crosscall2"))
        && !bin.sections.iter().any(|s| s.name == ".init");
    // Code sizes decode each function's pcsp table; the padding class reuses them.
    let code_sizes: Vec<u64> = pclntab
        .map(|p| p.funcs.iter().map(|f| code_size(bin, p, f)).collect())
        .unwrap_or_default();
    if let Some(p) = pclntab {
        for ((f, pkg), &size) in p.funcs.iter().zip(&func_pkgs).zip(&code_sizes) {
            let Some(off) = bin.vaddr_to_offset(f.entry) else {
                continue;
            };
            let pkg = pkg.clone();
            let id = ow.item(&f.name, &pkg, Kind::Text);
            cs.claim(off, off.saturating_add(size), id);
            // C under internal linking: no pcsp table (Go assembly has one).
            if is_c_code(&pkg) && f.meta.pcsp.is_none() {
                c_owners.push((id, f.entry));
            }
            funcs_by_addr.push((f.entry, f.entry.saturating_add(size), pkg));
        }
    }
    funcs_by_addr.sort_by_key(|f| f.0);

    // Type metadata and DWARF are the two costly sources and need nothing from the
    // claims below: work them out on other threads meanwhile.
    let funcs_sorted = &funcs_by_addr;
    std::thread::scope(|sc| {
        let types_job =
            sc.spawn(move || pclntab.map(|p| types::claims(bin, p)).unwrap_or_default());
        let sizes = &code_sizes;
        let refs_job = sc.spawn(move || code_data_refs(bin, pclntab, sizes));
        let dwarf_job = sc.spawn(move || {
            let mut units = Vec::new();
            let c_code =
                dwarf::claim_units(bin, funcs_sorted, &mut |off, len, pkg: &str, what: &str| {
                    units.push((off, len, pkg.to_string(), what.to_string()))
                });
            (units, c_code)
        });

        // Sized symbols: data everywhere, and code the pclntab does not cover (C via cgo).
        cs.next_class();
        let funcdata_blobs =
            pclntab.is_some_and(|p| p.version >= Version::V118 && p.gofunc.is_some());
        let mut gofunc_symbol: Option<(u64, u64, u64, OwnerId)> = None;
        // `go:string.*` spans every string literal: the code that uses each one names
        // its package (below); the symbol keeps the rest.
        let mut gostring_symbol: Option<(u64, u64, OwnerId)> = None;
        // Data objects with a known package, `(start, end, package)`: what pointers in
        // data are charged to.
        let mut data_spans: Vec<(u64, u64, u32)> = Vec::new();
        let alloc_sections: HashMap<usize, bool> =
            bin.sections.iter().map(|s| (s.index, s.alloc)).collect();
        let mut symbols: Vec<crate::binary::Symbol> = bin
            .symbols()
            .into_iter()
            .filter(|s| {
                s.section
                    .is_some_and(|i| alloc_sections.get(&i) == Some(&true))
            })
            .collect();
        symbols.sort_by_key(|s| s.addr);
        for (i, s) in symbols.iter().enumerate() {
            // `go:string.*` and `go:func.*` are recorded with size 0 although they span all
            // string data and all funcdata; they run to the next symbol in their section.
            let size = if s.size == 0 && (s.name == "go:string.*" || is_gofunc_symbol(&s.name)) {
                let section_end = bin
                    .sections
                    .iter()
                    .find(|x| Some(x.index) == s.section)
                    // Section headers are the file's word: a size near 2^64 must not overflow.
                    .map(|x| x.addr.saturating_add(x.size));
                let next = symbols[i + 1..]
                    .iter()
                    .find(|n| n.addr > s.addr && n.section == s.section)
                    .map(|n| n.addr);
                next.or(section_end).map_or(0, |e| e.saturating_sub(s.addr))
            } else {
                s.size
            };
            if size == 0 {
                continue;
            }
            let Some(off) = bin.vaddr_to_offset(s.addr) else {
                continue;
            };
            let kind = if s.is_text { Kind::Text } else { Kind::Data };
            let pkg = symbol_package(&mut runs, &s.name, &assembly, cgo_free);
            let id = ow.item(&s.name, &pkg, kind);
            if is_gofunc_symbol(&s.name) && funcdata_blobs {
                // Its blobs go to the functions that use them (below); the symbol keeps
                // what none of them covers.
                gofunc_symbol = Some((s.addr, size, off, id));
                continue;
            }
            if s.name == "go:string.*" || s.name == "go.string.*" {
                gostring_symbol = Some((off, size, id));
                continue;
            }
            if !s.is_text {
                data_spans.push((
                    s.addr,
                    s.addr.saturating_add(size),
                    ow.owners[id as usize].package,
                ));
            }
            cs.claim(off, off.saturating_add(size), id);
            if is_c_code(&pkg) {
                c_owners.push((id, s.addr));
            }
        }

        // Type descriptors, their names and itabs through Go's own metadata (moduledata,
        // typelinks, itablinks): what a stripped binary still says about its data. The linker
        // hides `type:*` symbols even when it keeps the rest, so this matters unstripped too.
        cs.next_class();
        // A panic there would be a bug; the claims are then just missing.
        let type_claims = types_job.join().unwrap_or_default();
        {
            for c in &type_claims {
                let id = ow.item(&c.item, &c.package, Kind::Types);
                for &(start, end) in &c.ranges {
                    if let Some(off) = bin.vaddr_to_offset(start) {
                        cs.claim(off, off.saturating_add(end.saturating_sub(start)), id);
                    }
                }
            }
        }

        // Funcdata (stack maps, inline trees, ...) in `go:func.*`, each blob to the
        // package of the functions that reference it; then whatever the symbol spans
        // beyond them.
        cs.next_class();
        if let Some(p) = pclntab.filter(|_| funcdata_blobs) {
            // Where go:func.* ends: its symbol says. Without symbols nothing does; when the
            // linker put it inside the pclntab (Go 1.26), the table's end bounds it (with
            // runtime.findfunctab still in between).
            let end = gofunc_symbol.map(|(addr, size, _, _)| addr.saturating_add(size));
            let bound = p
                .regions
                .gofunc
                .and_then(|(off, len)| p.vaddr?.checked_add(off)?.checked_add(len));
            // All blobs lie in one section: look it up once, not per blob. The linker
            // lays funcdata out in function order, so neighbours mostly share a package:
            // one claim per run.
            let mut blobs: Vec<(u64, u64, Option<&str>)> = Vec::new();
            for b in funcdata::blobs(p, &func_pkgs, end, bound) {
                match blobs.last_mut() {
                    Some(last) if last.1 == b.0 && last.2 == b.2 => last.1 = b.1,
                    _ => blobs.push(b),
                }
            }
            let section = blobs.first().and_then(|b| {
                bin.sections.iter().find(|s| {
                    s.alloc
                        && s.file_range.is_some()
                        && s.addr <= b.0
                        && b.0 < s.addr.saturating_add(s.size)
                })
            });
            for (start, stop, owner) in blobs {
                let id = match owner {
                    Some(pkg) => ow.shared("funcdata", pkg, Kind::Data),
                    None => ow.shared("funcdata", "go:func", Kind::Data),
                };
                match section.and_then(|s| Some((s, s.file_range?))) {
                    Some((s, (off, len)))
                        if s.addr <= start && stop <= s.addr.saturating_add(s.size.min(len)) =>
                    {
                        let at = off.saturating_add(start - s.addr);
                        cs.claim(at, at.saturating_add(stop - start), id);
                    }
                    _ => claim_vrange(bin, &mut cs, start, stop, id),
                }
            }
        }
        // Data the code names: string literals, variables, static composite literals,
        // each blob to the package whose code references it. Objects the symbol table
        // and the type walk delimit bound the blobs.
        cs.next_class();
        let mut refs = refs_job.join().unwrap_or_default();
        // Where the symbol table spans `go:func.*`, its funcdata blobs and the rest of
        // it are charged below; the code's references there are left to them.
        let gofunc_span = gofunc_symbol
            .filter(|_| funcdata_blobs)
            .map(|(addr, size, _, _)| (addr, addr.saturating_add(size)));
        if let Some((lo, hi)) = gofunc_span {
            refs.retain(|r| r.target < lo || r.target >= hi);
        }
        if !refs.is_empty() {
            let mut bounds: Vec<u64> = Vec::with_capacity(symbols.len() * 2);
            for s in symbols.iter().filter(|s| s.size > 0) {
                bounds.push(s.addr);
                bounds.push(s.addr.saturating_add(s.size));
            }
            for c in &type_claims {
                for &(a, b) in &c.ranges {
                    bounds.push(a);
                    bounds.push(b);
                }
            }
            let secs = data_sections(bin);
            // Whatever a data word points at starts an object too (a string or array
            // only a variable names): it bounds the blob before it.
            let whole: Vec<(u64, u64, u32)> = secs.iter().map(|&(a, b)| (a, b, u32::MAX)).collect();
            let region = types_span(&type_claims);
            bounds.extend(
                data_refs(bin, &secs, &whole, region)
                    .iter()
                    .map(|r| r.target),
            );
            bounds.sort_unstable();
            bounds.dedup();
            let limit = |a: u64| {
                let i = secs.partition_point(|s| s.1 <= a);
                secs.get(i).filter(|s| s.0 <= a).map(|s| s.1)
            };
            let pkg_ids: Vec<u32> = func_pkgs.iter().map(|p| ow.package(p)).collect();
            let pkg_of = |f: u32| pkg_ids.get(f as usize).copied().unwrap_or(0);
            let code_blobs = disasm::blobs(&refs, &bounds, &pkg_of, &limit);
            for &(start, end, owner) in &code_blobs {
                let id = match owner {
                    Some(p) => {
                        let name = ow.packages[p as usize].clone();
                        ow.shared("data named by its code", &name, Kind::Data)
                    }
                    None => ow.shared(
                        "data named by code of several packages",
                        SHARED_DATA,
                        Kind::Data,
                    ),
                };
                claim_vrange(bin, &mut cs, start, end, id);
                if let Some(p) = owner {
                    data_spans.push((start, end, p));
                }
            }
            // Data that only other data points at (the backing arrays of slices and
            // strings in variables, embedded files): the pointing object's package.
            cs.next_class();
            data_spans.sort_unstable();
            let mut drefs = data_refs(bin, &secs, &data_spans, region);
            if let Some((lo, hi)) = gofunc_span {
                drefs.retain(|r| r.target < lo || r.target >= hi);
            }
            let mut bounds2: Vec<u64> = bounds;
            bounds2.extend(refs.iter().map(|r| r.target));
            bounds2.sort_unstable();
            bounds2.dedup();
            let ident = |p: u32| p;
            for (start, end, owner) in disasm::blobs(&drefs, &bounds2, &ident, &limit) {
                let id = match owner {
                    Some(p) => {
                        let name = ow.packages[p as usize].clone();
                        ow.shared("data its data points at", &name, Kind::Data)
                    }
                    None => ow.shared(
                        "data pointed at by data of several packages",
                        SHARED_DATA,
                        Kind::Data,
                    ),
                };
                claim_vrange(bin, &mut cs, start, end, id);
            }
        }
        cs.next_class();
        if let Some((off, size, id)) = gostring_symbol {
            cs.claim(off, off.saturating_add(size), id);
        }
        cs.next_class();
        if let Some((_, size, off, id)) = gofunc_symbol {
            cs.claim(off, off.saturating_add(size), id);
        }

        // Between one function's last instruction and the next entry the linker pads for
        // alignment (INT3 on x86, zeros elsewhere). Bytes that look like that are padding;
        // anything else stays unattributed.
        cs.next_class();
        if let Some(p) = pclntab {
            let pad = ow.shared("alignment padding", "[padding]", Kind::Other);
            for (f, &size) in p.funcs.iter().zip(&code_sizes) {
                let Some(off) = bin.vaddr_to_offset(f.entry) else {
                    continue;
                };
                let (start, end) = (
                    off.saturating_add(size),
                    off.saturating_add(f.end.saturating_sub(f.entry)),
                );
                if let Some(gap) = bin.bytes_at(start, end.saturating_sub(start))
                    && !gap.is_empty()
                    && (gap.iter().all(|&b| b == 0xcc) || gap.iter().all(|&b| b == 0))
                {
                    cs.claim(start, end, pad);
                }
            }
        }

        // Each function's own pclntab records.
        cs.next_class();
        if let (Some(p), Some(base)) = (pclntab, pclntab.and_then(pclntab_file_offset)) {
            for (f, pkg) in p.funcs.iter().zip(&func_pkgs) {
                let id = ow.item(&f.name, pkg, Kind::Pclntab);
                for (off, len) in meta_ranges(f) {
                    cs.claim(base + off, base + off + len, id);
                }
            }
        }

        // C code is renamed after its origin before the symbol table is charged, so a C
        // symbol's entry follows its code (this waits for the DWARF walk's C units).
        let (dwarf_units, c_code) = dwarf_job.join().unwrap_or_default();
        let renamed = rename_c_owners(bin, &mut ow, &c_owners, &c_code, &symbols);

        // C code no symbol claimed (stripped files, gaps between symbols): first the C
        // units' code ranges, then, in a static glibc binary, the rest of the code outside
        // Go's text and glibc's own sections.
        cs.next_class();
        for (lo, hi, name) in c_code.ranges() {
            let id = ow.shared("C code (DWARF unit)", name, Kind::Text);
            claim_vrange(bin, &mut cs, *lo, *hi, id);
        }
        cs.next_class();
        if cnames::is_static_glibc(bin, &symbols) {
            claim_glibc_rest(bin, pclntab, &mut ow, &mut cs);
        }

        // Symbol-table entries and names, charged to the symbol's package.
        cs.next_class();
        for e in bin.symtab_entries() {
            let pkg = if e.name.is_empty() || e.is_file {
                std::borrow::Cow::Borrowed("[symtab]")
            } else {
                symbol_package(&mut runs, &e.name, &assembly, cgo_free)
            };
            let pkg = match renamed.get(e.name.as_str()) {
                Some(&p) if is_c_code(&pkg) => {
                    std::borrow::Cow::Owned(ow.packages[p as usize].clone())
                }
                _ => pkg,
            };
            let id = ow.shared("symbol table", &pkg, Kind::Symtab);
            cs.claim(e.entry.0, e.entry.0 + e.entry.1, id);
            cs.claim(e.name_range.0, e.name_range.0 + e.name_range.1, id);
        }

        // PE/COFF x64 `.pdata`: one 12-byte RUNTIME_FUNCTION (begin, end, unwind RVAs) per
        // function, charged to the function it describes.
        if let (Some(pdata), true) = (
            bin.section(".pdata"),
            bin.format == crate::binary::Format::Pe && bin.arch == "amd64",
        ) {
            let base = object::Object::relative_address_base(bin.object());
            let (off, len) = pdata.file_range.unwrap_or((0, 0));
            let data = bin.bytes_at(off, len).unwrap_or(&[]);
            for (i, rec) in data.chunks_exact(12).enumerate() {
                let begin = base + crate::binary::read_uint(rec, 4, false);
                let at = funcs_by_addr.partition_point(|f| f.0 <= begin);
                let Some((_, end, pkg)) = at.checked_sub(1).map(|k| &funcs_by_addr[k]) else {
                    continue;
                };
                if begin < *end {
                    let id = ow.shared("unwind info", pkg, Kind::Other);
                    let start = off + 12 * i as u64;
                    cs.claim(start, start + 12, id);
                }
            }
        }

        cs.next_class();
        for (off, len, pkg, what) in dwarf_units {
            let id = ow.shared(&what, &pkg, Kind::Dwarf);
            cs.claim(off, off + len, id);
        }
    });

    cs.next_class();
    for s in &bin.sections {
        let Some((off, len)) = s.file_range else {
            continue;
        };
        if let Some((pkg, kind)) = known_section_owner(&s.name) {
            let id = ow.shared(&s.name, pkg, kind);
            cs.claim(off, off + len, id);
        }
    }
    // The pclntab's header and shared tables, where the pclntab is no section of its own
    // (PE puts it inside .rdata).
    if let Some((off, len)) = pclntab.and_then(|p| Some((p.file_offset?, p.len))) {
        let id = ow.shared("pclntab", "go:pclntab", Kind::Pclntab);
        cs.claim(off, off.saturating_add(len), id);
    }
    // Mach-O's __LINKEDIT is a segment without sections; its tables are named by the
    // load commands that point into it.
    let linkedit = bin.linkedit_ranges();
    for &(what, off, len) in &linkedit {
        let (pkg, kind) = match what {
            "__LINKEDIT" => continue,
            "symbol table" | "string table" => ("[symtab]", Kind::Symtab),
            "code signature" | "code signing requirements" => ("[code signature]", Kind::Other),
            "function starts"
            | "data in code"
            | "segment split info"
            | "linker optimization hints" => ("[linkedit]", Kind::Other),
            _ => ("[dynamic linking]", Kind::Other),
        };
        let id = ow.shared(what, pkg, kind);
        cs.claim(off, off.saturating_add(len), id);
    }

    cs.next_class();
    for s in &bin.sections {
        let Some((off, len)) = s.file_range else {
            continue;
        };
        let label = format!("[unattributed {}]", s.name);
        let id = ow.shared(&label, &label, Kind::Other);
        cs.claim(off, off + len, id);
    }
    for &(what, off, len) in linkedit.iter().filter(|r| r.0 == "__LINKEDIT") {
        let label = format!("[unattributed {what}]");
        let id = ow.shared(&label, &label, Kind::Other);
        cs.claim(off, off.saturating_add(len), id);
    }

    let pieces = cs.resolve(file_len);
    let padding = ow.shared("padding", "[padding]", Kind::Other);
    let pieces: Vec<Piece> = pieces
        .into_iter()
        .map(|p| Piece {
            owner: Some(p.owner.unwrap_or(padding)),
            ..p
        })
        .collect();

    let (pieces, piece_sections, section_names) = split_by_section(bin, pieces, &ow);
    let package_modules = ow
        .packages
        .iter()
        .map(|p| module_of(p, buildinfo))
        .collect();
    Attribution {
        total: file_len,
        packages: ow.packages,
        owners: ow.owners,
        pieces,
        piece_sections,
        section_names,
        package_modules,
    }
}

/// Claim the file bytes of virtual range `[lo, hi)`, kept inside the one section that
/// holds `lo` (DWARF ranges are untrusted input).
fn claim_vrange(bin: &Binary<'_>, cs: &mut ClaimSet, lo: u64, hi: u64, id: OwnerId) {
    let Some(s) = bin.sections.iter().find(|s| {
        s.alloc && s.file_range.is_some() && s.addr <= lo && lo < s.addr.saturating_add(s.size)
    }) else {
        return;
    };
    let Some((off, len)) = s.file_range else {
        return;
    };
    let end = hi.min(s.addr.saturating_add(s.size.min(len)));
    let start = off.saturating_add(lo - s.addr);
    cs.claim(start, start.saturating_add(end.saturating_sub(lo)), id);
}

/// Static glibc without symbols to name its pieces: executable sections outside Go's
/// text (the pclntab's first entry to its last function's end) and glibc's own sections.
fn claim_glibc_rest(
    bin: &Binary<'_>,
    pclntab: Option<&Pclntab>,
    ow: &mut Owners,
    cs: &mut ClaimSet,
) {
    let go_text = pclntab.and_then(|p| {
        let lo = p.funcs.iter().map(|f| f.entry).min()?;
        let hi = p.funcs.iter().map(|f| f.end).max()?;
        Some((lo, hi))
    });
    let code = ow.shared("C code (no symbol)", cnames::GLIBC_STATIC, Kind::Text);
    let data = ow.shared("glibc section", cnames::GLIBC_STATIC, Kind::Data);
    for s in &bin.sections {
        if s.file_range.is_none() || known_section_owner(&s.name).is_some() {
            continue;
        }
        let end = s.addr.saturating_add(s.size);
        if cnames::GLIBC_SECTIONS.contains(&s.name.as_str()) && !s.executable {
            claim_vrange(bin, cs, s.addr, end, data);
        } else if s.executable {
            // Without a pclntab Go's text is unknown: nothing is claimed.
            let Some((go_lo, go_hi)) = go_text else {
                continue;
            };
            claim_vrange(bin, cs, s.addr, end.min(go_lo), code);
            claim_vrange(bin, cs, s.addr.max(go_hi), end, code);
        }
    }
}

/// The owner of data that code of several packages names.
pub const SHARED_DATA: &str = "[shared data]";

/// Non-code sections with file bytes that code may name data in, sorted: `(start, end)`
/// of their on-disk part. The pclntab and the tables the runtime walks itself are left out.
fn data_sections(bin: &Binary<'_>) -> Vec<(u64, u64)> {
    let mut v: Vec<(u64, u64)> = bin
        .sections
        .iter()
        .filter(|s| s.alloc && !s.executable && s.addr != 0)
        .filter(|s| known_section_owner(&s.name).is_none())
        .filter_map(|s| {
            let (_, len) = s.file_range?;
            let end = s.addr.saturating_add(s.size.min(len));
            (end > s.addr).then_some((s.addr, end))
        })
        .collect();
    v.sort_unstable();
    v
}

/// The span of the type claims, `(lowest start, highest end)`.
fn types_span(claims: &[types::Claimed]) -> Option<(u64, u64)> {
    claims
        .iter()
        .flat_map(|c| c.ranges.iter().copied())
        .fold(None, |acc: Option<(u64, u64)>, (a, b)| {
            Some(acc.map_or((a, b), |(x, y)| (x.min(a), y.max(b))))
        })
}

/// Pointers in data into data: each aligned word of a data section (outside the types
/// region) inside an object of known package (`spans`, sorted) whose value is an address
/// in a data section. The following word is taken as a length (string and slice headers)
/// when the target is read-only and it fits. `func` of each reference is the package.
fn data_refs(
    bin: &Binary<'_>,
    secs: &[(u64, u64)],
    spans: &[(u64, u64, u32)],
    types: Option<(u64, u64)>,
) -> Vec<disasm::CodeRef> {
    let p = bin.ptr_size as u64;
    if (p != 4 && p != 8) || secs.is_empty() || spans.is_empty() {
        return Vec::new();
    }
    let in_data = |a: u64| {
        let i = secs.partition_point(|s| s.1 <= a);
        secs.get(i).filter(|s| s.0 <= a).copied()
    };
    let readonly: Vec<(u64, u64)> = bin
        .sections
        .iter()
        .filter(|s| s.alloc && !s.writable && !s.executable)
        .map(|s| (s.addr, s.addr.saturating_add(s.size)))
        .collect();
    let (tlo, thi) = types.unwrap_or((0, 0));
    // Pointers live in writable data (and `.data.rel.ro` in PIE), never in `.noptrdata`
    // (the linker's pointer-free data); read-only data holds bytes that only look like
    // addresses.
    let sources: Vec<(u64, u64)> = bin
        .sections
        .iter()
        .filter(|s| s.alloc && !s.executable && (s.writable || s.name.contains("rel.ro")))
        .filter(|s| !s.name.contains("noptr"))
        .map(|s| (s.addr, s.addr.saturating_add(s.size)))
        .collect();
    let mut out = Vec::new();
    for &(lo, hi, pkg) in spans {
        if lo < thi && hi > tlo {
            continue;
        }
        let Some(&(_, shi)) = sources.iter().find(|r| r.0 <= lo && lo < r.1) else {
            continue;
        };
        let hi = hi.min(shi);
        let start = lo.next_multiple_of(p);
        let Some(bytes) = bin.read_vaddr(start, hi.saturating_sub(start)) else {
            continue;
        };
        let words: Vec<u64> = bytes
            .chunks_exact(p as usize)
            .map(|w| read_uint(w, p as usize, bin.big_endian))
            .collect();
        for (i, &v) in words.iter().enumerate() {
            if v >= tlo && v < thi {
                continue;
            }
            let Some((_, send)) = in_data(v) else {
                continue;
            };
            let ro = readonly.iter().any(|r| r.0 <= v && v < r.1);
            let len = words
                .get(i + 1)
                .copied()
                .filter(|&l| ro && l > 0 && l <= send - v)
                .unwrap_or(0);
            out.push(disasm::CodeRef {
                target: v,
                len,
                func: pkg,
            });
        }
    }
    out.sort_unstable();
    out
}

/// References from each function's code into data sections (see [`disasm`]).
fn code_data_refs(
    bin: &Binary<'_>,
    pclntab: Option<&Pclntab>,
    code_sizes: &[u64],
) -> Vec<disasm::CodeRef> {
    let Some(p) = pclntab else {
        return Vec::new();
    };
    if !disasm::supported(&bin.arch) {
        return Vec::new();
    }
    let secs = data_sections(bin);
    if secs.is_empty() {
        return Vec::new();
    }
    let funcs: Vec<(&[u8], u64)> = p
        .funcs
        .iter()
        .zip(code_sizes)
        .map(|(f, &size)| {
            let code = bin
                .vaddr_to_offset(f.entry)
                .and_then(|off| bin.bytes_at(off, size))
                .unwrap_or(&[]);
            (code, f.entry)
        })
        .collect();
    let (lo, hi) = (secs[0].0, secs[secs.len() - 1].1);
    let wanted = |a: u64| {
        if a < lo || a >= hi {
            return false;
        }
        let i = secs.partition_point(|s| s.1 <= a);
        secs.get(i).is_some_and(|s| s.0 <= a)
    };
    disasm::code_refs(&bin.arch, &funcs, &wanted)
}

/// The symbol spanning all funcdata: `go:func.*`, spelled `go.func.*` before Go 1.20.
fn is_gofunc_symbol(name: &str) -> bool {
    name == "go:func.*" || name == "go.func.*"
}

/// The package of a symbol: [`package_cow`](crate::go::symname::package_cow), except that package-less Go assembly gets
/// the package its function was resolved to, and that in a binary without cgo the rest
/// of the package-less symbols are [`ASSEMBLY`] rather than C, and runtime's `_cgo_*`
/// hooks stay with runtime.
fn symbol_package<'n>(
    runs: &mut PackageRuns,
    name: &'n str,
    assembly: &HashMap<&str, String>,
    cgo_free: bool,
) -> std::borrow::Cow<'n, str> {
    let pkg = runs.package(name);
    if cgo_free && pkg == "runtime/cgo" {
        // `_cgo_init` and friends are runtime's hooks, nil unless runtime/cgo is linked.
        std::borrow::Cow::Borrowed("runtime")
    } else if pkg != "C" {
        pkg
    } else if let Some(p) = assembly.get(name) {
        std::borrow::Cow::Owned(p.clone())
    } else if cgo_free {
        std::borrow::Cow::Borrowed(ASSEMBLY)
    } else {
        pkg
    }
}

/// Packages that hold C code before [`cnames`] names its origin.
fn is_c_code(pkg: &str) -> bool {
    pkg == "C" || pkg == "runtime/cgo"
}

/// Give C code the owner its DWARF unit names, or static glibc when the binary carries
/// glibc and no unit claims the code (see [`cnames`]). Returns the new package of each
/// renamed item, by name.
fn rename_c_owners(
    bin: &Binary<'_>,
    ow: &mut Owners,
    c_owners: &[(OwnerId, u64)],
    c_code: &cnames::CCode,
    symbols: &[crate::binary::Symbol],
) -> HashMap<Box<str>, u32> {
    let mut renamed = HashMap::new();
    if c_owners.is_empty() {
        return renamed;
    }
    let glibc = cnames::is_static_glibc(bin, symbols);
    let go = if glibc {
        cnames::go_ranges(symbols)
    } else {
        Vec::new()
    };
    if c_code.is_empty() && !glibc {
        return renamed;
    }
    let c = ow.package("C");
    for &(id, addr) in c_owners {
        let current = ow.owners[id as usize].package;
        let name = match c_code.at(addr) {
            Some(n) => n,
            None if glibc && current == c && !go.iter().any(|r| r.0 <= addr && addr < r.1) => {
                cnames::GLIBC_STATIC
            }
            None => continue,
        };
        let p = ow.package(name);
        ow.owners[id as usize].package = p;
        renamed.insert(ow.owners[id as usize].item.clone(), p);
    }
    renamed
}

/// A function's code size. The pclntab's `end` is the next function's entry, so it
/// includes alignment padding; the stack-pointer table (pcsp) covers exactly the
/// function's instructions, which is what the linker records as the symbol size. Using it
/// makes stripped and unstripped binaries attribute `.text` identically.
fn code_size(bin: &Binary<'_>, p: &Pclntab, f: &crate::go::pclntab::Func) -> u64 {
    let span = f.end.saturating_sub(f.entry);
    // Mach-O and PE record no symbol sizes: there the toolchain's own view (`go tool nm
    // -size`) is the distance to the next function, padding included. Taking the span
    // keeps stripped and unstripped builds alike.
    if bin.format != crate::binary::Format::Elf {
        return span;
    }
    let from_pcsp = p
        .file_offset
        .zip(f.meta.pcsp)
        .and_then(|(base, (off, len))| bin.bytes_at(base.checked_add(off)?, len))
        .and_then(|d| pcvalue_end_pc(d, p.quantum as u64));
    match from_pcsp {
        Some(pc) if pc > 0 && pc <= span => pc,
        // Linker markers such as go:textfipsstart have no pc tables and are one byte long.
        _ if f.name.starts_with("go:") && f.meta.pcsp.is_none() => span.min(1),
        _ => span,
    }
}

/// The pc one past the last entry of a pc-value table: (zig-zag value delta, pc delta)
/// varint pairs, ended by a zero value delta after the first pair.
fn pcvalue_end_pc(d: &[u8], quantum: u64) -> Option<u64> {
    fn uvarint(d: &[u8], p: &mut usize) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..35).step_by(7) {
            let b = *d.get(*p)?;
            *p += 1;
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    let (mut p, mut pc, mut first) = (0usize, 0u64, true);
    while p < d.len() {
        let uv = uvarint(d, &mut p)?;
        if uv == 0 && !first {
            break;
        }
        pc = pc.checked_add(uvarint(d, &mut p)?.checked_mul(quantum.max(1))?)?;
        first = false;
    }
    Some(pc)
}

/// The pclntab spans a function owns besides its code.
fn meta_ranges(f: &crate::go::pclntab::Func) -> Vec<(u64, u64)> {
    let m = &f.meta;
    let mut v = vec![m.record, m.name];
    v.extend(
        m.pcsp
            .iter()
            .chain(m.pcfile.iter())
            .chain(m.pcln.iter())
            .copied(),
    );
    v.extend(m.pcdata.iter().copied());
    v
}

fn pclntab_file_offset(p: &Pclntab) -> Option<u64> {
    p.file_offset
}

/// Split pieces at section boundaries and label each with its section.
fn split_by_section(
    bin: &Binary<'_>,
    pieces: Vec<Piece>,
    ow: &Owners,
) -> (Vec<Piece>, Vec<u32>, Vec<String>) {
    let mut secs: Vec<(u64, u64, &str)> = bin
        .sections
        .iter()
        .filter_map(|s| {
            s.file_range
                .filter(|r| r.1 > 0)
                .map(|(o, l)| (o, o + l, s.name.as_str()))
        })
        .collect();
    let linkedit = bin.linkedit_ranges();
    secs.extend(
        linkedit
            .iter()
            .filter(|r| r.0 == "__LINKEDIT")
            .map(|&(what, o, l)| (o, o + l, what)),
    );
    secs.sort_by_key(|s| (s.0, s.1));
    let mut names: Vec<String> = vec!["[headers]".into(), "[padding]".into()];
    let mut name_idx: HashMap<&str, u32> = HashMap::new();
    let mut out = Vec::with_capacity(pieces.len());
    let mut labels = Vec::with_capacity(pieces.len());
    let mut si = 0;
    for p in pieces {
        let mut start = p.start;
        while start < p.end {
            while si < secs.len() && secs[si].1 <= start {
                si += 1;
            }
            let (end, label) = match secs.get(si) {
                Some(&(s, e, name)) if s <= start => {
                    let idx = *name_idx.entry(name).or_insert_with(|| {
                        names.push(name.to_string());
                        (names.len() - 1) as u32
                    });
                    (p.end.min(e), idx)
                }
                next => {
                    let end = next.map_or(p.end, |s| p.end.min(s.0));
                    let is_header = p
                        .owner
                        .is_some_and(|o| ow.owners[o as usize].kind == Kind::Header);
                    (end, if is_header { 0 } else { 1 })
                }
            };
            out.push(Piece {
                start,
                end,
                owner: p.owner,
            });
            labels.push(label);
            start = end;
        }
    }
    (out, labels, names)
}

/// The module row of the runtime's packages and of the linker's `go:*` data. The runtime
/// is part of the standard library, so the row is named under `std`; it stays a row of
/// its own so that a module table is still a partition (each byte in one row) and still
/// shows what the runtime costs. A budget on `std` counts both rows
/// ([`module_counts_toward`]).
pub const RUNTIME_MODULE: &str = "std/runtime";

/// A module name as this goaudit writes it: reports and baselines written before the
/// runtime's row moved under `std` call it `runtime` (no real module can have that name:
/// a module path without a dot is the standard library's).
pub fn canonical_module(name: &str) -> &str {
    if name == "runtime" {
        RUNTIME_MODULE
    } else {
        name
    }
}

/// Whether the bytes of the module row `row` count toward `module` as a budget names
/// it: `std` is the whole standard library, the runtime included (`std` and
/// `std/runtime`); every other module is its own row (`github.com/a/b` does not include
/// `github.com/a/b/v2`, a module of its own).
pub fn module_counts_toward(row: &str, module: &str) -> bool {
    let module = canonical_module(module);
    let row = canonical_module(row);
    row == module || (module == "std" && row.starts_with("std/"))
}

/// The module a package belongs to: the main module, a dependency by longest path prefix,
/// `std`, [`RUNTIME_MODULE`], or a pseudo-module for pseudo-packages.
pub fn module_of(pkg: &str, bi: Option<&BuildInfo>) -> String {
    if pkg.starts_with('[') {
        return if pkg.starts_with("[unattributed") {
            "[unattributed]".into()
        } else {
            pkg.to_string()
        };
    }
    if pkg.starts_with("go:")
        || pkg == "runtime"
        || pkg.starts_with("runtime/")
        || pkg.starts_with("internal/runtime/")
    {
        return RUNTIME_MODULE.into();
    }
    if pkg == "C" {
        return "C (cgo)".into();
    }
    if let Some(name) = pkg.strip_prefix("C: ") {
        return cnames::module_of(name, bi);
    }
    if pkg == "main" {
        return bi
            .and_then(|b| b.main.as_ref())
            .map_or("main".into(), |m| m.path.clone());
    }
    // GOPATH-era vendoring: the vendored path decides.
    let lookup = pkg.rsplit_once("/vendor/").map_or(pkg, |(_, v)| v);
    if let Some(bi) = bi {
        let candidates = bi.main.iter().chain(bi.deps.iter());
        let best = candidates
            .filter(|m| {
                lookup == m.path
                    || lookup
                        .strip_prefix(m.path.as_str())
                        .is_some_and(|r| r.starts_with('/'))
            })
            .max_by_key(|m| m.path.len());
        if let Some(m) = best {
            return m.path.clone();
        }
    }
    let first = lookup.split('/').next().unwrap_or("");
    if first == "cmd" && bi.and_then(|b| b.main.as_ref()).is_none() {
        // The Go toolchain's own commands live in the `cmd` module.
        return "cmd".into();
    }
    if pkg.starts_with("vendor/") || !first.contains('.') {
        return "std".into();
    }
    // Without buildinfo: repository roots of the common hosts, else the package itself.
    let parts: Vec<&str> = lookup.split('/').collect();
    let n = if matches!(
        first,
        "github.com" | "gitlab.com" | "bitbucket.org" | "golang.org" | "go.googlesource.com"
    ) {
        3
    } else {
        parts.len()
    };
    parts[..n.min(parts.len())].join("/")
}

impl Attribution {
    /// Summarise into the report shape (every list sums to the file size).
    pub fn report(&self) -> SizeReport {
        let mut pkg_bytes = vec![0u64; self.packages.len()];
        let mut pkg_text = vec![0u64; self.packages.len()];
        let mut sec_bytes = vec![0u64; self.section_names.len()];
        let mut kinds: HashMap<&'static str, u64> = HashMap::new();
        for (p, &s) in self.pieces.iter().zip(&self.piece_sections) {
            let len = p.end - p.start;
            sec_bytes[s as usize] += len;
            if let Some(o) = p.owner {
                let owner = &self.owners[o as usize];
                let class = kind_class(
                    owner.kind,
                    &owner.item,
                    &self.packages[owner.package as usize],
                );
                *kinds.entry(class).or_default() += len;
                pkg_bytes[owner.package as usize] += len;
                if owner.kind == Kind::Text {
                    pkg_text[owner.package as usize] += len;
                }
            }
        }
        let mut by_package: Vec<PackageSize> = self
            .packages
            .iter()
            .enumerate()
            .filter(|(i, _)| pkg_bytes[*i] > 0)
            .map(|(i, name)| PackageSize {
                name: name.clone(),
                module: self.package_modules[i].clone(),
                bytes: pkg_bytes[i],
                text_bytes: pkg_text[i],
            })
            .collect();
        by_package.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.name.cmp(&b.name)));
        let mut modules: HashMap<&str, u64> = HashMap::new();
        for p in &by_package {
            *modules.entry(p.module.as_str()).or_default() += p.bytes;
        }
        let by_module = sorted_named(modules.into_iter().map(|(k, v)| (k.to_string(), v)));
        let by_section = sorted_named(
            self.section_names
                .iter()
                .cloned()
                .zip(sec_bytes)
                .filter(|(_, b)| *b > 0),
        );
        let unattributed = by_package
            .iter()
            .filter(|p| p.name.starts_with("[unattributed"))
            .map(|p| p.bytes)
            .sum();
        // Pieces always have an owner (gaps are padding), so the kinds sum to the total.
        let by_kind = sorted_named(kinds.into_iter().map(|(k, v)| (k.to_string(), v)));
        let unattributed_by_section = by_package
            .iter()
            .filter_map(|p| {
                let sec = p.name.strip_prefix("[unattributed ")?.strip_suffix(']')?;
                Some(Unattributed {
                    section: sec.to_string(),
                    bytes: p.bytes,
                    reason: unattributed_reason(sec).to_string(),
                })
            })
            .collect();
        SizeReport {
            total: self.total,
            unattributed,
            attributed_bytes: self.total.saturating_sub(unattributed),
            unattributed_by_section,
            by_module,
            by_package,
            by_section,
            by_kind,
        }
    }

    /// Bytes per real function or data symbol (no pseudo-items such as `symbol table`
    /// or `DWARF unit`), largest first: (item, package, module, bytes). Only the item's
    /// code and data count (its pclntab records, symbol-table entry and DWARF do not);
    /// with `code_only`, only its machine code.
    pub fn symbols(&self, code_only: bool) -> Vec<(String, String, String, u64)> {
        let mut m: HashMap<(&str, u32), u64> = HashMap::new();
        for p in &self.pieces {
            let Some(o) = p.owner else { continue };
            let owner = &self.owners[o as usize];
            let counted = match owner.kind {
                Kind::Text => true,
                Kind::Data | Kind::Types => !code_only,
                _ => false,
            };
            if counted && !owner.pseudo {
                *m.entry((&owner.item, owner.package)).or_default() += p.end - p.start;
            }
        }
        let mut v: Vec<(String, String, String, u64)> = m
            .into_iter()
            .map(|((item, pkg), b)| {
                (
                    item.to_string(),
                    self.packages[pkg as usize].clone(),
                    self.package_modules[pkg as usize].clone(),
                    b,
                )
            })
            .collect();
        v.sort_by(|a, b| b.3.cmp(&a.3).then_with(|| a.0.cmp(&b.0)));
        v
    }

    /// Bytes per item (function or symbol name), largest first.
    pub fn by_item(&self) -> Vec<(String, String, u64)> {
        let mut m: HashMap<(&str, u32), u64> = HashMap::new();
        for p in &self.pieces {
            if let Some(o) = p.owner {
                let owner = &self.owners[o as usize];
                *m.entry((&owner.item, owner.package)).or_default() += p.end - p.start;
            }
        }
        let mut v: Vec<(String, String, u64)> = m
            .into_iter()
            .map(|((item, pkg), b)| (item.to_string(), self.packages[pkg as usize].clone(), b))
            .collect();
        v.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        v
    }
}

fn sorted_named(it: impl Iterator<Item = (String, u64)>) -> Vec<Named> {
    let mut v: Vec<Named> = it.map(|(name, bytes)| Named { name, bytes }).collect();
    v.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.name.cmp(&b.name)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::go::buildinfo::Module;

    fn m(path: &str) -> Module {
        Module {
            path: path.into(),
            version: "v1.0.0".into(),
            sum: None,
            replace: None,
        }
    }

    #[test]
    fn modules_by_longest_prefix() {
        let bi = BuildInfo {
            main: Some(m("example.com/app")),
            deps: vec![
                m("github.com/prometheus/client_golang"),
                m("github.com/prometheus/client_model"),
                m("golang.org/x/sys"),
            ],
            ..Default::default()
        };
        let b = Some(&bi);
        assert_eq!(module_of("main", b), "example.com/app");
        assert_eq!(
            module_of("example.com/app/internal/x", b),
            "example.com/app"
        );
        assert_eq!(
            module_of("github.com/prometheus/client_golang/prometheus/promhttp", b),
            "github.com/prometheus/client_golang"
        );
        assert_eq!(
            module_of("github.com/prometheus/client_model/go", b),
            "github.com/prometheus/client_model"
        );
        // A prefix that is not a path-element boundary does not match.
        assert_eq!(
            module_of("github.com/prometheus/client_golangx", b),
            "github.com/prometheus/client_golangx"
        );
        assert_eq!(module_of("golang.org/x/sys/unix", b), "golang.org/x/sys");
        assert_eq!(module_of("net/http", b), "std");
        assert_eq!(module_of("vendor/golang.org/x/net/http2/hpack", b), "std");
        assert_eq!(module_of("runtime/cgo", b), "std/runtime");
        assert_eq!(module_of("go:pclntab", b), "std/runtime");
        assert_eq!(module_of("internal/runtime/atomic", b), "std/runtime");
        assert_eq!(module_of("C", b), "C (cgo)");
        assert_eq!(module_of("[unattributed .rodata]", b), "[unattributed]");
        assert_eq!(module_of("github.com/a/b/c/d", None), "github.com/a/b");
    }

    #[test]
    fn std_budgets_count_the_runtime() {
        assert!(module_counts_toward("std", "std"));
        assert!(module_counts_toward("std/runtime", "std"));
        assert!(module_counts_toward("std/runtime", "std/runtime"));
        assert!(!module_counts_toward("std", "std/runtime"));
        // The runtime's former row name, in old configs, reports and baselines.
        assert!(module_counts_toward("std/runtime", "runtime"));
        assert!(module_counts_toward("runtime", "std"));
        assert!(!module_counts_toward("[dwarf]", "std"));
        assert!(!module_counts_toward("github.com/a/b/v2", "github.com/a/b"));
        assert!(module_counts_toward("github.com/a/b", "github.com/a/b"));
        assert_eq!(canonical_module("runtime"), RUNTIME_MODULE);
        assert_eq!(canonical_module("std"), "std");
    }
}
