"""Load a campaign file with all its copy decks, and check it completely.

`check_campaign` never raises for bad input: it returns every problem it found. The stages
use `load_campaign`, which raises one LayoutError carrying all of them.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from copyplate.errors import LayoutError, Problem
from copyplate.fonts import FontFace, FontIndex, coverage
from copyplate.layouts.decks import (
    CopyEntry,
    duplicate_problems,
    entries_from_json_map,
    read_locale_deck,
    read_shared_csv,
    read_shared_json,
)
from copyplate.layouts.geometry import Rect, resolve_box
from copyplate.layouts.jsonsource import JsonDocument, join_pointer, load_json
from copyplate.layouts.locales import LocaleInfo, locale_info
from copyplate.layouts.models import (
    Campaign,
    FontRef,
    OutputSize,
    Price,
    RegionBase,
    Stack,
)
from copyplate.layouts.sources import safe_path, step, validation_problems

# Why copy backend `name` cannot draw regions of `kind` (None when it can). The renderers
# know their backends and hand this in: the layouts layer does not import them.
BackendCheck = Callable[[str, str], str | None]


@dataclass
class LoadedCampaign:
    """A checked campaign with its copy resolved per locale."""

    path: Path
    doc: JsonDocument
    campaign: Campaign
    copy: dict[str, dict[str, CopyEntry]]  # locale -> key -> entry
    warnings: list[Problem] = field(default_factory=list)
    # False when a deck could not be read at all: then "missing copy" would only echo that.
    copy_complete: bool = True

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def display(self) -> str:
        return self.doc.display

    def locale(self, tag: str) -> LocaleInfo:
        return locale_info(tag, self.campaign.locales[tag].numbering_system)

    def direction(self, tag: str) -> str:
        return self.campaign.locales[tag].direction or self.locale(tag).direction

    def size(self, name: str) -> OutputSize:
        for s in self.campaign.sizes:
            if s.name == name:
                return s
        msg = f"unknown size {name!r}"
        raise KeyError(msg)

    def region_rect(self, region: RegionBase, size: OutputSize) -> Rect:
        """The region's box on `size`. A region that a stack places and that has not been
        placed yet (no box of its own for the size) gets the stack's whole group box: what
        the plate calms and harmony measures in, the same for every locale."""
        box = region.boxes.get(size.name, region.box)
        if box is None:
            stack = self.stack_of(region.id)
            if stack is None:
                msg = f"region {region.id!r} has no box and is in no stack"
                raise KeyError(msg)
            box = stack.boxes.get(size.name, stack.box)
        return resolve_box(box, size)

    def stack_of(self, region_id: str) -> Stack | None:
        """The stack that lists `region_id` (the first, if a broken file lists it twice)."""
        for stack in self.campaign.stacks:
            if region_id in stack.regions:
                return stack
        return None

    def color(self, ref: str) -> str:
        """A colour reference (token or #hex) as #RRGGBB[AA]."""
        return ref if ref.startswith("#") else self.campaign.brand.colors[ref]

    def font_chain(self, role: str, script: str) -> list[FontFace]:
        """The fallback chain of `role` for `script`, then the role's default chain."""
        fonts = self.campaign.brand.fonts[role]
        refs = list(fonts.get(script, [])) + [r for r in fonts.get("default", [])]
        out: list[FontFace] = []
        for ref in refs:
            face = resolve_font(ref, self.root)
            if isinstance(face, FontFace) and face not in out:
                out.append(face)
        return out

    def copy_key(self, region_key: str, variant: str) -> str:
        for v in self.campaign.variants:
            if v.id == variant:
                return v.copy_.get(region_key, region_key)
        return region_key

    def copy_value(self, key: str, locale: str) -> str | Price:
        return self.copy[locale][key].value

    def text(self, key: str, locale: str) -> str:
        """The copy exactly as it must appear: prices formatted by CLDR for the locale."""
        value = self.copy_value(key, locale)
        if isinstance(value, Price):
            return self.locale(locale).format_price(value.amount, value.currency)
        return value


@functools.lru_cache(maxsize=512)
def resolve_font(ref: FontRef, root: Path) -> FontFace | str:
    """The face a FontRef names, or a message saying why it cannot be used."""
    if (ref.family is None) == (ref.file is None):
        return "a font needs exactly one of 'family' or 'file'"
    if ref.file is not None:
        target = safe_path(root, ref.file)
        if isinstance(target, str):
            return target
        if not target.is_file():
            return f"font file {ref.file!r} does not exist"
        face = FontFace(target, ref.index, target.stem, "")
        try:
            coverage(target, ref.index)
        except Exception as e:  # fontTools raises many types for a file that is not a font
            return f"font file {ref.file!r} cannot be read as a font ({type(e).__name__})"
        return face
    assert ref.family is not None
    found = FontIndex.system().find(ref.family, ref.style)
    if found is None:
        styles = FontIndex.system().styles_of(ref.family)
        if styles:
            return (
                f"font {ref.family!r} has no style {ref.style!r} installed "
                f"(installed: {', '.join(styles)})"
            )
        return f"font family {ref.family!r} is not installed"
    return found


def _collect_copy(
    doc: JsonDocument, camp: Campaign, root: Path
) -> tuple[dict[str, dict[str, CopyEntry]], list[Problem], bool]:
    """Copy per locale and key, the problems found, and whether every deck could be read."""
    problems: list[Problem] = []
    complete = True
    entries: list[CopyEntry] = []
    display_root = str(Path(doc.display).parent)
    display_root = "" if display_root == "." else display_root
    locales = set(camp.locales)
    for tag, loc in camp.locales.items():
        base = join_pointer(join_pointer("/locales", tag), "copy")
        raw = doc.data["locales"][tag].get("copy", {})
        e, p = entries_from_json_map(doc, raw, tag, base)
        entries += e
        problems += p
        if loc.deck is not None:
            e, p = read_locale_deck(root, loc.deck, tag, display_root)
            complete &= bool(e) or not p
            entries += e
            problems += p
    for i, deck in enumerate(camp.decks):
        ptr = f"/decks/{i}/file"
        target = safe_path(root, deck.file)
        if isinstance(target, str):
            problems.append(doc.problem(ptr, target))
            complete = False
            continue
        shown = f"{display_root}/{deck.file}" if display_root else deck.file
        fmt = deck.format or ("csv" if target.suffix.lower() == ".csv" else "json")
        if fmt == "csv":
            e, p = read_shared_csv(target, shown, locales)
        else:
            sub = load_json(target, shown)
            if isinstance(sub, Problem):
                e, p = [], [sub]
            else:
                e, p = read_shared_json(sub, locales)
                p = duplicate_problems(sub) + p
        complete &= bool(e) or not p
        entries += e
        problems += p

    merged: dict[str, dict[str, CopyEntry]] = {t: {} for t in camp.locales}
    for entry in entries:
        have = merged[entry.locale].get(entry.key)
        if have is not None:
            where = have.origin
            at = f"{where.file}:{where.line}" if where.line else where.file
            problems.append(
                entry.origin.problem(
                    f"copy {entry.key!r} for {entry.locale} is defined twice (first at {at}); "
                    "each key may come from one place only"
                )
            )
            continue
        merged[entry.locale][entry.key] = entry
    return merged, problems, complete


def check_campaign(
    path: Path,
    display: str | None = None,
    per_job_coverage: bool = False,
    backend_problem: BackendCheck | None = None,
) -> tuple[LoadedCampaign | None, list[Problem]]:
    """Every problem with the campaign at `path` and its decks. Never raises for bad input.

    With `per_job_coverage`, copy no font can draw is a warning: a batch still runs and the
    assets of that locale fail on their own, with a glyphs finding (what `run` wants;
    `check` keeps it an error). `backend_problem` (from the renderers, which this layer
    does not import) checks the copy backends the campaign names."""
    from copyplate.layouts.checks import semantic_problems

    doc = load_json(path, display)
    if isinstance(doc, Problem):
        return None, [doc]
    problems = duplicate_problems(doc)
    if not isinstance(doc.data, dict):
        return None, [*problems, doc.problem("", "a campaign must be a JSON object")]
    try:
        camp = Campaign.model_validate(doc.data)
    except ValidationError as e:
        problems += validation_problems(doc, e, doc.data)
        # Unknown keys are the commonest mistake and removing them changes nothing else, so
        # the cross-reference checks can still run and report their findings in this pass.
        if any(err["type"] != "extra_forbidden" for err in e.errors()):
            return None, problems
        camp = Campaign.model_validate(_without_unknown_keys(doc.data, e))
    copy, deck_problems, complete = _collect_copy(doc, camp, path.parent)
    problems += deck_problems
    loaded = LoadedCampaign(path, doc, camp, copy, copy_complete=complete)
    problems += semantic_problems(loaded, backend_problem)
    problems.sort(key=lambda p: (p.file != doc.display, p.file, p.line or 0, p.column or 0))
    loaded.warnings = [p for p in problems if p.severity == "warning"]
    if per_job_coverage:
        problems = [
            dataclasses.replace(p, severity="warning", message=p.message + " (those assets fail)")
            if p.code == "coverage"
            else p
            for p in problems
        ]
        loaded.warnings = [p for p in problems if p.severity == "warning"]
    if any(p.severity == "error" for p in problems):
        return None, problems
    return loaded, problems


def _without_unknown_keys(data: Any, err: ValidationError) -> Any:
    pruned = copy.deepcopy(data)
    for e in err.errors():
        node = pruned
        for part in e["loc"][:-1]:
            found, child = step(node, part)
            if found:
                node = child
        if isinstance(node, dict):
            node.pop(str(e["loc"][-1]), None)
    return pruned


def load_campaign(
    path: Path,
    display: str | None = None,
    per_job_coverage: bool = False,
    backend_problem: BackendCheck | None = None,
) -> LoadedCampaign:
    loaded, problems = check_campaign(path, display, per_job_coverage, backend_problem)
    if loaded is None:
        raise LayoutError(problems)
    return loaded
