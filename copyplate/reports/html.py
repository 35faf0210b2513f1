"""report.html: a self-contained page rendered from report.json (and the asset images for
thumbnails). No external URL: it opens offline, from a file or an attachment.

A grid of thumbnails filterable by locale, size and status; per asset the image with
failing regions outlined, every failed finding (measured vs expected), the retry attempts,
and the plate model and seed.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import io
import json
from pathlib import Path
from typing import Any

from PIL import Image

from copyplate.fileio import write_atomic

THUMB_WIDTH = 360

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f4f2ee;color:#1f1a17}
header{padding:16px 24px;background:#1f1a17;color:#fff}
header h1{font-size:18px;margin:0 0 4px}
.filters{padding:12px 24px;display:flex;gap:12px;flex-wrap:wrap;align-items:center}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:16px;
padding:0 24px 24px}
.card{background:#fff;border-radius:8px;padding:10px;box-shadow:0 1px 3px #0002}
.card.fail{outline:3px solid #c8462b}
.thumb{position:relative;display:inline-block}
.thumb img{display:block;max-width:100%}
.thumb svg{position:absolute;left:0;top:0;width:100%;height:100%}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:12px}
.ok{background:#d8ecd5;color:#1d5e24}.bad{background:#f6d3cb;color:#8a2512}
table{border-collapse:collapse;width:100%;font-size:12px;margin-top:6px}
td,th{border-top:1px solid #eee;padding:3px 4px;text-align:left;vertical-align:top}
details{margin-top:6px}
.pager button{font:inherit}
"""

# At 2,000 assets a page of every card (each with its thumbnail) takes the browser
# seconds to lay out and re-filter. Only one page of cards is ever in the document: the
# first page is written into the grid (so the report still shows it without scripts),
# the rest wait inert in a <template> (its images are not decoded, its cards not laid
# out); a filter walks the cards' data attributes, which costs no layout.
SCRIPT = """
const PAGE=%(page)d, grid=document.getElementById('grid');
const all=[...grid.children, ...document.getElementById('more').content.children];
let matched=all, page=0;
function show(){
  const pages=Math.max(1, Math.ceil(matched.length/PAGE));
  page=Math.min(Math.max(page, 0), pages-1);
  grid.replaceChildren(...matched.slice(page*PAGE, (page+1)*PAGE));
  document.getElementById('shown').textContent=matched.length;
  document.getElementById('page').textContent=(page+1)+' / '+pages;
  document.getElementById('prev').disabled=page===0;
  document.getElementById('next').disabled=page>=pages-1;
}
function applyFilters(){
  const loc=document.getElementById('f-locale').value,
        size=document.getElementById('f-size').value,
        st=document.getElementById('f-status').value;
  matched=all.filter(c=>(!loc||c.dataset.locale===loc)&&(!size||c.dataset.size===size)
                        &&(!st||c.dataset.status===st));
  page=0; show();
}
document.querySelectorAll('select').forEach(s=>s.addEventListener('change',applyFilters));
document.getElementById('prev').addEventListener('click',()=>{page--; show(); scrollTo(0,0);});
document.getElementById('next').addEventListener('click',()=>{page++; show(); scrollTo(0,0);});
show();
"""
# Cards per page: a screenful or two of thumbnails.
PAGE_SIZE = 60


def thumb_path(image: Path, cache: Path) -> Path | None:
    """Where `image`'s thumbnail is kept in `cache`: named by the image's identity (path,
    size, mtime), so a replaced image never shows an old thumbnail. None: no such image."""
    try:
        st = image.stat()
    except OSError:
        return None
    ident = f"{image.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\0{THUMB_WIDTH}"
    name = hashlib.sha256(ident.encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return cache / f"{name}.jpg"


def thumbnail(rgb: Image.Image) -> bytes:
    """The JPEG thumbnail of an image, THUMB_WIDTH px wide."""
    rgb = rgb.convert("RGB")
    scale = THUMB_WIDTH / rgb.width
    # A box reduction to within 1.5x of the width first, then Lanczos: ~2.5x faster than
    # Lanczos over the whole image, and at 360 px the two cannot be told apart.
    small = rgb.resize(
        (THUMB_WIDTH, max(1, round(rgb.height * scale))),
        Image.Resampling.LANCZOS,
        reducing_gap=1.5,
    )
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def keep_thumb(image_path: Path, image: Image.Image, cache: Path) -> None:
    """Keep the thumbnail of an image just written, from the pixels in memory: the worker
    that made the asset pays ~10 ms for it instead of the report decoding every PNG again
    at the end of the batch (~30 ms an asset, in one process, linear in the batch)."""
    kept = thumb_path(image_path, cache)
    if kept is not None:
        # Only saves time: an unwritable cache leaves the report to make it.
        with contextlib.suppress(OSError):
            write_atomic(kept, thumbnail(image))


def _thumb(path: Path, cache: Path | None = None, used: set[Path] | None = None) -> str:
    """The image as an inline JPEG data URL, THUMB_WIDTH px wide; with `cache`, the kept
    thumbnail when the image has not changed since, else made and kept there."""
    kept = None
    if cache is not None:
        kept = thumb_path(path, cache)
        if kept is None:
            return ""
        if used is not None:
            used.add(kept)
        with contextlib.suppress(OSError):
            return _data_url(kept.read_bytes())
    try:
        with Image.open(path) as src:
            jpeg = thumbnail(src)
    except OSError:
        return ""
    if kept is not None:
        with contextlib.suppress(OSError):
            write_atomic(kept, jpeg)
    return _data_url(jpeg)


def _data_url(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def _e(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return html.escape(text[:300])


def _options(values: list[str], label: str, ident: str) -> str:
    opts = "".join(f'<option value="{_e(v)}">{_e(v)}</option>' for v in values)
    return (
        f'<label>{label} <select id="{ident}"><option value="">all</option>{opts}</select></label>'
    )


def _card(a: dict[str, Any], out: Path, cache: Path | None, used: set[Path]) -> str:
    status = "error" if a.get("error") else ("pass" if a["passed"] else "fail")
    badge = (
        '<span class="badge ok">passed</span>'
        if a["passed"]
        else f'<span class="badge bad">{"error" if a.get("error") else "failed"}</span>'
    )
    parts = [
        f'<div class="card{"" if a["passed"] else " fail"}" data-locale="{_e(a["locale"])}"'
        f' data-size="{_e(a["size"])}" data-status="{status}">',
        f"<div><b>{_e(a['size'])} / {_e(a['locale'])}</b> {badge}"
        + (" <small>(reused)</small>" if a.get("reused") else "")
        + "</div>",
    ]
    src = _thumb(out / a["image"], cache, used) if a.get("image") else ""
    if src:
        w, h = a.get("width") or 1, a.get("height") or 1
        stroke = f"{max(w, h) / 150:.1f}"
        rects = "".join(
            f'<rect x="{r["box"][0]}" y="{r["box"][1]}" width="{r["box"][2]}" '
            f'height="{r["box"][3]}" fill="none" stroke="#c8462b" stroke-width="{stroke}">'
            f"<title>{_e(r['id'])}</title></rect>"
            for r in a.get("regions", [])
            if not r["passed"]
        )
        parts.append(
            f'<div class="thumb"><img alt="{_e(a["image"])}" src="{src}">'
            f'<svg viewBox="0 0 {w} {h}" preserveAspectRatio="none">{rects}</svg></div>'
        )
    if a.get("error"):
        parts.append(f"<p>{_e(a['error'])}</p>")
    failed = [(r["id"], f) for r in a.get("regions", []) for f in r["failed"]]
    if failed:
        rows = "".join(
            f"<tr><td>{_e(rid)}</td><td>{_e(f['check'])}</td><td>{_e(f['message'])}"
            f"</td><td>{_e(f.get('measured'))}</td><td>{_e(f.get('expected'))}</td></tr>"
            for rid, f in failed
        )
        parts.append(
            "<table><tr><th>region</th><th>check</th><th>finding</th><th>measured</th>"
            f"<th>expected</th></tr>{rows}</table>"
        )
    attempts = [(r["id"], t) for r in a.get("regions", []) for t in r.get("attempts", [])]
    if attempts:
        rows = "".join(
            f"<tr><td>{_e(rid)}</td><td>{t['attempt']}</td><td>{_e(t.get('backend', ''))}</td>"
            f"<td>{_e(t['because'])}</td>"
            f"<td>{_e(t['changed'])}</td><td>{'passed' if t['passed'] else 'failed'}"
            f"</td></tr>"
            for rid, t in attempts
        )
        parts.append(
            f"<details><summary>{len(attempts)} retry attempt(s)</summary><table>"
            "<tr><th>region</th><th>#</th><th>backend</th><th>because</th><th>changed</th>"
            f"<th>result</th></tr>{rows}</table></details>"
        )
    hosted = [r for r in a.get("regions", []) if r.get("calls") or r.get("fallback")]
    if hosted:
        rows = "".join(
            f'<tr class="hosted"><td>{_e(r["id"])}</td><td>{_e(r.get("backend"))}</td>'
            f"<td>{len(r.get('calls', []))}</td>"
            f"<td>{_money(sum(c.get('cost_usd') or 0 for c in r.get('calls', [])))}</td>"
            f"<td>{_e(_fallback(r))}</td></tr>"
            for r in hosted
        )
        parts.append(
            "<table><tr><th>region</th><th>drawn by</th><th>calls</th><th>cost</th>"
            f"<th>fallback</th></tr>{rows}</table>"
        )
    plate = a.get("plate") or {}
    parts.append(
        f"<div><small>plate {_e(plate.get('model', '-'))}, seed "
        f"{_e(plate.get('seed', '-'))} &middot; {a.get('seconds', 0):.2f} s</small></div>"
    )
    parts.append("</div>")
    return "".join(parts)


def _money(usd: float) -> str:
    return f"${usd:.4f}"


def _fallback(region: dict[str, Any]) -> str:
    fb = region.get("fallback")
    if not fb:
        return ""
    return f"from {fb.get('from')}: {', '.join(fb.get('because', []))}"


def _hosted_line(h: dict[str, Any] | None) -> str:
    if not h or not h.get("calls"):
        return ""
    lat = h.get("latency_s") or {}
    unpriced = f", {h['unpriced_calls']} unpriced" if h.get("unpriced_calls") else ""
    return (
        f'<div id="hosted">hosted models: {h["calls"]} call(s), {h["failed_calls"]} failed, '
        f"{_money(h['cost_usd'])} for these assets ({_money(h['cost_this_run_usd'])} this "
        f"run{unpriced}), median {lat.get('median')} s per call; "
        f"{h['generated_regions']} region(s) generated, {h['fallbacks']} fell back to typeset"
        "</div>"
    )


def render_html(report: dict[str, Any], out: Path, thumb_cache: Path | None = None) -> str:
    """The page for `report` (report.json's content); images are read from `out`, their
    thumbnails kept in `thumb_cache` when given (a rerun then decodes no image again)."""
    assets = report["assets"]
    locales = sorted({a["locale"] for a in assets})
    sizes = sorted({a["size"] for a in assets})
    head = (
        f"<h1>{_e(report['campaign'])}: {report['passed']} of {len(assets)} assets passed"
        f"</h1><div>{_e(report.get('campaign_file', ''))} &middot; plates "
        f"{_e(report.get('plate_model', report.get('plate_backend', '')))}</div>"
        + _hosted_line(report.get("hosted"))
    )
    filters = (
        _options(locales, "locale", "f-locale")
        + _options(sizes, "size", "f-size")
        + '<label>status <select id="f-status"><option value="">all</option>'
        '<option value="pass">passed</option><option value="fail">failed</option>'
        '<option value="error">error</option></select></label>'
        f' <span><b id="shown">{len(assets)}</b> shown</span>'
    )
    pager = (
        '<span class="pager"><button id="prev" type="button">&lsaquo; previous</button> '
        f'page <b id="page">1 / {max(1, -(-len(assets) // PAGE_SIZE))}</b> '
        '<button id="next" type="button">next &rsaquo;</button></span>'
    )
    used: set[Path] = set()
    cards = [_card(a, out, thumb_cache, used) for a in assets]
    if thumb_cache is not None and thumb_cache.is_dir():
        # Thumbnails of images that are gone or were replaced: drop them.
        for old in thumb_cache.glob("*.jpg"):
            if old not in used:
                old.unlink(missing_ok=True)
    first, rest = "".join(cards[:PAGE_SIZE]), "".join(cards[PAGE_SIZE:])
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>copyplate report: {_e(report['campaign'])}</title><style>{STYLE}</style>"
        f'</head><body><header>{head}</header><div class="filters">{filters}{pager}</div>'
        f'<div class="grid" id="grid">{first}</div><template id="more">{rest}</template>'
        f"<script>{SCRIPT % {'page': PAGE_SIZE}}</script></body></html>\n"
    )
