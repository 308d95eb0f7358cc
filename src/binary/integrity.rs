//! The container's own consistency, checked before anything is read from it.
//!
//! A truncated or patched file can still parse: object and goblin skip what they cannot
//! reach, and the audit then reads the missing symbol table as "stripped", the missing
//! DWARF as "no debug info", the missing function names as "no cgo". So before any of
//! that, the headers are checked against the file and against each other:
//!
//! - ELF: the file header, the program and section header tables, every segment and
//!   every section with file bytes lie inside the file; every allocated section with
//!   file bytes lies inside a loadable segment (`SHT_NOBITS` and non-allocated sections
//!   are exempt, as the format allows); string tables end with NUL.
//! - Mach-O: the load commands fit `sizeofcmds` and the file; every segment, every
//!   section with file bytes (zero-fill sections exempt) and every table a load command
//!   points at (symbols, strings, dyld info, code signature, ...) lies inside the file;
//!   sections lie inside their segment.
//! - PE: the DOS stub pointer, the COFF header, the optional header and its data
//!   directory count, the section table, every section's raw data, the COFF symbol and
//!   string tables and the certificate table lie inside the file.
//!
//! The checks are pure bounds arithmetic on raw header fields (no allocation beyond the
//! error message), so they cost microseconds even on hostile counts.

use crate::error::ParseError;

/// Check the file's container structure; `Err` names the first inconsistency.
///
/// Files that are not ELF, Mach-O or PE (by magic) pass: other readers decide what they
/// are.
pub fn check(data: &[u8]) -> Result<(), ParseError> {
    if data.starts_with(b"\x7fELF") {
        return elf(data).map_err(|w| ParseError::damaged("ELF", w));
    }
    if data.len() >= 4 {
        let m = [data[0], data[1], data[2], data[3]];
        let be = u32::from_be_bytes(m);
        let le = u32::from_le_bytes(m);
        for (magic, big) in [(be, true), (le, false)] {
            match magic {
                0xfeed_face => return macho(data, big, false).map_err(dm),
                0xfeed_facf => return macho(data, big, true).map_err(dm),
                _ => {}
            }
        }
    }
    if data.starts_with(b"MZ") {
        return pe(data).map_err(|w| ParseError::damaged("PE", w));
    }
    Ok(())
}

fn dm(w: String) -> ParseError {
    ParseError::damaged("Mach-O", w)
}

/// Field reader with the file's byte order; `None` past the end.
#[derive(Clone, Copy)]
struct R<'a> {
    d: &'a [u8],
    big: bool,
}

impl R<'_> {
    fn uint(&self, at: u64, n: usize) -> Option<u64> {
        let at = usize::try_from(at).ok()?;
        let b = self.d.get(at..at.checked_add(n)?)?;
        Some(super::read_uint(b, n, self.big))
    }
    fn u16(&self, at: u64) -> Option<u64> {
        self.uint(at, 2)
    }
    fn u32(&self, at: u64) -> Option<u64> {
        self.uint(at, 4)
    }
    fn u64(&self, at: u64) -> Option<u64> {
        self.uint(at, 8)
    }
    fn len(&self) -> u64 {
        self.d.len() as u64
    }
}

/// `what at 0x… extends N bytes past the end of the file (file truncated?)` when
/// `[off, off+len)` does not fit.
fn fits(file_len: u64, what: impl FnOnce() -> String, off: u64, len: u64) -> Result<(), String> {
    match off.checked_add(len) {
        Some(end) if end <= file_len => Ok(()),
        Some(end) => Err(format!(
            "{} at {off:#x} extends {} bytes past the end of the file (file truncated?)",
            what(),
            end - file_len
        )),
        None => Err(format!(
            "{} at {off:#x} has a size ({len:#x}) that overflows",
            what()
        )),
    }
}

fn short(what: &str, need: u64, have: u64) -> String {
    format!("{what} needs {need} bytes, the file has {have} (file truncated?)")
}

// ---------------------------------------------------------------------------------------
// ELF

const SHT_NULL: u64 = 0;
const SHT_STRTAB: u64 = 3;
const SHT_NOBITS: u64 = 8;
const SHF_ALLOC: u64 = 2;
const PT_LOAD: u64 = 1;

struct Shdr {
    name: u64,
    kind: u64,
    flags: u64,
    addr: u64,
    off: u64,
    size: u64,
}

fn elf(d: &[u8]) -> Result<(), String> {
    let file_len = d.len() as u64;
    if d.len() < 6 {
        return Err(short("the ELF identification", 16, file_len));
    }
    let wide = match d[4] {
        1 => false,
        2 => true,
        c => return Err(format!("unknown ELF class {c}")),
    };
    let big = match d[5] {
        1 => false,
        2 => true,
        e => return Err(format!("unknown ELF data encoding {e}")),
    };
    let r = R { d, big };
    let ehsize: u64 = if wide { 64 } else { 52 };
    if file_len < ehsize {
        return Err(short("the ELF header", ehsize, file_len));
    }
    let word = |at: u64| if wide { r.u64(at) } else { r.u32(at) };
    let (phoff, shoff, rest) = if wide {
        (r.u64(32), r.u64(40), 48)
    } else {
        (r.u32(28), r.u32(32), 36)
    };
    let (phoff, shoff) = (phoff.unwrap_or(0), shoff.unwrap_or(0));
    let phentsize = r.u16(rest + 6).unwrap_or(0);
    let phnum = r.u16(rest + 8).unwrap_or(0);
    let shentsize = r.u16(rest + 10).unwrap_or(0);
    let mut shnum = r.u16(rest + 12).unwrap_or(0);
    let mut shstrndx = r.u16(rest + 14).unwrap_or(0);

    let (want_ph, want_sh): (u64, u64) = if wide { (56, 64) } else { (32, 40) };
    let mut loads: Vec<(u64, u64)> = Vec::new();
    if phnum > 0 {
        if phentsize < want_ph {
            return Err(format!(
                "program header entry size {phentsize} is smaller than {want_ph}"
            ));
        }
        fits(
            file_len,
            || format!("program header table ({phnum} entries)"),
            phoff,
            phnum * phentsize,
        )?;
        for i in 0..phnum {
            let p = phoff + i * phentsize;
            let kind = r.u32(p).unwrap_or(0);
            let (off, filesz) = if wide {
                (r.u64(p + 8), r.u64(p + 32))
            } else {
                (r.u32(p + 4), r.u32(p + 16))
            };
            let (off, filesz) = (off.unwrap_or(0), filesz.unwrap_or(0));
            if filesz == 0 {
                continue;
            }
            fits(
                file_len,
                || format!("segment {i} ({})", segment_kind(kind)),
                off,
                filesz,
            )?;
            if kind == PT_LOAD {
                loads.push((off, off + filesz));
            }
        }
    }

    if shoff == 0 {
        return Ok(());
    }
    if shentsize < want_sh {
        return Err(format!(
            "section header entry size {shentsize} is smaller than {want_sh}"
        ));
    }
    // Section 0 carries the real count and string table index when they overflow.
    fits(
        file_len,
        || "section header table".to_string(),
        shoff,
        shentsize,
    )?;
    if shnum == 0 {
        shnum = word(shoff + if wide { 32 } else { 20 }).unwrap_or(0);
    }
    if shstrndx == 0xffff {
        shstrndx = r.u32(shoff + if wide { 44 } else { 28 }).unwrap_or(0);
    }
    fits(
        file_len,
        || format!("section header table ({shnum} entries)"),
        shoff,
        shnum.saturating_mul(shentsize),
    )?;
    let shdr = |i: u64| -> Shdr {
        let p = shoff + i * shentsize;
        if wide {
            Shdr {
                name: r.u32(p).unwrap_or(0),
                kind: r.u32(p + 4).unwrap_or(0),
                flags: r.u64(p + 8).unwrap_or(0),
                addr: r.u64(p + 16).unwrap_or(0),
                off: r.u64(p + 24).unwrap_or(0),
                size: r.u64(p + 32).unwrap_or(0),
            }
        } else {
            Shdr {
                name: r.u32(p).unwrap_or(0),
                kind: r.u32(p + 4).unwrap_or(0),
                flags: r.u32(p + 8).unwrap_or(0),
                addr: r.u32(p + 12).unwrap_or(0),
                off: r.u32(p + 16).unwrap_or(0),
                size: r.u32(p + 20).unwrap_or(0),
            }
        }
    };

    // The section name table first, so later messages can name sections.
    let mut names: &[u8] = &[];
    if shstrndx != 0 {
        if shstrndx >= shnum {
            return Err(format!(
                "section name table index {shstrndx} is beyond the {shnum} sections"
            ));
        }
        let s = shdr(shstrndx);
        if s.kind != SHT_NOBITS {
            fits(
                file_len,
                || "the section name table".to_string(),
                s.off,
                s.size,
            )?;
            names = &d[s.off as usize..(s.off + s.size) as usize];
            if names.last().is_some_and(|&b| b != 0) {
                return Err("the section name table is not NUL-terminated".into());
            }
        }
    }
    let name_of = |s: &Shdr| -> String {
        let n = names
            .get(s.name as usize..)
            .map(|t| &t[..memchr::memchr(0, t).unwrap_or(t.len())])
            .unwrap_or(&[]);
        if n.is_empty() {
            "(unnamed)".to_string()
        } else {
            String::from_utf8_lossy(n).into_owned()
        }
    };

    for i in 1..shnum {
        let s = shdr(i);
        if s.kind == SHT_NULL || s.kind == SHT_NOBITS || s.size == 0 {
            continue;
        }
        fits(
            file_len,
            || format!("section {i} {}", name_of(&s)),
            s.off,
            s.size,
        )?;
        if s.kind == SHT_STRTAB && d[(s.off + s.size - 1) as usize] != 0 {
            return Err(format!(
                "string table {} (section {i}) is not NUL-terminated",
                name_of(&s)
            ));
        }
        if s.flags & SHF_ALLOC != 0 && s.addr != 0 && !loads.is_empty() {
            let end = s.off + s.size;
            if !loads.iter().any(|&(lo, hi)| lo <= s.off && end <= hi) {
                return Err(format!(
                    "allocated section {} (file {:#x}..{end:#x}) lies outside every loadable segment",
                    name_of(&s),
                    s.off
                ));
            }
        }
    }
    Ok(())
}

fn segment_kind(kind: u64) -> String {
    match kind {
        1 => "LOAD".into(),
        2 => "DYNAMIC".into(),
        3 => "INTERP".into(),
        4 => "NOTE".into(),
        6 => "PHDR".into(),
        7 => "TLS".into(),
        0x6474_e550 => "GNU_EH_FRAME".into(),
        0x6474_e552 => "GNU_RELRO".into(),
        k => format!("type {k:#x}"),
    }
}

// ---------------------------------------------------------------------------------------
// Mach-O

fn macho(d: &[u8], big: bool, wide: bool) -> Result<(), String> {
    let r = R { d, big };
    let file_len = r.len();
    let hdr: u64 = if wide { 32 } else { 28 };
    if file_len < hdr {
        return Err(short("the Mach-O header", hdr, file_len));
    }
    let ncmds = r.u32(16).unwrap_or(0);
    let sizeofcmds = r.u32(20).unwrap_or(0);
    fits(
        file_len,
        || format!("the load commands ({sizeofcmds} bytes)"),
        hdr,
        sizeofcmds,
    )?;
    let end = hdr + sizeofcmds;
    let mut at = hdr;
    for i in 0..ncmds {
        if end - at < 8 {
            return Err(format!(
                "load command {i} of {ncmds} starts past sizeofcmds ({sizeofcmds} bytes)"
            ));
        }
        let cmd = r.u32(at).unwrap_or(0);
        let size = r.u32(at + 4).unwrap_or(0);
        if size < 8 {
            return Err(format!(
                "load command {i} ({cmd:#x}) at {at:#x} has size {size}"
            ));
        }
        if size > end - at {
            return Err(format!(
                "load command {i} ({cmd:#x}) at {at:#x} runs {} bytes past sizeofcmds",
                size - (end - at)
            ));
        }
        macho_command(r, cmd, at, size, wide)?;
        at += size;
    }
    Ok(())
}

fn macho_command(r: R<'_>, cmd: u64, at: u64, size: u64, wide: bool) -> Result<(), String> {
    let file_len = r.len();
    let w = |k: u64| r.u32(at + k).unwrap_or(0);
    let need = |n: u64, what: &str| -> Result<(), String> {
        if size < n {
            Err(format!(
                "{what} load command at {at:#x} is {size} bytes, shorter than {n}"
            ))
        } else {
            Ok(())
        }
    };
    let table = |what: &str, off: u64, len: u64| -> Result<(), String> {
        if len == 0 {
            return Ok(());
        }
        fits(file_len, || what.to_string(), off, len)
    };
    match cmd {
        // LC_SEGMENT, LC_SEGMENT_64
        0x1 | 0x19 => {
            let is64 = cmd == 0x19;
            let (fixed, sect) = if is64 { (72, 80) } else { (56, 68) };
            need(fixed, "segment")?;
            let name = fixed_name(r, at + 8);
            let (fileoff, filesize, nsects) = if is64 {
                (
                    r.u64(at + 40).unwrap_or(0),
                    r.u64(at + 48).unwrap_or(0),
                    w(64),
                )
            } else {
                (w(32), w(36), w(48))
            };
            if filesize > 0 {
                fits(file_len, || format!("segment {name}"), fileoff, filesize)?;
            }
            let room = (size - fixed) / sect;
            if nsects > room {
                return Err(format!(
                    "segment {name} claims {nsects} sections, its load command holds {room}"
                ));
            }
            for k in 0..nsects {
                let s = at + fixed + k * sect;
                let sname = fixed_name(r, s);
                let (ssize, soff, flags) = if is64 {
                    (
                        r.u64(s + 40).unwrap_or(0),
                        r.u32(s + 48).unwrap_or(0),
                        r.u32(s + 64).unwrap_or(0),
                    )
                } else {
                    (
                        r.u32(s + 36).unwrap_or(0),
                        r.u32(s + 40).unwrap_or(0),
                        r.u32(s + 56).unwrap_or(0),
                    )
                };
                // S_ZEROFILL, S_GB_ZEROFILL, S_THREAD_LOCAL_ZEROFILL have no file bytes.
                if matches!(flags & 0xff, 0x1 | 0xc | 0x12) || ssize == 0 || soff == 0 {
                    continue;
                }
                fits(file_len, || format!("section {name},{sname}"), soff, ssize)?;
                if filesize > 0 && (soff < fileoff || soff + ssize > fileoff + filesize) {
                    return Err(format!(
                        "section {name},{sname} (file {soff:#x}..{:#x}) lies outside its segment (file {fileoff:#x}..{:#x})",
                        soff + ssize,
                        fileoff + filesize
                    ));
                }
            }
        }
        // LC_SYMTAB
        0x2 => {
            need(24, "symtab")?;
            let entry = if wide { 16 } else { 12 };
            table("the symbol table", w(8), w(12) * entry)?;
            table("the string table", w(16), w(20))?;
        }
        // LC_DYSYMTAB
        0xb => {
            need(80, "dysymtab")?;
            table("the table of contents", w(32), w(36) * 8)?;
            table(
                "the module table",
                w(40),
                w(44) * if wide { 56 } else { 52 },
            )?;
            table("the external reference table", w(48), w(52) * 4)?;
            table("the indirect symbol table", w(56), w(60) * 4)?;
            table("the external relocations", w(64), w(68) * 8)?;
            table("the local relocations", w(72), w(76) * 8)?;
        }
        // LC_DYLD_INFO, LC_DYLD_INFO_ONLY
        0x22 | 0x8000_0022 => {
            need(48, "dyld info")?;
            table("the rebase info", w(8), w(12))?;
            table("the bind info", w(16), w(20))?;
            table("the weak bind info", w(24), w(28))?;
            table("the lazy bind info", w(32), w(36))?;
            table("the export info", w(40), w(44))?;
        }
        // linkedit_data_command
        0x1d | 0x1e | 0x26 | 0x29 | 0x2b | 0x2e | 0x8000_0033 | 0x8000_0034 => {
            need(16, "linkedit data")?;
            let what = match cmd {
                0x1d => "the code signature",
                0x1e => "the segment split info",
                0x26 => "the function starts",
                0x29 => "the data in code table",
                0x2b => "the code signing requirements",
                0x2e => "the linker optimization hints",
                0x8000_0033 => "the exports trie",
                _ => "the chained fixups",
            };
            table(what, w(8), w(12))?;
        }
        _ => {}
    }
    Ok(())
}

fn fixed_name(r: R<'_>, at: u64) -> String {
    let b = usize::try_from(at)
        .ok()
        .and_then(|a| r.d.get(a..a.checked_add(16)?))
        .unwrap_or(&[]);
    String::from_utf8_lossy(&b[..memchr::memchr(0, b).unwrap_or(b.len())]).into_owned()
}

// ---------------------------------------------------------------------------------------
// PE

fn pe(d: &[u8]) -> Result<(), String> {
    let r = R { d, big: false };
    let file_len = r.len();
    if file_len < 0x40 {
        return Err(short("the DOS header", 0x40, file_len));
    }
    let pe_off = r.u32(0x3c).unwrap_or(0);
    // Not every MZ file is PE (DOS programs); only a PE signature makes it one.
    fits(
        file_len,
        || "the PE signature and COFF header".to_string(),
        pe_off,
        24,
    )?;
    if r.u32(pe_off) != Some(0x4550) {
        return Ok(());
    }
    let coff = pe_off + 4;
    let nsections = r.u16(coff + 2).unwrap_or(0);
    let symptr = r.u32(coff + 8).unwrap_or(0);
    let nsyms = r.u32(coff + 12).unwrap_or(0);
    let opt_size = r.u16(coff + 16).unwrap_or(0);
    let opt = coff + 20;
    fits(
        file_len,
        || format!("the optional header ({opt_size} bytes)"),
        opt,
        opt_size,
    )?;
    let mut size_of_headers = 0;
    if opt_size > 0 {
        let magic = r.u16(opt).unwrap_or(0);
        let (dirs_at, fixed) = match magic {
            0x10b => (92, 96),
            0x20b => (108, 112),
            m => return Err(format!("unknown optional header magic {m:#x}")),
        };
        if opt_size < fixed {
            return Err(format!(
                "the optional header is {opt_size} bytes, shorter than the {fixed} its magic requires"
            ));
        }
        let ndirs = r.u32(opt + dirs_at).unwrap_or(0);
        if ndirs * 8 > opt_size - fixed {
            return Err(format!(
                "the optional header claims {ndirs} data directories, it has room for {}",
                (opt_size - fixed) / 8
            ));
        }
        size_of_headers = r.u32(opt + 60).unwrap_or(0);
        fits(
            file_len,
            || "the headers (SizeOfHeaders)".to_string(),
            0,
            size_of_headers,
        )?;
        // The certificate table is the one directory given as a file offset.
        if ndirs > 4 {
            let at = opt + fixed + 4 * 8;
            let (off, len) = (r.u32(at).unwrap_or(0), r.u32(at + 4).unwrap_or(0));
            if off != 0 && len != 0 {
                fits(file_len, || "the certificate table".to_string(), off, len)?;
            }
        }
    }
    let table = opt + opt_size;
    fits(
        file_len,
        || format!("the section table ({nsections} sections)"),
        table,
        nsections * 40,
    )?;
    if size_of_headers > 0 && table + nsections * 40 > size_of_headers {
        return Err(format!(
            "the section table ends at {:#x}, past SizeOfHeaders ({size_of_headers:#x})",
            table + nsections * 40
        ));
    }
    for i in 0..nsections {
        let s = table + i * 40;
        let name = fixed_name(r, s);
        let name = &name[..name.len().min(8)];
        let raw_size = r.u32(s + 16).unwrap_or(0);
        let raw_ptr = r.u32(s + 20).unwrap_or(0);
        if raw_size == 0 || raw_ptr == 0 {
            continue;
        }
        fits(
            file_len,
            || format!("section {} {name}", i + 1),
            raw_ptr,
            raw_size,
        )?;
    }
    if symptr != 0 {
        fits(
            file_len,
            || format!("the COFF symbol table ({nsyms} records)"),
            symptr,
            nsyms * 18 + 4,
        )?;
        let strtab = symptr + nsyms * 18;
        let strsize = r.u32(strtab).unwrap_or(0);
        if strsize > 4 {
            fits(
                file_len,
                || "the COFF string table".to_string(),
                strtab,
                strsize,
            )?;
            if d[(strtab + strsize - 1) as usize] != 0 {
                return Err("the COFF string table is not NUL-terminated".into());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_test_binary_is_consistent() {
        let data = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        check(&data).unwrap();
    }

    #[test]
    fn truncating_this_test_binary_is_damage() {
        let data = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let e = check(&data[..data.len() - 4096]).unwrap_err();
        assert!(e.damaged);
        assert!(e.what.contains("past the end of the file"), "{e}");
        for cut in [0usize, 3, 20, 63, 64, 65, 200] {
            assert!(check(&data[..cut]).is_err() || cut < 4, "cut at {cut}");
        }
    }

    #[test]
    fn hostile_counts_are_errors_not_panics() {
        let mut elf = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        elf.truncate(4096);
        for (at, v) in [(40usize, u64::MAX), (32, u64::MAX - 8)] {
            let mut e = elf.clone();
            e[at..at + 8].copy_from_slice(&v.to_le_bytes());
            let _ = check(&e);
        }
        let mut m = vec![0u8; 64];
        m[..4].copy_from_slice(&0xfeed_facfu32.to_le_bytes());
        m[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        m[20..24].copy_from_slice(&16u32.to_le_bytes());
        assert!(check(&m).is_err());
        let mut p = vec![0u8; 0x80];
        p[..2].copy_from_slice(b"MZ");
        p[0x3c..0x40].copy_from_slice(&0x40u32.to_le_bytes());
        p[0x40..0x44].copy_from_slice(b"PE\0\0");
        p[0x46..0x48].copy_from_slice(&0xffffu16.to_le_bytes());
        assert!(check(&p).is_err());
    }
}
