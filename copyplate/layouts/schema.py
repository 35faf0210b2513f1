"""The published JSON Schema of the campaign file, generated from the pydantic models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from copyplate.layouts.models import Campaign

SCHEMA_PATH = Path(__file__).with_name("campaign.schema.json")


def campaign_schema() -> dict[str, Any]:
    schema = Campaign.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def schema_text() -> str:
    return json.dumps(campaign_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema(path: Path = SCHEMA_PATH) -> Path:
    path.write_text(schema_text(), encoding="utf-8")
    return path
