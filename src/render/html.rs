//! Self-contained HTML reports: one file, no network (a Content-Security-Policy forbids
//! it), inline CSS and JS, opening from disk. A zoomable treemap of the tree
//! [`treemap`](super::treemap) builds, a search box, a sortable table of the current
//! level, sizes in binary and decimal units, colours by kind, and the verdicts and "why"
//! lines on top.

use serde::Serialize;

use super::treemap::{COLOURS, Node};
use crate::diff::Diff;

/// What the page shows.
#[derive(Debug, Serialize)]
pub struct Page<'a> {
    /// Title (the file's path).
    pub title: String,
    /// Lines on top: verdicts, then what can go.
    pub lines: Vec<String>,
    /// The tree.
    pub root: &'a Node,
    /// A diff: areas are absolute changes and labels signed.
    pub diff: bool,
}

/// The verdict lines of a binary's audit.
pub fn verdict_lines(a: &crate::audit::Artifact) -> Vec<String> {
    let v = serde_json::to_value(a).unwrap_or_default();
    let s = |p: &str| match v.pointer(p) {
        Some(serde_json::Value::String(x)) => x.clone(),
        Some(serde_json::Value::Bool(b)) => if *b { "yes" } else { "no" }.into(),
        Some(serde_json::Value::Null) | None => "unknown".into(),
        Some(x) => x.to_string(),
    };
    vec![
        format!(
            "{} {} {}, {}",
            s("/go_version"),
            s("/format"),
            s("/arch"),
            s("/linking/kind")
        ),
        format!(
            "cgo: CGO_ENABLED={}, runtime/cgo linked: {}; DNS resolver: {}; os/user: {}",
            s("/cgo/setting"),
            s("/cgo/linked"),
            s("/net/resolver"),
            s("/os_user/impl")
        ),
        format!(
            "symbol table: {}; DWARF: {}; -trimpath: {}",
            s("/symtab"),
            s("/dwarf"),
            s("/trimpath")
        ),
    ]
}

/// The page for a size report or a diff.
pub fn page(p: &Page<'_>) -> String {
    // `</script>` inside the data would end the element: JSON allows `<\/`.
    let data = serde_json::to_string(p)
        .unwrap_or_default()
        .replace("</", "<\\/")
        .replace("<!--", "<\\!--");
    let colours: String = COLOURS
        .iter()
        .map(|(k, c)| format!(".k-{k}{{fill:{c};background:{c}}}"))
        .collect();
    let title = esc(&p.title);
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>goaudit: {title}</title>
<style>{CSS}{colours}</style></head>
<body>
<header><h1>{title}</h1><div id="total"></div><ul id="lines"></ul></header>
<div id="bar"><nav id="crumbs"></nav><input id="search" type="search" placeholder="search names" autocomplete="off"></div>
<main><div id="mapbox"><svg id="treemap" xmlns="http://www.w3.org/2000/svg"></svg></div>
<div id="tablebox"><table id="table"><thead><tr><th data-col="name">Name</th><th data-col="bytes" class="num">Size</th><th data-col="pct" class="num">%</th><th data-col="kind">Kind</th></tr></thead><tbody></tbody></table></div></main>
<div id="legend"></div>
<script id="data" type="application/json">{data}</script>
<script>{JS}</script>
</body></html>
"#
    )
}

/// The page for a diff: module → package by absolute change.
pub fn diff_page(d: &Diff) -> String {
    let (root, lines, title) = match d {
        Diff::Binary(b) => (
            super::treemap::diff_tree(b),
            diff_lines(b),
            format!("{} → {}", b.old_path, b.new_path),
        ),
        Diff::Image(i) => {
            // Each binary's changes under one node per binary.
            let mut children: Vec<Node> = i
                .binaries
                .iter()
                .filter_map(|b| b.diff.as_ref().map(|d| (b, d)))
                .map(|(b, d)| {
                    let mut t = super::treemap::diff_tree(d);
                    t.name = b.path.clone();
                    t.kind = if d.total.delta >= 0 {
                        "grown"
                    } else {
                        "shrunk"
                    };
                    t
                })
                .collect();
            children.sort_by_key(|c| std::cmp::Reverse(c.bytes));
            let bytes = children.iter().fold(0u64, |a, c| a.saturating_add(c.bytes));
            let mut lines = vec![format!(
                "content size {} → {} ({})",
                super::human_bytes(i.total.old),
                super::human_bytes(i.total.new),
                super::diff::signed(i.total.delta)
            )];
            for b in &i.binaries {
                if let Some(d) = &b.diff {
                    lines.extend(
                        diff_lines(d)
                            .into_iter()
                            .map(|l| format!("{}: {l}", b.path)),
                    );
                }
            }
            (
                Node {
                    name: i.new_path.clone(),
                    bytes,
                    kind: "other",
                    delta: Some(i.total.delta),
                    children,
                },
                lines,
                format!("{} → {}", i.old_path, i.new_path),
            )
        }
    };
    page(&Page {
        title,
        lines,
        root: &root,
        diff: true,
    })
}

fn diff_lines(b: &crate::diff::BinaryDiff) -> Vec<String> {
    let mut v = vec![format!(
        "file size {} → {} ({})",
        super::human_bytes(b.total.old),
        super::human_bytes(b.total.new),
        super::diff::signed(b.total.delta)
    )];
    v.extend(super::diff::change_lines(b));
    if !b.by_kind.is_empty() {
        v.push(format!("by kind: {}", super::diff::kind_summary(b, 6)));
    }
    v
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const CSS: &str = r#"
*{box-sizing:border-box}
body{margin:0;font:13px/1.4 system-ui,sans-serif;color:#222;background:#fafafa;display:flex;flex-direction:column;height:100vh}
header{padding:8px 14px 4px;border-bottom:1px solid #ddd;background:#fff}
h1{font-size:16px;margin:0 0 2px;word-break:break-all}
#total{font-weight:600}
#lines{margin:2px 0 0;padding-left:18px;color:#444;max-height:7.5em;overflow:auto}
#bar{display:flex;gap:10px;align-items:center;padding:6px 14px;background:#fff;border-bottom:1px solid #ddd}
#crumbs{flex:1;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
#crumbs a{color:#0b57d0;cursor:pointer;text-decoration:none}
#crumbs a:hover{text-decoration:underline}
#search{width:260px;padding:4px 6px}
main{flex:1;display:flex;min-height:0}
#mapbox{flex:3;position:relative;min-width:0}
#treemap{position:absolute;inset:0;width:100%;height:100%}
#treemap rect{stroke:#fff;stroke-width:1}
#treemap rect.node{cursor:pointer}
#treemap rect.sub{stroke-width:.5;fill-opacity:.7;pointer-events:none}
#treemap rect.dim{opacity:.18}
#treemap text{font-size:11px;pointer-events:none;fill:#111}
#treemap text.sz{fill:#333;font-size:10px}
#tablebox{flex:2;overflow:auto;border-left:1px solid #ddd;background:#fff;max-width:560px}
table{border-collapse:collapse;width:100%}
th{position:sticky;top:0;background:#f0f0f0;cursor:pointer;text-align:left;padding:4px 6px;user-select:none}
td{padding:2px 6px;border-bottom:1px solid #eee;word-break:break-all}
td.num,th.num{text-align:right;white-space:nowrap;word-break:normal}
tr.zoom td:first-child{color:#0b57d0;cursor:pointer}
.sw{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px}
#legend{padding:4px 14px;background:#fff;border-top:1px solid #ddd;font-size:12px}
#legend span{margin-right:12px}
"#;

const JS: &str = r#"
"use strict";
const D = JSON.parse(document.getElementById('data').textContent);
const svg = document.getElementById('treemap');
const tbody = document.querySelector('#table tbody');
const search = document.getElementById('search');
const NS = 'http://www.w3.org/2000/svg';
const SHORT = {go:'Go',std:'std',runtime:'runtime',cgo:'C / cgo',meta:'metadata',unattributed:'unattributed',other:'other',layer:'layer',file:'file',grown:'grown',shrunk:'shrunk'};
const KINDS = {go:'Go code (main, dependencies)',std:'standard library',runtime:'runtime',cgo:'C / cgo',meta:'metadata (pclntab, DWARF, symbols)',unattributed:'unattributed',other:'headers, padding, other',layer:'layer',file:'file',grown:'grown',shrunk:'shrunk'};
let stack = [D.root];
let sortCol = 'bytes', sortDir = -1;
function iec(b){const u=['B','KiB','MiB','GiB','TiB'];let i=0,x=b;while(x>=1024&&i<u.length-1){x/=1024;i++}return i?x.toFixed(1)+' '+u[i]:b+' B'}
function si(b){const u=['B','kB','MB','GB','TB'];let i=0,x=b;while(x>=1000&&i<u.length-1){x/=1000;i++}return i?x.toFixed(2)+' '+u[i]:b+' B'}
function both(b){return iec(b)+' ('+si(b)+')'}
function size(n){if(D.diff&&n.d!==undefined){const s=n.d>0?'+':n.d<0?'-':'';return s+iec(Math.abs(n.d))}return iec(n.b)}
function squarify(sizes,x,y,w,h){
  const out=sizes.map(()=>({x:x,y:y,w:0,h:0}));
  const total=sizes.reduce((a,b)=>a+b,0);
  if(total<=0||w<=0||h<=0)return out;
  const sc=w*h/total, areas=sizes.map(s=>s*sc);
  let fx=x,fy=y,fw=w,fh=h,i=0;
  while(i<areas.length){
    const side=Math.min(fw,fh);
    const worst=(a,b)=>{let s=0,mx=0,mn=Infinity;for(let k=a;k<b;k++){s+=areas[k];mx=Math.max(mx,areas[k]);mn=Math.min(mn,areas[k])}if(s<=0||mn<=0)return Infinity;return Math.max(side*side*mx/(s*s),s*s/(side*side*mn))};
    let j=i+1;
    while(j<areas.length&&worst(i,j+1)<=worst(i,j))j++;
    let s=0;for(let k=i;k<j;k++)s+=areas[k];
    const last=j===areas.length;
    if(fw>=fh){const cw=last?fw:s/fh;let cy=fy;for(let k=i;k<j;k++){const hh=k+1===j?fy+fh-cy:areas[k]/cw;out[k]={x:fx,y:cy,w:cw,h:hh};cy+=hh}fx+=cw;fw-=cw}
    else{const ch=last?fh:s/fw;let cx=fx;for(let k=i;k<j;k++){const ww=k+1===j?fx+fw-cx:areas[k]/ch;out[k]={x:cx,y:fy,w:ww,h:ch};cx+=ww}fy+=ch;fh-=ch}
    i=j;
  }
  return out;
}
function el(tag,attrs,parent){const e=document.createElementNS(NS,tag);for(const k in attrs)e.setAttribute(k,attrs[k]);if(parent)parent.appendChild(e);return e}
function matches(n,q){if(n.n.toLowerCase().includes(q))return true;return (n.c||[]).some(c=>matches(c,q))}
function zoom(n){if(n.c&&n.c.length){stack.push(n);render()}}
function crumbs(){
  const nav=document.getElementById('crumbs');nav.textContent='';
  stack.forEach((n,i)=>{if(i){nav.appendChild(document.createTextNode(' › '))}
    const a=document.createElement('a');a.textContent=n.n+' ('+size(n)+')';a.onclick=()=>{stack=stack.slice(0,i+1);render()};nav.appendChild(a)});
}
function draw(){
  const cur=stack[stack.length-1];
  while(svg.firstChild)svg.removeChild(svg.firstChild);
  const W=svg.clientWidth||800,H=svg.clientHeight||600;
  svg.setAttribute('viewBox','0 0 '+W+' '+H);
  const kids=cur.c||[];
  const q=search.value.trim().toLowerCase();
  const rs=squarify(kids.map(k=>k.b),0,0,W,H);
  kids.forEach((k,i)=>{
    const r=rs[i];if(r.w<=0||r.h<=0)return;
    const g=el('g',{},svg);
    const rect=el('rect',{x:r.x,y:r.y,width:r.w,height:r.h,class:'node k-'+k.k+(q&&!matches(k,q)?' dim':''),'data-name':k.n,'data-bytes':k.b,'data-index':i},g);
    el('title',{},rect).textContent=k.n+'  '+(D.diff?size(k)+'  ':'')+both(k.b);
    rect.addEventListener('click',()=>zoom(k));
    const strip=16;
    if(k.c&&k.c.length&&r.h>strip*2.5&&r.w>30){
      const sr=squarify(k.c.map(c=>c.b),r.x+2,r.y+strip,r.w-4,r.h-strip-2);
      k.c.forEach((c,j)=>{const s=sr[j];if(s.w<1||s.h<1)return;
        el('rect',{x:s.x,y:s.y,width:s.w,height:s.h,class:'sub k-'+c.k+(q&&!matches(c,q)?' dim':'')},g);
        if(s.w>60&&s.h>24){const t=el('text',{x:s.x+3,y:s.y+12,class:'sz'},g);t.textContent=fit(rel(c.n,k),s.w-6)}});
    }
    if(r.w>36&&r.h>13){const t=el('text',{x:r.x+3,y:r.y+12},g);t.textContent=fit(rel(k.n,cur)+'  '+size(k),r.w-6)}
  });
}
function rel(n,parent){const p=parent.n+'/';return n.startsWith(p)&&n.length>p.length?n.slice(p.length):n}
function fit(s,w){const n=Math.max(0,Math.floor(w/6.3));return s.length<=n?s:s.slice(0,Math.max(0,n-1))+'…'}
function rows(){
  const cur=stack[stack.length-1];
  const q=search.value.trim().toLowerCase();
  let list=[];
  if(q){const walk=(n,path)=>{(n.c||[]).forEach(c=>{const p=path?path+' › '+c.n:c.n;if(c.n.toLowerCase().includes(q)&&list.length<2000)list.push({n:c,label:p});walk(c,p)})};walk(cur,'')}
  else list=(cur.c||[]).map(c=>({n:c,label:c.n}));
  const key={name:r=>r.label.toLowerCase(),bytes:r=>D.diff&&r.n.d!==undefined?r.n.d:r.n.b,pct:r=>r.n.b,kind:r=>r.n.k}[sortCol];
  list.sort((a,b)=>{const x=key(a),y=key(b);return (x<y?-1:x>y?1:0)*sortDir});
  tbody.textContent='';
  const frag=document.createDocumentFragment();
  for(const r of list){
    const tr=document.createElement('tr');if(r.n.c&&r.n.c.length){tr.className='zoom'}
    const td=(t,c)=>{const d=document.createElement('td');d.textContent=t;if(c)d.className=c;tr.appendChild(d);return d};
    const name=td(r.label);name.title=r.label;
    td(size(r.n),'num').title=r.n.b+' bytes = '+both(r.n.b);
    td((cur.b?(100*r.n.b/cur.b):0).toFixed(1)+'%','num');
    const kd=td('');const sw=document.createElement('span');sw.className='sw k-'+r.n.k;kd.appendChild(sw);kd.appendChild(document.createTextNode(SHORT[r.n.k]||r.n.k));kd.title=KINDS[r.n.k]||r.n.k;
    if(r.n.c&&r.n.c.length)name.onclick=()=>{if(q){search.value=''}zoom(r.n)};
    frag.appendChild(tr);
  }
  tbody.appendChild(frag);
}
function render(){crumbs();draw();rows();if(!document.body.dataset.ready)document.body.dataset.readyMs=Math.round(performance.now());document.body.dataset.ready='1'}
document.querySelectorAll('#table th').forEach(th=>th.addEventListener('click',()=>{const c=th.dataset.col;if(sortCol===c)sortDir=-sortDir;else{sortCol=c;sortDir=c==='name'||c==='kind'?1:-1}rows()}));
search.addEventListener('input',()=>{draw();rows()});
document.addEventListener('keydown',e=>{if(e.key==='Escape'&&stack.length>1&&document.activeElement!==search){stack.pop();render()}});
window.addEventListener('resize',draw);
document.getElementById('total').textContent=D.diff?'change '+size(D.root)+'; areas are absolute changes ('+iec(D.root.b)+' in all), red grew, green shrank':'total '+both(D.root.b);
const ul=document.getElementById('lines');D.lines.forEach(l=>{const li=document.createElement('li');li.textContent=l;ul.appendChild(li)});
const seen=new Set();(D.root.c||[]).forEach(function w(n){seen.add(n.k);(n.c||[]).forEach(w)});
const lg=document.getElementById('legend');Object.keys(KINDS).filter(k=>seen.has(k)&&k!=='other'||k==='other'&&seen.has(k)).forEach(k=>{const s=document.createElement('span');const sw=document.createElement('span');sw.className='sw k-'+k;s.appendChild(sw);s.appendChild(document.createTextNode(KINDS[k]));lg.appendChild(s)});
render();
"#;
