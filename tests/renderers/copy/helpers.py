"""Build a one-off campaign on disk for renderer tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PIL import Image

from copyplate.layouts.loader import LoadedCampaign, load_campaign
from copyplate.pipeline.asset import render_copy
from copyplate.pipeline.plan import Job
from copyplate.renderers.copy.base import Layer


def chain(style: str) -> dict[str, list[dict[str, str]]]:
    def f(fam: str) -> list[dict[str, str]]:
        return [{"family": fam, "style": style}]

    return {
        "default": f("Noto Sans"),
        "Arab": f("Noto Sans Arabic"),
        "Hebr": f("Noto Sans Hebrew"),
        "Thai": f("Noto Sans Thai"),
        "Deva": f("Noto Sans Devanagari"),
        "Jpan": f("Noto Sans CJK JP"),
        "Hans": f("Noto Sans CJK SC"),
        "Kore": f("Noto Sans CJK KR"),
    }


def campaign(
    tmp: Path,
    regions: list[dict[str, Any]],
    copy: dict[str, dict[str, Any]],
    width: int = 800,
    height: int = 400,
    colors: dict[str, str] | None = None,
    top: dict[str, Any] | None = None,
    **brand: Any,
) -> LoadedCampaign:
    data = {
        "version": 1,
        "id": "t",
        "name": "test",
        "brand": {
            "name": "T",
            "colors": colors
            or {
                "ink": "#111111",
                "paper": "#FFFFFF",
                "accent": "#C8462B",
                "on-accent": "#FFFFFF",
            },
            "fonts": {"display": chain("Bold"), "body": chain("Regular")},
            **brand,
        },
        "sizes": [{"name": "s", "width": width, "height": height}],
        "plate": {"prompt": "p", "palette": ["paper"]},
        "regions": regions,
        "locales": {loc: {"copy": c} for loc, c in copy.items()},
        **(top or {}),
    }
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / "campaign.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return load_campaign(path)


def text_region(rid: str = "t", **kw: Any) -> dict[str, Any]:
    base = {
        "id": rid,
        "kind": "text",
        "copy": rid,
        "font_role": "display",
        "box": {"x": 0.05, "y": 0.1, "w": 0.9, "h": 0.8},
        "min_font_px": 24,
        "max_font_px": 64,
        "max_lines": 3,
    }
    base.update(kw)
    return base


def render(
    lc: LoadedCampaign, locale: str, plate_color: str = "#FFFFFF"
) -> tuple[Image.Image, list[Layer]]:
    size = lc.campaign.sizes[0]
    plate = Image.new("RGB", (size.width, size.height), plate_color)
    return render_copy(lc, Job(lc.campaign.id, locale, size.name, "default"), plate)


def replace_copy(lc: LoadedCampaign, locale: str, key: str, value: Any) -> None:
    """Put copy the loader would refuse straight into a loaded campaign, to test that the
    renderer defends itself too (a deck edited after the check, a third-party loader)."""
    from dataclasses import replace

    lc.copy[locale][key] = replace(lc.copy[locale][key], value=value)
