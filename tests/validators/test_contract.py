"""The manifest contract as types: the published schema is generated from the models, and
hints are typed and bounded like the contract's own fields."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from copyplate.validators.contract import SCHEMA_PATH, Manifest, manifest_schema, schema_text
from copyplate.validators.manifest import ManifestError, parse_manifest

REGION = {"id": "headline", "kind": "text", "box": [10, 10, 200, 50], "text": "Spring Sale"}


def test_packaged_schema_matches_models() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "manifest.schema.json is stale: run `copyplate schema --write`"
    )


def test_schema_is_valid_and_agrees_with_the_models() -> None:
    schema = manifest_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    good = {"image": "a.png", "locale": "de-DE", "regions": [REGION], "anything": 1}
    jsonschema.Draft202012Validator(schema).validate(good)
    Manifest.model_validate(good)
    bad = {"image": "a.png", "regions": [{**REGION, "text": None, "kind": "cta"}]}
    with pytest.raises(ManifestError, match="needs 'text'"):
        parse_manifest(bad)
    no_text = {"image": "a.png", "regions": [{k: v for k, v in REGION.items() if k != "text"}]}
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(no_text))


@pytest.mark.parametrize(
    ("hint", "value", "where"),
    [
        ("font_px", 100000, "/regions/0/font_px"),
        ("font_px", "12", "/regions/0/font_px"),
        ("z", "top", "/regions/0/z"),
        ("lines", "one line", "/regions/0/lines"),
        ("runs", [[{"text": "x"}]], "/regions/0/runs/0/0/font"),
        ("text_bbox", [1, 2, 3], "/regions/0/text_bbox"),
        ("bold", "yes", "/regions/0/bold"),
    ],
)
def test_a_hint_of_the_wrong_type_is_named(hint: str, value: object, where: str) -> None:
    with pytest.raises(ManifestError) as e:
        parse_manifest({"image": "a.png", "regions": [{**REGION, hint: value}]})
    assert str(e.value).startswith(where)


def test_pipeline_manifests_parse(tmp_path: Path) -> None:
    """Every key the pipeline writes is either modelled or an allowed extra."""
    from copyplate.layouts.loader import load_campaign
    from copyplate.pipeline.run import RunOptions, run_batch
    from tests.conftest import SAMPLES

    lc = load_campaign(SAMPLES / "spring-sale" / "campaign.json")
    _, (res,) = run_batch(
        lc,
        tmp_path,
        ["ar-SA"],
        ["square"],
        plate_backend="gradient",
        options=RunOptions(validate=False),
    )
    man = parse_manifest(json.loads((tmp_path / res.manifest).read_text(encoding="utf-8")))
    head = next(r for r in man.regions if r.id == "headline")
    assert head.font_px and head.lines and head.runs and head.runs[0][0].font
