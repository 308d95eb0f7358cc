//! Type descriptors, their names and itabs, found through Go's own metadata.
//!
//! The Go linker hides every `type:*` symbol from the symbol table (unless the program can
//! load plugins), and `-s` or `strip` removes the rest, so the type data that fills much
//! of `.rodata` has no symbol to name it. The runtime still needs it, and finds it the
//! same way this module does: `runtime.firstmoduledata` holds the `[types, etypes)` region,
//! the typelinks (int32 offsets from `types` of the descriptors `reflect` may look up) and
//! the itablinks (pointers to itabs). From those roots, and from data words that point
//! into the region (interface values in variables), the descriptors are walked as a
//! graph (element, key, field, parameter, method and pointer-to-this types), and each
//! descriptor's extent is computed exactly from its layout, as the compiler writes it
//! (`cmd/compile/internal/reflectdata.writeType`):
//!
//! ```text
//! abi.Type | kind-specific fields | UncommonType? | fields/params/imethods | methods
//! ```
//!
//! Name data (`abi.Name`: flag byte, varint-length name, optional tag and package-path
//! offset) that a descriptor references is charged to the first descriptor, in address
//! order, that references it; import paths are charged to the package they name.
//!
//! Supported: the moduledata layouts of Go 1.18 to today (pclntab generations `V118` and
//! `V120`, with and without the `epclntab` word of newer releases). Anything that does not
//! validate (layout, slice headers that must point back into the descriptor, the uncommon
//! method offset the compiler derives from the layout) yields no claim rather than a
//! guess. Everything read is bounds-checked.

use std::collections::{HashMap, HashSet};

use crate::binary::{Binary, Format, read_uint};
use crate::go::Pclntab;
use crate::go::pclntab::Version;

/// What goaudit reads from `runtime.firstmoduledata`. Ranges are virtual `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moduledata {
    /// Address of the moduledata itself.
    pub addr: u64,
    /// Machine code.
    pub text: (u64, u64),
    /// Pointer-free initialised data.
    pub noptrdata: (u64, u64),
    /// Initialised data.
    pub data: (u64, u64),
    /// Zeroed data.
    pub bss: (u64, u64),
    /// Pointer-free zeroed data.
    pub noptrbss: (u64, u64),
    /// Type descriptors and the name data they reference.
    pub types: (u64, u64),
    /// Start of read-only data.
    pub rodata: u64,
    /// `go:func.*`, the base of funcdata offsets.
    pub gofunc: u64,
    /// The typelinks array: address and number of int32 entries.
    pub typelinks: (u64, u64),
    /// The itablinks array: address and number of pointers.
    pub itablinks: (u64, u64),
    /// Go 1.27+: the descriptors `reflect` may look up, laid out back to back as
    /// `[start, end)` (what the typelinks listed before), and the itabs, back to back.
    /// Empty before.
    pub typedesc: (u64, u64),
    /// Go 1.27+: the itabs, back to back, `[start, end)`.
    pub itabs: (u64, u64),
    /// The Go 1.27+ moduledata (and with it the map descriptor of that release, five
    /// words longer).
    pub go127: bool,
}

/// One owner of type data: a descriptor with its names, an itab, or an import path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// `type:<string form>` (e.g. `type:*http.Client`), `go:itab.<type>,<interface>` or
    /// `type:.importpath.<path>.`.
    pub item: String,
    /// The package it is charged to.
    pub package: String,
    /// Virtual address ranges `[start, end)` it owns.
    pub ranges: Vec<(u64, u64)>,
}

/// Claims for type descriptors, their names and itabs; empty when the moduledata cannot
/// be found or validated.
pub fn claims(bin: &Binary<'_>, pclntab: &Pclntab) -> Vec<Claimed> {
    let Some(md) = find_moduledata(bin, pclntab) else {
        return Vec::new();
    };
    claims_from(bin, &md)
}

/// Type-descriptor claims given a moduledata already found.
pub fn claims_from(bin: &Binary<'_>, md: &Moduledata) -> Vec<Claimed> {
    let Some(mut w) = Walker::new(bin, md) else {
        return Vec::new();
    };
    let (mut roots, mut itabs) = roots(bin, md);
    // Go 1.27+: no typelinks or itablinks; the runtime steps through the descriptors
    // and itabs themselves, each sized from its own layout.
    let base = md.types.0;
    if md.typedesc.1 > md.typedesc.0 {
        let (mut t, end) = (md.typedesc.0 - base, md.typedesc.1 - base);
        while t < end {
            t = t.next_multiple_of(w.p);
            let Some(d) = w.desc(t) else { break };
            roots.push(t);
            t += d.size.max(w.p);
        }
    }
    if md.itabs.1 > md.itabs.0 {
        let (mut at, end) = md.itabs;
        let p = w.p;
        while at < end {
            at = at.next_multiple_of(p);
            let (Some(i), Some(t)) = (
                bin.read_ptr_vaddr(at).and_then(|a| a.checked_sub(base)),
                bin.read_ptr_vaddr(at.wrapping_add(p))
                    .and_then(|a| a.checked_sub(base)),
            ) else {
                break;
            };
            let Some(inter) = w.desc(i).filter(|d| d.kind == INTERFACE) else {
                break;
            };
            roots.push(i);
            roots.push(t);
            itabs.push((at, i, t));
            at += itab_size(p, inter.imethods);
        }
    }
    w.itabs = itabs;
    w.walk(roots);
    let mut out = w.into_claims();
    // An itab's method table must be in the file too.
    out.retain(|c| {
        c.ranges
            .iter()
            .all(|&(s, e)| bin.read_vaddr(s, e.saturating_sub(s)).is_some())
    });
    out
}

/// The walk's roots: the typelinks' descriptors and both types of every itab, as offsets
/// from `types`; and the itabs as (address, interface, concrete type).
#[allow(clippy::type_complexity)]
fn roots(bin: &Binary<'_>, md: &Moduledata) -> (Vec<u64>, Vec<(u64, u64, u64)>) {
    let (be, base) = (bin.big_endian, md.types.0);
    let mut work: Vec<u64> = Vec::new();
    let mut itabs = Vec::new();
    if let Some(links) = bin.read_vaddr(md.typelinks.0, md.typelinks.1.saturating_mul(4)) {
        for b in links.chunks_exact(4) {
            work.push(read_uint(b, 4, be));
        }
    }
    // Itabs: interface and concrete type pointers, then a method table. The fixed part is
    // only the same across releases on 64-bit targets.
    if bin.ptr_size == 8
        && let Some(links) = bin.read_vaddr(md.itablinks.0, md.itablinks.1.saturating_mul(8))
    {
        for b in links.chunks_exact(8) {
            let itab = read_uint(b, 8, be);
            let inter = bin.read_ptr_vaddr(itab);
            let typ = bin.read_ptr_vaddr(itab.wrapping_add(8));
            let (Some(i), Some(t)) = (
                inter.and_then(|a| a.checked_sub(base)),
                typ.and_then(|a| a.checked_sub(base)),
            ) else {
                continue;
            };
            work.push(i);
            work.push(t);
            itabs.push((itab, i, t));
        }
    }
    // Descriptors no typelink or itab reaches are still referenced from data: interface
    // values in package variables, composite literals. Any aligned word of non-code data
    // pointing into the types region is tried; only what validates is kept.
    let (start, end) = md.types;
    let p = bin.ptr_size as usize;
    for s in bin
        .sections
        .iter()
        .filter(|s| s.alloc && !s.executable && s.addr != 0)
        .filter(|s| {
            !["pclntab", "typelink", "itablink", "buildinfo", "note"]
                .iter()
                .any(|n| s.name.contains(n))
        })
    {
        let Some(data) = bin.section_data(s) else {
            continue;
        };
        let skew = (p - (s.addr as usize % p)) % p;
        for w in data.get(skew..).unwrap_or(&[]).chunks_exact(p) {
            let a = read_uint(w, p, be);
            if a > start && a < end {
                work.push(a - start);
            }
        }
    }
    (work, itabs)
}

/// An itab's size: interface and type pointers, hash (padded to a word), one function
/// pointer per interface method (at least one).
fn itab_size(p: u64, methods: u64) -> u64 {
    (2 * p + 4).next_multiple_of(p) + methods.max(1).saturating_mul(p)
}

/// Locate `runtime.firstmoduledata`: writable data whose first word points at the pclntab
/// header and second at its function-name table, else the symbol when there is one.
pub fn find_moduledata(bin: &Binary<'_>, pclntab: &Pclntab) -> Option<Moduledata> {
    if pclntab.version < Version::V118 {
        return None;
    }
    let pcln = pclntab.vaddr?;
    let p = bin.ptr_size as usize;
    if p != 4 && p != 8 {
        return None;
    }
    let enc: Vec<u8> = if bin.big_endian {
        pcln.to_be_bytes()[8 - p..].to_vec()
    } else {
        pcln.to_le_bytes()[..p].to_vec()
    };
    // The scan is cheaper than a symbol lookup on a large symbol table, and works
    // stripped; the symbol covers files whose data does not hold the pointer in place.
    let mut candidates: Vec<u64> = Vec::new();
    for s in bin.sections.iter().filter(|s| s.writable && s.addr != 0) {
        let Some(data) = bin.section_data(s) else {
            continue;
        };
        for at in memchr::memmem::find_iter(data, &enc) {
            if at % p == 0 {
                candidates.push(s.addr + at as u64);
            }
        }
    }
    // Bounded: each candidate costs a few dozen reads.
    candidates.truncate(256);
    if let Some(md) = candidates
        .into_iter()
        .find_map(|a| parse_moduledata(bin, pclntab, a))
    {
        return Some(md);
    }
    let name = if bin.format == Format::Macho {
        "_runtime.firstmoduledata"
    } else {
        "runtime.firstmoduledata"
    };
    let sym = bin
        .symbol("runtime.firstmoduledata")
        .or_else(|| bin.symbol(name))?;
    parse_moduledata(bin, pclntab, sym.addr)
}

/// Parse and validate a moduledata at `addr` for the layouts of Go 1.18+.
fn parse_moduledata(bin: &Binary<'_>, pclntab: &Pclntab, addr: u64) -> Option<Moduledata> {
    let p = bin.ptr_size as u64;
    let pcln = pclntab.vaddr?;
    // A word as the runtime sees it: in place, or from its dynamic relocation when the
    // file leaves it zero.
    let word = |i: u64| -> Option<u64> {
        let at = addr.checked_add(i.checked_mul(p)?)?;
        let v = bin.read_ptr_vaddr(at)?;
        if v != 0 {
            return Some(v);
        }
        Some(bin.relocation_addend(at).unwrap_or(0))
    };
    if word(0)? != pcln {
        return None;
    }
    if let Some((off, _)) = pclntab.regions.funcnametab
        && word(1)? != pcln.checked_add(off)?
    {
        return None;
    }
    // Go 1.20 added covctrs/ecovctrs before `end`.
    let c = if pclntab.version >= Version::V120 {
        2
    } else {
        0
    };
    let (types, etypes) = (word(35 + c)?, word(36 + c)?);
    if c == 2 && etypes < types {
        return parse_moduledata_127(bin, addr, &word, types, etypes);
    }
    if types == 0 || etypes <= types || etypes - types > i32::MAX as u64 {
        return None;
    }
    bin.read_vaddr(types, etypes - types)?;
    // Newer releases record epclntab after gofunc; it points just past the pclntab.
    let e_word = word(39 + c)?;
    let has_epclntab = e_word > pcln && e_word <= pcln.saturating_add(pclntab.len + 4096);
    for e in if has_epclntab { [1, 0] } else { [0, 1] } {
        let base = 39 + c + e + 3; // after textsectmap
        let Some(typelinks) = slice(bin, &word, base, 4) else {
            continue;
        };
        let Some(itablinks) = slice(bin, &word, base + 3, p) else {
            continue;
        };
        let region = etypes - types;
        let links = bin.read_vaddr(typelinks.0, typelinks.1 * 4)?;
        let offsets_fit = links
            .chunks_exact(4)
            .all(|b| read_uint(b, 4, bin.big_endian) < region);
        if !offsets_fit {
            continue;
        }
        let pair = |i: u64| Some((word(i)?, word(i + 1)?));
        return Some(Moduledata {
            addr,
            text: pair(22)?,
            noptrdata: pair(24)?,
            data: pair(26)?,
            bss: pair(28)?,
            noptrbss: pair(30)?,
            types: (types, etypes),
            rodata: word(37 + c)?,
            gofunc: word(38 + c)?,
            typelinks,
            itablinks,
            typedesc: (0, 0),
            itabs: (0, 0),
            go127: false,
        });
    }
    None
}

/// The Go 1.27 layout: `types, typedesclen, etypes, itaboffset, itabsize, rodata, gofunc,
/// epclntab` where older releases have `types, etypes, rodata, gofunc[, epclntab]`, and no
/// typelinks or itablinks slices.
fn parse_moduledata_127(
    bin: &Binary<'_>,
    addr: u64,
    word: &dyn Fn(u64) -> Option<u64>,
    types: u64,
    typedesclen: u64,
) -> Option<Moduledata> {
    let etypes = word(39)?;
    let (itaboff, itabsize) = (word(40)?, word(41)?);
    let region = etypes.checked_sub(types)?;
    if types == 0
        || region == 0
        || region > i32::MAX as u64
        || typedesclen > itaboff
        || itaboff.checked_add(itabsize)? > region
    {
        return None;
    }
    bin.read_vaddr(types, region)?;
    let pair = |i: u64| Some((word(i)?, word(i + 1)?));
    let p = bin.ptr_size as u64;
    Some(Moduledata {
        addr,
        text: pair(22)?,
        noptrdata: pair(24)?,
        data: pair(26)?,
        bss: pair(28)?,
        noptrbss: pair(30)?,
        types: (types, etypes),
        rodata: word(42)?,
        gofunc: word(43)?,
        typelinks: (0, 0),
        itablinks: (0, 0),
        // The first word is runtime.types itself (or the pointer-size increment the
        // linker adds when it is empty).
        typedesc: (types + p.min(typedesclen), types + typedesclen),
        itabs: (types + itaboff, types + itaboff + itabsize),
        go127: true,
    })
}

/// A slice header at word `i`: (address, length), when length equals capacity and the
/// elements are readable. An empty slice is (0, 0).
fn slice(
    bin: &Binary<'_>,
    word: &dyn Fn(u64) -> Option<u64>,
    i: u64,
    elem: u64,
) -> Option<(u64, u64)> {
    let (ptr, len, cap) = (word(i)?, word(i + 1)?, word(i + 2)?);
    if len != cap {
        return None;
    }
    if len == 0 {
        return Some((0, 0));
    }
    bin.read_vaddr(ptr, len.checked_mul(elem)?)?;
    Some((ptr, len))
}

// Kinds (internal/abi.Kind, masked).
const ARRAY: u8 = 17;
const CHAN: u8 = 18;
const FUNC: u8 = 19;
const INTERFACE: u8 = 20;
const MAP: u8 = 21;
const POINTER: u8 = 22;
const SLICE: u8 = 23;
const STRUCT: u8 = 25;
const UNSAFE_POINTER: u8 = 26;

const TFLAG_UNCOMMON: u8 = 1;
const TFLAG_EXTRA_STAR: u8 = 2;
const TFLAG_NAMED: u8 = 4;

/// Size of `abi.UncommonType` and of one `abi.Method` (four int32 each).
const UNCOMMON_SIZE: u64 = 16;
const METHOD_SIZE: u64 = 16;
/// Size of `abi.Imethod` (name and type offsets).
const IMETHOD_SIZE: u64 = 8;

/// A decoded descriptor, offsets relative to `types`.
#[derive(Debug, Clone)]
struct Desc {
    size: u64,
    string: String,
    named: bool,
    kind: u8,
    /// Package path from the uncommon type, if any.
    pkgpath: Option<String>,
    /// Element-like edges used to name unnamed types' packages.
    elem: Option<u64>,
    key: Option<u64>,
    /// Every type this one references.
    edges: Vec<u64>,
    /// Name data offsets it references (first is its own string).
    names: Vec<u64>,
    /// Name offsets holding import paths.
    pkgpath_names: Vec<u64>,
    /// Interface method count.
    imethods: u64,
}

struct Walker<'d> {
    reg: &'d [u8],
    base: u64,
    p: u64,
    be: bool,
    descs: HashMap<u64, Desc>,
    itabs: Vec<(u64, u64, u64)>,
    /// Go 1.27's map descriptor: key/elem offsets and strides for both group layouts.
    go127: bool,
}

impl<'d> Walker<'d> {
    fn new(bin: &Binary<'d>, md: &Moduledata) -> Option<Self> {
        let (types, etypes) = md.types;
        let reg = bin.read_vaddr(types, etypes.checked_sub(types)?)?;
        let mut w = Walker::over(reg, types, bin.ptr_size as u64, bin.big_endian);
        w.go127 = md.go127;
        Some(w)
    }

    /// A walker over the types region `reg`, mapped at `base`.
    fn over(reg: &'d [u8], base: u64, p: u64, be: bool) -> Self {
        Walker {
            reg,
            base,
            p,
            be,
            descs: HashMap::new(),
            itabs: Vec::new(),
            go127: false,
        }
    }

    fn uint(&self, off: u64, size: u64) -> Option<u64> {
        let s = usize::try_from(off).ok()?;
        let b = self.reg.get(s..s.checked_add(size as usize)?)?;
        Some(read_uint(b, size as usize, self.be))
    }

    fn word(&self, off: u64) -> Option<u64> {
        self.uint(off, self.p)
    }

    /// A pointer field as a region offset, when it points into the region.
    fn ptr(&self, off: u64) -> Option<u64> {
        let a = self.word(off)?;
        let o = a.checked_sub(self.base)?;
        (o < self.reg.len() as u64).then_some(o)
    }

    /// An int32 offset field (nameOff, typeOff) as a region offset; zero and negative
    /// offsets mean none.
    fn off32(&self, off: u64) -> Option<u64> {
        let v = self.uint(off, 4)? as u32 as i32;
        (v > 0 && (v as u64) < self.reg.len() as u64).then_some(v as u64)
    }

    /// The extent `[start, end)` and text of an `abi.Name` at `off`, plus the import-path
    /// name offset it carries (methods of another package's type).
    fn name(&self, off: u64) -> Option<(u64, String, Option<u64>)> {
        let (end, bytes, pkg) = self.name_bytes(off)?;
        Some((end, String::from_utf8_lossy(bytes).into_owned(), pkg))
    }

    /// [`Self::name`] without copying the text.
    fn name_bytes(&self, off: u64) -> Option<(u64, &'d [u8], Option<u64>)> {
        let flags = self.uint(off, 1)? as u8;
        let mut at = off + 1;
        let len = self.uvarint(&mut at)?;
        let s = usize::try_from(at).ok()?;
        let bytes = self
            .reg
            .get(s..s.checked_add(usize::try_from(len).ok()?)?)?;
        at += len;
        if flags & 2 != 0 {
            let tag = self.uvarint(&mut at)?;
            at = at.checked_add(tag)?;
        }
        let mut pkg = None;
        if flags & 4 != 0 {
            pkg = self.off32(at);
            at += 4;
        }
        if at > self.reg.len() as u64 {
            return None;
        }
        Some((at, bytes, pkg))
    }

    fn uvarint(&self, at: &mut u64) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..35).step_by(7) {
            let b = self.uint(*at, 1)?;
            *at += 1;
            v |= (b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    /// Decode the descriptor at region offset `t`, or `None` when it does not validate.
    fn desc(&self, t: u64) -> Option<Desc> {
        let p = self.p;
        if !t.is_multiple_of(p) {
            return None;
        }
        let h = 4 * p + 16;
        // Header sanity: pointer bytes within the size, power-of-two alignments.
        let (size, ptrbytes) = (self.word(t)?, self.word(t + p)?);
        let (align_, field_align) = (self.uint(t + 2 * p + 5, 1)?, self.uint(t + 2 * p + 6, 1)?);
        if ptrbytes > size || !align_.is_power_of_two() || !field_align.is_power_of_two() {
            return None;
        }
        let tflag = self.uint(t + 2 * p + 4, 1)? as u8;
        let kind = (self.uint(t + 2 * p + 7, 1)? as u8) & 0x1f;
        if kind == 0 || kind > UNSAFE_POINTER {
            return None;
        }
        let str_off = self.off32(t + 4 * p + 8)?;
        let (_, mut string, _) = self.name(str_off)?;
        // A type's string form is printable text.
        if string.is_empty() || string.chars().any(|c| c.is_control() || c == '\u{fffd}') {
            return None;
        }
        if tflag & TFLAG_EXTRA_STAR != 0 {
            if !string.starts_with('*') {
                return None;
            }
            string.remove(0);
        }
        let mut d = Desc {
            size: 0,
            string,
            named: tflag & TFLAG_NAMED != 0,
            kind,
            pkgpath: None,
            elem: None,
            key: None,
            edges: Vec::new(),
            names: vec![str_off],
            pkgpath_names: Vec::new(),
            imethods: 0,
        };
        if let Some(ptt) = self.off32(t + 4 * p + 12) {
            d.edges.push(ptt);
        }
        let align = |x: u64| x.div_ceil(p) * p;
        // (kind-specific size, bytes of variable data after the uncommon type, where
        // a slice header says that data lives)
        let (b, data_add, data_ptr) = match kind {
            ARRAY => {
                d.elem = self.ptr(t + h);
                d.edges.extend(self.ptr(t + h + p));
                (h + 3 * p, 0, None)
            }
            CHAN => {
                d.elem = self.ptr(t + h);
                (h + 2 * p, 0, None)
            }
            FUNC => {
                let inc = self.uint(t + h, 2)?;
                let outc = self.uint(t + h + 2, 2)? & 0x7fff;
                ((align(h + 4)), (inc + outc) * p, None)
            }
            INTERFACE => {
                d.pkgpath_names.extend(self.ptr(t + h).filter(|&n| n > 0));
                let (ptr, len) = (self.word(t + h + p)?, self.word(t + h + 2 * p)?);
                if self.word(t + h + 3 * p)? != len {
                    return None;
                }
                d.imethods = len;
                (h + 4 * p, len.checked_mul(IMETHOD_SIZE)?, Some((ptr, len)))
            }
            MAP => {
                d.key = self.ptr(t + h);
                d.elem = self.ptr(t + h + p);
                let group = self.ptr(t + h + 2 * p);
                d.edges.extend(group);
                // Swiss maps (Go 1.24+) record GroupSize, which equals the group type's
                // size; the older layout packs four small fields into that word instead.
                let group_size = group.and_then(|g| self.word(g));
                let swiss =
                    group_size.is_some_and(|gs| gs != 0 && self.word(t + h + 4 * p) == Some(gs));
                (
                    if swiss && self.go127 {
                        // Key, elem, group, hasher, group size, four offsets and
                        // strides, elem offset, flags.
                        align(h + 10 * p + 4)
                    } else if swiss {
                        align(h + 7 * p + 4)
                    } else {
                        h + 4 * p + 8
                    },
                    0,
                    None,
                )
            }
            POINTER | SLICE => {
                d.elem = self.ptr(t + h);
                (h + p, 0, None)
            }
            STRUCT => {
                d.pkgpath_names.extend(self.ptr(t + h).filter(|&n| n > 0));
                let (ptr, len) = (self.word(t + h + p)?, self.word(t + h + 2 * p)?);
                if self.word(t + h + 3 * p)? != len {
                    return None;
                }
                (h + 4 * p, len.checked_mul(3 * p)?, Some((ptr, len)))
            }
            _ => (h, 0, None),
        };
        d.edges.extend(d.elem);
        d.edges.extend(d.key);
        let uncommon = tflag & TFLAG_UNCOMMON != 0;
        let c = b + if uncommon { UNCOMMON_SIZE } else { 0 };
        let dend = c.checked_add(data_add)?;
        if t.checked_add(dend)? > self.reg.len() as u64 {
            return None;
        }
        // A slice in the descriptor must point at its own variable data.
        if let Some((ptr, len)) = data_ptr
            && len > 0
            && ptr != self.base + t + c
        {
            return None;
        }
        let mut end = dend;
        if uncommon {
            let u = t + b;
            let pkg = self.uint(u, 4)? as u32 as i32;
            let mcount = self.uint(u + 4, 2)?;
            let moff = self.uint(u + 8, 4)?;
            // The compiler puts the methods right after the variable data.
            if moff != UNCOMMON_SIZE + data_add {
                return None;
            }
            end = dend.checked_add(mcount * METHOD_SIZE)?;
            if t.checked_add(end)? > self.reg.len() as u64 {
                return None;
            }
            if pkg > 0 {
                let (_, path, _) = self.name(pkg as u64)?;
                d.pkgpath_names.push(pkg as u64);
                d.pkgpath = Some(path);
            } else {
                d.pkgpath = Some(String::new());
            }
            for i in 0..mcount {
                let m = t + dend + i * METHOD_SIZE;
                d.names.extend(self.off32(m));
                d.edges.extend(self.off32(m + 4));
            }
        }
        // Variable data: parameter types, struct fields, interface methods.
        let data = t + c;
        match kind {
            FUNC => {
                for i in 0..data_add / p {
                    d.edges.extend(self.ptr(data + i * p));
                }
            }
            STRUCT => {
                for i in 0..data_add / (3 * p) {
                    let f = data + i * 3 * p;
                    if let Some(n) = self.ptr(f) {
                        d.names.push(n);
                    }
                    d.edges.extend(self.ptr(f + p));
                }
            }
            INTERFACE => {
                for i in 0..d.imethods {
                    let m = data + i * IMETHOD_SIZE;
                    d.names.extend(self.off32(m));
                    d.edges.extend(self.off32(m + 4));
                }
            }
            _ => {}
        }
        d.size = end;
        Some(d)
    }

    fn walk(&mut self, mut work: Vec<u64>) {
        let mut seen: HashSet<u64> = HashSet::new();
        while let Some(t) = work.pop() {
            if t >= self.reg.len() as u64 || !seen.insert(t) {
                continue;
            }
            if let Some(d) = self.desc(t) {
                work.extend(d.edges.iter().copied());
                self.descs.insert(t, d);
            }
        }
    }

    /// The package a descriptor is charged to: a named type's own package, else that of
    /// the named type it is built from (`*T`, `[]T`, `map[K]V` by K, then V), as
    /// [`crate::go::symname::package_of`] does for `type:` symbols.
    fn package(&self, t: u64, memo: &mut HashMap<u64, String>, depth: u32) -> String {
        if let Some(p) = memo.get(&t) {
            return p.clone();
        }
        const TYPES: &str = "go:types";
        let Some(d) = self.descs.get(&t) else {
            return TYPES.into();
        };
        let pkg = if d.named {
            match d.pkgpath.as_deref() {
                Some("") | Some("go.shape") | None => TYPES.to_string(),
                Some(p) => p.to_string(),
            }
        } else if depth > 64 {
            TYPES.into()
        } else {
            match d.kind {
                ARRAY | CHAN | POINTER | SLICE => d
                    .elem
                    .map_or(TYPES.into(), |e| self.package(e, memo, depth + 1)),
                MAP => {
                    let k = d
                        .key
                        .map_or(TYPES.into(), |k| self.package(k, memo, depth + 1));
                    if k.starts_with("go:") {
                        d.elem
                            .map_or(TYPES.into(), |e| self.package(e, memo, depth + 1))
                    } else {
                        k
                    }
                }
                _ => TYPES.into(),
            }
        };
        memo.insert(t, pkg.clone());
        pkg
    }

    fn into_claims(self) -> Vec<Claimed> {
        let mut order: Vec<u64> = self.descs.keys().copied().collect();
        order.sort_unstable();
        let mut memo = HashMap::new();
        let mut out: Vec<Claimed> = Vec::with_capacity(order.len() + self.itabs.len());
        let mut named: HashSet<u64> = HashSet::new();
        // Import paths go to the package they name, whoever references them.
        let mut paths: Vec<u64> = self
            .descs
            .values()
            .flat_map(|d| d.pkgpath_names.iter().copied())
            .collect();
        paths.sort_unstable();
        paths.dedup();
        for n in paths {
            let Some((end, path, _)) = self.name(n) else {
                continue;
            };
            named.insert(n);
            out.push(Claimed {
                item: format!("type:.importpath.{path}."),
                package: if path.is_empty() {
                    "go:types".into()
                } else {
                    path
                },
                ranges: vec![(self.base + n, self.base + end)],
            });
        }
        for &t in &order {
            let d = &self.descs[&t];
            let pkg = self.package(t, &mut memo, 0);
            let mut ranges = vec![(self.base + t, self.base + t + d.size)];
            for &n in &d.names {
                if !named.insert(n) {
                    continue;
                }
                if let Some((end, _, _)) = self.name_bytes(n) {
                    ranges.push((self.base + n, self.base + end));
                }
            }
            out.push(Claimed {
                item: format!("type:{}", d.string),
                package: pkg,
                ranges,
            });
        }
        for &(itab, i, t) in &self.itabs {
            let (Some(inter), Some(typ)) = (self.descs.get(&i), self.descs.get(&t)) else {
                continue;
            };
            if inter.kind != INTERFACE {
                continue;
            }
            let size = itab_size(self.p, inter.imethods);
            out.push(Claimed {
                item: format!("go:itab.{},{}", typ.string, inter.string),
                package: self.package(t, &mut memo, 0),
                ranges: vec![(itab, itab + size)],
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: u64 = 0x10000;

    /// A little-endian 64-bit types region under construction.
    struct Region(Vec<u8>);

    impl Region {
        fn at(&mut self, off: usize) -> &mut Self {
            if self.0.len() < off {
                self.0.resize(off, 0);
            }
            assert_eq!(self.0.len(), off, "layout bug in the test");
            self
        }
        fn bytes(&mut self, b: &[u8]) -> &mut Self {
            self.0.extend_from_slice(b);
            self
        }
        fn u16(&mut self, v: u16) -> &mut Self {
            self.bytes(&v.to_le_bytes())
        }
        fn u32(&mut self, v: u32) -> &mut Self {
            self.bytes(&v.to_le_bytes())
        }
        fn u64(&mut self, v: u64) -> &mut Self {
            self.bytes(&v.to_le_bytes())
        }
        fn name(&mut self, off: usize, s: &str) -> &mut Self {
            self.at(off).bytes(&[1, s.len() as u8]).bytes(s.as_bytes())
        }
        /// abi.Type: size, ptrbytes, hash, tflag, align, fieldalign, kind, equal, gcdata,
        /// str, ptrToThis.
        fn header(&mut self, off: usize, tflag: u8, kind: u8, str_off: u32, ptt: u32) -> &mut Self {
            self.at(off)
                .u64(8)
                .u64(0)
                .u32(0)
                .bytes(&[tflag, 8, 8, kind])
                .u64(0)
                .u64(0)
                .u32(str_off)
                .u32(ptt)
        }
    }

    /// `type main.T struct{ X int }` with one method, `*main.T`, `int`, and their names.
    fn sample() -> Region {
        let mut r = Region(Vec::new());
        r.name(8, "*main.T")
            .name(17, "main")
            .name(23, "X")
            .name(26, "M");
        // main.T at 32: struct, named, uncommon, string shared with *main.T.
        r.header(
            32,
            TFLAG_UNCOMMON | TFLAG_EXTRA_STAR | TFLAG_NAMED,
            STRUCT,
            8,
            232,
        )
        .u64(BASE + 17)
        .u64(BASE + 32 + 96)
        .u64(1)
        .u64(1);
        // Uncommon: pkgpath, mcount, xcount, moff (past the one field), unused.
        r.u32(17).u16(1).u16(1).u32(16 + 24).u32(0);
        r.u64(BASE + 23).u64(BASE + 168).u64(0);
        r.u32(26).u32(u32::MAX).u32(0).u32(0);
        // int at 168: named builtin with an empty package path.
        r.header(168, TFLAG_UNCOMMON | TFLAG_NAMED, 2, 288, 0)
            .u32(0)
            .u16(0)
            .u16(0)
            .u32(16)
            .u32(0);
        // *main.T at 232.
        r.header(232, 0, POINTER, 8, 0).u64(BASE + 32);
        r.name(288, "int");
        r
    }

    fn claims_for(reg: &[u8], roots: Vec<u64>) -> Vec<Claimed> {
        let mut w = Walker::over(reg, BASE, 8, false);
        w.walk(roots);
        w.into_claims()
    }

    #[test]
    fn descriptors_names_and_packages() {
        let r = sample();
        let mut got = claims_for(&r.0, vec![232]);
        got.sort_by_key(|c| c.ranges[0]);
        let want = vec![
            Claimed {
                item: "type:.importpath.main.".into(),
                package: "main".into(),
                ranges: vec![(BASE + 17, BASE + 23)],
            },
            Claimed {
                item: "type:main.T".into(),
                package: "main".into(),
                // Descriptor (header, StructType, uncommon, field, method), then its
                // string, method name and field name.
                ranges: vec![
                    (BASE + 32, BASE + 168),
                    (BASE + 8, BASE + 17),
                    (BASE + 26, BASE + 29),
                    (BASE + 23, BASE + 26),
                ],
            },
            Claimed {
                item: "type:int".into(),
                package: "go:types".into(),
                ranges: vec![(BASE + 168, BASE + 232), (BASE + 288, BASE + 293)],
            },
            Claimed {
                // Its string was charged to main.T, which comes first.
                item: "type:*main.T".into(),
                package: "main".into(),
                ranges: vec![(BASE + 232, BASE + 288)],
            },
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn inconsistent_descriptors_are_not_claimed() {
        // The uncommon method offset must be what the layout implies.
        let mut r = sample();
        r.0[32 + 80 + 8] = 48;
        let got = claims_for(&r.0, vec![32]);
        assert!(got.iter().all(|c| c.item != "type:main.T"), "{got:?}");

        // The fields slice must point at the descriptor's own field array.
        let mut r = sample();
        r.0[32 + 56] ^= 8;
        let got = claims_for(&r.0, vec![32]);
        assert!(got.iter().all(|c| c.item != "type:main.T"), "{got:?}");

        // A field count that cannot fit: no claim, no allocation from it.
        let mut r = sample();
        r.0[32 + 64..32 + 80].copy_from_slice(&[0xff; 16]);
        assert!(
            claims_for(&r.0, vec![32])
                .iter()
                .all(|c| c.item != "type:main.T")
        );

        // Truncated in the middle of the method table.
        let r = sample();
        assert!(claims_for(&r.0[..160], vec![32]).is_empty());
    }

    #[test]
    fn cycles_terminate() {
        // An unnamed pointer type whose element is itself.
        let mut r = sample();
        r.0[232 + 48..232 + 56].copy_from_slice(&(BASE + 232).to_le_bytes());
        let got = claims_for(&r.0, vec![232]);
        let p = got
            .iter()
            .find(|c| c.item == "type:*main.T")
            .expect("claimed");
        assert_eq!(p.package, "go:types");
    }

    #[test]
    fn garbage_never_panics() {
        // Every offset of pseudo-random bytes (and of the sample with bytes flipped) as a
        // root: whatever validates is claimed, nothing panics or runs away.
        let mut x: u64 = 0x9e3779b97f4a7c15;
        let mut data = vec![0u8; 8192];
        for b in &mut data {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        claims_for(&data, (0..data.len() as u64).collect());
        for i in 0..sample().0.len() {
            let mut r = sample();
            r.0[i] ^= 0xa5;
            let got = claims_for(&r.0, (0..r.0.len() as u64).collect());
            for c in got {
                for (s, e) in c.ranges {
                    assert!(s >= BASE && e <= BASE + r.0.len() as u64 && s < e);
                }
            }
        }
    }
}
