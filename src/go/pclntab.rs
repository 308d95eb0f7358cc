//! pclntab: Go's function table, for every header generation from Go 1.2 to today.
//!
//! The pclntab survives `-s -w` and `strip` because the runtime needs it for stack
//! traces, so it is the one source of function names and extents that every Go binary
//! has. Four header generations exist, told apart by the magic number:
//!
//! | magic        | Go          | layout                                                      |
//! |--------------|-------------|-------------------------------------------------------------|
//! | `0xfffffffb` | 1.2 – 1.15  | one blob: functab, `_func` records, names, pc tables, files |
//! | `0xfffffffa` | 1.16 – 1.17 | header with offsets to funcnametab, cutab, filetab, pctab   |
//! | `0xfffffff0` | 1.18 – 1.19 | + textStart; functab entries become u32 offsets from it     |
//! | `0xfffffff1` | 1.20+       | same header; `_func` gains startLine                        |
//!
//! Newer linkers leave the header's textStart zero and may put `go:func.*` (what funcdata
//! point to) inside the pclntab; both are then read from `runtime.firstmoduledata`, found
//! as the data that points back at the pclntab.
//!
//! Everything read from the file is bounds-checked: a lying header yields a
//! [`ParseError`], never a panic, and no allocation is sized from an unchecked count.

use std::collections::HashMap;

use crate::binary::{Binary, Format, read_uint};
use crate::error::ParseError;

const FORMAT: &str = "pclntab";

/// Header-shaped scan hits decoded in full before the scan gives up.
const MAX_SCAN_TRIES: usize = 64;

/// A file range `(offset, len)` relative to the start of the pclntab.
pub type Span = (u64, u64);

/// The header generation of a pclntab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, serde::Serialize)]
pub enum Version {
    /// Go 1.2 – 1.15, magic `0xfffffffb`.
    V12,
    /// Go 1.16 – 1.17, magic `0xfffffffa`.
    V116,
    /// Go 1.18 – 1.19, magic `0xfffffff0`.
    V118,
    /// Go 1.20 and later, magic `0xfffffff1`.
    #[default]
    V120,
}

impl Version {
    /// The magic number that opens a pclntab of this generation.
    pub fn magic(self) -> u32 {
        match self {
            Version::V12 => 0xfffffffb,
            Version::V116 => 0xfffffffa,
            Version::V118 => 0xfffffff0,
            Version::V120 => 0xfffffff1,
        }
    }

    /// The Go releases that write this generation, e.g. `go1.20+`.
    pub fn version_range(self) -> &'static str {
        match self {
            Version::V12 => "go1.2-go1.15",
            Version::V116 => "go1.16-go1.17",
            Version::V118 => "go1.18-go1.19",
            Version::V120 => "go1.20+",
        }
    }

    fn from_magic(m: u32) -> Option<Version> {
        [Version::V12, Version::V116, Version::V118, Version::V120]
            .into_iter()
            .find(|v| v.magic() == m)
    }

    /// Size of the fixed part of a `_func` record (before the pcdata/funcdata arrays).
    fn func_fixed_size(self, ptr: u64) -> u64 {
        match self {
            // entry uintptr + nameoff, args, deferreturn, pcsp, pcfile, pcln, npcdata
            // + funcID, 2 pad, nfuncdata. (Go 1.2–1.9 had nfuncdata as an int32 in the same
            // four bytes; the record size is the same, only nfuncdata's byte differs.)
            Version::V12 => ptr + 32,
            // + cuOffset.
            Version::V116 => ptr + 36,
            // entry becomes a u32 offset.
            Version::V118 => 40,
            // + startLine.
            Version::V120 => 44,
        }
    }
}

/// How the pclntab was found in the file.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "by", content = "name")]
pub enum Location {
    /// Its own section (`.gopclntab`, `.data.rel.ro.gopclntab`, `__gopclntab`).
    Section(String),
    /// The `runtime.pclntab` .. `runtime.epclntab` symbols.
    Symbols,
    /// A validated magic-number scan (external-link PIE, stripped PE).
    #[default]
    Scan,
}

/// The pclntab byte ranges one function owns.
///
/// The linker deduplicates identical pc tables, so table spans can be shared between
/// functions; they are given as found and a consumer summing sizes must dedup them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FuncMeta {
    /// The `_func` record including its pcdata and funcdata offset arrays.
    pub record: Span,
    /// The name in the function-name table, including its NUL terminator.
    pub name: Span,
    /// The stack-pointer delta table, if any.
    pub pcsp: Option<Span>,
    /// The file-index table, if any.
    pub pcfile: Option<Span>,
    /// The line-number table, if any.
    pub pcln: Option<Span>,
    /// The pcdata tables that exist (offset 0 means none and is skipped).
    pub pcdata: Vec<Span>,
    /// The source file of the function's entry PC, as an index into
    /// [`Pclntab::files`]; None when it has no file table entry (C code linked in by
    /// the Go linker, a table that does not resolve).
    pub file: Option<u32>,
    /// Virtual addresses of the funcdata this function references (stack maps, inline
    /// trees, ...), nil ones left out. Go 1.18+ store them as offsets from `go:func.*`:
    /// they are resolved when [`Pclntab::gofunc`] is found, and empty otherwise (and
    /// always from [`parse`], which sees only the pclntab bytes).
    pub funcdata: Vec<u64>,
}

/// One function with its own code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Func {
    /// Full Go symbol name, e.g. `net/http.(*Client).Do`.
    pub name: String,
    /// First instruction address.
    pub entry: u64,
    /// One past the last instruction address.
    pub end: u64,
    /// The pclntab bytes this function owns.
    pub meta: FuncMeta,
}

/// The regions of a pclntab, as spans relative to its start.
///
/// Go 1.2–1.15 interleave names, pc tables, `_func` records and file names in one area
/// after the function table: for them `funcnametab`, `cutab` and `pctab` are `None` and
/// `funcdata` covers that whole area (so it also contains `filetab`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Regions {
    /// The header (magic, sizes, offsets).
    pub header: Span,
    /// NUL-terminated function names (Go 1.16+).
    pub funcnametab: Option<Span>,
    /// Per-compilation-unit file index table (Go 1.16+).
    pub cutab: Option<Span>,
    /// The file table: NUL-separated names (1.16+) or an offset array (1.2–1.15).
    pub filetab: Span,
    /// The pc-value tables (Go 1.16+).
    pub pctab: Option<Span>,
    /// The function table (`ftab`): entry/offset pairs plus the end address.
    pub functab: Span,
    /// The `_func` records (and for 1.2–1.15 everything else after `functab`).
    pub funcdata: Span,
    /// `go:func.*` (stack maps, inline trees, ... that funcdata point to) when the linker
    /// placed it inside the pclntab, after the records, as newer Go does; else `None`.
    pub gofunc: Option<Span>,
}

/// A decoded pclntab.
#[derive(Debug, Clone, Default)]
pub struct Pclntab {
    /// Functions in address order.
    pub funcs: Vec<Func>,
    /// The source file table, in table order.
    pub files: Vec<String>,
    /// Header generation.
    pub version: Version,
    /// Pointer size the header declares (4 or 8).
    pub ptr_size: u8,
    /// Instruction size quantum (1 on x86, 4 on most RISC targets).
    pub quantum: u8,
    /// Big-endian target.
    pub big_endian: bool,
    /// The address functab offsets are relative to (Go 1.18+), else 0.
    pub text_start: u64,
    /// Address of `go:func.*`, the base of Go 1.18+ funcdata offsets, when found (in
    /// `runtime.firstmoduledata`).
    pub gofunc: Option<u64>,
    /// File offset of the pclntab, when it lies in the file.
    pub file_offset: Option<u64>,
    /// Virtual address of the pclntab, when known.
    pub vaddr: Option<u64>,
    /// Length in bytes: the section's size, or the extent of what the tables reference.
    pub len: u64,
    /// How it was found.
    pub location: Location,
    /// Byte ranges of its regions.
    pub regions: Regions,
}

impl Pclntab {
    /// The Go releases that write this pclntab's generation, e.g. `go1.20+`.
    pub fn version_range(&self) -> &'static str {
        self.version.version_range()
    }

    /// When the extent is known from a section or symbols, the record area runs to its
    /// end (alignment padding included), so the regions partition the whole table.
    /// A `go:func.*` that starts inside the record area takes the rest of the table.
    fn fill_to_len(&mut self) {
        let start = self.regions.funcdata.0;
        self.regions.funcdata.1 = self.len.saturating_sub(start);
        let (Some(g), Some(v)) = (self.gofunc, self.vaddr) else {
            return;
        };
        let Some(rel) = g.checked_sub(v) else {
            return;
        };
        if rel > start && rel < self.len {
            self.regions.funcdata.1 = rel - start;
            self.regions.gofunc = Some((rel, self.len - rel));
        }
    }
}

/// Locate and decode the pclntab; `Ok(None)` when there is none.
///
/// Order: a dedicated section, the `runtime.pclntab` symbols, then a validated magic
/// scan. A pclntab that is found by name but does not decode is an error; scan hits that
/// do not decode are just not pclntabs.
pub fn find(bin: &Binary<'_>) -> Result<Option<Pclntab>, ParseError> {
    find_with(bin, &mut Mode::Full)
}

/// Like [`find`], but without each function's pclntab spans ([`Func::meta`] is left
/// empty): names, extents and the file table only. The audit needs no more, and skipping
/// the pc tables makes it several times faster on large binaries.
pub fn find_names(bin: &Binary<'_>) -> Result<Option<Pclntab>, ParseError> {
    find_with(bin, &mut Mode::Names)
}

/// Like [`find_names`], but hands each function's name to `visit` instead of building
/// [`Func`]s (the returned table's `funcs` is empty). The audit only asks a few questions
/// of the names; not materialising 100k functions keeps it as fast as reading buildinfo.
pub fn visit_names(
    bin: &Binary<'_>,
    visit: &mut dyn FnMut(&str),
) -> Result<Option<Pclntab>, ParseError> {
    let mut t = find_with(bin, &mut Mode::Visit(visit))?;
    // A table found by the magic scan is decoded fully; report its names the same way.
    if let Some(t) = t.as_mut() {
        for f in t.funcs.drain(..) {
            visit(&f.name);
        }
    }
    Ok(t)
}

/// How much of each function to decode.
enum Mode<'v> {
    /// Everything, including each function's pclntab spans.
    Full,
    /// Names and extents.
    Names,
    /// Names only, handed to a visitor; no `Func` is built.
    Visit(&'v mut dyn FnMut(&str)),
}

fn find_with(bin: &Binary<'_>, mode: &mut Mode<'_>) -> Result<Option<Pclntab>, ParseError> {
    for name in [".gopclntab", ".data.rel.ro.gopclntab", "__gopclntab"] {
        let Some(sec) = bin.section(name) else {
            continue;
        };
        let Some(data) = bin.section_data(sec) else {
            continue;
        };
        let off = sec.file_range.map(|(o, _)| o);
        let vaddr = (sec.addr != 0).then_some(sec.addr);
        let mut t = decode(bin, data, vaddr, mode)?;
        t.file_offset = off;
        t.vaddr = vaddr;
        t.len = data.len() as u64;
        t.fill_to_len();
        t.location = Location::Section(name.to_string());
        return Ok(Some(t));
    }
    if let Some(t) = find_by_symbols(bin, mode)? {
        return Ok(Some(t));
    }
    Ok(find_by_scan(bin))
}

fn find_by_symbols(bin: &Binary<'_>, mode: &mut Mode<'_>) -> Result<Option<Pclntab>, ParseError> {
    // Older Go on PE names them without the package prefix.
    for (start, end) in [
        ("runtime.pclntab", "runtime.epclntab"),
        ("pclntab", "epclntab"),
    ] {
        let (Some(s), Some(e)) = (go_symbol(bin, start), go_symbol(bin, end)) else {
            continue;
        };
        if e.addr <= s.addr {
            continue;
        }
        let len = e.addr - s.addr;
        let Some(off) = bin.vaddr_to_offset(s.addr) else {
            continue;
        };
        let Some(data) = bin.bytes_at(off, len) else {
            continue;
        };
        let mut t = decode(bin, data, Some(s.addr), mode)?;
        t.file_offset = Some(off);
        t.vaddr = Some(s.addr);
        t.len = len;
        t.fill_to_len();
        t.location = Location::Symbols;
        return Ok(Some(t));
    }
    Ok(None)
}

/// Find the pclntab by scanning the whole file for its magic number, ignoring sections
/// and symbols: what goaudit falls back to when neither names it.
///
/// A hit must decode completely (header sane, every offset inside, every function
/// record and name readable, entries ascending and at least one inside executable
/// code) before it is believed; its `len` is the extent of what its tables reference.
pub fn find_by_scan(bin: &Binary<'_>) -> Option<Pclntab> {
    let mut hits = Vec::new();
    // Only bytes a segment or section describes hold a table the program can use (the
    // runtime reads it from memory); a huge sparse tail behind a valid header is not
    // worth a linear scan that takes minutes.
    let extent = bin
        .segments
        .iter()
        .map(|s| s.file_range.0.saturating_add(s.file_range.1))
        .chain(
            bin.sections
                .iter()
                .filter_map(|s| s.file_range)
                .map(|(o, l)| o.saturating_add(l)),
        )
        .max()
        .unwrap_or(0)
        .min(bin.data.len() as u64) as usize;
    let described = &bin.data[..extent];
    if bin.big_endian {
        for v in [Version::V120, Version::V118, Version::V116, Version::V12] {
            let m = v.magic().to_be_bytes();
            let pat = [m[0], m[1], m[2], m[3], 0, 0];
            hits.extend(memchr::memmem::find_iter(described, &pat));
        }
    } else {
        // Little-endian magics share `ff ff ff` after their first byte, so one pass finds
        // all four generations.
        for i in memchr::memmem::find_iter(described, &[0xff, 0xff, 0xff, 0, 0]) {
            if i > 0 && matches!(described[i - 1], 0xf0 | 0xf1 | 0xfa | 0xfb) {
                hits.push(i - 1);
            }
        }
    }
    hits.sort_unstable();
    // Each full decode is linear in the data, so a file stuffed with header look-alikes
    // gets a bounded number of tries rather than quadratic time.
    let mut tries = 0;
    for hit in hits {
        let hit = hit as u64;
        let Some(hdr) = bin.bytes_at(hit, 8) else {
            continue;
        };
        if hdr[7] != bin.ptr_size || !matches!(hdr[6], 1 | 2 | 4) {
            continue;
        }
        tries += 1;
        if tries > MAX_SCAN_TRIES {
            break;
        }
        // The tables cannot run past the section (or, without sections, the file).
        let limit = bin
            .sections
            .iter()
            .filter_map(|s| s.file_range)
            .find(|&(o, l)| hit >= o && hit < o + l)
            .map_or(bin.data.len() as u64, |(o, l)| o + l);
        let Some(data) = bin.bytes_at(hit, limit - hit) else {
            continue;
        };
        let vaddr = offset_to_vaddr(bin, hit);
        // A scan hit is only believed after full validation, pc tables included.
        let Ok(mut t) = decode(bin, data, vaddr, &mut Mode::Full) else {
            continue;
        };
        if !t.funcs.iter().any(|f| in_exec(bin, f.entry)) {
            continue;
        }
        t.len = t.len.min(data.len() as u64);
        t.file_offset = Some(hit);
        t.vaddr = vaddr;
        t.location = Location::Scan;
        return Some(t);
    }
    None
}

/// A Go symbol by name; Go up to 1.16 wrote Mach-O symbols with the C underscore.
fn go_symbol(bin: &Binary<'_>, name: &str) -> Option<crate::binary::Symbol> {
    bin.symbol(name).or_else(|| {
        (bin.format == Format::Macho)
            .then(|| bin.symbol(&format!("_{name}")))
            .flatten()
    })
}

fn offset_to_vaddr(bin: &Binary<'_>, off: u64) -> Option<u64> {
    bin.segments
        .iter()
        .find(|s| off >= s.file_range.0 && off - s.file_range.0 < s.file_range.1)
        .map(|s| s.addr + (off - s.file_range.0))
}

/// Whether `addr` is code. Sections decide when one holds the address: a Mach-O
/// `__TEXT` segment is executable but also holds read-only data (`go:func.*`).
fn in_exec(bin: &Binary<'_>, addr: u64) -> bool {
    let within = |a: u64, size: u64| addr >= a && addr - a < size;
    let mut holders = bin
        .sections
        .iter()
        .filter(|s| s.addr != 0 && within(s.addr, s.size))
        .peekable();
    if holders.peek().is_some() {
        return holders.any(|s| s.executable);
    }
    bin.segments
        .iter()
        .any(|s| s.executable && within(s.addr, s.size))
}

/// Decode pclntab bytes found in `bin` at `vaddr`, resolving the text start the way the
/// runtime sees it.
fn decode(
    bin: &Binary<'_>,
    data: &[u8],
    vaddr: Option<u64>,
    mode: &mut Mode<'_>,
) -> Result<Pclntab, ParseError> {
    let hdr = Header::parse(data)?;
    // Also without detail: the regions depend on it. Found once, used twice.
    let md = match vaddr {
        Some(v) if hdr.version >= Version::V118 => moduledata(bin, v, &hdr),
        _ => None,
    };
    let mut text = 0;
    if hdr.version >= Version::V118 {
        text = hdr.text_start;
        if text == 0 {
            text = fallback_text_start(bin, vaddr, &hdr, md.as_ref()).unwrap_or(0);
        }
    }
    let gofunc = md.as_ref().and_then(|m| m.gofunc);
    let mut t = parse_with_header(data, hdr, text, mode)?;
    if t.version >= Version::V118 {
        // Offsets from go:func.* become addresses when it is known, else say nothing.
        t.gofunc = gofunc;
        for f in &mut t.funcs {
            match gofunc {
                Some(g) => f
                    .meta
                    .funcdata
                    .iter_mut()
                    .for_each(|x| *x = g.wrapping_add(*x)),
                None => f.meta.funcdata.clear(),
            }
        }
    }
    Ok(t)
}

/// The header's textStart is zero on disk in a PIE whose dynamic relocation fills it in,
/// and in every binary of newer linkers, which no longer write it (the runtime reads
/// `moduledata.text` instead). Find the value the runtime uses.
fn fallback_text_start(
    bin: &Binary<'_>,
    vaddr: Option<u64>,
    hdr: &Header,
    md: Option<&Moduledata>,
) -> Option<u64> {
    if let Some(s) = go_symbol(bin, "runtime.text") {
        return Some(s.addr);
    }
    if let Some(v) = vaddr {
        let field = v + 8 + 2 * hdr.ptr_size as u64;
        if let Some(a) = bin.relocation_addend(field).filter(|&a| a != 0) {
            return Some(a);
        }
        if let Some(m) = md {
            return Some(m.text);
        }
    }
    // The toolchain's own tools (cmd/internal/objfile) make the same last guess; it is
    // right for internal linking, where the text section starts with runtime.text.
    let name = match bin.format {
        Format::Elf | Format::Pe => ".text",
        Format::Macho => "__text",
    };
    bin.section(name).map(|s| s.addr)
}

/// What goaudit reads from `runtime.firstmoduledata`.
struct Moduledata {
    text: u64,
    gofunc: Option<u64>,
}

/// `runtime.firstmoduledata` (Go 1.18+), found as the data that points at the pclntab and
/// at its function-name table with a length that fits. Layout: pcHeader, five slices, ftab,
/// findfunctab, minpc, maxpc, text, etext, four more start/end pairs, (1.20+:
/// covctrs/ecovctrs), end, gcdata, gcbss, types, etypes (1.27+: typedesclen, etypes,
/// itaboffset, itabsize), rodata, gofunc.
fn moduledata(bin: &Binary<'_>, pcln_vaddr: u64, hdr: &Header) -> Option<Moduledata> {
    let p = hdr.ptr_size as usize;
    let enc = |x: u64| -> Vec<u8> {
        if hdr.big_endian {
            x.to_be_bytes()[8 - p..].to_vec()
        } else {
            x.to_le_bytes()[..p].to_vec()
        }
    };
    let names = enc(pcln_vaddr.checked_add(hdr.funcname_off)?);
    // The slice length is the names' own size; the table may be padded after it.
    let names_max = hdr.cu_off - hdr.funcname_off;
    let gofunc_word = if hdr.version >= Version::V120 { 40 } else { 38 };
    // moduledata is writable data (`.noptrdata`); searching only writable mappings keeps
    // this from reading, and faulting in, the whole file.
    let regions: Vec<(u64, u64)> = if bin.sections.is_empty() {
        bin.segments
            .iter()
            .filter(|g| g.writable)
            .map(|g| g.file_range)
            .collect()
    } else {
        bin.sections
            .iter()
            .filter(|x| x.writable && x.alloc)
            .filter_map(|x| x.file_range)
            .collect()
    };
    let pattern = enc(pcln_vaddr);
    let hits = regions.into_iter().flat_map(|(off, len)| {
        let base = off as usize;
        let hay = bin.bytes_at(off, len).unwrap_or(&[]);
        memchr::memmem::find_iter(hay, &pattern)
            .map(move |i| base + i)
            .collect::<Vec<_>>()
    });
    for at in hits {
        let Some(w) = bin.data.get(at..at + (gofunc_word + 1) * p) else {
            continue;
        };
        let word = |i: usize| &w[i * p..(i + 1) * p];
        let names_len = read_uint(word(2), p, hdr.big_endian);
        if word(1) != names.as_slice() || names_len == 0 || names_len > names_max {
            continue;
        }
        let text = read_uint(word(22), p, hdr.big_endian);
        if !in_exec(bin, text) {
            continue;
        }
        // Go 1.27 replaced `etypes` by `typedesclen, etypes, itaboffset, itabsize`:
        // a length where an address was moves gofunc three words on.
        let types = read_uint(word(gofunc_word - 3), p, hdr.big_endian);
        let etypes_or_len = read_uint(word(gofunc_word - 2), p, hdr.big_endian);
        let gofunc_word = if hdr.version >= Version::V120 && etypes_or_len < types {
            gofunc_word + 3
        } else {
            gofunc_word
        };
        let Some(w) = bin.data.get(at..at + (gofunc_word + 1) * p) else {
            continue;
        };
        let word = |i: usize| &w[i * p..(i + 1) * p];
        // go:func.* sits in read-only data; anything else means the layout guess is off.
        let gofunc = Some(read_uint(word(gofunc_word), p, hdr.big_endian))
            .filter(|&g| g != 0 && !in_exec(bin, g) && bin.vaddr_to_offset(g).is_some());
        return Some(Moduledata { text, gofunc });
    }
    None
}

/// Decode a pclntab from its bytes. `text_start` is used for Go 1.18+ when the header's
/// own field is zero; pass 0 to trust the header.
pub fn parse(data: &[u8], text_start: u64) -> Result<Pclntab, ParseError> {
    let hdr = Header::parse(data)?;
    let text = if hdr.text_start != 0 {
        hdr.text_start
    } else {
        text_start
    };
    let mut t = parse_with_header(data, hdr, text, &mut Mode::Full)?;
    if t.version >= Version::V118 {
        t.funcs.iter_mut().for_each(|f| f.meta.funcdata.clear());
    }
    Ok(t)
}

#[derive(Debug, Clone)]
struct Header {
    version: Version,
    big_endian: bool,
    quantum: u8,
    ptr_size: u8,
    nfunc: u64,
    nfiles: u64,
    text_start: u64,
    funcname_off: u64,
    cu_off: u64,
    filetab_off: u64,
    pctab_off: u64,
    pcln_off: u64,
    header_len: u64,
}

/// Bounds-checked reads in the pclntab's byte order.
#[derive(Clone, Copy)]
struct Reader<'a> {
    data: &'a [u8],
    be: bool,
}

impl<'a> Reader<'a> {
    fn bytes(&self, off: u64, len: u64) -> Result<&'a [u8], ParseError> {
        let start = usize::try_from(off).ok();
        let end = start.and_then(|s| s.checked_add(usize::try_from(len).ok()?));
        match (start, end) {
            (Some(s), Some(e)) if e <= self.data.len() => Ok(&self.data[s..e]),
            _ => Err(ParseError::new(
                FORMAT,
                format!(
                    "{len} bytes at offset {off:#x} beyond the end ({:#x})",
                    self.data.len()
                ),
            )),
        }
    }

    fn uint(&self, off: u64, size: u64) -> Result<u64, ParseError> {
        Ok(read_uint(self.bytes(off, size)?, size as usize, self.be))
    }

    fn u32(&self, off: u64) -> Result<u32, ParseError> {
        Ok(self.uint(off, 4)? as u32)
    }

    fn u8(&self, off: u64) -> Result<u8, ParseError> {
        Ok(self.bytes(off, 1)?[0])
    }

    /// The NUL-terminated string at `off`, and its length without the NUL.
    fn cstr(&self, off: u64, limit: u64) -> Result<(&'a [u8], u64), ParseError> {
        let lim = limit.min(self.data.len() as u64);
        if off >= lim {
            return Err(ParseError::new(
                FORMAT,
                format!("string offset {off:#x} beyond its table"),
            ));
        }
        let s = &self.data[off as usize..lim as usize];
        match memchr::memchr(0, s) {
            Some(n) => Ok((&s[..n], n as u64)),
            None => Err(ParseError::new(
                FORMAT,
                format!("unterminated string at offset {off:#x}"),
            )),
        }
    }
}

impl Header {
    fn parse(data: &[u8]) -> Result<Header, ParseError> {
        if data.len() < 16 {
            return Err(ParseError::new(
                FORMAT,
                format!("{} bytes is too short for a header", data.len()),
            ));
        }
        let le = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
        let be = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
        let (version, big_endian) = match (Version::from_magic(le), Version::from_magic(be)) {
            (Some(v), _) => (v, false),
            (None, Some(v)) => (v, true),
            (None, None) => {
                return Err(ParseError::new(FORMAT, format!("bad magic {le:#010x}")));
            }
        };
        if data[4] != 0 || data[5] != 0 {
            return Err(ParseError::new(FORMAT, "header padding is not zero"));
        }
        let quantum = data[6];
        let ptr_size = data[7];
        if !matches!(quantum, 1 | 2 | 4) {
            return Err(ParseError::new(FORMAT, format!("bad pc quantum {quantum}")));
        }
        if !matches!(ptr_size, 4 | 8) {
            return Err(ParseError::new(
                FORMAT,
                format!("bad pointer size {ptr_size}"),
            ));
        }
        let r = Reader {
            data,
            be: big_endian,
        };
        let ptr = ptr_size as u64;
        let word = |i: u64| r.uint(8 + i * ptr, ptr);
        let len = data.len() as u64;
        let mut h = Header {
            version,
            big_endian,
            quantum,
            ptr_size,
            nfunc: 0,
            nfiles: 0,
            text_start: 0,
            funcname_off: 0,
            cu_off: 0,
            filetab_off: 0,
            pctab_off: 0,
            pcln_off: 0,
            header_len: 8 + ptr,
        };
        match version {
            Version::V12 => {
                h.nfunc = word(0)?;
            }
            Version::V116 | Version::V118 | Version::V120 => {
                let base = if version == Version::V116 { 2 } else { 3 };
                h.nfunc = word(0)?;
                h.nfiles = word(1)?;
                if version >= Version::V118 {
                    h.text_start = word(2)?;
                }
                h.funcname_off = word(base)?;
                h.cu_off = word(base + 1)?;
                h.filetab_off = word(base + 2)?;
                h.pctab_off = word(base + 3)?;
                h.pcln_off = word(base + 4)?;
                h.header_len = 8 + (base + 5) * ptr;
                // The linker lays the tables out in this order; anything else is not a
                // pclntab (or is one we would misread).
                let order = [
                    h.header_len,
                    h.funcname_off,
                    h.cu_off,
                    h.filetab_off,
                    h.pctab_off,
                    h.pcln_off,
                ];
                if order.windows(2).any(|w| w[0] > w[1]) || h.pcln_off > len {
                    return Err(ParseError::new(
                        FORMAT,
                        format!("table offsets out of order or beyond the end ({len:#x})"),
                    ));
                }
                // Each file name takes at least its NUL.
                if h.nfiles > h.pctab_off - h.filetab_off {
                    return Err(ParseError::new(
                        FORMAT,
                        format!("{} files cannot fit in the file table", h.nfiles),
                    ));
                }
            }
        }
        // Bound nfunc by the data before anything is sized from it: each function needs
        // two functab fields and a `_func` record.
        let field = h.functab_field_size();
        let per_func = 2 * field + version.func_fixed_size(ptr);
        if h.nfunc == 0 || h.nfunc > len / per_func {
            return Err(ParseError::new(
                FORMAT,
                format!("function count {} does not fit in {len} bytes", h.nfunc),
            ));
        }
        Ok(h)
    }

    fn functab_field_size(&self) -> u64 {
        if self.version >= Version::V118 {
            4
        } else {
            self.ptr_size as u64
        }
    }
}

fn parse_with_header(
    data: &[u8],
    h: Header,
    text_start: u64,
    mode: &mut Mode<'_>,
) -> Result<Pclntab, ParseError> {
    let r = Reader {
        data,
        be: h.big_endian,
    };
    let len = data.len() as u64;
    let ptr = h.ptr_size as u64;
    let field = h.functab_field_size();
    let v12 = h.version == Version::V12;

    // functab: nfunc (entry, funcoff) pairs and a final end address.
    let functab_off = if v12 { h.header_len } else { h.pcln_off };
    let functab_len = (2 * h.nfunc + 1) * field; // nfunc is bounded by len already
    r.bytes(functab_off, functab_len)?;
    // Function records are addressed from the blob start (1.2) or from pcln_off.
    let func_base = if v12 { 0 } else { h.pcln_off };
    let (names_base, names_end) = if v12 {
        (0, len)
    } else {
        (h.funcname_off, h.cu_off)
    };
    let (pc_base, pc_end) = if v12 {
        (0, len)
    } else {
        (h.pctab_off, h.pcln_off)
    };
    let text = if h.version >= Version::V118 {
        text_start
    } else {
        0
    };
    let pc = |i: u64| -> Result<u64, ParseError> {
        let v = r.uint(functab_off + i * field, field)?;
        v.checked_add(text)
            .ok_or_else(|| ParseError::new(FORMAT, "function address overflows"))
    };

    let mut extent = functab_off + functab_len;
    let fixed = h.version.func_fixed_size(ptr);
    let mut table_len: HashMap<u64, u64, OffsetHash> = HashMap::default();
    // A hostile nfunc passed the size check above, so this capacity is bounded by len.
    let mut funcs = Vec::with_capacity(h.nfunc.min(1 << 20) as usize);
    let mut prev_entry = 0;
    // (function index, cuOffset, file number at its entry), resolved once the file
    // table is read.
    let mut file_refs: Vec<(usize, u64, u64)> = Vec::new();
    for i in 0..h.nfunc {
        let entry = pc(2 * i)?;
        let end = pc(2 * i + 2)?;
        if entry < prev_entry || end < entry {
            return Err(ParseError::new(
                FORMAT,
                format!("function table not in address order at entry {i}"),
            ));
        }
        prev_entry = entry;
        let funcoff = r.uint(functab_off + (2 * i + 1) * field, field)?;
        let rec = func_base
            .checked_add(funcoff)
            .ok_or_else(|| ParseError::new(FORMAT, "function record offset overflows"))?;
        r.bytes(rec, fixed)?;
        let after_entry = if h.version >= Version::V118 { 4 } else { ptr };
        let f32 = |n: u64| r.u32(rec + after_entry + (n - 1) * 4);
        let nameoff = f32(1)? as u64;
        let pcsp = f32(4)? as u64;
        let pcfile = f32(5)? as u64;
        let pcln = f32(6)? as u64;
        let npcdata = f32(7)? as u64;
        // Go 1.16+ number files per compilation unit: cuOffset indexes the cutab.
        let cu_offset = if v12 { 0 } else { f32(8)? as u64 };
        let nfuncdata = r.u8(rec + fixed - 1)? as u64;

        let name_at = names_base
            .checked_add(nameoff)
            .ok_or_else(|| ParseError::new(FORMAT, "name offset overflows"))?;
        let (name, name_len) = r.cstr(name_at, names_end)?;
        match mode {
            Mode::Full => {}
            Mode::Names => {
                funcs.push(Func {
                    name: String::from_utf8_lossy(name).into_owned(),
                    entry,
                    end,
                    meta: FuncMeta::default(),
                });
                continue;
            }
            Mode::Visit(visit) => {
                visit(&String::from_utf8_lossy(name));
                continue;
            }
        }

        // pcdata offsets follow the record; then funcdata: u32 offsets (1.18+) or
        // pointers aligned to the pointer size.
        let pcdata_at = rec + fixed;
        let pcdata_bytes = npcdata
            .checked_mul(4)
            .ok_or_else(|| ParseError::new(FORMAT, "pcdata count overflows"))?;
        let pcdata_raw = r.bytes(pcdata_at, pcdata_bytes)?;
        let mut fd_at = pcdata_at + pcdata_bytes;
        let fd_size = if h.version >= Version::V118 { 4 } else { ptr };
        if nfuncdata > 0 && fd_size == 8 && !fd_at.is_multiple_of(8) {
            fd_at += 4;
        }
        let fd_raw = r.bytes(fd_at, nfuncdata * fd_size)?;
        let rec_end = if nfuncdata > 0 {
            fd_at + nfuncdata * fd_size
        } else {
            pcdata_at + pcdata_bytes
        };
        extent = extent.max(rec_end).max(name_at + name_len + 1);

        let mut table = |off: u64| -> Result<Option<Span>, ParseError> {
            if off == 0 {
                return Ok(None);
            }
            let at = pc_base
                .checked_add(off)
                .ok_or_else(|| ParseError::new(FORMAT, "pc table offset overflows"))?;
            let n = match table_len.get(&at) {
                Some(&n) => n,
                None => {
                    let n = pcvalue_len(data, at, pc_end)?;
                    table_len.insert(at, n);
                    n
                }
            };
            extent = extent.max(at + n);
            Ok(Some((at, n)))
        };
        let pcsp = table(pcsp)?;
        let pcfile = table(pcfile)?;
        let file_no = pcfile.and_then(|(at, n)| first_pcvalue(data, at, n));
        let pcln = table(pcln)?;
        let mut pcdata = Vec::new();
        for c in pcdata_raw.chunks_exact(4) {
            if let Some(s) = table(read_uint(c, 4, h.big_endian))? {
                pcdata.push(s);
            }
        }
        let nil = if h.version >= Version::V118 {
            u32::MAX as u64
        } else {
            0
        };
        let funcdata = fd_raw
            .chunks_exact(fd_size as usize)
            .map(|c| read_uint(c, fd_size as usize, h.big_endian))
            .filter(|&x| x != nil)
            .collect();

        funcs.push(Func {
            name: String::from_utf8_lossy(name).into_owned(),
            entry,
            end,
            meta: FuncMeta {
                record: (rec, rec_end - rec),
                name: (name_at, name_len + 1),
                pcsp,
                pcfile,
                pcln,
                pcdata,
                file: None,
                funcdata,
            },
        });
        if let Some(no) = file_no {
            file_refs.push((funcs.len() - 1, cu_offset, no));
        }
    }

    // Offsets of each file name in the 1.16+ filetab, which the cutab refers to.
    let mut file_starts: Vec<u64> = Vec::new();
    let (files, filetab) = if v12 {
        // After the functab: a u32 offset of the file table, which is a u32 count
        // followed by count-1 offsets of NUL-terminated names (index 0 is unused).
        let fileoff = r.u32(functab_off + functab_len)? as u64;
        let nfiles = r.u32(fileoff)? as u64;
        let tab = r.bytes(fileoff, nfiles.saturating_mul(4))?;
        let mut files = Vec::with_capacity(nfiles.min(1 << 16) as usize);
        for c in tab.chunks_exact(4).skip(1) {
            let off = read_uint(c, 4, h.big_endian);
            let (s, n) = r.cstr(off, len)?;
            extent = extent.max(off + n + 1);
            files.push(String::from_utf8_lossy(s).into_owned());
        }
        extent = extent.max(fileoff + nfiles * 4);
        (files, (fileoff, nfiles * 4))
    } else {
        let mut files = Vec::with_capacity(h.nfiles.min(1 << 16) as usize);
        let mut pos = h.filetab_off;
        for _ in 0..h.nfiles {
            let (s, n) = r.cstr(pos, h.pctab_off)?;
            file_starts.push(pos - h.filetab_off);
            files.push(String::from_utf8_lossy(s).into_owned());
            pos += n + 1;
        }
        (files, (h.filetab_off, h.pctab_off - h.filetab_off))
    };
    resolve_files(
        &r,
        &h,
        v12,
        &file_starts,
        files.len(),
        &file_refs,
        &mut funcs,
    );

    let span = |a: u64, b: u64| (a, b.saturating_sub(a));
    let functab_end = functab_off + functab_len + if v12 { 4 } else { 0 };
    let regions = if v12 {
        Regions {
            header: (0, h.header_len),
            funcnametab: None,
            cutab: None,
            filetab,
            pctab: None,
            functab: span(functab_off, functab_end),
            funcdata: span(functab_end, extent),
            gofunc: None,
        }
    } else {
        Regions {
            // The linker aligns funcnametab, so the padding before it goes with the header.
            header: (0, h.funcname_off),
            funcnametab: Some(span(h.funcname_off, h.cu_off)),
            cutab: Some(span(h.cu_off, h.filetab_off)),
            filetab,
            pctab: Some(span(h.pctab_off, h.pcln_off)),
            functab: span(functab_off, functab_end),
            funcdata: span(functab_end, extent),
            gofunc: None,
        }
    };

    Ok(Pclntab {
        funcs,
        files,
        version: h.version,
        ptr_size: h.ptr_size,
        quantum: h.quantum,
        big_endian: h.big_endian,
        text_start: text,
        gofunc: None,
        file_offset: None,
        vaddr: None,
        len: extent,
        location: Location::Scan,
        regions,
    })
}

/// Hashing for table offsets: a multiplicative hash is plenty for distinct integers and
/// several times cheaper than the default SipHash on the per-table lookup, which runs for
/// every function's four-plus tables.
type OffsetHash = std::hash::BuildHasherDefault<OffsetHasher>;

#[derive(Default)]
struct OffsetHasher(u64);

impl std::hash::Hasher for OffsetHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = x.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29);
    }
}

/// Give each function the index of its entry's source file. A reference that does
/// not resolve (hostile or unusual tables) leaves the function without a file.
fn resolve_files(
    r: &Reader<'_>,
    h: &Header,
    v12: bool,
    file_starts: &[u64],
    nfiles: usize,
    refs: &[(usize, u64, u64)],
    funcs: &mut [Func],
) {
    for &(i, cu_offset, no) in refs {
        let index = if v12 {
            // Index 0 of the 1.2 file table is unused; `files` starts at index 1.
            no.checked_sub(1).filter(|&x| x < nfiles as u64)
        } else {
            cu_offset
                .checked_add(no)
                .and_then(|k| k.checked_mul(4))
                .and_then(|k| k.checked_add(h.cu_off))
                .filter(|&at| at.saturating_add(4) <= h.filetab_off)
                .and_then(|at| r.u32(at).ok())
                .filter(|&off| off != u32::MAX)
                .and_then(|off| file_starts.binary_search(&u64::from(off)).ok())
                .map(|x| x as u64)
        };
        if let (Some(x), Some(f)) = (index, funcs.get_mut(i)) {
            f.meta.file = u32::try_from(x).ok();
        }
    }
}

/// The first value of a pc-value table (its value at the function's entry), when it
/// is a valid non-negative index. Values start at -1 and each step adds a zig-zag
/// varint delta.
fn first_pcvalue(data: &[u8], at: u64, len: u64) -> Option<u64> {
    let d = data.get(at as usize..at.checked_add(len)? as usize)?;
    let mut v: u64 = 0;
    for (i, &b) in d.iter().take(5).enumerate() {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            let delta = if v & 1 != 0 {
                -((v >> 1) as i64) - 1
            } else {
                (v >> 1) as i64
            };
            return u64::try_from(delta - 1).ok();
        }
    }
    None
}

/// Length in bytes of the pc-value table at `at`: (value delta, pc delta) varint pairs,
/// ended by a zero value delta after the first pair.
fn pcvalue_len(data: &[u8], at: u64, limit: u64) -> Result<u64, ParseError> {
    let lim = limit.min(data.len() as u64);
    let bad = || {
        ParseError::new(
            FORMAT,
            format!("pc table at offset {at:#x} runs off its table"),
        )
    };
    if at >= lim {
        return Err(bad());
    }
    let d = &data[at as usize..lim as usize];
    let mut p = 0usize;
    let mut first = true;
    loop {
        let b = *d.get(p).ok_or_else(bad)?;
        if b == 0 && !first {
            return Ok(p as u64 + 1);
        }
        p = skip_varint(d, p).ok_or_else(bad)?;
        p = skip_varint(d, p).ok_or_else(bad)?;
        first = false;
    }
}

/// Index after the varint at `p` (at most 5 bytes for a u32).
fn skip_varint(d: &[u8], p: usize) -> Option<usize> {
    for i in 0..5 {
        let b = *d.get(p + i)?;
        if b & 0x80 == 0 {
            return Some(p + i + 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian pclntab of the given generation with two functions, `main.a` at
    /// 0x1000..0x1010 and `main.b` at 0x1010..0x1030, one file, and one shared pc table.
    fn synth(v: Version, ptr: u8) -> Vec<u8> {
        synth_at(v, ptr, 0x1000)
    }

    /// [`synth`] with the functions at `text`, `text + 0x10`.
    fn synth_at(v: Version, ptr: u8, text: u64) -> Vec<u8> {
        let p = ptr as u64;
        let put =
            |b: &mut Vec<u8>, x: u64, n: u64| b.extend_from_slice(&x.to_le_bytes()[..n as usize]);
        let mut b = Vec::new();
        b.extend_from_slice(&v.magic().to_le_bytes());
        b.extend_from_slice(&[0, 0, 1, ptr]);
        let fixed = v.func_fixed_size(p);
        if v == Version::V12 {
            // header | functab | fileoff | rec a | rec b | names | pctab | filetab | file name
            let functab = 8 + p;
            let ftlen = 5 * p;
            let rec_a = functab + ftlen + 4;
            let rec_b = rec_a + fixed;
            let names = rec_b + fixed;
            let name_b = names + 7;
            let pcs = name_b + 7;
            let filetab = pcs + 4;
            let fname = filetab + 8;
            put(&mut b, 2, p);
            for x in [text, rec_a, text + 0x10, rec_b, text + 0x30] {
                put(&mut b, x, p);
            }
            put(&mut b, filetab, 4);
            for (entry, name) in [(text, names), (text + 0x10, name_b)] {
                put(&mut b, entry, p);
                // nameoff, args, deferreturn, pcsp, pcfile, pcln, npcdata
                for x in [name, 0, 0, pcs, 0, pcs, 0] {
                    put(&mut b, x, 4);
                }
                b.extend_from_slice(&[0, 0, 0, 0]);
            }
            b.extend_from_slice(b"main.a\0main.b\0");
            b.extend_from_slice(&[2, 0x10, 0, 0]);
            put(&mut b, 2, 4);
            put(&mut b, fname, 4);
            b.extend_from_slice(b"/src/main.go\0");
            return b;
        }
        let words = if v == Version::V116 { 7 } else { 8 };
        let hdr = 8 + words * p;
        let funcname = hdr;
        let cu = funcname + 14;
        let filetab = cu + 4;
        let pctab = filetab + 13;
        let pcln = pctab + 4;
        put(&mut b, 2, p);
        put(&mut b, 1, p);
        if v >= Version::V118 {
            put(&mut b, text, p);
        }
        for x in [funcname, cu, filetab, pctab, pcln] {
            put(&mut b, x, p);
        }
        b.extend_from_slice(b"main.a\0main.b\0");
        put(&mut b, 0, 4);
        b.extend_from_slice(b"/src/main.go\0");
        b.extend_from_slice(&[0, 2, 0x10, 0]);
        let field = if v >= Version::V118 { 4 } else { p };
        let ftlen = 5 * field;
        let off = |t: u64| if v >= Version::V118 { t - text } else { t };
        for x in [
            off(text),
            ftlen,
            off(text + 0x10),
            ftlen + fixed,
            off(text + 0x30),
        ] {
            put(&mut b, x, field);
        }
        for (entry, name) in [(text, 0u64), (text + 0x10, 7)] {
            put(&mut b, off(entry), if v >= Version::V118 { 4 } else { p });
            let mut f = vec![name, 0, 0, 1, 0, 1, 0, 0];
            if v == Version::V120 {
                f.push(0);
            }
            for x in f {
                put(&mut b, x, 4);
            }
            b.extend_from_slice(&[0, 0, 0, 0]);
        }
        b
    }

    #[test]
    fn decodes_every_generation() {
        for v in [Version::V12, Version::V116, Version::V118, Version::V120] {
            for ptr in [4, 8] {
                let b = synth(v, ptr);
                let t = parse(&b, 0).unwrap_or_else(|e| panic!("{v:?}/{ptr}: {e}"));
                assert_eq!(t.version, v);
                let got: Vec<_> = t
                    .funcs
                    .iter()
                    .map(|f| (f.name.as_str(), f.entry, f.end))
                    .collect();
                assert_eq!(
                    got,
                    [("main.a", 0x1000, 0x1010), ("main.b", 0x1010, 0x1030)],
                    "{v:?}/{ptr}"
                );
                assert_eq!(t.files, ["/src/main.go"], "{v:?}/{ptr}");
                // Both functions share the one pc table, which is 3 bytes long.
                let a = &t.funcs[0].meta;
                assert_eq!(a.pcsp.map(|s| s.1), Some(3), "{v:?}/{ptr}");
                assert_eq!(a.pcsp, t.funcs[1].meta.pcsp);
                assert_eq!(a.pcfile, None);
                assert_eq!(&b[a.name.0 as usize..][..a.name.1 as usize], b"main.a\0");
                assert_eq!(t.len, b.len() as u64, "{v:?}/{ptr}: extent");
            }
        }
    }

    #[test]
    fn truncation_anywhere_is_an_error_not_a_panic() {
        for v in [Version::V12, Version::V116, Version::V118, Version::V120] {
            let b = synth(v, 8);
            for cut in 0..b.len() {
                assert!(
                    parse(&b[..cut], 0).is_err(),
                    "{v:?}: truncated to {cut} bytes still parsed"
                );
            }
        }
    }

    #[test]
    fn corrupting_any_byte_never_panics() {
        for v in [Version::V12, Version::V116, Version::V118, Version::V120] {
            let b = synth(v, 8);
            for i in 0..b.len() {
                for x in [0x00, 0x7f, 0x80, 0xff] {
                    let mut c = b.clone();
                    c[i] = x;
                    let _ = parse(&c, 0);
                }
            }
        }
    }

    #[test]
    fn bogus_function_count_is_rejected_before_allocating() {
        for v in [Version::V12, Version::V120] {
            let mut b = synth(v, 8);
            b[8..16].copy_from_slice(&(u64::MAX / 2).to_le_bytes());
            let e = parse(&b, 0).unwrap_err();
            assert!(e.what.contains("function count"), "{e}");
            b[8..16].copy_from_slice(&0u64.to_le_bytes());
            assert!(parse(&b, 0).is_err());
        }
    }

    #[test]
    fn bogus_file_count_is_rejected() {
        let mut b = synth(Version::V120, 8);
        b[16..24].copy_from_slice(&1_000_000u64.to_le_bytes());
        assert!(parse(&b, 0).unwrap_err().what.contains("files"));
    }

    #[test]
    fn header_checks() {
        let good = synth(Version::V120, 8);
        for (i, x) in [(4, 1u8), (5, 1), (6, 3), (7, 2), (0, 0)] {
            let mut b = good.clone();
            b[i] = x;
            assert!(parse(&b, 0).is_err(), "byte {i} = {x} accepted");
        }
    }

    #[test]
    fn big_endian_magic_is_recognised() {
        let mut b = vec![0xff, 0xff, 0xff, 0xfb, 0, 0, 1, 8];
        b.resize(64, 0);
        let h = Header::parse(&b);
        // The header decodes as big-endian 1.2 and then fails only on the zero count.
        assert!(h.unwrap_err().what.contains("function count"));
    }

    #[test]
    fn unsorted_function_table_is_rejected() {
        let mut b = synth(Version::V120, 8);
        // Swap the first two entry offsets (0 and 0x10) in the functab.
        let pcln = u64::from_le_bytes(b[64..72].try_into().unwrap()) as usize;
        b[pcln..pcln + 4].copy_from_slice(&0x20u32.to_le_bytes());
        assert!(parse(&b, 0).unwrap_err().what.contains("address order"));
    }

    #[test]
    fn text_start_fallback_only_when_header_is_zero() {
        let mut b = synth(Version::V118, 8);
        assert_eq!(parse(&b, 0x5000).unwrap().funcs[0].entry, 0x1000);
        b[24..32].fill(0);
        assert_eq!(parse(&b, 0x5000).unwrap().funcs[0].entry, 0x5000);
    }

    #[test]
    fn pcvalue_table_lengths() {
        // First pair may have a zero value delta; a later zero ends the table.
        assert_eq!(pcvalue_len(&[0, 4, 0], 0, 3).unwrap(), 3);
        assert_eq!(
            pcvalue_len(&[0x80, 0x01, 0x84, 0x01, 2, 1, 0], 0, 7).unwrap(),
            7
        );
        assert!(pcvalue_len(&[2, 4], 0, 2).is_err());
        assert!(pcvalue_len(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 0, 6).is_err());
        assert!(pcvalue_len(&[2, 4, 0], 3, 3).is_err());
    }

    /// This test executable (a Rust ELF with no pclntab), read once: cargo may rewrite
    /// the file while tests run, and every test here must see the same bytes.
    fn exe() -> &'static [u8] {
        static EXE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        EXE.get_or_init(|| std::fs::read(std::env::current_exe().unwrap()).unwrap())
    }

    /// A copy of [`exe`] with `blob` planted in its read-only data, and the file offset
    /// it went to.
    fn plant(blob: &[u8]) -> (Vec<u8>, u64) {
        let data = exe();
        let bin = Binary::parse(data).unwrap();
        let ro = bin
            .section(".rodata")
            .expect(".rodata in the test executable");
        let (off, len) = ro.file_range.unwrap();
        assert!(len as usize > blob.len() + 64);
        // 8-aligned, as the linker places a pclntab.
        let at = (off + 63) & !7;
        let mut copy = data.to_vec();
        copy[at as usize..at as usize + blob.len()].copy_from_slice(blob);
        (copy, at)
    }

    fn text_addr() -> u64 {
        let bin = Binary::parse(exe()).unwrap();
        bin.section(".text").unwrap().addr
    }

    #[test]
    fn scan_finds_nothing_in_a_binary_without_pclntab() {
        let bin = Binary::parse(exe()).unwrap();
        assert!(find_by_scan(&bin).is_none());
        assert!(find(&bin).unwrap().is_none());
    }

    #[test]
    fn scan_finds_a_planted_pclntab_and_its_extent() {
        for v in [Version::V12, Version::V116, Version::V118, Version::V120] {
            let blob = synth_at(v, 8, text_addr());
            let (data, at) = plant(&blob);
            let bin = Binary::parse(&data).unwrap();
            let t =
                find_by_scan(&bin).unwrap_or_else(|| panic!("{v:?}: planted pclntab not found"));
            assert_eq!(t.version, v);
            assert_eq!(t.file_offset, Some(at));
            assert_eq!(t.len, blob.len() as u64, "{v:?}");
            assert_eq!(t.location, Location::Scan);
            assert_eq!(t.funcs.len(), 2);
            assert_eq!(t.funcs[0].entry, text_addr());
        }
    }

    #[test]
    fn scan_rejects_false_positives() {
        let text = text_addr();
        let good = synth_at(Version::V120, 8, text);
        let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
        // A bare magic followed by plausible header bytes and zeros.
        let mut bare = good[..8].to_vec();
        bare.resize(256, 0);
        cases.push(("bare header", bare));
        // Functions that are not in executable code.
        cases.push(("entries outside text", synth_at(Version::V120, 8, 0x10)));
        // Pointer size that is not the binary's.
        cases.push((
            "4-byte pointers in a 64-bit binary",
            synth_at(Version::V120, 4, text),
        ));
        let mut b = good.clone();
        b[16..24].copy_from_slice(&100_000u64.to_le_bytes());
        cases.push(("too many files", b));
        let mut b = good.clone();
        b[8..16].copy_from_slice(&5_000_000u64.to_le_bytes());
        cases.push(("too many functions", b));
        let mut b = good.clone();
        b[32..40].copy_from_slice(&0x10u64.to_le_bytes());
        cases.push(("name table inside the header", b));
        let mut b = good.clone();
        b[5] = 1;
        cases.push(("non-zero padding", b));
        let mut b = good.clone();
        // The first record's pcsp offset, pointing past the pc-value tables.
        let pcln = u64::from_le_bytes(b[64..72].try_into().unwrap()) as usize;
        b[pcln + 20 + 16..pcln + 20 + 20].copy_from_slice(&0x1000u32.to_le_bytes());
        cases.push(("pc table beyond its region", b));
        for (what, blob) in cases {
            let (data, _) = plant(&blob);
            let bin = Binary::parse(&data).unwrap();
            assert!(find_by_scan(&bin).is_none(), "{what}: accepted");
        }
    }
}
