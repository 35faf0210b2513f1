"""Rules that need more than one field: copy keys, fonts and glyph coverage, boxes on the
canvas, colour tokens, files. Each returns Problems; none stops at the first."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Mapping

from copyplate.capabilities import available, require
from copyplate.errors import Problem
from copyplate.fonts import FontFace, describe_chars, uncovered
from copyplate.gs1 import barcode_problem
from copyplate.layouts.decks import CopyEntry
from copyplate.layouts.geometry import Rect, canvas, resolve_box, safe_rect
from copyplate.layouts.jsonsource import join_pointer
from copyplate.layouts.loader import BackendCheck, LoadedCampaign, resolve_font
from copyplate.layouts.locales import (
    LocaleProblem,
    currency_digits,
    decimal_places,
    known_currencies,
    locale_info,
)
from copyplate.layouts.models import (
    TEXT_KINDS,
    BarcodeRegion,
    CtaRegion,
    ImageRegion,
    LogoRegion,
    OutputSize,
    Price,
    PriceRegion,
    QrRegion,
    Stack,
    TextRegion,
)
from copyplate.layouts.sources import did_you_mean, safe_path
from copyplate.layouts.typescale import font_limits
from copyplate.limits import MAX_IMAGE_PIXELS
from copyplate.patterns import fullmatch as user_fullmatch

TextLike = TextRegion | PriceRegion | CtaRegion


def semantic_problems(
    lc: LoadedCampaign, backend_problem: BackendCheck | None = None
) -> list[Problem]:
    out: list[Problem] = []
    for rule in (_unique_ids, _colors, _fonts, _locales, _regions, _stacks, _copy):
        out.extend(rule(lc))
    if backend_problem is not None:
        out.extend(_backends(lc, backend_problem))
    return out


def _unique_ids(lc: LoadedCampaign) -> Iterator[Problem]:
    c = lc.campaign
    groups = (
        ("size", c.sizes),
        ("region", c.regions),
        ("variant", c.variants),
        ("stack", c.stacks),
    )
    for what, items in groups:
        counts = Counter(_name(x) for x in items)
        plural = f"{what}s"
        for i, x in enumerate(items):
            name = _name(x)
            if counts[name] > 1:
                field = "id" if hasattr(x, "id") else "name"
                yield lc.doc.problem(
                    f"/{plural}/{i}/{field}", f"{what} {name!r} is defined more than once"
                )
                counts[name] = 0  # report each duplicate once


def _name(item: object) -> str:
    return str(getattr(item, "id", None) or getattr(item, "name", ""))


def _colors(lc: LoadedCampaign) -> Iterator[Problem]:
    tokens = sorted(lc.campaign.brand.colors)

    def check(ref: str | None, ptr: str) -> Iterator[Problem]:
        if ref is not None and not ref.startswith("#") and ref not in tokens:
            yield lc.doc.problem(
                ptr,
                f"unknown colour token {ref!r}{did_you_mean(ref, tokens)} "
                f"(brand defines: {', '.join(tokens)})",
            )

    for i, ref in enumerate(lc.campaign.plate.palette):
        yield from check(ref, f"/plate/palette/{i}")
    for i, r in enumerate(lc.campaign.regions):
        for attr in ("color", "background"):
            yield from check(getattr(r, attr, None), f"/regions/{i}/{attr}")


def _fonts(lc: LoadedCampaign) -> Iterator[Problem]:
    for role, scripts in lc.campaign.brand.fonts.items():
        for script, chain in scripts.items():
            for j, ref in enumerate(chain):
                face = resolve_font(ref, lc.root)
                if isinstance(face, str):
                    yield lc.doc.problem(f"/brand/fonts/{role}/{script}/{j}", face)


def _locales(lc: LoadedCampaign) -> Iterator[Problem]:
    for tag, loc in lc.campaign.locales.items():
        try:
            locale_info(tag, loc.numbering_system)
        except LocaleProblem as e:
            yield lc.doc.problem(join_pointer("/locales", tag), str(e))


def _regions(lc: LoadedCampaign) -> Iterator[Problem]:
    c = lc.campaign
    size_names = [s.name for s in c.sizes]
    roles = sorted(c.brand.fonts)
    for i, r in enumerate(c.regions):
        base = f"/regions/{i}"
        stack = lc.stack_of(r.id)
        if stack is not None:
            # The stack places the region; a box of its own would be silently ignored.
            for ptr in ([f"{base}/box"] if r.box is not None else []) + [
                join_pointer(f"{base}/boxes", n) for n in r.boxes
            ]:
                yield lc.doc.problem(
                    ptr,
                    f"region {r.id!r} is placed by stack {stack.id!r}; expected no box of its "
                    "own (remove it, or take the region out of the stack)",
                )
        elif r.box is None:
            yield lc.doc.problem(
                base, f"region {r.id!r} has no 'box'; expected a box, or the region in a stack"
            )
        for name in r.boxes:
            if name not in size_names:
                yield lc.doc.problem(
                    join_pointer(f"{base}/boxes", name),
                    f"unknown size {name!r}{did_you_mean(name, size_names)} "
                    f"(sizes: {', '.join(size_names)})",
                )
        for size in c.sizes:
            if stack is not None or (r.box is None and size.name not in r.boxes):
                continue  # a stacked region's geometry is its stack's (checked there)
            rect = lc.region_rect(r, size)
            ptr = _box_pointer(base, r.boxes, size)
            # an image may bleed past the safe area (a photo to the edge)
            yield from _placement(lc, f"region {r.id!r}", ptr, size, rect, r.kind != "image")
            if isinstance(r, TextLike) and rect.h < r.min_font_px:
                yield lc.doc.problem(
                    ptr,
                    f"region {r.id!r} on size {size.name!r} is {rect.h} px high, less than "
                    f"its min_font_px {r.min_font_px}",
                )
        if isinstance(r, TextLike):
            if r.min_font_px > r.max_font_px:
                yield lc.doc.problem(
                    f"{base}/min_font_px",
                    f"min_font_px {r.min_font_px} is larger than max_font_px {r.max_font_px}",
                )
            if r.font_role not in c.brand.fonts:
                yield lc.doc.problem(
                    f"{base}/font_role",
                    f"unknown font role {r.font_role!r}{did_you_mean(r.font_role, roles)} "
                    f"(brand defines: {', '.join(roles)})",
                )
        if isinstance(r, QrRegion | BarcodeRegion) and (r.copy_key is None) == (r.payload is None):
            yield lc.doc.problem(base, f"region {r.id!r} needs exactly one of 'copy' or 'payload'")
        if isinstance(r, BarcodeRegion) and r.payload is not None:
            msg = barcode_problem(r.symbology, r.payload)
            if msg:
                yield lc.doc.problem(f"{base}/payload", msg)
        if isinstance(r, QrRegion) and r.payload is not None:
            msg = qr_problem(r.payload, r.ecc)
            if msg:
                yield lc.doc.problem(f"{base}/payload", f"region {r.id!r}: {msg}")
        if isinstance(r, LogoRegion | ImageRegion):
            files = {f"{base}/src": r.src}
            if isinstance(r, ImageRegion) and r.mask is not None:
                files[f"{base}/mask"] = r.mask
            if isinstance(r, LogoRegion):
                files.update(
                    {join_pointer(f"{base}/variants", k): v for k, v in r.variants.items()}
                )
            for ptr, rel in files.items():
                msg = _image_problem(lc, rel)
                if msg:
                    yield lc.doc.problem(ptr, msg)


def _stacks(lc: LoadedCampaign) -> Iterator[Problem]:
    c = lc.campaign
    size_names = [s.name for s in c.sizes]
    by_id = {r.id: r for r in c.regions}
    ids = list(by_id)
    placed: dict[str, str] = {}  # region id -> the stack that lists it first
    for i, st in enumerate(c.stacks):
        base = f"/stacks/{i}"
        for j, rid in enumerate(st.regions):
            ptr = f"{base}/regions/{j}"
            region = by_id.get(rid)
            if region is None:
                yield lc.doc.problem(
                    ptr,
                    f"stack {st.id!r}: unknown region {rid!r}{did_you_mean(rid, ids)} "
                    f"(regions: {', '.join(ids)})",
                )
                continue
            if rid in placed:
                yield lc.doc.problem(
                    ptr,
                    f"stack {st.id!r}: region {rid!r} is already in stack {placed[rid]!r}; "
                    "expected each region in one stack, once",
                )
                continue
            placed[rid] = st.id
            if not isinstance(region, TextLike):
                yield lc.doc.problem(
                    ptr,
                    f"stack {st.id!r}: region {rid!r} is of kind {region.kind!r}; expected "
                    f"one of {', '.join(TEXT_KINDS)} (copy that can flow)",
                )
        for what, keys in (("boxes", st.boxes), ("directions", st.directions)):
            for name in keys:
                if name not in size_names:
                    yield lc.doc.problem(
                        join_pointer(f"{base}/{what}", name),
                        f"unknown size {name!r}{did_you_mean(name, size_names)} "
                        f"(sizes: {', '.join(size_names)})",
                    )
        members = [r for rid in st.regions if isinstance(r := by_id.get(rid), TextLike)]
        for size in c.sizes:
            rect = resolve_box(st.boxes.get(size.name, st.box), size)
            ptr = _box_pointer(base, st.boxes, size)
            placement = _placement(lc, f"stack {st.id!r}", ptr, size, rect, True)
            yield from placement
            if any(p.severity == "error" for p in placement):
                continue
            if msg := stack_room_problem(st, members, size, rect):
                yield lc.doc.problem(ptr, msg)


def _box_pointer(base: str, boxes: Mapping[str, object], size: OutputSize) -> str:
    """Where the box of `size` is written: its entry in `boxes`, else the default `box`."""
    return join_pointer(f"{base}/boxes", size.name) if size.name in boxes else f"{base}/box"


def _placement(
    lc: LoadedCampaign, what: str, ptr: str, size: OutputSize, rect: Rect, safe: bool
) -> list[Problem]:
    """A box outside the canvas (an error), else one leaving the safe area (a warning,
    when `safe` is asked for)."""
    if not rect.inside(canvas(size)) or rect.w < 1 or rect.h < 1:
        return [
            lc.doc.problem(
                ptr,
                f"{what} on size {size.name!r} ({size.width}x{size.height}) lies outside the "
                f"canvas: box is x={rect.x} y={rect.y} w={rect.w} h={rect.h} px",
            )
        ]
    if safe and not rect.inside(safe_rect(size)):
        return [
            lc.doc.problem(ptr, f"{what} on size {size.name!r} leaves the safe area", "warning")
        ]
    return []


def stack_room_problem(
    st: Stack, members: list[TextLike], size: OutputSize, rect: Rect
) -> str | None:
    """Why the stack's box on `size` cannot hold one line of each region at its smallest
    type (after the size's type scale), or None. A cheap lower bound: the copy itself may
    still need more, which the run reports per asset."""
    if not members:
        return None
    direction = st.directions.get(size.name, st.direction)
    lines = [(r.id, font_limits(r, size)[0] * r.line_height) for r in members]
    if direction == "column":
        gaps = st.gap * rect.h * (len(members) - 1)
        need = sum(h for _, h in lines) + gaps
        if need > rect.h:
            return (
                f"stack {st.id!r} on size {size.name!r} is {rect.h} px high; one line of each "
                f"of {', '.join(rid for rid, _ in lines)} at its min_font_px plus the gaps needs "
                f"{math.ceil(need)} px"
            )
        return None
    for rid, h in lines:
        if h > rect.h:
            return (
                f"stack {st.id!r} on size {size.name!r} is {rect.h} px high; region {rid!r} "
                f"needs {math.ceil(h)} px for one line at its min_font_px"
            )
    return None


def _backends(lc: LoadedCampaign, backend_problem: BackendCheck) -> Iterator[Problem]:
    c = lc.campaign
    if c.copy_backend is not None:
        msg = backend_problem(c.copy_backend, "text")
        if msg:
            yield lc.doc.problem("/copy_backend", msg)
    for i, r in enumerate(c.regions):
        if isinstance(r, TextLike) and r.backend is not None:
            msg = backend_problem(r.backend, r.kind)
            if msg:
                yield lc.doc.problem(f"/regions/{i}/backend", msg)


def _image_problem(lc: LoadedCampaign, rel: str) -> str | None:
    from PIL import Image

    target = safe_path(lc.root, rel)
    if isinstance(target, str):
        return target
    if not target.is_file():
        return f"image file {rel!r} does not exist"
    try:
        with Image.open(target) as im:
            w, h = im.size
            if w * h > MAX_IMAGE_PIXELS:
                return f"image {rel!r} is {w}x{h}; the limit is {MAX_IMAGE_PIXELS:,} pixels"
            im.verify()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        return f"image {rel!r} cannot be read: {e}"
    return None


def _region_keys(lc: LoadedCampaign) -> Iterator[tuple[int, str, str]]:
    """(region index, pointer to its copy key, copy key) for every variant."""
    for i, r in enumerate(lc.campaign.regions):
        key = getattr(r, "copy_key", None)
        if key is None:
            continue
        yield i, f"/regions/{i}/copy", key
        for j, v in enumerate(lc.campaign.variants):
            if key in v.copy_:
                yield i, join_pointer(f"/variants/{j}/copy", key), v.copy_[key]


def _copy(lc: LoadedCampaign) -> Iterator[Problem]:
    c = lc.campaign
    all_keys = sorted({k for per in lc.copy.values() for k in per})
    used: set[str] = set()
    for i, ptr, key in _region_keys(lc):
        region = c.regions[i]
        used.add(key)
        if key not in all_keys:
            if not lc.copy_complete:
                continue
            yield lc.doc.problem(
                ptr, f"unknown copy key {key!r}{did_you_mean(key, all_keys)}: no locale defines it"
            )
            continue
        for tag in c.locales:
            entry = lc.copy[tag].get(key)
            if entry is None:
                if not lc.copy_complete:
                    continue
                yield lc.doc.problem(
                    join_pointer("/locales", tag),
                    f"locale {tag} has no copy for {key!r} (used by region {region.id!r})",
                )
                continue
            yield from _entry_problems(lc, region, entry)
    for key in all_keys:
        if key not in used:
            for tag in c.locales:
                entry = lc.copy[tag].get(key)
                if entry is not None:
                    yield entry.origin.problem(f"copy {key!r} is not used by any region", "warning")
                    break


def _entry_problems(
    lc: LoadedCampaign,
    region: TextRegion
    | PriceRegion
    | CtaRegion
    | QrRegion
    | BarcodeRegion
    | LogoRegion
    | ImageRegion,
    entry: CopyEntry,
) -> Iterator[Problem]:
    value = entry.value
    where = f"region {region.id!r}"
    if isinstance(region, PriceRegion) != isinstance(value, Price):
        want = "a price {amount, currency}" if isinstance(region, PriceRegion) else "text"
        yield entry.origin.problem(f"{where} (kind {region.kind}) needs {want} here")
        return
    if isinstance(value, Price):
        if value.currency not in known_currencies():
            yield entry.origin.problem(f"unknown ISO 4217 currency {value.currency!r}")
            return
        places = decimal_places(value.amount)
        digits = currency_digits(value.currency)
        if places > digits:
            yield entry.origin.problem(
                f"{value.currency} prices have {digits} decimal places; {value.amount} has {places}"
            )
    if isinstance(region, BarcodeRegion):
        msg = barcode_problem(region.symbology, str(value))
        if msg:
            yield entry.origin.problem(msg)
        return
    if isinstance(region, QrRegion):
        msg = qr_problem(str(value), region.ecc)
        if msg:
            yield entry.origin.problem(f"{where}: {msg}")
        return
    if region.kind not in TEXT_KINDS:
        return
    assert isinstance(region, TextRegion | PriceRegion | CtaRegion)
    try:
        text = lc.text(entry.key, entry.locale)
    except LocaleProblem:
        return  # reported by _locales
    pattern = region.checks.pattern
    if pattern and not user_fullmatch(pattern, text):
        yield entry.origin.problem(f"copy {text!r} does not match {where}'s pattern {pattern!r}")
    if region.font_role not in lc.campaign.brand.fonts:
        return
    try:
        script = lc.locale(entry.locale).script
    except LocaleProblem:
        return
    chain = lc.font_chain(region.font_role, script)
    if not chain:
        yield entry.origin.problem(
            f"no font for locale {entry.locale} (script {script}) in role "
            f"{region.font_role!r}: add a '{script}' or 'default' chain under brand.fonts",
            code="coverage",
        )
        return
    missing = uncovered(text, chain)
    if missing:
        yield entry.origin.problem(
            f"no font of role {region.font_role!r} for {entry.locale} ({_labels(chain)}) has "
            f"{describe_chars(missing)}",
            code="coverage",
        )


def qr_problem(payload: str, ecc: str) -> str | None:
    """Why `payload` cannot be a QR code at error level `ecc` (too much data for version
    40), or None. Checked here so that a batch never finds out at its first asset."""
    if not available("segno"):
        return None  # `run` reports the missing capability itself
    segno = require("segno")
    try:
        # One fixed mask: the version (what overflows) does not depend on it, and trying
        # all eight for a code nobody draws here is most of the time.
        segno.make_qr(payload, error=ecc.lower(), boost_error=False, mask=0)
    except segno.DataOverflowError:
        return (
            f"payload of {len(payload):,} characters does not fit a QR code at error level "
            f"{ecc} (at most version 40); expected a shorter payload or a lower level"
        )
    return None


def _labels(chain: list[FontFace]) -> str:
    return ", ".join(f.label for f in chain)
