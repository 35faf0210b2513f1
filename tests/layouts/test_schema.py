from __future__ import annotations

import json

import jsonschema
import pytest

from copyplate.layouts.schema import SCHEMA_PATH, campaign_schema, schema_text
from tests.conftest import SAMPLES


def test_packaged_schema_matches_models() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "campaign.schema.json is stale: run `copyplate schema --write`"
    )


def test_schema_is_valid_draft_2020_12() -> None:
    schema = campaign_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"].startswith("https://")


@pytest.mark.parametrize("sample", sorted(p.parent.name for p in SAMPLES.glob("*/campaign.json")))
def test_samples_validate_against_published_schema(sample: str) -> None:
    """An editor using `$schema` must agree with copyplate about the sample files."""
    data = json.loads((SAMPLES / sample / "campaign.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(campaign_schema()).validate(data)


def test_schema_rejects_what_models_reject() -> None:
    data = json.loads((SAMPLES / "spring-sale" / "campaign.json").read_text(encoding="utf-8"))
    data["regions"][0]["kind"] = "video"
    errors = list(jsonschema.Draft202012Validator(campaign_schema()).iter_errors(data))
    assert errors
