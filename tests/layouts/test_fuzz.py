"""No JSON value, however odd, makes the checker raise."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copyplate.layouts.loader import check_campaign
from tests.conftest import SAMPLES

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
BASE = json.loads((SAMPLES / "spring-sale" / "campaign.json").read_text(encoding="utf-8"))
KEYS = ["brand", "sizes", "plate", "regions", "locales", "decks", "variants", "id", "version"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(key=st.sampled_from(KEYS), value=json_values)
def test_any_replacement_is_reported_not_raised(tmp_path: Path, key: str, value: object) -> None:
    data = dict(BASE)
    data[key] = value
    f = tmp_path / "campaign.json"
    f.write_text(json.dumps(data), encoding="utf-8")
    loaded, problems = check_campaign(f)
    assert loaded is not None or any(p.severity == "error" for p in problems)
