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
    /// File offset where the (compressed) payload starts, after any compression header.
    payload_off: u64,
    /// On-disk payload length.
    payload_len: u64,
}

impl Loaded<'_> {
    /// The file range of uncompressed bytes `[u0, u1)`.
    fn file_range(&self, u0: u64, u1: u64) -> (u64, u64) {
        let ulen = self.data.len() as u64;
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
    let data = compressed.decompress().ok()?;
    // The compressed payload follows a header (ELF Chdr, or "ZLIB" + 8-byte size for
    // legacy .zdebug); object tells us where the payload starts.
    let payload = compressed.data;
    let payload_off = (payload.as_ptr() as usize).checked_sub(bin.data.as_ptr() as usize)? as u64;
    let payload_len = payload.len() as u64;
    if payload_off < off || payload_off + payload_len > off + len {
        return None;
    }
    Some(Loaded {
        data,
        payload_off,
        payload_len,
    })
}

/// Claim DWARF bytes per unit and per FDE. `funcs` is sorted by entry: `(entry, end, package)`.
pub fn claim_units(bin: &Binary<'_>, funcs: &[(u64, u64, String)], sink: &mut Sink<'_>) {
    let Some(info) = load(bin, "info") else {
        return;
    };
    let line = load(bin, "line");
    let abbrev = load(bin, "abbrev");
    let str_ = load(bin, "str");
    let line_str = load(bin, "line_str");
    let endian = if bin.big_endian {
        gimli::RunTimeEndian::Big
    } else {
        gimli::RunTimeEndian::Little
    };
    let slice = |l: &Option<Loaded<'_>>| -> Vec<u8> {
        l.as_ref().map(|l| l.data.to_vec()).unwrap_or_default()
    };
    // gimli borrows; keep the owned copies of the small sections alive here.
    let (abbrev_v, str_v, line_str_v) = (slice(&abbrev), slice(&str_), slice(&line_str));
    let line_data: &[u8] = line.as_ref().map_or(&[], |l| &l.data);
    let dwarf = gimli::Dwarf {
        debug_info: gimli::DebugInfo::new(&info.data, endian),
        debug_abbrev: gimli::DebugAbbrev::new(&abbrev_v, endian),
        debug_line: gimli::DebugLine::new(line_data, endian),
        debug_str: gimli::DebugStr::new(&str_v, endian),
        debug_line_str: gimli::DebugLineStr::new(&line_str_v, endian),
        ..Default::default()
    };

    let mut headers = dwarf.units();
    // A corrupt unit ends the walk; what was claimed so far stands and the rest of the
    // section stays unattributed.
    while let Ok(Some(header)) = headers.next() {
        let Some(start) = header.debug_info_offset().map(|o| o.0 as u64) else {
            continue;
        };
        let len = header.length_including_self() as u64;
        let Ok(unit) = dwarf.unit(header) else {
            continue;
        };
        let (pkg, label) = unit_package(&dwarf, &unit);
        let (off, flen) = info.file_range(start, start + len);
        sink(off, flen, &pkg, label);
        if let (Some(lp), Some(line)) = (&unit.line_program, &line) {
            let h = lp.header();
            let l0 = h.offset().0 as u64;
            let l1 = l0 + h.unit_length() as u64 + h.format().initial_length_size() as u64;
            let (off, flen) = line.file_range(l0, l1);
            sink(off, flen, &pkg, "DWARF line table");
        }
    }

    if let Some(frame) = load(bin, "frame") {
        claim_frames(&frame, bin.ptr_size as usize, bin.big_endian, funcs, sink);
    }
}

/// The package of a unit: its name for Go units, `C` for C units (cgo).
fn unit_package<R: gimli::Reader>(
    dwarf: &gimli::Dwarf<R>,
    unit: &gimli::Unit<R>,
) -> (String, &'static str) {
    let mut lang = None;
    let mut entries = unit.entries();
    if let Ok(Some(root)) = entries.next_dfs()
        && let Some(gimli::AttributeValue::Language(l)) = root.attr_value(gimli::DW_AT_language)
    {
        lang = Some(l);
    }
    let name = unit
        .name
        .as_ref()
        .and_then(|n| n.to_string_lossy().ok().map(|s| s.into_owned()))
        .unwrap_or_default();
    let _ = dwarf;
    match lang {
        Some(gimli::DW_LANG_Go) | None if !name.is_empty() && !name.contains(".c") => {
            (name, "DWARF unit")
        }
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
                Some(addr) => func_package(funcs, addr).unwrap_or_else(|| "C".to_string()),
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
