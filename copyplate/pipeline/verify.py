"""`copyplate verify`: manifests in, one verdict per manifest out (the fixed contract)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from copyplate.errors import MissingCapability
from copyplate.validators.base import validate_asset
from copyplate.validators.manifest import ManifestError, load_asset


def verify_manifest(
    path: Path, shown: str, allowed_roots: list[Path] | None = None, only: list[str] | None = None
) -> dict[str, Any]:
    """The contract's object for one manifest; an unusable one yields {"manifest", "error"}.

    MissingCapability is not caught: a machine that cannot check is not a verdict."""
    try:
        asset = load_asset(path, allowed_roots)
    except ManifestError as e:
        return {"manifest": shown, "error": str(e)}
    findings = validate_asset(asset, only)
    regions = []
    for region in asset.regions:
        fs = findings[region.id]
        regions.append(
            {
                "id": region.id,
                "kind": region.kind,
                "passed": all(f.passed for f in fs),
                "findings": [f.as_dict() for f in fs],
            }
        )
    return {"manifest": shown, "passed": all(r["passed"] for r in regions), "regions": regions}


def exit_code(results: list[dict[str, Any]]) -> int:
    if any("error" in r for r in results):
        return 2
    return 0 if all(r["passed"] for r in results) else 1


__all__ = ["MissingCapability", "exit_code", "verify_manifest"]
