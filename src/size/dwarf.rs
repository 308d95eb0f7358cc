//! DWARF ownership: `.debug_info` and `.debug_line` per compilation unit (Go emits one CU
//! per package, so a CU's name is its package path), `.debug_frame` per FDE (by the
//! function at its start address).
//!
//! Go compresses DWARF (zlib, `SHF_COMPRESSED`; `.zdebug_*` before Go 1.12 and on Mach-O).
//! A unit's on-disk bytes cannot be told apart inside a zlib stream, so a unit is charged
//! its share of the compressed bytes in proportion to its uncompressed extent. The shares
//! still partition the section exactly; only the split between units is an estimate.

use std::borrow::Cow;

use object::{Object, ObjectSection};

use crate::binary::{Binary, Section, read_uint};

/// Called for each claim: `(file offset, len, package, item label)`.
pub type Sink<'a> = dyn FnMut(u64, u64, &str, &str) + 'a;

/// A DWARF section's uncompressed bytes and how they map back onto the file.
struct Loaded<'a> {
    data: Cow<'a, [u8]>,
    /// Uncompressed length (known from the header even when `data` was not inflated).
    ulen: u64,
    /// File offset where the (compressed) payload starts, after any compression header.
    payload_off: u64,
    /// On-disk payload length.
    payload_len: u64,
}

impl Loaded<'_> {
    /// The file range of uncompressed bytes `[u0, u1)`.
    fn file_range(&self, u0: u64, u1: u64) -> (u64, u64) {
        let ulen = self.ulen;
        if ulen == 0 || self.payload_len == ulen {
            return (self.payload_off + u0, u1.saturating_sub(u0));
        }
        // u128: payload_len * offset can exceed u64 for very large sections.
        let scale = |u: u64| (u as u128 * self.payload_len as u128 / ulen as u128) as u64;
        let (a, b) = (scale(u0), scale(u1.min(ulen)));
        (self.payload_off + a, b.saturating_sub(a))
    }
}

/// Find a DWARF section by its base name (`info`, `line`, ...) in any naming scheme.
fn find<'b>(bin: &'b Binary<'_>, base: &str) -> Option<&'b Section> {
    bin.sections.iter().find(|s| {
        let n = s.name.trim_start_matches('.').trim_start_matches("__");
        let n = n
            .strip_prefix("zdebug_")
            .or_else(|| n.strip_prefix("debug_"));
        n == Some(base)
    })
}

/// Cap on the uncompressed size of one DWARF section we are willing to inflate: a hostile
/// compression header must not make us allocate gigabytes.
const MAX_UNCOMPRESSED: u64 = 2 << 30;

fn load<'a>(bin: &Binary<'a>, base: &str) -> Option<Loaded<'a>> {
    locate(bin, base, true)
}

/// Find a section's payload; inflate it only when `inflate` (inflating is most of the cost
/// of attributing DWARF, so sections whose layout is known without it are not).
fn locate<'a>(bin: &Binary<'a>, base: &str, inflate: bool) -> Option<Loaded<'a>> {
    let s = find(bin, base)?;
    let (off, len) = s.file_range?;
    let sec = bin
        .object()
        .section_by_index(object::SectionIndex(s.index))
        .ok()?;
    let compressed = sec.compressed_data().ok()?;
    if compressed.uncompressed_size > MAX_UNCOMPRESSED {
        return None;
    }
    let ulen = compressed.uncompressed_size;
    // The compressed payload follows a header (ELF Chdr, or "ZLIB" + 8-byte size for
    // legacy .zdebug); object tells us where the payload starts.
    let payload = compressed.data;
    let payload_off = (payload.as_ptr() as usize).checked_sub(bin.data.as_ptr() as usize)? as u64;
    let payload_len = payload.len() as u64;
    if payload_off < off || payload_off + payload_len > off + len {
        return None;
    }
    let data = if inflate {
        compressed.decompress().ok()?
    } else {
        Cow::Borrowed(&[][..])
    };
    if inflate && data.len() as u64 != ulen {
        return None;
    }
    Some(Loaded {
        data,
        ulen,
        payload_off,
        payload_len,
    })
}

/// Claim DWARF bytes per unit and per FDE. `funcs` is sorted by entry: `(entry, end, package)`.
/// Returns the owners of C code that the non-Go units name (see [`super::cnames`]).
pub fn claim_units(
    bin: &Binary<'_>,
    funcs: &[(u64, u64, String)],
    sink: &mut Sink<'_>,
) -> super::cnames::CCode {
    let Some(info) = load(bin, "info") else {
        return Default::default();
    };
    let abbrev = load(bin, "abbrev");
    let str_ = load(bin, "str");
    let endian = if bin.big_endian {
        gimli::RunTimeEndian::Big
    } else {
        gimli::RunTimeEndian::Little
    };
    let bytes = |l: &Option<Loaded<'_>>| -> Vec<u8> {
        l.as_ref().map(|l| l.data.to_vec()).unwrap_or_default()
    };
    let (abbrev_v, str_v) = (bytes(&abbrev), bytes(&str_));
    let debug_info = gimli::DebugInfo::new(&info.data, endian);
    let debug_abbrev = gimli::DebugAbbrev::new(&abbrev_v, endian);
    let debug_str = gimli::DebugStr::new(&str_v, endian);

    // Go's units share one abbreviation table; parse each distinct table once.
    let mut abbrev_cache: std::collections::HashMap<u64, std::sync::Arc<gimli::Abbreviations>> =
        std::collections::HashMap::new();
    let mut line_starts: Vec<(u64, String)> = Vec::new();
    // C units: (.debug_info offset, file offset, file length, index in line_starts).
    let mut c_pending: Vec<(u64, u64, u64, Option<usize>)> = Vec::new();
    let mut headers = debug_info.units();
    // A corrupt unit ends the walk; what was claimed so far stands and the rest of the
    // section stays unattributed.
    while let Ok(Some(header)) = headers.next() {
        let Some(start) = header.debug_info_offset().map(|o| o.0 as u64) else {
            continue;
        };
        let len = header.length_including_self() as u64;
        let key = header.debug_abbrev_offset().0 as u64;
        let abbrevs = match abbrev_cache.get(&key) {
            Some(a) => a.clone(),
            None => {
                let Ok(a) = header.abbreviations(&debug_abbrev) else {
                    continue;
                };
                let a = std::sync::Arc::new(a);
                abbrev_cache.insert(key, a.clone());
                a
            }
        };
        let root = root_facts(&header, &abbrevs, &debug_str);
        let (pkg, label) = unit_package(root.name.as_deref(), root.language);
        let (off, flen) = info.file_range(start, start + len);
        // C units are named once all are seen: a unit's neighbours can tell its package.
        if pkg == "C" {
            let line = root.stmt_list.map(|_| line_starts.len());
            c_pending.push((start, off, flen, line));
        } else {
            sink(off, flen, &pkg, label);
        }
        if let Some(l) = root.stmt_list {
            line_starts.push((l, pkg));
        }
    }
    let c_code = name_c_units(bin, &info, endian, &c_pending, &mut line_starts, sink);

    // Line programs are laid out back to back, one per unit: each runs to the next one's
    // start, the last to the section end. That needs no inflating of `.debug_line`.
    if let Some(line) = locate(bin, "line", false) {
        line_starts.sort_by_key(|l| l.0);
        line_starts.dedup_by_key(|l| l.0);
        for (i, (l0, pkg)) in line_starts.iter().enumerate() {
            let l1 = line_starts
                .get(i + 1)
                .map_or(line.ulen, |n| n.0)
                .min(line.ulen);
            if *l0 < l1 {
                let (off, flen) = line.file_range(*l0, l1);
                sink(off, flen, pkg, "DWARF line table");
            }
        }
    }

    if let Some(frame) = load(bin, "frame") {
        let (ptr, be) = (bin.ptr_size as usize, bin.big_endian);
        claim_frames(&frame, ptr, be, funcs, &c_code, sink);
    }
    c_code
}

/// Name the C units (`c_pending`, from the walk above), claim their `.debug_info` bytes,
/// and give their line programs the same owner.
fn name_c_units(
    bin: &Binary<'_>,
    info: &Loaded<'_>,
    endian: gimli::RunTimeEndian,
    c_pending: &[(u64, u64, u64, Option<usize>)],
    line_starts: &mut [(u64, String)],
    sink: &mut Sink<'_>,
) -> super::cnames::CCode {
    use super::cnames;
    if c_pending.is_empty() {
        return Default::default();
    }
    // DWARF 5 units from gcc keep names in .debug_line_str and addresses in .debug_addr;
    // only binaries with C units pay for loading these.
    let sec = |base: &str| {
        load(bin, base)
            .map(|l| l.data.into_owned())
            .unwrap_or_default()
    };
    let owned: Vec<(gimli::SectionId, Vec<u8>)> = [
        (gimli::SectionId::DebugAbbrev, "abbrev"),
        (gimli::SectionId::DebugAddr, "addr"),
        (gimli::SectionId::DebugStr, "str"),
        (gimli::SectionId::DebugLineStr, "line_str"),
        // gimli reads each unit's line program header when it opens the unit.
        (gimli::SectionId::DebugLine, "line"),
        (gimli::SectionId::DebugStrOffsets, "str_offsets"),
        (gimli::SectionId::DebugRanges, "ranges"),
        (gimli::SectionId::DebugRngLists, "rnglists"),
    ]
    .into_iter()
    .map(|(id, base)| (id, sec(base)))
    .collect();
    let dwarf = gimli::Dwarf::load(|id| -> Result<_, ()> {
        let data: &[u8] = if id == gimli::SectionId::DebugInfo {
            &info.data
        } else {
            owned.iter().find(|o| o.0 == id).map_or(&[][..], |o| &o.1)
        };
        Ok(gimli::EndianSlice::new(data, endian))
    })
    .unwrap_or_default();
    let units: Vec<cnames::CUnit> = c_pending
        .iter()
        .map(|&(start, ..)| read_c_unit(&dwarf, start).unwrap_or_default())
        .collect();
    let names = cnames::name_units(&units, &bin.symbols());
    for (&(_, off, flen, line), name) in c_pending.iter().zip(&names) {
        sink(off, flen, name, "DWARF unit (C)");
        if let Some(slot) = line.and_then(|i| line_starts.get_mut(i)) {
            slot.1 = name.clone();
        }
    }
    cnames::CCode::new(&units, &names)
}

/// Name, directory and code ranges of the unit at `.debug_info` offset `start`.
fn read_c_unit<R: gimli::Reader<Offset = usize>>(
    dwarf: &gimli::Dwarf<R>,
    start: u64,
) -> Option<super::cnames::CUnit> {
    let header = dwarf
        .debug_info
        .header_from_offset(gimli::DebugInfoOffset(usize::try_from(start).ok()?))
        .ok()?;
    let unit = dwarf.unit(header).ok()?;
    let text = |r: &Option<R>| {
        r.as_ref()
            .and_then(|r| r.to_string_lossy().ok().map(|s| s.into_owned()))
            .unwrap_or_default()
    };
    let mut ranges = Vec::new();
    if let Ok(mut it) = dwarf.unit_ranges(&unit) {
        // A hostile range list could be endless: a unit is a handful of functions.
        while let Ok(Some(r)) = it.next() {
            if ranges.len() >= 1 << 16 {
                break;
            }
            ranges.push((r.begin, r.end));
        }
    }
    Some(super::cnames::CUnit {
        name: text(&unit.name),
        comp_dir: text(&unit.comp_dir),
        ranges,
    })
}

/// What the root DIE of a unit says about it.
struct RootFacts {
    name: Option<String>,
    language: Option<gimli::DwLang>,
    stmt_list: Option<u64>,
}

fn root_facts<R: gimli::Reader>(
    header: &gimli::UnitHeader<R>,
    abbrevs: &gimli::Abbreviations,
    debug_str: &gimli::DebugStr<R>,
) -> RootFacts {
    let mut facts = RootFacts {
        name: None,
        language: None,
        stmt_list: None,
    };
    let mut entries = header.entries(abbrevs);
    let Ok(Some(root)) = entries.next_dfs() else {
        return facts;
    };
    facts.name = match root.attr_value(gimli::DW_AT_name) {
        Some(gimli::AttributeValue::String(s)) => s.to_string_lossy().ok().map(|s| s.into_owned()),
        Some(gimli::AttributeValue::DebugStrRef(o)) => debug_str
            .get_str(o)
            .ok()
            .and_then(|s| s.to_string_lossy().ok().map(|s| s.into_owned())),
        _ => None,
    };
    if let Some(gimli::AttributeValue::Language(l)) = root.attr_value(gimli::DW_AT_language) {
        facts.language = Some(l);
    }
    if let Some(gimli::AttributeValue::DebugLineRef(o)) = root.attr_value(gimli::DW_AT_stmt_list) {
        facts.stmt_list = Some(gimli::ReaderOffset::into_u64(o.0));
    }
    facts
}

/// The package of a unit: its name for Go units, `C` for C units (cgo).
fn unit_package(name: Option<&str>, lang: Option<gimli::DwLang>) -> (String, &'static str) {
    // Without a language attribute only a source-file suffix tells C apart: import paths
    // such as `github.com/x` contain ".c" too.
    let c_file = |n: &str| {
        [".c", ".h", ".s", ".S", ".cc", ".cpp", ".cxx", ".m"]
            .iter()
            .any(|e| n.ends_with(e))
    };
    match (lang, name) {
        (Some(gimli::DW_LANG_Go), Some(n)) if !n.is_empty() => (n.to_string(), "DWARF unit"),
        (None, Some(n)) if !n.is_empty() && !c_file(n) => (n.to_string(), "DWARF unit"),
        _ => ("C".to_string(), "DWARF unit (C)"),
    }
}

/// `.debug_frame`: a sequence of CIEs and FDEs; each FDE starts with the address of the
/// function it describes.
fn claim_frames(
    frame: &Loaded<'_>,
    ptr: usize,
    be: bool,
    funcs: &[(u64, u64, String)],
    c_code: &super::cnames::CCode,
    sink: &mut Sink<'_>,
) {
    let d: &[u8] = &frame.data;
    let mut pos = 0usize;
    let mut pending: Vec<(u64, u64, String)> = Vec::new();
    while pos + 4 <= d.len() {
        let mut len = read_uint(&d[pos..], 4, be);
        let mut hdr = 4usize;
        let mut id_size = 4usize;
        if len == 0xffff_ffff {
            let Some(b) = d.get(pos + 4..pos + 12) else {
                break;
            };
            len = read_uint(b, 8, be);
            hdr = 12;
            id_size = 8;
        }
        let Some(end) = (pos + hdr)
            .checked_add(len as usize)
            .filter(|&e| e <= d.len())
        else {
            break;
        };
        if len == 0 {
            pos = end;
            continue;
        }
        let id = d
            .get(pos + hdr..pos + hdr + id_size)
            .map(|b| read_uint(b, id_size, be));
        let is_cie = id == Some(if id_size == 4 { 0xffff_ffff } else { u64::MAX });
        let pkg = if is_cie {
            "[dwarf]".to_string()
        } else {
            let at = pos + hdr + id_size;
            match d.get(at..at + ptr).map(|b| read_uint(b, ptr, be)) {
                // C functions are not in the pclntab: their unit may name them.
                Some(addr) => func_package(funcs, addr)
                    .or_else(|| c_code.at(addr).map(str::to_string))
                    .unwrap_or_else(|| "C".to_string()),
                None => "[dwarf]".to_string(),
            }
        };
        pending.push((pos as u64, end as u64, pkg));
        pos = end;
    }
    for (u0, u1, pkg) in pending {
        let (off, len) = frame.file_range(u0, u1);
        sink(off, len, &pkg, "DWARF frame");
    }
}

fn func_package(funcs: &[(u64, u64, String)], addr: u64) -> Option<String> {
    let i = funcs.partition_point(|f| f.0 <= addr).checked_sub(1)?;
    let f = &funcs[i];
    (addr < f.1).then(|| f.2.clone())
}
