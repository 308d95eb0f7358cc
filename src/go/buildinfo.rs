//! Buildinfo: the `\xff Go buildinf:` blob the Go linker leaves in every binary since
//! Go 1.13, decoded the way `debug/buildinfo` and `runtime/debug.ParseBuildInfo` do, and
//! rendered exactly as `go version -m` prints it.
//!
//! The blob is found by the same rule Go uses (a named section, else the first writable
//! data segment or section), so that goaudit and `go version` agree on which files have
//! buildinfo. Go trusts whatever follows the magic; this reader additionally bounds every
//! length and checks that the version looks like a Go version, because a UPX-packed file
//! can carry the magic followed by compressed garbage.
//!
//! When the header is gone (stripped by a release pipeline, or a toolchain older than
//! 1.13), the version is recovered from `runtime.buildVersion` or from read-only data
//! and the result is marked `inferred`.
//!
//! Go strings are bytes and modinfo need not be UTF-8 (a `CGO_CFLAGS` value is copied
//! from the environment), so parsing and rendering work on bytes; the public string
//! fields are the lossy view for JSON and for the audit.

use std::sync::OnceLock;

use crate::binary::{Binary, Format, read_uint};
use crate::error::ParseError;

/// One module line of the modinfo (`mod`, `dep`, or a `=>` replacement).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Module {
    /// Module path.
    pub path: String,
    /// Version, `(devel)` for the main module of a local build.
    pub version: String,
    /// `h1:` checksum when recorded.
    pub sum: Option<String>,
    /// The module this one is replaced by.
    pub replace: Option<Box<Module>>,
}

/// Decoded buildinfo.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct BuildInfo {
    /// Toolchain version, e.g. `go1.26.8`.
    pub go_version: String,
    /// Main package path (`path` line).
    pub path: Option<String>,
    /// Main module (`mod` line).
    pub main: Option<Module>,
    /// Dependencies (`dep` lines), in file order.
    pub deps: Vec<Module>,
    /// Build settings (`build KEY=VALUE` lines), in file order.
    pub settings: Vec<(String, String)>,
    /// True when the header was missing and the version was recovered another way.
    pub inferred: bool,
    /// How an inferred version was recovered: `runtime.buildVersion` (the string
    /// variable, found through the symbol table) or `version string in <section>` (a
    /// scan of read-only data). Absent when the header was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inferred_from: Option<String>,
    /// The modinfo text as stored in the binary (sentinels stripped); empty when the
    /// value was built by hand. The string fields above are lossy where this holds bytes
    /// that are not UTF-8, so rendering goes back to these bytes when they are present.
    #[serde(skip)]
    pub modinfo: Vec<u8>,
}

impl BuildInfo {
    /// Value of a build setting such as `CGO_ENABLED` or `-tags`.
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The modinfo text as `runtime/debug.BuildInfo.String` renders it, without the
    /// `go` line (which `go version -m` prints separately).
    pub fn modinfo_string(&self) -> String {
        String::from_utf8_lossy(&self.raw().render()).into_owned()
    }

    /// The byte-exact view: re-parsed from the stored text when there is one (it parsed
    /// once already, so it parses again), else taken from the string fields.
    fn raw(&self) -> RawInfo {
        if !self.modinfo.is_empty()
            && let Ok(r) = parse_raw(&self.modinfo)
        {
            return r;
        }
        RawInfo::from(self)
    }
}

/// Render exactly what `go version -m FILE` prints for this buildinfo.
///
/// Lossy only where the binary holds bytes that are not UTF-8; see
/// [`format_go_version_m_bytes`] for the exact bytes.
pub fn format_go_version_m(label: &str, bi: &BuildInfo) -> String {
    String::from_utf8_lossy(&format_go_version_m_bytes(label.as_bytes(), bi)).into_owned()
}

/// Exactly the bytes `go version -m FILE` prints, `label` being the file name as given.
pub fn format_go_version_m_bytes(label: &[u8], bi: &BuildInfo) -> Vec<u8> {
    let mut out = label.to_vec();
    out.extend_from_slice(b": ");
    out.extend_from_slice(bi.go_version.as_bytes());
    out.push(b'\n');
    let m = bi.raw().render();
    if let Some(body) = m
        .strip_suffix(b"\n")
        .or((!m.is_empty()).then_some(m.as_slice()))
    {
        out.push(b'\t');
        for &c in body {
            out.push(c);
            if c == b'\n' {
                out.push(b'\t');
            }
        }
        out.push(b'\n');
    }
    out
}

/// A module line as bytes (Go strings are bytes; modinfo need not be UTF-8).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct RawModule {
    path: Vec<u8>,
    version: Vec<u8>,
    sum: Vec<u8>,
    replace: Option<Box<RawModule>>,
}

impl RawModule {
    fn is_zero(&self) -> bool {
        self.path.is_empty()
            && self.version.is_empty()
            && self.sum.is_empty()
            && self.replace.is_none()
    }

    fn to_module(&self) -> Module {
        Module {
            path: lossy(&self.path),
            version: lossy(&self.version),
            sum: (!self.sum.is_empty()).then(|| lossy(&self.sum)),
            replace: self.replace.as_ref().map(|r| Box::new(r.to_module())),
        }
    }

    fn from_module(m: &Module) -> Self {
        RawModule {
            path: m.path.as_bytes().to_vec(),
            version: m.version.as_bytes().to_vec(),
            sum: m.sum.as_deref().unwrap_or("").as_bytes().to_vec(),
            replace: m
                .replace
                .as_ref()
                .map(|r| Box::new(RawModule::from_module(r))),
        }
    }
}

/// `runtime/debug.BuildInfo` without the Go version, as bytes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct RawInfo {
    path: Vec<u8>,
    main: RawModule,
    deps: Vec<RawModule>,
    settings: Vec<(Vec<u8>, Vec<u8>)>,
}

impl From<&BuildInfo> for RawInfo {
    fn from(bi: &BuildInfo) -> Self {
        RawInfo {
            path: bi.path.as_deref().unwrap_or("").as_bytes().to_vec(),
            main: bi
                .main
                .as_ref()
                .map(RawModule::from_module)
                .unwrap_or_default(),
            deps: bi.deps.iter().map(RawModule::from_module).collect(),
            settings: bi
                .settings
                .iter()
                .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
                .collect(),
        }
    }
}

impl RawInfo {
    fn to_build_info(&self, modinfo: &[u8]) -> BuildInfo {
        BuildInfo {
            path: (!self.path.is_empty()).then(|| lossy(&self.path)),
            main: (!self.main.is_zero()).then(|| self.main.to_module()),
            deps: self.deps.iter().map(RawModule::to_module).collect(),
            settings: self
                .settings
                .iter()
                .map(|(k, v)| (lossy(k), lossy(v)))
                .collect(),
            modinfo: modinfo.to_vec(),
            ..Default::default()
        }
    }

    /// `runtime/debug.BuildInfo.String` minus the `go` line.
    fn render(&self) -> Vec<u8> {
        let mut buf = Vec::new();
        if !self.path.is_empty() {
            buf.extend_from_slice(b"path\t");
            buf.extend_from_slice(&self.path);
            buf.push(b'\n');
        }
        if !self.main.is_zero() {
            format_module(&mut buf, b"mod", &self.main);
        }
        for d in &self.deps {
            format_module(&mut buf, b"dep", d);
        }
        for (k, v) in &self.settings {
            buf.extend_from_slice(b"build\t");
            if quote_key_bytes(k) {
                buf.extend(go_quote_bytes(k));
            } else {
                buf.extend_from_slice(k);
            }
            buf.push(b'=');
            if quote_value_bytes(v) {
                buf.extend(go_quote_bytes(v));
            } else {
                buf.extend_from_slice(v);
            }
            buf.push(b'\n');
        }
        buf
    }
}

/// A replaced module ends with an extra newline: Go's formatter writes the line break
/// after the `=>` line and then the one every module line gets, so `go version -m`
/// shows a line holding only a tab there.
fn format_module(buf: &mut Vec<u8>, word: &[u8], m: &RawModule) {
    buf.extend_from_slice(word);
    buf.push(b'\t');
    buf.extend_from_slice(&m.path);
    buf.push(b'\t');
    buf.extend_from_slice(&m.version);
    match &m.replace {
        None => {
            buf.push(b'\t');
            buf.extend_from_slice(&m.sum);
        }
        Some(r) => {
            buf.push(b'\n');
            format_module(buf, b"=>", r);
        }
    }
    buf.push(b'\n');
}

const MAGIC: &[u8] = b"\xff Go buildinf:";
const ALIGN: u64 = 16;
const HEADER_SIZE: usize = 32;
/// Real versions are under 100 bytes (`devel go1.24-abcdef Tue ...` plus experiments).
const MAX_VERSION_LEN: u64 = 4096;
/// The largest real modinfo seen is well under 1 MiB (a few thousand deps); anything
/// beyond this is a corrupt length, not a build.
const MAX_MODINFO_LEN: u64 = 8 << 20;
const FLAG_BIG_ENDIAN: u8 = 0x1;
const FLAG_INLINE: u8 = 0x2;

/// Find and decode buildinfo; `Ok(None)` when the binary has none.
///
/// A header that is found but broken is an error; a missing header falls back to
/// inferring the version (see the module docs), and a file with no sign of Go at all
/// yields `Ok(None)`.
pub fn read(bin: &Binary<'_>) -> Result<Option<BuildInfo>, ParseError> {
    if let Some(addr) = find_header(bin) {
        return decode_at(bin, addr).map(Some);
    }
    Ok(infer_version(bin).map(|(v, from)| BuildInfo {
        go_version: v,
        inferred: true,
        inferred_from: Some(from),
        ..Default::default()
    }))
}

/// The bytes from `addr` to the end of the file-backed part of the mapping holding it.
///
/// Go reads blob contents through one segment (ELF program header, Mach-O segment, PE
/// section), so a string running past its segment is rejected here too.
fn data_at<'a>(bin: &Binary<'a>, addr: u64) -> Option<&'a [u8]> {
    let seg = bin.segments.iter().find(|s| {
        let (_, flen) = s.file_range;
        addr >= s.addr && addr - s.addr < flen
    })?;
    let (off, flen) = seg.file_range;
    let skip = addr - seg.addr;
    bin.bytes_at(off.checked_add(skip)?, flen - skip)
}

/// The address range debug/buildinfo searches for the magic.
fn search_range(bin: &Binary<'_>) -> Option<(u64, u64)> {
    let named = match bin.format {
        Format::Elf => ".go.buildinfo",
        Format::Macho => "__go_buildinfo",
        Format::Pe => "",
    };
    if !named.is_empty()
        && let Some(s) = bin.section(named)
    {
        return Some((s.addr, s.size));
    }
    match bin.format {
        Format::Elf => bin
            .segments
            .iter()
            .find(|s| s.writable && !s.executable)
            .map(|s| (s.addr, s.size)),
        Format::Macho => bin
            .segments
            .iter()
            .find(|s| s.addr != 0 && s.file_range.1 != 0 && s.writable && !s.executable)
            .map(|s| (s.addr, s.size)),
        Format::Pe => bin
            .sections
            .iter()
            .find(|s| {
                s.addr != 0
                    && s.file_range.is_some_and(|(_, n)| n != 0)
                    && s.writable
                    && !s.executable
            })
            .map(|s| (s.addr, s.size)),
    }
}

/// Address of the first 16-byte aligned magic with room for a full header.
fn find_header(bin: &Binary<'_>) -> Option<u64> {
    let (start, size) = search_range(bin)?;
    let end = start.checked_add(size)?;
    let mut addr = start.checked_add(ALIGN - 1)? & !(ALIGN - 1);
    while addr < end {
        // The range may span several mappings (a segment's memory size covers .bss);
        // search what the file backs, one mapping at a time, as Go's chunked reads do.
        let data = data_at(bin, addr)?;
        let avail = (end - addr).min(data.len() as u64) as usize;
        let hay = &data[..avail];
        let mut from = 0usize;
        while let Some(i) = memchr::memmem::find(&hay[from..], MAGIC) {
            let i = from + i;
            let at = addr.checked_add(i as u64)?;
            if at.is_multiple_of(ALIGN) {
                if end - at < HEADER_SIZE as u64 {
                    return None;
                }
                return Some(at);
            }
            from = i + 1;
        }
        addr = addr.checked_add(avail as u64)?;
    }
    None
}

fn decode_at(bin: &Binary<'_>, addr: u64) -> Result<BuildInfo, ParseError> {
    let header = data_at(bin, addr)
        .and_then(|d| d.get(..HEADER_SIZE))
        .ok_or_else(|| ParseError::new("buildinfo", "header truncated"))?;
    let (version, modinfo) = decode_header(
        header,
        |a, n| {
            let d = data_at(bin, a)?;
            Some(&d[..usize::try_from(n).ok()?.min(d.len())])
        },
        addr,
    )?;
    finish(version, modinfo)
}

/// Decode the 32-byte header at `addr` into the raw version and modinfo strings.
///
/// `read(addr, n)` returns up to `n` bytes at `addr` (fewer at the end of a mapping).
fn decode_header<'a>(
    header: &[u8],
    read: impl Fn(u64, u64) -> Option<&'a [u8]>,
    addr: u64,
) -> Result<(&'a [u8], &'a [u8]), ParseError> {
    let err = |what: &str| ParseError::new("buildinfo", what.to_string());
    let (Some(&ptr_size), Some(&flags)) = (header.get(14), header.get(15)) else {
        return Err(err("header truncated"));
    };
    if header.len() < HEADER_SIZE {
        return Err(err("header truncated"));
    }
    if flags & FLAG_INLINE != 0 {
        let vaddr = addr
            .checked_add(HEADER_SIZE as u64)
            .ok_or_else(|| err("address overflow"))?;
        let (version, next) = inline_string(&read, vaddr, MAX_VERSION_LEN, "version")?;
        let (modinfo, _) = inline_string(&read, next, MAX_MODINFO_LEN, "modinfo")?;
        return Ok((version, modinfo));
    }
    let ps = match ptr_size {
        4 | 8 => ptr_size as usize,
        n => return Err(err(&format!("pointer size {n} in header, want 4 or 8"))),
    };
    let be = flags & FLAG_BIG_ENDIAN != 0;
    let vers_ptr = read_uint(&header[16..], ps, be);
    let mod_ptr = read_uint(&header[16 + ps..], ps, be);
    // Like Go, an unreadable string header yields an empty string; an empty version is
    // rejected below.
    let version = pointer_string(&read, vers_ptr, ps, be, MAX_VERSION_LEN).unwrap_or(b"");
    let modinfo = pointer_string(&read, mod_ptr, ps, be, MAX_MODINFO_LEN).unwrap_or(b"");
    Ok((version, modinfo))
}

fn inline_string<'a>(
    read: &impl Fn(u64, u64) -> Option<&'a [u8]>,
    addr: u64,
    max: u64,
    what: &str,
) -> Result<(&'a [u8], u64), ParseError> {
    let head = read(addr, 10)
        .ok_or_else(|| ParseError::new("buildinfo", format!("{what} length past end of data")))?;
    let (len, n) = uvarint(head)
        .ok_or_else(|| ParseError::new("buildinfo", format!("bad {what} length varint")))?;
    if len > max {
        return Err(ParseError::new(
            "buildinfo",
            format!("{what} length {len} exceeds limit {max}"),
        ));
    }
    // A hostile mapping can sit at the top of the address space.
    let overflow = || ParseError::new("buildinfo", format!("{what} address overflow"));
    let start = addr.checked_add(n as u64).ok_or_else(overflow)?;
    let next = start.checked_add(len).ok_or_else(overflow)?;
    if len == 0 {
        return Ok((&[], next));
    }
    let data = read(start, len)
        .filter(|d| d.len() as u64 == len)
        .ok_or_else(|| {
            ParseError::new(
                "buildinfo",
                format!("{what} of {len} bytes runs past its segment"),
            )
        })?;
    Ok((data, next))
}

fn pointer_string<'a>(
    read: &impl Fn(u64, u64) -> Option<&'a [u8]>,
    addr: u64,
    ps: usize,
    be: bool,
    max: u64,
) -> Option<&'a [u8]> {
    let hdr = read(addr, 2 * ps as u64).filter(|h| h.len() == 2 * ps)?;
    let data_addr = read_uint(hdr, ps, be);
    let len = read_uint(&hdr[ps..], ps, be);
    if len > max {
        return None;
    }
    if len == 0 {
        return Some(b"");
    }
    read(data_addr, len).filter(|d| d.len() as u64 == len)
}

/// Go's `binary.Uvarint`: `None` for a truncated or overflowing encoding.
fn uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut x = 0u64;
    let mut s = 0u32;
    for (i, &byte) in b.iter().enumerate().take(10) {
        if byte < 0x80 {
            if i == 9 && byte > 1 {
                return None;
            }
            return Some((x | (byte as u64) << s, i + 1));
        }
        x |= ((byte & 0x7f) as u64) << s;
        s += 7;
    }
    None
}

/// Validate the version, strip the modinfo sentinels and parse.
fn finish(version: &[u8], modinfo: &[u8]) -> Result<BuildInfo, ParseError> {
    if version.is_empty() {
        return Err(ParseError::new("buildinfo", "empty go version"));
    }
    if !plausible_version(version) {
        return Err(ParseError::new(
            "buildinfo",
            format!(
                "go version {:?} is not a go version (packed or corrupt file?)",
                String::from_utf8_lossy(&version[..version.len().min(40)])
            ),
        ));
    }
    // The sentinels are cmd/go's 16-byte infoStart/infoEnd markers; Go checks only the
    // shape (length and the newline before the end marker), not their contents.
    let modinfo = if modinfo.len() >= 33 && modinfo[modinfo.len() - 17] == b'\n' {
        &modinfo[16..modinfo.len() - 16]
    } else {
        &[][..]
    };
    let mut bi = parse_modinfo(modinfo)?;
    bi.go_version = lossy(version);
    Ok(bi)
}

/// Release (`go1.22.3`), pre-release, `devel ...` and vendor builds all start with `go`
/// or `devel` and are printable ASCII.
fn plausible_version(v: &[u8]) -> bool {
    (v.starts_with(b"go") || v.starts_with(b"devel"))
        && v.iter().all(|&c| (0x20..0x7f).contains(&c))
}

/// Where the last module line was, so a `=>` line can attach its replacement.
#[derive(Clone, Copy)]
enum Last {
    None,
    Main,
    Dep(usize),
}

/// `runtime/debug.ParseBuildInfo`: the same lines accepted, the same ones ignored (any
/// unknown line, and a final line without a newline), the same ones rejected.
pub fn parse_modinfo(data: &[u8]) -> Result<BuildInfo, ParseError> {
    parse_raw(data).map(|r| r.to_build_info(data))
}

fn parse_raw(data: &[u8]) -> Result<RawInfo, ParseError> {
    let mut bi = RawInfo::default();
    let mut last = Last::None;
    let mut line_num = 1usize;
    let mut rest = data;
    let fail = |n: usize, what: String| ParseError::new("buildinfo", format!("line {n}: {what}"));
    while let Some(nl) = memchr::memchr(b'\n', rest) {
        let line = &rest[..nl];
        rest = &rest[nl + 1..];
        if let Some(p) = line.strip_prefix(b"path\t") {
            bi.path = p.to_vec();
        } else if let Some(m) = line.strip_prefix(b"mod\t") {
            bi.main = module_line(m).map_err(|e| fail(line_num, e))?;
            last = Last::Main;
        } else if let Some(m) = line.strip_prefix(b"dep\t") {
            bi.deps.push(module_line(m).map_err(|e| fail(line_num, e))?);
            last = Last::Dep(bi.deps.len() - 1);
        } else if let Some(m) = line.strip_prefix(b"=>\t") {
            let elem: Vec<&[u8]> = m.split(|&c| c == b'\t').collect();
            if elem.len() != 3 {
                let msg = format!("expected 3 columns for replacement; got {}", elem.len());
                return Err(fail(line_num, msg));
            }
            let target = match last {
                Last::None => {
                    let msg = "replacement with no module on previous line".to_string();
                    return Err(fail(line_num, msg));
                }
                Last::Main => Some(&mut bi.main),
                Last::Dep(i) => bi.deps.get_mut(i),
            };
            if let Some(t) = target {
                t.replace = Some(Box::new(RawModule {
                    path: elem[0].to_vec(),
                    version: elem[1].to_vec(),
                    sum: elem[2].to_vec(),
                    replace: None,
                }));
            }
            last = Last::None;
        } else if let Some(kv) = line.strip_prefix(b"build\t") {
            let setting = build_line(kv).map_err(|e| fail(line_num, e))?;
            bi.settings.push(setting);
        }
        line_num += 1;
    }
    Ok(bi)
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn module_line(rest: &[u8]) -> Result<RawModule, String> {
    let elem: Vec<&[u8]> = rest.split(|&c| c == b'\t').collect();
    if elem.len() != 2 && elem.len() != 3 {
        return Err(format!("expected 2 or 3 columns; got {}", elem.len()));
    }
    Ok(RawModule {
        path: elem[0].to_vec(),
        version: elem[1].to_vec(),
        sum: elem.get(2).map(|s| s.to_vec()).unwrap_or_default(),
        replace: None,
    })
}

fn build_line(kv: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
    let (key, raw_value) = match kv.first() {
        None => return Err("build line missing '='".into()),
        Some(b'=') => return Err("build line with missing key".into()),
        Some(b'`' | b'"') => {
            let (key, n) = go_unquote_prefix(kv).ok_or("invalid quoted key in build line")?;
            match kv.get(n) {
                None => return Err("build line missing '=' after quoted key".into()),
                Some(b'=') => {}
                Some(&c) => {
                    let c = go_quote_byte(c);
                    return Err(format!("unexpected character after quoted key: {c}"));
                }
            }
            (key, &kv[n + 1..])
        }
        Some(_) => {
            let eq = memchr::memchr(b'=', kv).ok_or("build line missing '=' after key")?;
            let key = &kv[..eq];
            if quote_key_bytes(key) {
                let k = lossy(&go_quote_bytes(key));
                return Err(format!("unquoted key {k} must be quoted"));
            }
            (key.to_vec(), &kv[eq + 1..])
        }
    };
    let value = match raw_value.first() {
        None => Vec::new(),
        Some(b'`' | b'"') => match go_unquote_prefix(raw_value) {
            Some((v, n)) if n == raw_value.len() => v,
            _ => return Err("invalid quoted value in build line".into()),
        },
        Some(_) => {
            if quote_value_bytes(raw_value) {
                let v = lossy(&go_quote_bytes(raw_value));
                return Err(format!("unquoted value {v} must be quoted"));
            }
            raw_value.to_vec()
        }
    };
    Ok((key, value))
}

fn quote_key_bytes(k: &[u8]) -> bool {
    k.is_empty() || quote_value_bytes(k) || k.contains(&b'=')
}

fn quote_value_bytes(v: &[u8]) -> bool {
    v.iter().any(|c| b" \t\r\n\"`".contains(c))
}

/// Go's `strconv.Quote`: escapes `"` and `\`, keeps printable runes (Go's definition),
/// and writes the rest as `\a`-style, `\xNN`, `\uNNNN` or `\UNNNNNNNN` escapes.
pub fn go_quote(s: &str) -> String {
    lossy(&go_quote_bytes(s.as_bytes()))
}

/// [`go_quote`] on a Go string, which may hold bytes that are not UTF-8 (written `\xNN`).
fn go_quote_bytes(s: &[u8]) -> Vec<u8> {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut i = 0;
    while i < s.len() {
        let (c, width) = decode_rune(&s[i..]);
        if c == char::REPLACEMENT_CHARACTER && width == 1 {
            out.push_str(&format!("\\x{:02x}", s[i]));
        } else {
            push_escaped(&mut out, c, '"');
        }
        i += width;
    }
    out.push('"');
    out.into_bytes()
}

/// Go's `%q` of a single byte (a rune literal such as `'x'`), used in one error message.
fn go_quote_byte(b: u8) -> String {
    let mut out = String::from("'");
    push_escaped(&mut out, char::from(b), '\'');
    out.push('\'');
    out
}

fn push_escaped(out: &mut String, c: char, quote: char) {
    match c {
        c if c == quote || c == '\\' => {
            out.push('\\');
            out.push(c);
        }
        c if go_is_print(c) => out.push(c),
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\x0c' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\x0b' => out.push_str("\\v"),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => {
            out.push_str(&format!("\\x{:02x}", c as u32));
        }
        c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push_str(&format!("\\U{:08x}", c as u32)),
    }
}

/// Go's `strconv.Unquote` on a prefix of `s` (double-quoted or back-quoted only, the two
/// forms buildinfo uses): the decoded bytes and how many input bytes the literal took.
fn go_unquote_prefix(s: &[u8]) -> Option<(Vec<u8>, usize)> {
    let quote = *s.first()?;
    if s.len() < 2 {
        return None;
    }
    let end = memchr::memchr(quote, &s[1..])? + 2;
    match quote {
        b'`' => {
            // Raw strings drop carriage returns, as in Go source.
            let v = s[1..end - 1]
                .iter()
                .copied()
                .filter(|&c| c != b'\r')
                .collect();
            Some((v, end))
        }
        b'"' => {
            let body = &s[1..end - 1];
            if !body.contains(&b'\\') && !body.contains(&b'\n') && std::str::from_utf8(body).is_ok()
            {
                return Some((body.to_vec(), end));
            }
            let mut out = Vec::with_capacity(body.len());
            let mut i = 1;
            while i < s.len() && s[i] != b'"' {
                if s[i] == b'\n' {
                    return None;
                }
                i += unquote_char(&s[i..], &mut out)?;
            }
            (i < s.len()).then_some((out, i + 1))
        }
        _ => None,
    }
}

/// One character of a double-quoted literal (Go's `strconv.UnquoteChar`), appended to
/// `out`; returns the number of input bytes consumed.
fn unquote_char(s: &[u8], out: &mut Vec<u8>) -> Option<usize> {
    let c = *s.first()?;
    if c == b'"' {
        return None;
    }
    if c >= 0x80 {
        // Go decodes one rune and re-encodes it, so a stray byte becomes U+FFFD.
        let (ch, width) = decode_rune(s);
        let mut tmp = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
        return Some(width);
    }
    if c != b'\\' {
        out.push(c);
        return Some(1);
    }
    let e = *s.get(1)?;
    let simple = match e {
        b'a' => Some(0x07),
        b'b' => Some(0x08),
        b'f' => Some(0x0c),
        b'n' => Some(b'\n'),
        b'r' => Some(b'\r'),
        b't' => Some(b'\t'),
        b'v' => Some(0x0b),
        b'\\' => Some(b'\\'),
        b'"' => Some(b'"'),
        _ => None,
    };
    if let Some(b) = simple {
        out.push(b);
        return Some(2);
    }
    match e {
        b'x' | b'u' | b'U' => {
            let n = match e {
                b'x' => 2,
                b'u' => 4,
                _ => 8,
            };
            let digits = s.get(2..2 + n)?;
            let mut v: u32 = 0;
            for &d in digits {
                v = v << 4 | (d as char).to_digit(16)?;
            }
            if e == b'x' {
                out.push(v as u8);
            } else {
                let ch = char::from_u32(v)?;
                let mut tmp = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
            }
            Some(2 + n)
        }
        b'0'..=b'7' => {
            let digits = s.get(1..4)?;
            let mut v: u32 = 0;
            for &d in digits {
                if !(b'0'..=b'7').contains(&d) {
                    return None;
                }
                v = v << 3 | (d - b'0') as u32;
            }
            if v > 255 {
                return None;
            }
            out.push(v as u8);
            Some(4)
        }
        _ => None,
    }
}

/// Go's `utf8.DecodeRune`: an invalid or truncated sequence is U+FFFD of width 1.
fn decode_rune(s: &[u8]) -> (char, usize) {
    let head = &s[..s.len().min(4)];
    let valid = match std::str::from_utf8(head) {
        Ok(v) => v,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or(""),
    };
    match valid.chars().next() {
        Some(c) => (c, c.len_utf8()),
        None => (char::REPLACEMENT_CHARACTER, 1),
    }
}

/// Code points Go's `unicode.IsPrint` accepts (letters, marks, numbers, punctuation,
/// symbols and the ASCII space), as hex ranges generated from the local Go toolchain's
/// `unicode` tables; the unit test `is_print_matches_go` regenerates and compares them.
const GO_PRINTABLE: &str = concat!(
    "20-7e a1-ac ae-377 37a-37f 384-38a 38c 38e-3a1 3a3-52f 531-556 559-58a 58d-58f 591-5c7 ",
    "5d0-5ea 5ef-5f4 606-61b 61d-6dc 6de-70d 710-74a 74d-7b1 7c0-7fa 7fd-82d 830-83e 840-85b 85e ",
    "860-86a 870-88e 898-8e1 8e3-983 985-98c 98f-990 993-9a8 9aa-9b0 9b2 9b6-9b9 9bc-9c4 9c7-9c8 ",
    "9cb-9ce 9d7 9dc-9dd 9df-9e3 9e6-9fe a01-a03 a05-a0a a0f-a10 a13-a28 a2a-a30 a32-a33 a35-a36 ",
    "a38-a39 a3c a3e-a42 a47-a48 a4b-a4d a51 a59-a5c a5e a66-a76 a81-a83 a85-a8d a8f-a91 a93-aa8 ",
    "aaa-ab0 ab2-ab3 ab5-ab9 abc-ac5 ac7-ac9 acb-acd ad0 ae0-ae3 ae6-af1 af9-aff b01-b03 b05-b0c ",
    "b0f-b10 b13-b28 b2a-b30 b32-b33 b35-b39 b3c-b44 b47-b48 b4b-b4d b55-b57 b5c-b5d b5f-b63 ",
    "b66-b77 b82-b83 b85-b8a b8e-b90 b92-b95 b99-b9a b9c b9e-b9f ba3-ba4 ba8-baa bae-bb9 bbe-bc2 ",
    "bc6-bc8 bca-bcd bd0 bd7 be6-bfa c00-c0c c0e-c10 c12-c28 c2a-c39 c3c-c44 c46-c48 c4a-c4d ",
    "c55-c56 c58-c5a c5d c60-c63 c66-c6f c77-c8c c8e-c90 c92-ca8 caa-cb3 cb5-cb9 cbc-cc4 cc6-cc8 ",
    "cca-ccd cd5-cd6 cdd-cde ce0-ce3 ce6-cef cf1-cf3 d00-d0c d0e-d10 d12-d44 d46-d48 d4a-d4f ",
    "d54-d63 d66-d7f d81-d83 d85-d96 d9a-db1 db3-dbb dbd dc0-dc6 dca dcf-dd4 dd6 dd8-ddf de6-def ",
    "df2-df4 e01-e3a e3f-e5b e81-e82 e84 e86-e8a e8c-ea3 ea5 ea7-ebd ec0-ec4 ec6 ec8-ece ed0-ed9 ",
    "edc-edf f00-f47 f49-f6c f71-f97 f99-fbc fbe-fcc fce-fda 1000-10c5 10c7 10cd 10d0-1248 ",
    "124a-124d 1250-1256 1258 125a-125d 1260-1288 128a-128d 1290-12b0 12b2-12b5 12b8-12be 12c0 ",
    "12c2-12c5 12c8-12d6 12d8-1310 1312-1315 1318-135a 135d-137c 1380-1399 13a0-13f5 13f8-13fd ",
    "1400-167f 1681-169c 16a0-16f8 1700-1715 171f-1736 1740-1753 1760-176c 176e-1770 1772-1773 ",
    "1780-17dd 17e0-17e9 17f0-17f9 1800-180d 180f-1819 1820-1878 1880-18aa 18b0-18f5 1900-191e ",
    "1920-192b 1930-193b 1940 1944-196d 1970-1974 1980-19ab 19b0-19c9 19d0-19da 19de-1a1b ",
    "1a1e-1a5e 1a60-1a7c 1a7f-1a89 1a90-1a99 1aa0-1aad 1ab0-1ace 1b00-1b4c 1b50-1b7e 1b80-1bf3 ",
    "1bfc-1c37 1c3b-1c49 1c4d-1c88 1c90-1cba 1cbd-1cc7 1cd0-1cfa 1d00-1f15 1f18-1f1d 1f20-1f45 ",
    "1f48-1f4d 1f50-1f57 1f59 1f5b 1f5d 1f5f-1f7d 1f80-1fb4 1fb6-1fc4 1fc6-1fd3 1fd6-1fdb ",
    "1fdd-1fef 1ff2-1ff4 1ff6-1ffe 2010-2027 2030-205e 2070-2071 2074-208e 2090-209c 20a0-20c0 ",
    "20d0-20f0 2100-218b 2190-2426 2440-244a 2460-2b73 2b76-2b95 2b97-2cf3 2cf9-2d25 2d27 2d2d ",
    "2d30-2d67 2d6f-2d70 2d7f-2d96 2da0-2da6 2da8-2dae 2db0-2db6 2db8-2dbe 2dc0-2dc6 2dc8-2dce ",
    "2dd0-2dd6 2dd8-2dde 2de0-2e5d 2e80-2e99 2e9b-2ef3 2f00-2fd5 2ff0-2ffb 3001-303f 3041-3096 ",
    "3099-30ff 3105-312f 3131-318e 3190-31e3 31f0-321e 3220-a48c a490-a4c6 a4d0-a62b a640-a6f7 ",
    "a700-a7ca a7d0-a7d1 a7d3 a7d5-a7d9 a7f2-a82c a830-a839 a840-a877 a880-a8c5 a8ce-a8d9 ",
    "a8e0-a953 a95f-a97c a980-a9cd a9cf-a9d9 a9de-a9fe aa00-aa36 aa40-aa4d aa50-aa59 aa5c-aac2 ",
    "aadb-aaf6 ab01-ab06 ab09-ab0e ab11-ab16 ab20-ab26 ab28-ab2e ab30-ab6b ab70-abed abf0-abf9 ",
    "ac00-d7a3 d7b0-d7c6 d7cb-d7fb f900-fa6d fa70-fad9 fb00-fb06 fb13-fb17 fb1d-fb36 fb38-fb3c ",
    "fb3e fb40-fb41 fb43-fb44 fb46-fbc2 fbd3-fd8f fd92-fdc7 fdcf fdf0-fe19 fe20-fe52 fe54-fe66 ",
    "fe68-fe6b fe70-fe74 fe76-fefc ff01-ffbe ffc2-ffc7 ffca-ffcf ffd2-ffd7 ffda-ffdc ffe0-ffe6 ",
    "ffe8-ffee fffc-fffd 10000-1000b 1000d-10026 10028-1003a 1003c-1003d 1003f-1004d 10050-1005d ",
    "10080-100fa 10100-10102 10107-10133 10137-1018e 10190-1019c 101a0 101d0-101fd 10280-1029c ",
    "102a0-102d0 102e0-102fb 10300-10323 1032d-1034a 10350-1037a 10380-1039d 1039f-103c3 ",
    "103c8-103d5 10400-1049d 104a0-104a9 104b0-104d3 104d8-104fb 10500-10527 10530-10563 ",
    "1056f-1057a 1057c-1058a 1058c-10592 10594-10595 10597-105a1 105a3-105b1 105b3-105b9 ",
    "105bb-105bc 10600-10736 10740-10755 10760-10767 10780-10785 10787-107b0 107b2-107ba ",
    "10800-10805 10808 1080a-10835 10837-10838 1083c 1083f-10855 10857-1089e 108a7-108af ",
    "108e0-108f2 108f4-108f5 108fb-1091b 1091f-10939 1093f 10980-109b7 109bc-109cf 109d2-10a03 ",
    "10a05-10a06 10a0c-10a13 10a15-10a17 10a19-10a35 10a38-10a3a 10a3f-10a48 10a50-10a58 ",
    "10a60-10a9f 10ac0-10ae6 10aeb-10af6 10b00-10b35 10b39-10b55 10b58-10b72 10b78-10b91 ",
    "10b99-10b9c 10ba9-10baf 10c00-10c48 10c80-10cb2 10cc0-10cf2 10cfa-10d27 10d30-10d39 ",
    "10e60-10e7e 10e80-10ea9 10eab-10ead 10eb0-10eb1 10efd-10f27 10f30-10f59 10f70-10f89 ",
    "10fb0-10fcb 10fe0-10ff6 11000-1104d 11052-11075 1107f-110bc 110be-110c2 110d0-110e8 ",
    "110f0-110f9 11100-11134 11136-11147 11150-11176 11180-111df 111e1-111f4 11200-11211 ",
    "11213-11241 11280-11286 11288 1128a-1128d 1128f-1129d 1129f-112a9 112b0-112ea 112f0-112f9 ",
    "11300-11303 11305-1130c 1130f-11310 11313-11328 1132a-11330 11332-11333 11335-11339 ",
    "1133b-11344 11347-11348 1134b-1134d 11350 11357 1135d-11363 11366-1136c 11370-11374 ",
    "11400-1145b 1145d-11461 11480-114c7 114d0-114d9 11580-115b5 115b8-115dd 11600-11644 ",
    "11650-11659 11660-1166c 11680-116b9 116c0-116c9 11700-1171a 1171d-1172b 11730-11746 ",
    "11800-1183b 118a0-118f2 118ff-11906 11909 1190c-11913 11915-11916 11918-11935 11937-11938 ",
    "1193b-11946 11950-11959 119a0-119a7 119aa-119d7 119da-119e4 11a00-11a47 11a50-11aa2 ",
    "11ab0-11af8 11b00-11b09 11c00-11c08 11c0a-11c36 11c38-11c45 11c50-11c6c 11c70-11c8f ",
    "11c92-11ca7 11ca9-11cb6 11d00-11d06 11d08-11d09 11d0b-11d36 11d3a 11d3c-11d3d 11d3f-11d47 ",
    "11d50-11d59 11d60-11d65 11d67-11d68 11d6a-11d8e 11d90-11d91 11d93-11d98 11da0-11da9 ",
    "11ee0-11ef8 11f00-11f10 11f12-11f3a 11f3e-11f59 11fb0 11fc0-11ff1 11fff-12399 12400-1246e ",
    "12470-12474 12480-12543 12f90-12ff2 13000-1342f 13440-13455 14400-14646 16800-16a38 ",
    "16a40-16a5e 16a60-16a69 16a6e-16abe 16ac0-16ac9 16ad0-16aed 16af0-16af5 16b00-16b45 ",
    "16b50-16b59 16b5b-16b61 16b63-16b77 16b7d-16b8f 16e40-16e9a 16f00-16f4a 16f4f-16f87 ",
    "16f8f-16f9f 16fe0-16fe4 16ff0-16ff1 17000-187f7 18800-18cd5 18d00-18d08 1aff0-1aff3 ",
    "1aff5-1affb 1affd-1affe 1b000-1b122 1b132 1b150-1b152 1b155 1b164-1b167 1b170-1b2fb ",
    "1bc00-1bc6a 1bc70-1bc7c 1bc80-1bc88 1bc90-1bc99 1bc9c-1bc9f 1cf00-1cf2d 1cf30-1cf46 ",
    "1cf50-1cfc3 1d000-1d0f5 1d100-1d126 1d129-1d172 1d17b-1d1ea 1d200-1d245 1d2c0-1d2d3 ",
    "1d2e0-1d2f3 1d300-1d356 1d360-1d378 1d400-1d454 1d456-1d49c 1d49e-1d49f 1d4a2 1d4a5-1d4a6 ",
    "1d4a9-1d4ac 1d4ae-1d4b9 1d4bb 1d4bd-1d4c3 1d4c5-1d505 1d507-1d50a 1d50d-1d514 1d516-1d51c ",
    "1d51e-1d539 1d53b-1d53e 1d540-1d544 1d546 1d54a-1d550 1d552-1d6a5 1d6a8-1d7cb 1d7ce-1da8b ",
    "1da9b-1da9f 1daa1-1daaf 1df00-1df1e 1df25-1df2a 1e000-1e006 1e008-1e018 1e01b-1e021 ",
    "1e023-1e024 1e026-1e02a 1e030-1e06d 1e08f 1e100-1e12c 1e130-1e13d 1e140-1e149 1e14e-1e14f ",
    "1e290-1e2ae 1e2c0-1e2f9 1e2ff 1e4d0-1e4f9 1e7e0-1e7e6 1e7e8-1e7eb 1e7ed-1e7ee 1e7f0-1e7fe ",
    "1e800-1e8c4 1e8c7-1e8d6 1e900-1e94b 1e950-1e959 1e95e-1e95f 1ec71-1ecb4 1ed01-1ed3d ",
    "1ee00-1ee03 1ee05-1ee1f 1ee21-1ee22 1ee24 1ee27 1ee29-1ee32 1ee34-1ee37 1ee39 1ee3b 1ee42 ",
    "1ee47 1ee49 1ee4b 1ee4d-1ee4f 1ee51-1ee52 1ee54 1ee57 1ee59 1ee5b 1ee5d 1ee5f 1ee61-1ee62 ",
    "1ee64 1ee67-1ee6a 1ee6c-1ee72 1ee74-1ee77 1ee79-1ee7c 1ee7e 1ee80-1ee89 1ee8b-1ee9b ",
    "1eea1-1eea3 1eea5-1eea9 1eeab-1eebb 1eef0-1eef1 1f000-1f02b 1f030-1f093 1f0a0-1f0ae ",
    "1f0b1-1f0bf 1f0c1-1f0cf 1f0d1-1f0f5 1f100-1f1ad 1f1e6-1f202 1f210-1f23b 1f240-1f248 ",
    "1f250-1f251 1f260-1f265 1f300-1f6d7 1f6dc-1f6ec 1f6f0-1f6fc 1f700-1f776 1f77b-1f7d9 ",
    "1f7e0-1f7eb 1f7f0 1f800-1f80b 1f810-1f847 1f850-1f859 1f860-1f887 1f890-1f8ad 1f8b0-1f8b1 ",
    "1f900-1fa53 1fa60-1fa6d 1fa70-1fa7c 1fa80-1fa88 1fa90-1fabd 1fabf-1fac5 1face-1fadb ",
    "1fae0-1fae8 1faf0-1faf8 1fb00-1fb92 1fb94-1fbca 1fbf0-1fbf9 20000-2a6df 2a700-2b739 ",
    "2b740-2b81d 2b820-2cea1 2ceb0-2ebe0 2f800-2fa1d 30000-3134a 31350-323af e0100-e01ef",
);

fn printable_ranges() -> &'static [(u32, u32)] {
    static RANGES: OnceLock<Vec<(u32, u32)>> = OnceLock::new();
    RANGES.get_or_init(|| {
        GO_PRINTABLE
            .split_ascii_whitespace()
            .filter_map(|r| {
                let (a, b) = r.split_once('-').unwrap_or((r, r));
                Some((
                    u32::from_str_radix(a, 16).ok()?,
                    u32::from_str_radix(b, 16).ok()?,
                ))
            })
            .collect()
    })
}

/// Go's `strconv.IsPrint` (same answers as `unicode.IsPrint`).
pub fn go_is_print(c: char) -> bool {
    let c = c as u32;
    if c < 0x100 {
        return (0x20..=0x7e).contains(&c) || ((0xa1..=0xff).contains(&c) && c != 0xad);
    }
    let r = printable_ranges();
    let i = r.partition_point(|&(_, hi)| hi < c);
    r.get(i).is_some_and(|&(lo, _)| lo <= c)
}

/// Recover the version when there is no buildinfo header.
///
/// `runtime.buildVersion` is a Go string variable, so with a symbol table the answer is
/// exact. Without one, read-only data is scanned for `go1.N[.P|rcN|betaN]`, but only in a
/// file that shows another Go mark, so that no C program gets a Go version.
fn infer_version(bin: &Binary<'_>) -> Option<(String, String)> {
    for name in ["runtime.buildVersion", "_runtime.buildVersion"] {
        if let Some(v) = bin
            .symbol(name)
            .and_then(|sym| read_go_string(bin, sym.addr))
        {
            return Some((v, "runtime.buildVersion".to_string()));
        }
    }
    if !has_go_marks(bin) {
        return None;
    }
    let (name, rodata) = [".rodata", "__rodata", ".rdata"]
        .iter()
        .find_map(|n| bin.section(n).map(|s| (*n, s)))
        .and_then(|(n, s)| Some((n, bin.section_data(s)?)))?;
    scan_versions(rodata).map(|v| (v, format!("version string in {name}")))
}

fn read_go_string(bin: &Binary<'_>, addr: u64) -> Option<String> {
    let ptr = bin.read_ptr_vaddr(addr)?;
    let len = bin.read_ptr_vaddr(addr.checked_add(bin.ptr_size as u64)?)?;
    if len == 0 || len > MAX_VERSION_LEN {
        return None;
    }
    let b = bin.read_vaddr(ptr, len)?;
    plausible_version(b).then(|| lossy(b))
}

/// Sections, notes and the text build ID that only the Go linker writes.
fn has_go_marks(bin: &Binary<'_>) -> bool {
    const NAMES: [&str; 6] = [
        ".gopclntab",
        "__gopclntab",
        ".note.go.buildid",
        ".go.buildinfo",
        "__go_buildinfo",
        ".go.fipsinfo",
    ];
    if NAMES.iter().any(|n| bin.section(n).is_some()) {
        return true;
    }
    // Non-ELF Go binaries carry the build ID as a string at the start of the text.
    bin.sections
        .iter()
        .filter(|s| s.executable)
        .filter_map(|s| bin.section_data(s))
        .any(|d| memchr::memmem::find(&d[..d.len().min(4096)], b"\xff Go build ID: \"").is_some())
}

/// The highest `go1.N...` version string in `data`: the toolchain version is the newest
/// one a binary mentions (the standard library refers only to older releases).
fn scan_versions(data: &[u8]) -> Option<String> {
    let mut best: Option<((u32, u32, u32, u32), String)> = None;
    for pos in memchr::memmem::find_iter(data, b"go1.") {
        let rest = &data[pos + 4..];
        let Some((minor, n)) = digits(rest, 2) else {
            continue;
        };
        let tail = &rest[n..];
        // Release order within one minor: beta < rc < release.
        let (rank, len) = if let Some((p, m)) = tail.strip_prefix(b".").and_then(|t| digits(t, 2)) {
            ((2, p), 1 + m)
        } else if let Some((p, m)) = tail.strip_prefix(b"rc").and_then(|t| digits(t, 2)) {
            ((1, p), 2 + m)
        } else if let Some((p, m)) = tail.strip_prefix(b"beta").and_then(|t| digits(t, 2)) {
            ((0, p), 4 + m)
        } else {
            ((2, 0), 0)
        };
        let key = (1, minor, rank.0, rank.1);
        if best.as_ref().is_none_or(|(k, _)| key > *k) {
            best = Some((key, lossy(&data[pos..pos + 4 + n + len])));
        }
    }
    best.map(|(_, v)| v)
}

/// A run of 1..=max ASCII digits without a leading zero (except "0" itself).
fn digits(b: &[u8], max: usize) -> Option<(u32, usize)> {
    let n = b
        .iter()
        .take(max)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if n == 0 || (n > 1 && b[0] == b'0') {
        return None;
    }
    let s = std::str::from_utf8(&b[..n]).ok()?;
    Some((s.parse().ok()?, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: u64 = 0x40_0000;
    const PAYLOAD_OFF: usize = 0x100;
    const START: &[u8; 16] = b"\x30\x77\xaf\x0c\x92\x74\x08\x02\x41\xe1\xc1\x07\xe6\xd6\x18\xe6";
    const END: &[u8; 16] = b"\xf9\x32\x43\x31\x86\x18\x20\x72\x00\x82\x42\x10\x41\x16\xd8\xf2";

    /// A minimal executable: ELF header, one writable PT_LOAD mapping the whole file at
    /// BASE, no section headers, `payload` at file offset 0x100 (vaddr BASE+0x100).
    fn mini_elf(is64: bool, be: bool, payload: &[u8]) -> Vec<u8> {
        mini_elf_at(BASE, is64, be, payload)
    }

    fn mini_elf_at(base: u64, is64: bool, be: bool, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; PAYLOAD_OFF];
        f.extend_from_slice(payload);
        let total = f.len() as u64;
        let mut h: Vec<u8> = vec![0x7f, b'E', b'L', b'F'];
        h.push(if is64 { 2 } else { 1 });
        h.push(if be { 2 } else { 1 });
        h.push(1);
        h.resize(16, 0);
        let put = |h: &mut Vec<u8>, v: u64, n: usize| {
            let b = v.to_le_bytes();
            if be {
                h.extend(b[..n].iter().rev());
            } else {
                h.extend_from_slice(&b[..n]);
            }
        };
        let word = if is64 { 8 } else { 4 };
        put(&mut h, 2, 2); // ET_EXEC
        put(&mut h, if is64 { 62 } else { 8 }, 2); // x86-64 / MIPS
        put(&mut h, 1, 4);
        put(&mut h, base, word); // entry
        put(&mut h, if is64 { 64 } else { 52 }, word); // phoff
        put(&mut h, 0, word); // shoff
        put(&mut h, 0, 4);
        put(&mut h, if is64 { 64 } else { 52 }, 2);
        put(&mut h, if is64 { 56 } else { 32 }, 2);
        put(&mut h, 1, 2);
        put(&mut h, if is64 { 64 } else { 40 }, 2);
        put(&mut h, 0, 2);
        put(&mut h, 0, 2);
        const PF_RW: u64 = 6;
        if is64 {
            put(&mut h, 1, 4);
            put(&mut h, PF_RW, 4);
            for v in [0, base, base, total, total, 0x1000] {
                put(&mut h, v, 8);
            }
        } else {
            for v in [1, 0, base, base, total, total, PF_RW, 0x1000] {
                put(&mut h, v, 4);
            }
        }
        f[..h.len()].copy_from_slice(&h);
        f
    }

    fn uvarint_bytes(mut v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        while v >= 0x80 {
            out.push(v as u8 | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
        out
    }

    fn framed(text: &str) -> Vec<u8> {
        let mut m = START.to_vec();
        m.extend_from_slice(text.as_bytes());
        m.extend_from_slice(END);
        m
    }

    fn inline_blob(version: &str, modinfo: &[u8]) -> Vec<u8> {
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&[8, FLAG_INLINE]);
        b.resize(HEADER_SIZE, 0);
        b.extend(uvarint_bytes(version.len() as u64));
        b.extend_from_slice(version.as_bytes());
        b.extend(uvarint_bytes(modinfo.len() as u64));
        b.extend_from_slice(modinfo);
        b
    }

    /// Pre-1.18 layout: header with two pointers to Go string headers that follow it.
    fn pointer_blob(ps: usize, be: bool, version: &str, modinfo: &[u8]) -> Vec<u8> {
        let base = BASE + PAYLOAD_OFF as u64;
        let enc = |v: u64| -> Vec<u8> {
            let b = v.to_le_bytes();
            if be {
                b[..ps].iter().rev().copied().collect()
            } else {
                b[..ps].to_vec()
            }
        };
        let hdrs = base + 32;
        let vdata = hdrs + 4 * ps as u64;
        let mdata = vdata + version.len() as u64;
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&[ps as u8, if be { FLAG_BIG_ENDIAN } else { 0 }]);
        b.extend(enc(hdrs));
        b.extend(enc(hdrs + 2 * ps as u64));
        b.resize(HEADER_SIZE, 0);
        b.extend(enc(vdata));
        b.extend(enc(version.len() as u64));
        b.extend(enc(mdata));
        b.extend(enc(modinfo.len() as u64));
        b.extend_from_slice(version.as_bytes());
        b.extend_from_slice(modinfo);
        b
    }

    fn read_file(file: &[u8]) -> Result<Option<BuildInfo>, ParseError> {
        read(&Binary::parse(file).expect("test ELF parses"))
    }

    const MODINFO: &str = "path\texample.com/app\n\
        mod\texample.com/app\t(devel)\t\n\
        dep\texample.com/lib\tv1.0.0\th1:abc=\n\
        dep\texample.com/rlib\tv0.1.0\n\
        =>\t../rlib\t(devel)\t\n\
        build\t-buildmode=exe\n\
        build\t-ldflags=\"-X \\\"main.version=with space\\\" -buildid=\"\n\
        build\tCGO_ENABLED=1\n";

    /// What `go version -m` prints for MODINFO, written out from Go's formatting rules:
    /// a leading tab per line and the empty line after a replacement.
    const EXPECTED: &str = "app: go1.23.5\n\
        \tpath\texample.com/app\n\
        \tmod\texample.com/app\t(devel)\t\n\
        \tdep\texample.com/lib\tv1.0.0\th1:abc=\n\
        \tdep\texample.com/rlib\tv0.1.0\n\
        \t=>\t../rlib\t(devel)\t\n\
        \t\n\
        \tbuild\t-buildmode=exe\n\
        \tbuild\t-ldflags=\"-X \\\"main.version=with space\\\" -buildid=\"\n\
        \tbuild\tCGO_ENABLED=1\n";

    fn check_example(bi: &BuildInfo) {
        assert_eq!(bi.go_version, "go1.23.5");
        assert!(!bi.inferred);
        assert_eq!(bi.path.as_deref(), Some("example.com/app"));
        let main = bi.main.as_ref().unwrap();
        assert_eq!(
            (main.path.as_str(), main.version.as_str()),
            ("example.com/app", "(devel)")
        );
        assert_eq!(bi.deps.len(), 2);
        assert_eq!(bi.deps[0].sum.as_deref(), Some("h1:abc="));
        let rep = bi.deps[1].replace.as_ref().unwrap();
        assert_eq!(
            (rep.path.as_str(), rep.version.as_str()),
            ("../rlib", "(devel)")
        );
        assert_eq!(
            bi.setting("-ldflags"),
            Some("-X \"main.version=with space\" -buildid=")
        );
        assert_eq!(bi.setting("CGO_ENABLED"), Some("1"));
        assert_eq!(format_go_version_m("app", bi), EXPECTED);
    }

    #[test]
    fn inline_layout() {
        let file = mini_elf(true, false, &inline_blob("go1.23.5", &framed(MODINFO)));
        check_example(&read_file(&file).unwrap().unwrap());
    }

    #[test]
    fn pointer_layout_32bit_big_endian() {
        let blob = pointer_blob(4, true, "go1.17.13", &framed(MODINFO));
        let file = mini_elf(false, true, &blob);
        let bin = Binary::parse(&file).unwrap();
        assert!(bin.big_endian && bin.ptr_size == 4);
        let bi = read(&bin).unwrap().unwrap();
        assert_eq!(bi.go_version, "go1.17.13");
        assert_eq!(bi.settings.len(), 3);
        assert_eq!(bi.deps[1].replace.as_ref().unwrap().path, "../rlib");
    }

    #[test]
    fn pointer_layout_64bit_little_endian() {
        let blob = pointer_blob(8, false, "go1.23.5", &framed(MODINFO));
        let file = mini_elf(true, false, &blob);
        check_example(&read_file(&file).unwrap().unwrap());
    }

    #[test]
    fn unframed_or_empty_modinfo_prints_only_the_version() {
        for modinfo in [&b""[..], b"path\tx\n", &framed("")] {
            let file = mini_elf(true, false, &inline_blob("go1.16.15", modinfo));
            let bi = read_file(&file).unwrap().unwrap();
            assert_eq!(bi.path, None);
            assert_eq!(format_go_version_m("f", &bi), "f: go1.16.15\n");
        }
    }

    #[test]
    fn settings_without_path_or_module() {
        let text = "build\t-compiler=gc\nbuild\tGOOS=linux\n";
        let file = mini_elf(true, false, &inline_blob("go1.22.0", &framed(text)));
        let bi = read_file(&file).unwrap().unwrap();
        assert_eq!(bi.path, None);
        assert_eq!(bi.main, None);
        assert_eq!(
            format_go_version_m("f", &bi),
            "f: go1.22.0\n\tbuild\t-compiler=gc\n\tbuild\tGOOS=linux\n"
        );
    }

    #[test]
    fn truncation_at_every_byte_never_panics() {
        let blob = inline_blob("go1.23.5", &framed(MODINFO));
        let file = mini_elf(true, false, &blob);
        let mut ok = 0;
        for cut in 0..file.len() {
            // The segment covers the whole file: every cut is damage.
            assert!(Binary::parse(&file[..cut]).is_err(), "cut at {cut} parsed");
            // What the decoder does with what remains, all bounds its own.
            if let Ok(bin) = Binary::parse_lenient(&file[..cut]) {
                // A cut inside the blob is either "not found" or an error, never a result.
                if let Ok(Some(bi)) = read(&bin) {
                    panic!("truncated at {cut} still decoded {bi:?}");
                }
                ok += 1;
            }
        }
        assert!(ok > 0, "no truncated file parsed as ELF at all");
        // The header alone, cut at every byte, through the decoder directly.
        let pblob = pointer_blob(8, false, "go1.17", &framed(MODINFO));
        for blob in [&blob, &pblob] {
            for cut in 0..=HEADER_SIZE {
                let header = &blob[..cut];
                let mem = |a: u64, n: u64| {
                    let off = usize::try_from(a.checked_sub(BASE + PAYLOAD_OFF as u64)?).ok()?;
                    let d = header.get(off..)?;
                    Some(&d[..d.len().min(n as usize)])
                };
                let r = decode_header(header, mem, BASE + PAYLOAD_OFF as u64);
                if cut < HEADER_SIZE {
                    assert!(r.is_err(), "cut {cut}");
                }
            }
        }
    }

    #[test]
    fn magic_followed_by_garbage_is_an_error() {
        // What UPX leaves: the magic survives, the rest is compressed noise.
        let mut blob = MAGIC.to_vec();
        blob.extend_from_slice(&[0xfb, 0xff, 0x7f, 0x12, 0xff, 0xff, 0xff, 0xff]);
        blob.extend_from_slice(b"go1\xff\x7f\xfb\xff.23.5 and some more compressed bytes...");
        let err = read_file(&mini_elf(true, false, &blob)).unwrap_err();
        assert_eq!(err.format, "buildinfo");
        // Inline flag with a huge length.
        let mut blob = MAGIC.to_vec();
        blob.extend_from_slice(&[8, FLAG_INLINE]);
        blob.resize(HEADER_SIZE, 0);
        blob.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
        blob.extend_from_slice(b"go1.23.5");
        assert!(read_file(&mini_elf(true, false, &blob)).is_err());
        // A plausible length but bytes that are no Go version.
        let blob = inline_blob("go1\u{7f}\u{1}23", b"");
        assert!(read_file(&mini_elf(true, false, &blob)).is_err());
        let blob = inline_blob("hello", b"");
        assert!(read_file(&mini_elf(true, false, &blob)).is_err());
    }

    #[test]
    fn mapping_at_the_top_of_the_address_space() {
        // Pad the modinfo so that the blob, and so the file, is a multiple of 16 long and
        // a file ending at 2^64 starts on an aligned address.
        let blob = (0..16)
            .map(|k| {
                inline_blob(
                    "go1.23.5",
                    &framed(&format!("{MODINFO}build\tX={}\n", "a".repeat(k))),
                )
            })
            .find(|b| b.len() % 16 == 0)
            .unwrap();
        let file_len = (PAYLOAD_OFF + blob.len()) as u64;
        let at = |base: u64| read(&Binary::parse(&mini_elf_at(base, true, false, &blob)).unwrap());
        // Ends one byte short of the top: decodes.
        assert!(at(u64::MAX - file_len - 15).unwrap().is_some());
        // Ends exactly at 2^64: the end address overflows; no answer, and no panic.
        assert!(!matches!(at(u64::MAX - file_len + 1), Ok(Some(_))));
        // The mapping wraps around: whatever the answer, no panic.
        let _ = at(u64::MAX - 0x40);
    }

    #[test]
    fn misaligned_magic_is_skipped() {
        let mut payload = vec![0u8; 3];
        payload.extend(inline_blob("go1.1", b""));
        payload.resize(payload.len().next_multiple_of(16), 0);
        payload.extend(inline_blob("go1.23.5", b""));
        let bi = read_file(&mini_elf(true, false, &payload))
            .unwrap()
            .unwrap();
        assert_eq!(bi.go_version, "go1.23.5");
    }

    #[test]
    fn not_go_is_none() {
        let exe = std::env::current_exe().unwrap();
        let data = std::fs::read(exe).unwrap();
        assert_eq!(read(&Binary::parse(&data).unwrap()).unwrap(), None);
        assert_eq!(
            read_file(&mini_elf(true, false, b"nothing here")).unwrap(),
            None
        );
    }

    #[test]
    fn quote_matches_go() {
        // Expected strings follow the strconv.Quote rules spelled out in Go's docs.
        let cases = [
            ("-s -w", r#""-s -w""#),
            ("a\"b`c", r#""a\"b`c""#),
            ("back\\slash", r#""back\\slash""#),
            ("\t\n\r\x07\x08\x0c\x0b", r#""\t\n\r\a\b\f\v""#),
            ("\x00\x1f\x7f", r#""\x00\x1f\x7f""#),
            ("é ü ß 日本", "\"é ü ß 日本\""),
            (
                "\u{a0}\u{ad}\u{200b}\u{feff}",
                r#""\u00a0\u00ad\u200b\ufeff""#,
            ),
            ("\u{e000}\u{10ffff}", r#""\ue000\U0010ffff""#),
            ("\u{1f600}", "\"\u{1f600}\""),
        ];
        for (input, want) in cases {
            assert_eq!(go_quote(input), want, "quote {input:?}");
            let (back, n) = go_unquote_prefix(want.as_bytes()).unwrap();
            assert_eq!((back.as_slice(), n), (input.as_bytes(), want.len()));
        }
    }

    #[test]
    fn unquote_forms() {
        let u = |s: &str| go_unquote_prefix(s.as_bytes()).map(|(v, n)| (lossy(&v), n));
        assert_eq!(u("`a\\tb\r`rest"), Some(("a\\tb".into(), 7)));
        assert_eq!(
            u(r#""\x41\101\u00e9\U0001F600""#).unwrap().0,
            "AAé\u{1f600}"
        );
        assert_eq!(u(r#""a\"b"=x"#), Some(("a\"b".into(), 6)));
        for bad in [
            r#""\q""#,
            r#""\777""#,
            r#""\ud800""#,
            "\"a\nb\"",
            r#""abc"#,
            "\"",
            r#""\x4""#,
        ] {
            assert_eq!(u(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn settings_round_trip_through_quoting() {
        let text = "build\t\"we=ird key\"=\"v a l\"\n\
            build\t`k`=`x\"y`\n\
            build\tplain=\n\
            build\t-tags=netgo,osusergo\n\
            build\tDefaultGODEBUG=\"tab\\there\"\n";
        let bi = parse_modinfo(text.as_bytes()).unwrap();
        assert_eq!(
            bi.settings,
            vec![
                ("we=ird key".into(), "v a l".into()),
                ("k".into(), "x\"y".into()),
                ("plain".into(), String::new()),
                ("-tags".into(), "netgo,osusergo".into()),
                ("DefaultGODEBUG".into(), "tab\there".into()),
            ]
        );
        // Go re-quotes with strconv.Quote, so the back-quoted line changes form.
        let again = bi.modinfo_string();
        assert_eq!(
            again,
            "build\t\"we=ird key\"=\"v a l\"\n\
             build\tk=\"x\\\"y\"\n\
             build\tplain=\n\
             build\t-tags=netgo,osusergo\n\
             build\tDefaultGODEBUG=\"tab\\there\"\n"
        );
        assert_eq!(
            parse_modinfo(again.as_bytes()).unwrap().settings,
            bi.settings
        );
    }

    #[test]
    fn parse_errors_name_the_line() {
        let cases = [
            ("mod\ta\n", "line 1: expected 2 or 3 columns; got 1"),
            (
                "path\tx\n=>\ta\tb\tc\n",
                "line 2: replacement with no module on previous line",
            ),
            (
                "dep\ta\tb\n=>\ta\tb\n",
                "line 2: expected 3 columns for replacement; got 2",
            ),
            ("build\t\n", "line 1: build line missing '='"),
            ("build\t=x\n", "line 1: build line with missing key"),
            ("build\tkey\n", "line 1: build line missing '=' after key"),
            (
                "build\t\"k\"\n",
                "line 1: build line missing '=' after quoted key",
            ),
            (
                "build\t\"k\"x\n",
                "line 1: unexpected character after quoted key: 'x'",
            ),
            ("build\t\"k\n", "line 1: invalid quoted key in build line"),
            (
                "build\tk=a b\n",
                "line 1: unquoted value \"a b\" must be quoted",
            ),
            (
                "build\tk=\"a\n",
                "line 1: invalid quoted value in build line",
            ),
            (
                "build\tk=\"a\"b\n",
                "line 1: invalid quoted value in build line",
            ),
        ];
        for (text, want) in cases {
            let err = parse_modinfo(text.as_bytes()).unwrap_err();
            assert_eq!(err.what, want, "{text:?}");
        }
        // Unknown lines and a last line without newline are ignored, as in Go.
        let bi = parse_modinfo(b"junk\nbuild\tA=1\nbuild\tB=2").unwrap();
        assert_eq!(bi.settings, vec![("A".into(), "1".into())]);
        // A second replacement for the same module is an error.
        let text = "dep\ta\tb\n=>\tc\td\te\n=>\tf\tg\th\n";
        assert!(parse_modinfo(text.as_bytes()).is_err());
    }

    #[test]
    fn scan_prefers_the_newest_version() {
        let data = b"xxgo1.9go1.21rc2go1.21.13runtime: go1.21.1go1.20beta1";
        assert_eq!(scan_versions(data).as_deref(), Some("go1.21.13"));
        assert_eq!(scan_versions(b"go1.x go1. go1.0"), Some("go1.0".into()));
        assert_eq!(scan_versions(b"golang"), None);
    }

    #[test]
    fn reformatting_follows_go_string() {
        // A replaced main module is printed with its `=>` line and the extra newline; a
        // two-column dep gains the empty sum column; a zero main module is not printed.
        let text = "mod\tm\tv1\n=>\tr\tv2\th1:x\ndep\td\tv3\n";
        let bi = parse_modinfo(text.as_bytes()).unwrap();
        assert_eq!(
            bi.modinfo_string(),
            "mod\tm\tv1\n=>\tr\tv2\th1:x\n\ndep\td\tv3\t\n"
        );
        let bi = parse_modinfo(b"mod\t\t\npath\t\nbuild\tA=1\n").unwrap();
        assert_eq!(bi.modinfo_string(), "build\tA=1\n");
        let bi = parse_modinfo(b"mod\t\t\n=>\tr\tv\t\n").unwrap();
        assert_eq!(bi.modinfo_string(), "mod\t\t\n=>\tr\tv\t\n\n");
    }

    #[test]
    fn mutated_blobs_never_panic() {
        let blobs = [
            inline_blob("go1.23.5", &framed(MODINFO)),
            pointer_blob(8, false, "go1.17", &framed(MODINFO)),
            pointer_blob(4, true, "go1.16", &framed(MODINFO)),
        ];
        for (k, blob) in blobs.iter().enumerate() {
            let (is64, be) = if k == 2 { (false, true) } else { (true, false) };
            let file = mini_elf(is64, be, blob);
            for pos in PAYLOAD_OFF..file.len() {
                for v in [0x00, 0x01, 0x04, 0x08, 0x0a, 0x22, 0x7f, 0x80, 0xff] {
                    let mut f = file.clone();
                    f[pos] = v;
                    if let Ok(bin) = Binary::parse(&f) {
                        let _ = read(&bin);
                    }
                }
            }
        }
    }

    #[test]
    fn uvarint_like_go() {
        assert_eq!(uvarint(&[0x05]), Some((5, 1)));
        assert_eq!(uvarint(&[0x80, 0x01]), Some((128, 2)));
        assert_eq!(uvarint(&[0x80]), None);
        assert_eq!(uvarint(&[0xff; 10]), None);
        let mut max = vec![0xff; 9];
        max.push(0x01);
        assert_eq!(uvarint(&max), Some((u64::MAX, 10)));
    }

    /// Run a Go program (source text) with the local toolchain, feeding it `stdin`.
    fn run_go(src: &str, stdin: &[u8]) -> Vec<u8> {
        use std::io::Write as _;
        let go = which::which("go").unwrap_or_else(|_| {
            panic!("the go toolchain is required: install it (apt-get install golang-go)")
        });
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("main.go");
        std::fs::write(&file, src).unwrap();
        let mut child = std::process::Command::new(go)
            .arg("run")
            .arg(&file)
            .env("GO111MODULE", "off")
            .env("GOTOOLCHAIN", "local")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "go run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Go's own ParseBuildInfo + String on hostile modinfo texts must agree with ours,
    /// errors included.
    #[test]
    fn parse_and_string_match_go() {
        let src = "package main\n\nimport (\n\t\"bytes\"\n\t\"io\"\n\t\"os\"\n\t\"runtime/debug\"\n)\n\n\
            func main() {\n\tin, _ := io.ReadAll(os.Stdin)\n\
            \tfor _, c := range bytes.Split(in, []byte{0}) {\n\
            \t\tbi, err := debug.ParseBuildInfo(string(c))\n\
            \t\tif err != nil {\n\t\t\tos.Stdout.WriteString(\"ERR \" + err.Error())\n\
            \t\t} else {\n\t\t\tos.Stdout.WriteString(bi.String())\n\t\t}\n\
            \t\tos.Stdout.Write([]byte{0})\n\t}\n}\n";
        let cases: &[&[u8]] = &[
            MODINFO.as_bytes(),
            b"",
            b"path\tp\tq\nmod\tm\tv\nmod\tn\tw\th\n",
            b"dep\ta\tb\tc\td\n",
            b"dep\ta\n",
            b"=>\ta\tb\tc\n",
            b"mod\tm\tv\n=>\ta\tb\n",
            b"mod\tm\tv\n=>\ta\tb\tc\n=>\td\te\tf\n",
            b"build\t\"a\\x41\\101\\u00e9\"=`raw\r\"value`\n",
            b"build\tk=\"\\u00a0\\u200b\\U0001F600\\x7f\\a\\b\\f\\v\"\n",
            b"build\t`k=y`=\"\"\nbuild\tk2=\n",
            b"build\tk=\"unterminated\n",
            b"build\t\"k\"x=1\n",
            b"build\t\"k\"\n",
            b"build\t=v\n",
            b"build\tkey\n",
            b"build\tk ey=v\n",
            b"build\tk=v w\n",
            b"build\tk=\"a\"b\n",
            b"build\tk='single'\n",
            b"build\t\"\"=empty key\n",
            b"build\t\"\"=\"empty key\"\n",
            b"build\tk=\"\\q\"\n",
            b"junk line\n\tpath\tx\npath\ty\nbuild\tA=1\nbuild\tB=2",
            b"path\ty\n\n\nbuild\tA=1\n",
            // Not UTF-8: raw in an unquoted value, \x escapes when quoted, and a stray
            // byte inside a quoted literal with escapes (Go turns it into U+FFFD).
            b"build\tCGO_CFLAGS=-I/opt/\xe9t\xe9\npath\tp\xff\n",
            b"build\tk=\"a b\\xff\\xe9\"\nbuild\tk2=\"\xff\\t\"\nbuild\t\"\\xfe\"=x\n",
            b"dep\tm\xc3\tv\th\n",
        ];
        let mut stdin = Vec::new();
        for (i, c) in cases.iter().enumerate() {
            if i > 0 {
                stdin.push(0);
            }
            stdin.extend_from_slice(c);
        }
        let out = run_go(src, &stdin);
        let outs: Vec<&[u8]> = out.split(|&b| b == 0).collect();
        assert_eq!(outs.len(), cases.len() + 1, "one answer per case");
        for (case, want) in cases.iter().zip(outs) {
            let got = match parse_modinfo(case) {
                Ok(bi) => bi.raw().render(),
                Err(e) => format!("ERR could not parse Go build info: {}", e.what).into_bytes(),
            };
            assert_eq!(
                got,
                want,
                "modinfo {:?}: got {:?}, go {:?}",
                lossy(case),
                lossy(&got),
                lossy(want)
            );
        }
    }

    /// Compares `go_is_print` with the local Go's `unicode.IsPrint` on every code point.
    #[test]
    fn is_print_matches_go() {
        let src = "package main\n\nimport (\n\t\"bufio\"\n\t\"os\"\n\t\"unicode\"\n)\n\n\
            func main() {\n\tw := bufio.NewWriter(os.Stdout)\n\tfor r := rune(0); r <= unicode.MaxRune; r++ {\n\
            \t\tif unicode.IsPrint(r) {\n\t\t\tw.WriteByte('1')\n\t\t} else {\n\t\t\tw.WriteByte('0')\n\t\t}\n\t}\n\tw.Flush()\n}\n";
        let out = run_go(src, b"");
        assert_eq!(out.len(), 0x11_0000);
        for (cp, &flag) in out.iter().enumerate() {
            let Some(c) = char::from_u32(cp as u32) else {
                assert_eq!(flag, b'0', "surrogate {cp:#x}");
                continue;
            };
            assert_eq!(go_is_print(c), flag == b'1', "code point {cp:#x}");
        }
    }
}
