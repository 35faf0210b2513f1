"""`copyplate run --copy-backend gpt-image --plate-backend gpt-image` end to end, as a
user runs it: a real subprocess, the official SDK, a local Images API."""

from __future__ import annotations

import json
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest

from copyplate.pipeline.provenance import TRAINED_COMPOSITE, read_c2pa, read_xmp
from tests.conftest import edit_json, run_cli
from tests.fake_images_api import KEY
from tests.pipeline.certs import make_chain

pytestmark = pytest.mark.slow  # end to end: `make test-fast` skips it


def cli(*args: str) -> CompletedProcess[str]:
    return run_cli(*args, timeout=300)


def run_hosted(path: Path, out: Path, *extra: str) -> CompletedProcess[str]:
    return cli(
        "run",
        str(path),
        "--out",
        str(out),
        "--locales",
        "en-US,de-DE",
        "--sizes",
        "square",
        "--copy-backend",
        "gpt-image",
        "--plate-backend",
        "gpt-image",
        "--plate-cache",
        str(out.parent / "plates"),
        *extra,
    )


def no_key_anywhere(out: Path, *texts: str) -> None:
    for t in texts:
        assert KEY not in t
    for f in out.rglob("*"):
        if f.is_file():
            assert KEY.encode() not in f.read_bytes(), f


def test_a_hosted_run_is_gated_costed_provenanced_and_resumable(
    tmp_path: Path, images_api: Any, sample_copy: Any
) -> None:
    path = sample_copy("spring-sale")
    out = tmp_path / "out"
    r = run_hosted(path, out)
    assert r.returncode == 0, r.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["passed"] == 2
    hosted = report["hosted"]
    # One plate for the size, shared by both locales and counted once.
    plate_calls = [s for s in images_api.seen if s.path.endswith("/generations")]
    edits = [s for s in images_api.seen if s.path.endswith("/edits")]
    assert len(plate_calls) == 1
    assert hosted["calls"] == len(images_api.seen) == 1 + len(edits)
    assert hosted["cost_usd"] > 0 and hosted["cost_this_run_usd"] == hosted["cost_usd"]
    assert hosted["generated_regions"] >= 4 and hosted["latency_s"]["median"] > 0
    for asset in report["assets"]:
        backends = {r["id"]: r["backend"] for r in asset["regions"]}
        assert backends["qr"] == "typeset"  # codes are never generated
        assert backends["headline"] == "gpt-image"
        assert asset["plate"]["model"] == "openai-images/gpt-image-1@high"
        man = json.loads((out / asset["manifest"]).read_text(encoding="utf-8"))
        prov = man["provenance"]
        assert prov["digital_source_type"] == TRAINED_COMPOSITE
        assert "headline" in prov["generated"] and "qr" in prov["typeset"]
        assert prov["c2pa"] == {"signed": False}
        xmp = read_xmp(out / asset["image"])
        assert xmp is not None and TRAINED_COMPOSITE in xmp
        assert "<copyplate:backend>gpt-image</copyplate:backend>" in xmp
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="hosted"' in html and "fell back to typeset" in html
    no_key_anywhere(out, r.stdout, r.stderr)

    # Again: nothing is asked of the service, nothing is spent this run.
    before = len(images_api.seen)
    again = run_hosted(path, out)
    assert again.returncode == 0, again.stderr
    assert len(images_api.seen) == before
    report2 = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report2["reused"] == 2
    assert report2["hosted"]["cost_this_run_usd"] == 0
    assert report2["hosted"]["cost_usd"] == hosted["cost_usd"]


def test_signed_assets_carry_a_c2pa_manifest_with_plate_and_verdicts(
    tmp_path: Path, images_api: Any, sample_copy: Any
) -> None:
    chain, key = make_chain(tmp_path / "certs")
    path = sample_copy("spring-sale")
    out = tmp_path / "out"
    r = cli(
        "run", str(path), "--out", str(out), "--locales", "he-IL", "--sizes", "square",
        "--copy-backend", "gpt-image", "--plate-backend", "gradient",
        "--sign-cert", str(chain), "--sign-key", str(key),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    image = out / "square" / "he-IL.png"
    man = json.loads((out / "square" / "he-IL.json").read_text(encoding="utf-8"))
    assert man["provenance"]["c2pa"]["signed"] is True
    c2pa = read_c2pa(image)
    assert c2pa is not None
    # A throwaway CA is not on any trust list; the signature itself must be sound.
    assert c2pa["validation_state"] in ("Valid", "Trusted")
    active = c2pa["manifest"]
    (ingredient,) = active["ingredients"]
    assert ingredient["relationship"] == "componentOf"
    assert "copyplate/gradient@2" in ingredient["title"] and "seed 2027" in ingredient["title"]
    labels = {a["label"]: a["data"] for a in active["assertions"]}
    actions = labels["c2pa.actions.v2"]["actions"]
    assert actions[0]["action"] == "c2pa.created"
    verdicts = {v["id"]: v for v in labels["org.copyplate.validation"]["regions"]}
    assert set(verdicts) == {r["id"] for r in man["regions"]}
    assert all(v["passed"] for v in verdicts.values())
    assert any(c["check"] == "ocr.text" for c in verdicts["headline"]["checks"])
    drawn = {x["id"]: x for x in labels["org.copyplate.regions"]["regions"]}
    assert drawn["qr"]["backend"] == "typeset" and drawn["qr"]["generated"] is False
    # Hebrew from the fake cannot be read back: every region fell back, and says so.
    assert drawn["headline"]["generated"] is False
    assert drawn["headline"]["fallback_from"] == "gpt-image"
    # The asset still decodes and `verify` still passes it.
    v = cli("verify", str(out / "square" / "he-IL.json"), "--json")
    assert v.returncode == 0, v.stdout + v.stderr


def test_a_refused_key_stops_the_run_with_one_line_and_no_key(
    tmp_path: Path, images_api: Any, sample_copy: Any, monkeypatch: Any
) -> None:
    wrong = "sk-wrong-0123456789abcdefWRONG"
    monkeypatch.setenv("OPENAI_API_KEY", wrong)
    out = tmp_path / "out"
    r = run_hosted(sample_copy("spring-sale"), out)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert "Traceback" not in r.stderr
    assert any("OPENAI_API_KEY was refused (401 invalid_api_key" in ln for ln in lines)
    assert wrong not in r.stderr + r.stdout
    assert not list(out.rglob("*.png"))  # no asset from a run that could not start


def test_no_key_or_a_bad_backend_is_refused_up_front(
    tmp_path: Path, sample_copy: Any, monkeypatch: Any
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    path = sample_copy("spring-sale")
    r = cli("run", str(path), "--out", str(tmp_path / "o"), "--copy-backend", "gpt-image")
    assert r.returncode == 3 and "OPENAI_API_KEY" in r.stderr and "Traceback" not in r.stderr
    r = cli("run", str(path), "--out", str(tmp_path / "o"), "--copy-backend", "gpt-imag")
    assert r.returncode == 2 and "did you mean 'gpt-image'" in r.stderr

    def bad(data: Any) -> None:
        data["regions"][0]["backend"] = "qr"

    edit_json(path, bad)
    c = cli("check", str(path))
    assert c.returncode == 2
    assert "/regions/0/backend: copy backend 'qr' cannot draw text regions" in c.stdout


def test_a_refusal_in_a_worker_process_stops_the_batch(
    tmp_path: Path, images_api: Any, monkeypatch: Any
) -> None:
    import pytest

    from copyplate.errors import ServiceRefused
    from copyplate.layouts.loader import load_campaign
    from copyplate.pipeline.run import RunOptions, run_batch
    from tests.conftest import SAMPLES

    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-0123456789abcdef")
    lc = load_campaign(SAMPLES / "spring-sale" / "campaign.json")
    out = tmp_path / "out"
    with pytest.raises(ServiceRefused, match="OPENAI_API_KEY was refused"):
        run_batch(
            lc,
            out,
            ["en-US", "de-DE", "fr-FR"],
            ["square"],
            "gradient",
            options=RunOptions(copy_backend="gpt-image"),
            workers=2,
        )
    assert not list((out / "square").glob("*.png")) and not list(out.rglob(".*.tmp"))


def test_jpeg_and_webp_assets_carry_xmp_too(tmp_path: Path, sample_copy: Any) -> None:
    path = sample_copy("spring-sale")

    def formats(data: Any) -> None:
        data["sizes"][0]["format"] = "jpeg"
        data["sizes"][1]["format"] = "webp"

    edit_json(path, formats)
    out = tmp_path / "out"
    r = cli("run", str(path), "--out", str(out), "--locales", "de-DE", "--plate-backend",
            "gradient", "--sizes", "square,story", "--no-validate")  # fmt: skip
    assert r.returncode == 0, r.stderr
    for image in (out / "square" / "de-DE.jpg", out / "story" / "de-DE.webp"):
        xmp = read_xmp(image)
        assert xmp is not None
        # Gradient plates and typesetting only: synthetic, but no trained model involved.
        assert "digitalsourcetype/compositeSynthetic" in xmp
        assert "<copyplate:backend>typeset</copyplate:backend>" in xmp


def test_max_cost_stops_calls_and_the_rest_falls_back(
    tmp_path: Path, images_api: Any, sample_copy: Any
) -> None:
    out = tmp_path / "out"
    r = cli(
        "run", str(sample_copy("spring-sale")), "--out", str(out), "--locales", "en-US",
        "--sizes", "square", "--copy-backend", "gpt-image", "--plate-backend", "gradient",
        "--max-cost", "0.3",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    hosted = report["hosted"]
    # A call is estimated at the table's per-image price (high, 1024x1024: $0.167) and
    # costs $0.1789 by its usage: the second call would pass $0.30, so there is one.
    assert len(images_api.seen) == 1 and hosted["calls"] == 1
    assert hosted["cost_this_run_usd"] <= 0.3 and hosted["max_cost_usd"] == 0.3
    (asset,) = report["assets"]
    fell = [r for r in asset["regions"] if r["fallback"]]
    assert len(fell) == 4 and hosted["generated_regions"] == 1
    assert all("--max-cost $0.3 reached" in r["fallback"]["message"] for r in fell)
