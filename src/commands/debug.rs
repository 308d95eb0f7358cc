//! `goaudit debug-pclntab FILE` (hidden): goaudit's decoded pclntab in the line format of
//! tests/tools/gosymdump, so tests can compare it with debug/gosym's view line by line.

use std::io::Write;

use super::{Exit, report_error};
use crate::binary::Binary;
use crate::cli::DebugPclntabArgs;
use crate::error::Error;
use crate::go::pclntab::{self, Location, Pclntab};
use crate::input::FileBytes;

/// Print the pclntab of one file: `#` header lines, `F entry end name`, `P file`.
pub fn run(
    args: &DebugPclntabArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<Exit> {
    let path = &args.path;
    let result = FileBytes::open(path).and_then(|fb| {
        let bin = Binary::parse(fb.bytes()).map_err(|e| e.at(path))?;
        let found = if args.scan {
            Ok(pclntab::find_by_scan(&bin))
        } else {
            pclntab::find(&bin)
        };
        match found.map_err(|e| e.at(path))? {
            Some(t) => Ok(render(&t)),
            None => Err(Error::Unsupported {
                path: path.clone(),
                what: "no pclntab found".into(),
            }),
        }
    });
    match result {
        Ok(text) => {
            out.write_all(text.as_bytes())?;
            Ok(Exit::Ok)
        }
        Err(e) => {
            report_error(err, &e);
            Ok(Exit::Error)
        }
    }
}

fn render(t: &Pclntab) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let located = match &t.location {
        Location::Section(name) => format!("section:{name}"),
        Location::Symbols => "symbols".to_string(),
        Location::Scan => "scan".to_string(),
    };
    let _ = writeln!(
        s,
        "# magic {:#x} located {located} textstart {:#x}",
        t.version.magic(),
        t.text_start
    );
    let _ = writeln!(
        s,
        "# version {:?} ({}) ptrsize {} quantum {} offset {} len {:#x} gofunc {}",
        t.version,
        t.version_range(),
        t.ptr_size,
        t.quantum,
        t.file_offset
            .map_or_else(|| "-".to_string(), |o| format!("{o:#x}")),
        t.len,
        t.gofunc
            .map_or_else(|| "-".to_string(), |g| format!("{g:#x}"))
    );
    let r = &t.regions;
    for (name, span) in [
        ("header", Some(r.header)),
        ("funcnametab", r.funcnametab),
        ("cutab", r.cutab),
        ("filetab", Some(r.filetab)),
        ("pctab", r.pctab),
        ("functab", Some(r.functab)),
        ("funcdata", Some(r.funcdata)),
        ("gofunc", r.gofunc),
    ] {
        if let Some((off, len)) = span {
            let _ = writeln!(s, "# region {name} {off:#x} {len:#x}");
        }
    }
    for f in &t.funcs {
        let _ = writeln!(s, "F {:x} {:x} {}", f.entry, f.end, f.name);
    }
    for f in &t.funcs {
        if let Some(file) = f.meta.file.and_then(|i| t.files.get(i as usize)) {
            let _ = writeln!(s, "S {:x} {file}", f.entry);
        }
    }
    let mut files: Vec<&str> = t.files.iter().map(String::as_str).collect();
    files.sort_unstable();
    files.dedup();
    for f in files {
        let _ = writeln!(s, "P {f}");
    }
    s
}
