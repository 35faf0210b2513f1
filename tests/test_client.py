"""Webhook signatures and the client's campaign packing (no service needed)."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

from copyplate.client import campaign_zip, sign, verify_signature


def test_a_signature_verifies_only_with_its_secret_body_and_a_recent_timestamp() -> None:
    ts, body = str(int(time.time())), b'{"type": "run.finished"}'
    sig = sign("whsec_a", ts, body)
    assert sig.startswith("sha256=") and verify_signature("whsec_a", ts, body, sig)
    assert not verify_signature("whsec_b", ts, body, sig)
    assert not verify_signature("whsec_a", ts, body + b" ", sig)
    old = str(int(time.time()) - 3600)
    assert not verify_signature("whsec_a", old, body, sign("whsec_a", old, body))
    assert not verify_signature("whsec_a", "soon", body, sig)


def test_campaign_zip_leaves_links_and_hidden_files_out(tmp_path: Path) -> None:
    (tmp_path / "campaign.json").write_text("{}")
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "strings.csv").write_text("key\n")
    (tmp_path / ".plates").mkdir()
    (tmp_path / ".plates" / "x.png").write_bytes(b"x")
    (tmp_path / "passwd").symlink_to("/etc/passwd")
    with zipfile.ZipFile(io.BytesIO(campaign_zip(tmp_path / "campaign.json"))) as zf:
        assert sorted(zf.namelist()) == ["campaign.json", "copy/strings.csv"]
