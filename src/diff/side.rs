//! One side of a diff, read from the JSON shape of a report: a saved `goaudit size
//! --json` document, or a binary or image read now and turned into that shape.

use std::path::Path;

use serde_json::Value;

use crate::error::Error;

/// The size model of one binary, as the report carries it.
#[derive(Debug, Clone, Default)]
pub struct SizeData {
    /// (module, bytes).
    pub by_module: Vec<(String, u64)>,
    /// (package, module, bytes).
    pub by_package: Vec<(String, String, u64)>,
    /// (section, bytes).
    pub by_section: Vec<(String, u64)>,
    /// (kind id, bytes); empty in reports saved before kinds were recorded.
    pub by_kind: Vec<(String, u64)>,
}

/// One binary.
#[derive(Debug, Clone, Default)]
pub struct BinarySide {
    /// Path as given or recorded.
    pub path: String,
    /// File size.
    pub file_size: u64,
    /// Size attribution, when the report has it.
    pub size: Option<SizeData>,
    /// (path, version) of each dependency; a replaced one reads `v1 => path v2`.
    pub deps: Vec<(String, String)>,
    /// Build settings in file order.
    pub settings: Vec<(String, String)>,
    /// The verdicts compared, as (id, what, value) in a fixed order.
    pub(crate) verdicts: Vec<(&'static str, &'static str, String)>,
}

impl BinarySide {
    /// The verdicts in a fixed order: (id, what, value).
    pub fn verdicts(&self) -> Vec<(&'static str, &'static str, String)> {
        self.verdicts.clone()
    }
}

/// One image layer.
#[derive(Debug, Clone)]
pub struct Layer {
    /// Blob digest.
    pub digest: String,
    /// History command, when recorded.
    pub command: Option<String>,
    /// Content bytes.
    pub content_size: u64,
}

/// One image.
#[derive(Debug, Clone, Default)]
pub struct ImageSide {
    /// Path as given or recorded.
    pub path: String,
    /// Content size.
    pub content_size: u64,
    /// Wasted bytes.
    pub wasted_bytes: u64,
    /// The causes, (id, bytes); they partition the content size.
    pub causes: Vec<(String, u64)>,
    /// Layers in order.
    pub layers: Vec<Layer>,
    /// Go binaries inside.
    pub binaries: Vec<BinarySide>,
}

/// A binary or an image.
#[derive(Debug, Clone)]
pub enum Side {
    /// A Go binary.
    Binary(BinarySide),
    /// A container image.
    Image(ImageSide),
}

/// `image.tar:/usr/bin/app` → `/usr/bin/app`.
pub fn path_in_image(p: &str) -> &str {
    match p.find(":/") {
        Some(i) => &p[i + 1..],
        None => p,
    }
}

fn s(v: &Value, ptr: &str) -> String {
    match v.pointer(ptr) {
        Some(Value::String(x)) => x.clone(),
        Some(Value::Bool(b)) => if *b { "yes" } else { "no" }.to_string(),
        Some(Value::Null) | None => "-".to_string(),
        Some(other) => other.to_string(),
    }
}

fn u(v: &Value, key: &str) -> Option<u64> {
    v.get(key).and_then(Value::as_u64)
}

/// A module name as this goaudit writes it, so that a report saved by an older one (the
/// runtime's row was `runtime`) compares with a fresh one.
fn canonical(module: &str) -> String {
    crate::size::canonical_module(module).to_string()
}

fn named_list(v: &Value, key: &str) -> Result<Vec<(String, u64)>, String> {
    let Some(list) = v.get(key) else {
        return Ok(Vec::new());
    };
    let list = list
        .as_array()
        .ok_or_else(|| format!("`{key}` is not a list"))?;
    list.iter()
        .map(|e| {
            let name = e.get("name").and_then(Value::as_str);
            let bytes = u(e, "bytes");
            name.zip(bytes)
                .map(|(n, b)| (n.to_string(), b))
                .ok_or_else(|| format!("`{key}` entry without name and bytes"))
        })
        .collect()
}

impl BinarySide {
    /// From a binary artifact of the report (`"kind": "binary"`).
    pub fn from_json(a: &Value) -> Result<BinarySide, String> {
        let path = a
            .get("path")
            .and_then(Value::as_str)
            .ok_or("artifact without `path`")?
            .to_string();
        let file_size = u(a, "size").ok_or("artifact without `size`")?;
        let size = match a.get("size_attribution") {
            Some(sa) if !sa.is_null() => {
                let total = u(sa, "total").ok_or("`size_attribution` without `total`")?;
                let by_package = sa
                    .get("by_package")
                    .and_then(Value::as_array)
                    .ok_or("`size_attribution` without `by_package`")?
                    .iter()
                    .map(|p| {
                        Some((
                            p.get("name")?.as_str()?.to_string(),
                            canonical(p.get("module")?.as_str()?),
                            u(p, "bytes")?,
                        ))
                    })
                    .collect::<Option<Vec<_>>>()
                    .ok_or("`by_package` entry without name, module and bytes")?;
                let mut by_module = named_list(sa, "by_module")?;
                for m in &mut by_module {
                    m.0 = canonical(&m.0);
                }
                let d = SizeData {
                    by_module,
                    by_package,
                    by_section: named_list(sa, "by_section")?,
                    by_kind: named_list(sa, "by_kind")?,
                };
                // The partition is what makes the diff add up: a report whose lists do
                // not sum to its total is damaged.
                // Summed wide: a hostile report must not overflow.
                let sum = |v: &mut dyn Iterator<Item = u64>| v.map(u128::from).sum::<u128>();
                let sums = [
                    ("by_module", sum(&mut d.by_module.iter().map(|x| x.1))),
                    ("by_package", sum(&mut d.by_package.iter().map(|x| x.2))),
                    ("by_section", sum(&mut d.by_section.iter().map(|x| x.1))),
                ];
                for (k, sum) in sums {
                    if sum != u128::from(total) {
                        return Err(format!(
                            "size_attribution.{k} sums to {sum}, not to total {total}: the report is damaged"
                        ));
                    }
                }
                if !d.by_kind.is_empty()
                    && sum(&mut d.by_kind.iter().map(|x| x.1)) != u128::from(total)
                {
                    return Err(format!(
                        "size_attribution.by_kind does not sum to total {total}: the report is damaged"
                    ));
                }
                Some(d)
            }
            _ => None,
        };
        let bi = a.get("buildinfo").filter(|b| !b.is_null());
        let mut deps = Vec::new();
        let mut settings = Vec::new();
        if let Some(bi) = bi {
            for d in bi
                .get("deps")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[])
            {
                let (Some(p), Some(v)) = (
                    d.get("path").and_then(Value::as_str),
                    d.get("version").and_then(Value::as_str),
                ) else {
                    continue;
                };
                let mut version = v.to_string();
                if let Some(r) = d.get("replace").filter(|r| !r.is_null()) {
                    version = format!(
                        "{v} => {} {}",
                        r.get("path").and_then(Value::as_str).unwrap_or("?"),
                        r.get("version").and_then(Value::as_str).unwrap_or("")
                    )
                    .trim_end()
                    .to_string();
                }
                deps.push((p.to_string(), version));
            }
            for kv in bi
                .get("settings")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[])
            {
                if let (Some(k), Some(v)) = (
                    kv.get(0).and_then(Value::as_str),
                    kv.get(1).and_then(Value::as_str),
                ) {
                    settings.push((k.to_string(), v.to_string()));
                }
            }
        }
        let verdicts = vec![
            ("format", "format", s(a, "/format")),
            ("arch", "architecture", s(a, "/arch")),
            ("go-version", "Go version", s(a, "/go_version")),
            ("linking", "linking", s(a, "/linking/kind")),
            ("cgo-setting", "CGO_ENABLED", s(a, "/cgo/setting")),
            ("cgo-linked", "runtime/cgo linked", s(a, "/cgo/linked")),
            ("net-resolver", "DNS resolver", s(a, "/net/resolver")),
            ("os-user", "os/user", s(a, "/os_user/impl")),
            ("symtab", "symbol table", s(a, "/symtab")),
            ("dwarf", "DWARF", s(a, "/dwarf")),
            ("trimpath", "-trimpath", s(a, "/trimpath")),
            ("packed", "packed", s(a, "/packed")),
        ];
        Ok(BinarySide {
            path,
            file_size,
            size,
            deps,
            settings,
            verdicts,
        })
    }
}

impl ImageSide {
    /// From an image artifact of the report (`"kind": "image"`).
    pub fn from_json(a: &Value) -> Result<ImageSide, String> {
        let path = a
            .get("path")
            .and_then(Value::as_str)
            .ok_or("image without `path`")?
            .to_string();
        let content_size = u(a, "content_size").ok_or("image without `content_size`")?;
        let mut causes = Vec::new();
        for c in a
            .get("causes")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            // Every cause row is one part of the partition; reports written before
            // that marked the overlapping ones `"counted": false`.
            if c.get("counted").and_then(Value::as_bool) == Some(false) {
                continue;
            }
            let id = c
                .get("id")
                .and_then(Value::as_str)
                .ok_or("cause without id")?;
            causes.push((id.to_string(), u(c, "bytes").ok_or("cause without bytes")?));
        }
        let sum: u128 = causes.iter().map(|c| u128::from(c.1)).sum();
        if !causes.is_empty() && sum != u128::from(content_size) {
            return Err(format!(
                "the counted causes sum to {sum}, not to content_size {content_size}: the report is damaged"
            ));
        }
        let layers = a
            .get("layers")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .map(|l| Layer {
                digest: l
                    .get("digest")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                command: l.get("history").and_then(Value::as_str).map(str::to_string),
                content_size: u(l, "content_size").unwrap_or(0),
            })
            .collect();
        let binaries = a
            .get("binaries")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .map(BinarySide::from_json)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ImageSide {
            path,
            content_size,
            wasted_bytes: u(a, "wasted_bytes").unwrap_or(0),
            causes,
            layers,
            binaries,
        })
    }
}

impl Side {
    /// From one artifact of a report.
    pub fn from_json(a: &Value) -> Result<Side, String> {
        match a.get("kind").and_then(Value::as_str) {
            Some("binary") => BinarySide::from_json(a).map(Side::Binary),
            Some("image") => ImageSide::from_json(a).map(Side::Image),
            Some(k) => Err(format!("artifact of unknown kind `{k}`")),
            None => Err("artifact without `kind`".into()),
        }
    }

    /// Read a side from disk: a saved report (`goaudit size --json` / `goaudit --json`
    /// with one artifact), a container image, or a Go binary. Returns the side and, for
    /// a binary read now, its item-level attribution is not kept (the diff needs only
    /// the report).
    pub fn load(path: &Path, opts: &crate::image::Options) -> Result<Side, Error> {
        let bad = |what: String| Error::Unsupported {
            path: path.to_path_buf(),
            what,
        };
        if path.is_file() && looks_like_json(path) {
            let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?;
            let doc: Value = serde_json::from_str(&text)
                .map_err(|e| bad(format!("not a goaudit JSON report: {e}")))?;
            let arts = doc
                .get("artifacts")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    bad(
                        "not a goaudit JSON report (no `artifacts`; use `goaudit size --json`)"
                            .into(),
                    )
                })?;
            if arts.len() != 1 {
                return Err(bad(format!(
                    "the report holds {} artifacts; diff compares one with one (save `goaudit size --json` of a single file)",
                    arts.len()
                )));
            }
            return Side::from_json(&arts[0]).map_err(bad);
        }
        let is_image = if path.is_dir() {
            crate::input::detect::is_image_dir(path)
        } else {
            crate::image::looks_like_archive(path)
        };
        if is_image {
            let mut found = crate::image::read(path, opts)?;
            if found.len() != 1 {
                return Err(bad(format!(
                    "the archive holds {} images; diff compares one with one",
                    found.len()
                )));
            }
            let r = found.remove(0);
            let v = serde_json::to_value(&r).map_err(|e| bad(e.to_string()))?;
            return ImageSide::from_json(&v).map(Side::Image).map_err(bad);
        }
        let fb = crate::input::FileBytes::open(path)?;
        let label = path.display().to_string();
        let data = fb.bytes();
        if crate::binary::fat::is_fat(data) {
            return Err(bad(
                "a universal Mach-O; diff compares single-architecture files".into(),
            ));
        }
        let (a, _) = crate::audit::audit_detailed(&label, data).map_err(|e| match e {
            crate::audit::AuditError::Malformed(p) => p.at(&label),
            other => bad(other.to_string()),
        })?;
        let v = serde_json::to_value(&a).map_err(|e| bad(e.to_string()))?;
        BinarySide::from_json(&v).map(Side::Binary).map_err(bad)
    }
}

/// A file whose first non-blank byte is `{`.
fn looks_like_json(path: &Path) -> bool {
    use std::io::Read;
    let mut buf = [0u8; 64];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut buf))
        .unwrap_or(0);
    buf[..n]
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{')
}
