//! One read view over ELF, Mach-O and PE files.
//!
//! This is the only place (with [`elf`] for the ELF linking view) that touches the
//! `object` and `goblin` read APIs. Everything above works on [`Binary`]: a list of
//! sections and segments with their file ranges, bounds-checked byte access by file
//! offset or virtual address, and the symbol table when there is one.
//!
//! Invariant: every slice handed out comes from [`Binary::data`] through a checked range,
//! so a lying header can make a lookup fail but never panic.

pub mod elf;
pub mod fat;
pub mod integrity;

use object::{Object, ObjectSection, ObjectSegment, ObjectSymbol};

use crate::error::ParseError;

/// The executable container format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// ELF (Linux, the BSDs).
    Elf,
    /// Mach-O (macOS, iOS).
    Macho,
    /// PE/COFF (Windows).
    Pe,
}

impl Format {
    /// The lowercase name used in JSON and reports.
    pub fn name(self) -> &'static str {
        match self {
            Format::Elf => "elf",
            Format::Macho => "macho",
            Format::Pe => "pe",
        }
    }
}

/// A section as the headers describe it.
#[derive(Debug, Clone)]
pub struct Section {
    /// Index in the format's section table (object's numbering).
    pub index: usize,
    /// Name; for Mach-O this is the section name without the segment (`__gopclntab`).
    pub name: String,
    /// Mach-O segment name (`__DATA`), empty elsewhere.
    pub segment: String,
    /// Virtual address (0 for non-allocated sections).
    pub addr: u64,
    /// Size in memory.
    pub size: u64,
    /// File range `(offset, size)`; `None` for sections with no file bytes (`.bss`, NOBITS).
    pub file_range: Option<(u64, u64)>,
    /// Loaded into memory at run time.
    pub alloc: bool,
    /// Writable at run time.
    pub writable: bool,
    /// Executable.
    pub executable: bool,
    /// The on-disk bytes are compressed (ELF `SHF_COMPRESSED` or a legacy `.zdebug_*` name).
    pub compressed: bool,
}

/// A loadable segment (ELF `PT_LOAD`, a Mach-O segment, a PE section).
#[derive(Debug, Clone)]
pub struct Segment {
    /// Virtual address.
    pub addr: u64,
    /// Size in memory.
    pub size: u64,
    /// File range `(offset, size)`; the size may be smaller than `size` (`.bss`).
    pub file_range: (u64, u64),
    /// Writable at run time.
    pub writable: bool,
    /// Executable.
    pub executable: bool,
}

/// A symbol from the static symbol table (`.symtab`, Mach-O `LC_SYMTAB`, COFF symbols).
#[derive(Debug, Clone)]
pub struct Symbol {
    /// Name as stored (Go names are not mangled).
    pub name: String,
    /// Address.
    pub addr: u64,
    /// Size when the format records one (ELF), else 0.
    pub size: u64,
    /// Index of the section it is defined in, if any.
    pub section: Option<usize>,
    /// Code rather than data.
    pub is_text: bool,
}

/// A parsed executable: the file bytes plus a format-independent table of contents.
pub struct Binary<'data> {
    /// The whole file.
    pub data: &'data [u8],
    /// ELF, Mach-O or PE.
    pub format: Format,
    /// Architecture as Go names it (`amd64`, `arm64`, `386`, ...).
    pub arch: String,
    /// Pointer size in bytes (4 or 8).
    pub ptr_size: u8,
    /// Big-endian target.
    pub big_endian: bool,
    /// Section headers (empty for a file without them, e.g. UPX-packed).
    pub sections: Vec<Section>,
    /// Loadable segments.
    pub segments: Vec<Segment>,
    file: object::File<'data>,
}

impl std::fmt::Debug for Binary<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Binary")
            .field("format", &self.format)
            .field("arch", &self.arch)
            .field("len", &self.data.len())
            .field("sections", &self.sections.len())
            .field("segments", &self.segments.len())
            .finish()
    }
}

impl<'data> Binary<'data> {
    /// Parse the headers of an ELF, Mach-O or PE file.
    ///
    /// The container's consistency is checked first ([`integrity::check`]): a damaged
    /// file is an error, never a table of contents with parts missing.
    pub fn parse(data: &'data [u8]) -> Result<Self, ParseError> {
        integrity::check(data)?;
        Self::parse_lenient(data)
    }

    /// Parse without the consistency check: what object and goblin can reach of a
    /// damaged file. For the decoders' own hardening tests and fuzzing only; no verdict
    /// may rest on a binary parsed this way.
    pub fn parse_lenient(data: &'data [u8]) -> Result<Self, ParseError> {
        let file =
            object::File::parse(data).map_err(|e| ParseError::new("object file", e.to_string()))?;
        let format = match file.format() {
            object::BinaryFormat::Elf => Format::Elf,
            object::BinaryFormat::MachO => Format::Macho,
            object::BinaryFormat::Pe => Format::Pe,
            other => {
                return Err(ParseError::new(
                    "object file",
                    format!("unsupported format {other:?}"),
                ));
            }
        };
        let arch = go_arch_name(file.architecture()).to_string();
        let ptr_size = if file.is_64() { 8 } else { 4 };
        let big_endian = !file.is_little_endian();

        let mut sections = Vec::new();
        for s in file.sections() {
            let name = s.name().unwrap_or("").to_string();
            let segment = s.segment_name().ok().flatten().unwrap_or("").to_string();
            let (alloc, writable, executable, compressed) = section_flags(&s, &name);
            let file_range = s
                .file_range()
                .filter(|&(off, len)| in_bounds(data.len(), off, len));
            sections.push(Section {
                index: s.index().0,
                name,
                segment,
                addr: s.address(),
                size: s.size(),
                file_range,
                alloc,
                writable,
                executable,
                compressed,
            });
        }

        let mut segments = Vec::new();
        for seg in file.segments() {
            let perm = seg.permissions();
            let (off, len) = seg.file_range();
            // A segment whose file range lies outside the file is kept only for the part
            // that exists, so vaddr lookups into it fail cleanly instead of panicking.
            let len = clamp_len(data.len(), off, len);
            segments.push(Segment {
                addr: seg.address(),
                size: seg.size(),
                file_range: (off, len),
                writable: perm.writable(),
                executable: perm.executable(),
            });
        }

        Ok(Binary {
            data,
            format,
            arch,
            ptr_size,
            big_endian,
            sections,
            segments,
            file,
        })
    }

    /// The `object` view, for modules that need more than this table of contents
    /// (DWARF loading, the ELF rewrite).
    pub fn object(&self) -> &object::File<'data> {
        &self.file
    }

    /// The first section with this exact name.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The on-disk bytes of a section (compressed bytes if the section is compressed).
    pub fn section_data(&self, s: &Section) -> Option<&'data [u8]> {
        let (off, len) = s.file_range?;
        self.bytes_at(off, len)
    }

    /// Bytes at a file offset, or `None` when the range is not inside the file.
    pub fn bytes_at(&self, off: u64, len: u64) -> Option<&'data [u8]> {
        let start = usize::try_from(off).ok()?;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        self.data.get(start..end)
    }

    /// The file offset that holds virtual address `addr`, if a segment maps it from the file.
    pub fn vaddr_to_offset(&self, addr: u64) -> Option<u64> {
        for seg in &self.segments {
            let (off, flen) = seg.file_range;
            if addr >= seg.addr && addr - seg.addr < flen {
                return Some(off + (addr - seg.addr));
            }
        }
        // Formats whose unified segments miss some mappings (PE's object view lists
        // sections as segments already; Mach-O sections sit inside segments) still have
        // section addresses, so fall back to them.
        for s in &self.sections {
            if let Some((off, flen)) = s.file_range
                && s.addr != 0
                && addr >= s.addr
                && addr - s.addr < flen
            {
                return Some(off + (addr - s.addr));
            }
        }
        None
    }

    /// `len` bytes at virtual address `addr`, if they are all backed by the file.
    pub fn read_vaddr(&self, addr: u64, len: u64) -> Option<&'data [u8]> {
        let off = self.vaddr_to_offset(addr)?;
        // The range must stay within one mapping; checking against the whole file is
        // enough for safety, and Go's structures never straddle segments.
        self.bytes_at(off, len)
    }

    /// Read a target pointer (ptr_size, target endianness) at `addr`.
    pub fn read_ptr_vaddr(&self, addr: u64) -> Option<u64> {
        let b = self.read_vaddr(addr, self.ptr_size as u64)?;
        Some(read_uint(b, self.ptr_size as usize, self.big_endian))
    }

    /// The static symbol table, empty when stripped.
    ///
    /// Mach-O and COFF record no symbol sizes; there a symbol runs to the next symbol of
    /// its section (the last one to the section end), as `go tool nm -size` infers them.
    /// The Go linker prefixes Mach-O names with the C underscore (every name since it
    /// started prefixing Go symbols too, only C names before); it is dropped again so
    /// names read as the pclntab and ELF spell them. `debug/macho` drops it from dotted
    /// names only, which leaves `_go:buildid` in `go tool nm`.
    pub fn symbols(&self) -> Vec<Symbol> {
        let macho = self.format == Format::Macho;
        let all_prefixed = macho
            && self
                .file
                .symbols()
                .any(|s| s.name().is_ok_and(|n| n.starts_with("_runtime.")));
        let mut syms: Vec<Symbol> = self
            .file
            .symbols()
            .filter_map(|s| {
                let name = s.name().ok()?;
                if name.is_empty() {
                    return None;
                }
                let name = match name.strip_prefix('_') {
                    Some(go) if all_prefixed || (macho && go.contains('.')) => go,
                    _ => name,
                };
                Some(Symbol {
                    name: name.to_string(),
                    addr: s.address(),
                    size: s.size(),
                    section: s.section_index().map(|i| i.0),
                    is_text: s.kind() == object::SymbolKind::Text,
                })
            })
            .collect();
        if self.format != Format::Elf {
            infer_sizes(&mut syms, &self.sections);
        }
        syms
    }

    /// Whether a static symbol table is present (ELF `.symtab`, Mach-O/PE symbols).
    pub fn has_symtab(&self) -> bool {
        match self.format {
            Format::Elf => self.section(".symtab").is_some(),
            _ => self.file.symbols().next().is_some(),
        }
    }

    /// The explicit addend of a dynamic relocation that patches `addr` (ELF RELA): the
    /// value a PIE's `R_*_RELATIVE` writes there at load time when the file holds 0.
    pub fn relocation_addend(&self, addr: u64) -> Option<u64> {
        self.file
            .dynamic_relocations()?
            .find(|(off, r)| *off == addr && !r.has_implicit_addend())
            .map(|(_, r)| r.addend() as u64)
    }

    /// Find a symbol by exact name in the static symbol table.
    pub fn symbol(&self, name: &str) -> Option<Symbol> {
        // ELF: compare raw name bytes in the string table before building a symbol. The
        // generic iterator decodes every entry, which on a 100k-symbol binary costs more
        // than the rest of an audit.
        let index = match &self.file {
            object::File::Elf32(f) => elf_symbol_index(f.elf_symbol_table(), f.endian(), name),
            object::File::Elf64(f) => elf_symbol_index(f.elf_symbol_table(), f.endian(), name),
            _ => None,
        };
        let found = match index {
            Some(i) => self.file.symbol_by_index(object::SymbolIndex(i)).ok(),
            None if self.format == Format::Elf => None,
            None => self.file.symbols().find(|s| s.name() == Ok(name)),
        }?;
        Some(Symbol {
            name: name.to_string(),
            addr: found.address(),
            size: found.size(),
            section: found.section_index().map(|i| i.0),
            is_text: found.kind() == object::SymbolKind::Text,
        })
    }

    /// Which of `wanted` are dynamic symbol names: one pass over `.dynsym` comparing raw
    /// name bytes, with no allocation per symbol.
    pub fn dynamic_symbols_among(
        &self,
        wanted: &[&'static str],
    ) -> std::collections::HashSet<&'static str> {
        self.file
            .dynamic_symbols()
            .filter_map(|s| {
                let n = s.name_bytes().ok()?;
                wanted.iter().find(|w| w.as_bytes() == n).copied()
            })
            .collect()
    }

    /// Sections that hold DWARF, by their on-disk name.
    pub fn dwarf_sections(&self) -> impl Iterator<Item = &Section> {
        self.sections
            .iter()
            .filter(|s| is_dwarf_section_name(&s.name))
    }
}

/// Where one static-symbol-table entry and its name live in the file.
#[derive(Debug, Clone)]
pub struct SymtabEntry {
    /// The symbol's name.
    pub name: String,
    /// File range `(offset, len)` of the fixed-size entry (`Elf64_Sym`, `nlist_64`).
    pub entry: (u64, u64),
    /// File range of its NUL-terminated name in the string table (len includes the NUL).
    pub name_range: (u64, u64),
    /// An ELF `STT_FILE` entry: its name is a source or object file (`vfprintf-internal.o`,
    /// `_cgo_export.c`), not a symbol of any package.
    pub is_file: bool,
}

impl<'data> Binary<'data> {
    /// File ranges of the format's own headers: `(what, offset, len)`.
    ///
    /// ELF: the file header, program header table and section header table. Mach-O: the
    /// header with its load commands. PE: everything up to `SizeOfHeaders`.
    pub fn header_ranges(&self) -> Vec<(&'static str, u64, u64)> {
        use object::read::elf::FileHeader;
        use object::read::macho::MachHeader;
        let mut out = Vec::new();
        macro_rules! elf {
            ($f:expr) => {{
                let h = $f.elf_header();
                let e = $f.endian();
                out.push(("ELF header", 0, h.e_ehsize(e) as u64));
                let phoff: u64 = h.e_phoff(e).into();
                out.push((
                    "program headers",
                    phoff,
                    h.e_phentsize(e) as u64 * h.e_phnum(e) as u64,
                ));
                let shoff: u64 = h.e_shoff(e).into();
                // e_shnum can be 0 with the real count in section 0; the parsed table knows.
                let n = $f.elf_section_table().len() as u64;
                out.push(("section headers", shoff, h.e_shentsize(e) as u64 * n));
            }};
        }
        macro_rules! macho {
            ($f:expr) => {{
                let h = $f.macho_header();
                let e = $f.endian();
                let hdr = std::mem::size_of_val(h) as u64;
                out.push((
                    "Mach-O header and load commands",
                    0,
                    hdr + h.sizeofcmds(e) as u64,
                ));
            }};
        }
        match &self.file {
            object::File::Elf32(f) => elf!(f),
            object::File::Elf64(f) => elf!(f),
            object::File::MachO32(f) => macho!(f),
            object::File::MachO64(f) => macho!(f),
            object::File::Pe32(f) => out.push((
                "PE headers",
                0,
                f.nt_headers()
                    .optional_header
                    .size_of_headers
                    .get(object::LittleEndian) as u64,
            )),
            object::File::Pe64(f) => out.push((
                "PE headers",
                0,
                f.nt_headers()
                    .optional_header
                    .size_of_headers
                    .get(object::LittleEndian) as u64,
            )),
            _ => {}
        }
        out.retain(|&(_, off, len)| {
            len > 0 && in_bounds(self.data.len(), off, len.min(self.data.len() as u64))
        });
        out
    }

    /// Every static-symbol-table entry with the file ranges it occupies (ELF `.symtab`,
    /// Mach-O `nlist`, COFF records); empty when stripped.
    pub fn symtab_entries(&self) -> Vec<SymtabEntry> {
        use object::read::elf::Sym;
        let mut out = Vec::new();
        macro_rules! elf {
            ($f:expr, $sym:ty) => {{
                let e = $f.endian();
                let table = $f.elf_symbol_table();
                let Some(sec) = self.sections.iter().find(|s| s.index == table.section().0) else {
                    return out;
                };
                let Some(str_sec) = self
                    .sections
                    .iter()
                    .find(|s| s.index == table.string_section().0)
                else {
                    return out;
                };
                let (Some((sym_off, _)), Some((str_off, str_len))) =
                    (sec.file_range, str_sec.file_range)
                else {
                    return out;
                };
                let strings = table.strings();
                let size = std::mem::size_of::<$sym>() as u64;
                for (i, sym) in table.symbols().iter().enumerate() {
                    let name_off = sym.st_name(e) as u64;
                    let name = strings.get(sym.st_name(e)).unwrap_or(&[]);
                    let name_len = if name_off < str_len {
                        (name.len() as u64 + 1).min(str_len - name_off)
                    } else {
                        0
                    };
                    out.push(SymtabEntry {
                        name: String::from_utf8_lossy(name).into_owned(),
                        entry: (sym_off + i as u64 * size, size),
                        name_range: (str_off + name_off, name_len),
                        is_file: sym.st_type() == object::elf::STT_FILE,
                    });
                }
            }};
        }
        match &self.file {
            object::File::Elf32(f) => elf!(f, object::elf::Sym32<object::Endianness>),
            object::File::Elf64(f) => elf!(f, object::elf::Sym64<object::Endianness>),
            object::File::MachO32(_) | object::File::MachO64(_) => {
                return self.macho_symtab_entries();
            }
            object::File::Pe32(f) => return self.coff_symtab_entries(&f.nt_headers().file_header),
            object::File::Pe64(f) => return self.coff_symtab_entries(&f.nt_headers().file_header),
            _ => {}
        }
        out
    }

    /// Mach-O `nlist` entries (`LC_SYMTAB`) and their names. Names lose the linker's
    /// underscore as in [`Binary::symbols`].
    fn macho_symtab_entries(&self) -> Vec<SymtabEntry> {
        let mut out = Vec::new();
        let Some((symoff, nsyms, stroff, strsize)) = self.macho_symtab_command() else {
            return out;
        };
        let size: u64 = if self.ptr_size == 8 { 16 } else { 12 };
        // The count is the file's word: never walk past what the file can hold.
        let nsyms = nsyms.min(self.data.len() as u64 / size);
        let strtab = self.bytes_at(stroff, strsize).unwrap_or(&[]);
        let mut raw = Vec::with_capacity(nsyms as usize);
        for i in 0..nsyms {
            let entry = symoff + i * size;
            let Some(strx) = self
                .bytes_at(entry, size)
                .map(|b| read_uint(b, 4, self.big_endian))
            else {
                break;
            };
            let name = strtab
                .get(strx as usize..)
                .map(|t| &t[..memchr::memchr(0, t).unwrap_or(t.len())])
                .unwrap_or(&[]);
            let name_len = if strx < strsize {
                (name.len() as u64 + 1).min(strsize - strx)
            } else {
                0
            };
            raw.push((name, (entry, size), (stroff + strx, name_len)));
        }
        let all_prefixed = raw.iter().any(|(n, ..)| n.starts_with(b"_runtime."));
        for (name, entry, name_range) in raw {
            let name = match name.strip_prefix(b"_") {
                Some(go) if all_prefixed || go.contains(&b'.') => go,
                _ => name,
            };
            out.push(SymtabEntry {
                name: String::from_utf8_lossy(name).into_owned(),
                entry,
                name_range,
                is_file: false,
            });
        }
        out
    }

    /// COFF symbol records (18 bytes, auxiliary records charged to their symbol) and
    /// their long names in the string table that follows them.
    fn coff_symtab_entries(&self, h: &object::pe::ImageFileHeader) -> Vec<SymtabEntry> {
        const REC: u64 = 18;
        let le = object::LittleEndian;
        let mut out = Vec::new();
        let ptr = h.pointer_to_symbol_table.get(le) as u64;
        let n = h.number_of_symbols.get(le) as u64;
        if ptr == 0 || n == 0 {
            return out;
        }
        let n = n.min(self.data.len() as u64 / REC);
        let str_off = ptr + n * REC;
        let str_len = self
            .bytes_at(str_off, 4)
            .map_or(0, |b| read_uint(b, 4, false))
            .min((self.data.len() as u64).saturating_sub(str_off));
        let strtab = self.bytes_at(str_off, str_len).unwrap_or(&[]);
        let mut i = 0;
        while i < n {
            let Some(rec) = self.bytes_at(ptr + i * REC, REC) else {
                break;
            };
            let aux = (rec[17] as u64).min(n - i - 1);
            let (name, name_range) = if rec[..4] == [0, 0, 0, 0] {
                let off = read_uint(&rec[4..8], 4, false);
                let name = strtab
                    .get(off as usize..)
                    .map(|t| &t[..memchr::memchr(0, t).unwrap_or(t.len())])
                    .unwrap_or(&[]);
                let len = if off < str_len {
                    (name.len() as u64 + 1).min(str_len - off)
                } else {
                    0
                };
                (name, (str_off + off, len))
            } else {
                let short = &rec[..8];
                (&short[..memchr::memchr(0, short).unwrap_or(8)], (0, 0))
            };
            out.push(SymtabEntry {
                name: String::from_utf8_lossy(name).into_owned(),
                entry: (ptr + i * REC, REC * (1 + aux)),
                name_range,
                is_file: false,
            });
            i += 1 + aux;
        }
        // The string table's size word belongs to the table, not to a name.
        if str_len >= 4 {
            out.push(SymtabEntry {
                name: String::new(),
                entry: (str_off, 4),
                name_range: (str_off, 0),
                is_file: false,
            });
        }
        out
    }

    /// `(symoff, nsyms, stroff, strsize)` of a Mach-O's `LC_SYMTAB`.
    fn macho_symtab_command(&self) -> Option<(u64, u64, u64, u64)> {
        let mut found = None;
        self.for_each_macho_command(|cmd, b| {
            if cmd == 0x2 {
                let w = |k| word(b, k, self.big_endian);
                found = Some((w(8)?, w(12)?, w(16)?, w(20)?));
            }
            Some(())
        });
        found
    }

    /// Call `f(cmd, raw command bytes)` for every Mach-O load command.
    fn for_each_macho_command(&self, mut f: impl FnMut(u32, &[u8]) -> Option<()>) {
        macro_rules! walk {
            ($file:expr) => {{
                if let Ok(mut cmds) = $file.macho_load_commands() {
                    while let Ok(Some(c)) = cmds.next() {
                        let _ = f(c.cmd().0, c.raw_data());
                    }
                }
            }};
        }
        match &self.file {
            object::File::MachO32(m) => walk!(m),
            object::File::MachO64(m) => walk!(m),
            _ => {}
        }
    }

    /// What the Mach-O `__LINKEDIT` segment holds, `(what, offset, len)`: the symbol and
    /// string tables, dyld's rebase/bind/export data, the code signature and the other
    /// `linkedit_data_command` tables, then the whole segment as `__LINKEDIT` last.
    /// Empty for other formats. Ranges are clamped to the file.
    pub fn linkedit_ranges(&self) -> Vec<(&'static str, u64, u64)> {
        let mut out: Vec<(&'static str, u64, u64)> = Vec::new();
        let big = self.big_endian;
        let wide = self.ptr_size == 8;
        let mut segment = None;
        self.for_each_macho_command(|cmd, b| {
            let w = |k| word(b, k, big);
            let mut push = |what, off: u64, len: u64| out.push((what, off, len));
            match cmd {
                // LC_SEGMENT / LC_SEGMENT_64 named __LINKEDIT.
                0x1 | 0x19 if b.get(8..24)?.starts_with(b"__LINKEDIT\0") => {
                    segment = Some(if cmd == 0x19 {
                        let b8 = |k: usize| b.get(k..k + 8).map(|x| read_uint(x, 8, big));
                        (b8(40)?, b8(48)?)
                    } else {
                        (w(32)?, w(36)?)
                    });
                }
                0x2 => {
                    let entry = if wide { 16 } else { 12 };
                    push("symbol table", w(8)?, w(12)?.saturating_mul(entry));
                    push("string table", w(16)?, w(20)?);
                }
                0xb => {
                    push("indirect symbol table", w(56)?, w(60)?.saturating_mul(4));
                    push("relocations", w(64)?, w(68)?.saturating_mul(8));
                    push("relocations", w(72)?, w(76)?.saturating_mul(8));
                }
                // LC_DYLD_INFO, LC_DYLD_INFO_ONLY.
                0x22 | 0x8000_0022 => {
                    push("rebase info", w(8)?, w(12)?);
                    push("bind info", w(16)?, w(20)?);
                    push("weak bind info", w(24)?, w(28)?);
                    push("lazy bind info", w(32)?, w(36)?);
                    push("export info", w(40)?, w(44)?);
                }
                _ => {
                    let what = match cmd {
                        0x1d => "code signature",
                        0x1e => "segment split info",
                        0x26 => "function starts",
                        0x29 => "data in code",
                        0x2b => "code signing requirements",
                        0x2e => "linker optimization hints",
                        0x8000_0033 => "exports trie",
                        0x8000_0034 => "chained fixups",
                        _ => return Some(()),
                    };
                    push(what, w(8)?, w(12)?);
                }
            }
            Some(())
        });
        if let Some((off, len)) = segment {
            out.push(("__LINKEDIT", off, len));
        }
        let file_len = self.data.len();
        out.retain(|&(_, _, len)| len > 0);
        for r in &mut out {
            r.2 = clamp_len(file_len, r.1, r.2);
        }
        out.retain(|&(_, _, len)| len > 0);
        out
    }
}

/// Give every sizeless defined symbol the distance to the next higher address among the
/// symbols of its section, or to the section end for the last one.
///
/// Section-boundary markers the linker defines (`runtime.etext`, `runtime.pclntab`, ...)
/// stay sizeless as they are in ELF: they delimit ranges that finer sources (the
/// pclntab's per-function records, other symbols) attribute better, and a marker sized to
/// the next symbol would claim a whole table for `runtime`.
fn infer_sizes(syms: &mut [Symbol], sections: &[Section]) {
    let mut order: Vec<usize> = (0..syms.len())
        .filter(|&i| syms[i].section.is_some())
        .collect();
    order.sort_by_key(|&i| (syms[i].section, syms[i].addr));
    let section_end: std::collections::HashMap<usize, u64> = sections
        .iter()
        .map(|s| (s.index, s.addr.saturating_add(s.size)))
        .collect();
    let mut k = 0;
    while k < order.len() {
        let sec = syms[order[k]].section;
        let mut end = k;
        while end < order.len() && syms[order[end]].section == sec {
            end += 1;
        }
        let group = &order[k..end];
        let limit = sec.and_then(|i| section_end.get(&i).copied());
        // `next` walks forward to the first symbol strictly above the current address.
        let mut next = 0;
        for (j, &i) in group.iter().enumerate() {
            let addr = syms[i].addr;
            next = next.max(j);
            while next < group.len() && syms[group[next]].addr <= addr {
                next += 1;
            }
            if syms[i].size != 0 || is_boundary_marker(&syms[i].name) {
                continue;
            }
            let stop = group.get(next).map(|&n| syms[n].addr).or(limit);
            syms[i].size = stop.map_or(0, |e| e.saturating_sub(addr));
        }
        k = end;
    }
}

/// Symbols the Go linker defines to mark where a section or table starts or ends.
fn is_boundary_marker(name: &str) -> bool {
    // The FIPS bounds (go:textfipsstart, ...) are real one-byte symbols, not markers.
    let name = name.strip_prefix('_').unwrap_or(name);
    matches!(
        name.strip_prefix("runtime."),
        Some(
            "text"
                | "etext"
                | "rodata"
                | "erodata"
                | "types"
                | "etypes"
                | "pclntab"
                | "epclntab"
                | "noptrdata"
                | "enoptrdata"
                | "data"
                | "edata"
                | "bss"
                | "ebss"
                | "noptrbss"
                | "enoptrbss"
                | "end"
                | "covctrs"
                | "ecovctrs"
                | "gcdata"
                | "egcdata"
                | "gcbss"
                | "egcbss"
                | "__start___sancov_cntrs"
                | "__stop___sancov_cntrs"
        )
    ) || matches!(name, "etext" | "edata" | "end")
}

fn elf_symbol_index<'d, E: object::read::elf::FileHeader>(
    table: &object::read::elf::SymbolTable<'d, E>,
    endian: E::Endian,
    name: &str,
) -> Option<usize> {
    use object::read::elf::Sym;
    let strings = table.strings();
    table
        .symbols()
        .iter()
        .position(|sym| strings.get(sym.st_name(endian)) == Ok(name.as_bytes()))
}

/// `.debug_*`, legacy `.zdebug_*`, Mach-O `__debug_*`/`__zdebug_*`.
pub fn is_dwarf_section_name(name: &str) -> bool {
    name.starts_with(".debug_")
        || name.starts_with(".zdebug_")
        || name.starts_with("__debug_")
        || name.starts_with("__zdebug_")
}

/// Read an unsigned integer of `size` bytes (1..=8) in the given byte order.
///
/// The caller guarantees `b.len() >= size`.
pub fn read_uint(b: &[u8], size: usize, big_endian: bool) -> u64 {
    let b = &b[..size.min(8).min(b.len())];
    let mut v = 0u64;
    if big_endian {
        for &x in b {
            v = (v << 8) | x as u64;
        }
    } else {
        for &x in b.iter().rev() {
            v = (v << 8) | x as u64;
        }
    }
    v
}

/// The 32-bit word at byte `at` of a load command, widened.
fn word(b: &[u8], at: usize, big_endian: bool) -> Option<u64> {
    b.get(at..at.checked_add(4)?)
        .map(|x| read_uint(x, 4, big_endian))
}

fn in_bounds(len: usize, off: u64, size: u64) -> bool {
    off.checked_add(size).is_some_and(|end| end <= len as u64)
}

fn clamp_len(len: usize, off: u64, size: u64) -> u64 {
    let len = len as u64;
    if off >= len { 0 } else { size.min(len - off) }
}

fn section_flags(s: &object::Section<'_, '_>, name: &str) -> (bool, bool, bool, bool) {
    let legacy_z = name.starts_with(".zdebug_") || name.starts_with("__zdebug_");
    match s.flags() {
        object::SectionFlags::Elf { sh_flags, .. } => {
            let f = sh_flags.0;
            let alloc = f & object::elf::SHF_ALLOC.0 != 0;
            let write = f & object::elf::SHF_WRITE.0 != 0;
            let exec = f & object::elf::SHF_EXECINSTR.0 != 0;
            let compressed = f & object::elf::SHF_COMPRESSED.0 != 0 || legacy_z;
            (alloc, write, exec, compressed)
        }
        object::SectionFlags::Coff { characteristics } => {
            let c = characteristics.0;
            let alloc = c & object::pe::IMAGE_SCN_MEM_DISCARDABLE.0 == 0 && s.address() != 0;
            let write = c & object::pe::IMAGE_SCN_MEM_WRITE.0 != 0;
            let exec = c & object::pe::IMAGE_SCN_MEM_EXECUTE.0 != 0;
            (alloc, write, exec, legacy_z)
        }
        _ => {
            // Mach-O: the segment decides. __DWARF is not loaded; __TEXT is executable.
            let seg = s.segment_name().ok().flatten().unwrap_or("");
            let alloc = seg != "__DWARF" && s.address() != 0;
            let write = seg.starts_with("__DATA");
            let exec = seg == "__TEXT" && s.kind() == object::SectionKind::Text;
            (alloc, write, exec, legacy_z)
        }
    }
}

/// Go's name for an architecture (GOARCH), falling back to object's name.
fn go_arch_name(a: object::Architecture) -> &'static str {
    use object::Architecture as A;
    match a {
        A::X86_64 => "amd64",
        A::X86_64_X32 => "amd64p32",
        A::I386 => "386",
        A::Aarch64 => "arm64",
        A::Arm => "arm",
        A::LoongArch64 => "loong64",
        A::Mips => "mips",
        A::Mips64 => "mips64",
        A::PowerPc => "ppc",
        A::PowerPc64 => "ppc64",
        A::Riscv64 => "riscv64",
        A::S390x => "s390x",
        A::Wasm32 => "wasm",
        A::Sparc64 => "sparc64",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_uint_both_orders() {
        assert_eq!(read_uint(&[1, 2, 3, 4], 4, false), 0x04030201);
        assert_eq!(read_uint(&[1, 2, 3, 4], 4, true), 0x01020304);
        assert_eq!(read_uint(&[0xff; 8], 8, false), u64::MAX);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(Binary::parse(b"").is_err());
        assert!(Binary::parse(b"\x7fELF\x02\x01\x01").is_err());
        assert!(Binary::parse(&[0u8; 4096]).is_err());
    }

    #[test]
    fn sizeless_symbols_run_to_the_next_symbol_of_their_section() {
        let sym = |name: &str, addr, section| Symbol {
            name: name.into(),
            addr,
            size: 0,
            section: Some(section),
            is_text: false,
        };
        let sec = |index, addr, size| Section {
            index,
            name: String::new(),
            segment: String::new(),
            addr,
            size,
            file_range: None,
            alloc: true,
            writable: false,
            executable: false,
            compressed: false,
        };
        let mut syms = vec![
            sym("b", 0x120, 1),
            sym("a", 0x100, 1),
            sym("a.alias", 0x100, 1),
            sym("runtime.etext", 0x130, 1),
            sym("c", 0x130, 1),
            sym("d", 0x200, 2),
        ];
        infer_sizes(&mut syms, &[sec(1, 0x100, 0x40), sec(2, 0x200, 0x10)]);
        let sizes: Vec<(&str, u64)> = syms.iter().map(|s| (s.name.as_str(), s.size)).collect();
        assert_eq!(
            sizes,
            [
                ("b", 0x10),
                ("a", 0x20),
                ("a.alias", 0x20),
                // A boundary marker stays sizeless; the symbol at the same address runs
                // to its section's end, never into the next section.
                ("runtime.etext", 0),
                ("c", 0x10),
                ("d", 0x10),
            ]
        );
    }

    #[test]
    fn parses_this_test_binary() {
        let exe = std::env::current_exe().unwrap();
        let data = std::fs::read(exe).unwrap();
        let b = Binary::parse(&data).unwrap();
        assert_eq!(b.format, Format::Elf);
        assert!(!b.sections.is_empty());
        let text = b.section(".text").unwrap();
        assert!(text.executable && text.alloc);
        assert_eq!(
            b.vaddr_to_offset(text.addr),
            Some(text.file_range.unwrap().0)
        );
    }
}
