"""Provenance of every asset: XMP always, a signed C2PA manifest when a key is configured.

XMP carries the IPTC digital source type (a composite with trained algorithmic media when
any part came from a trained model: the plate model, a hosted model's region) and, per
region, which backend drew it and whether it was generated or typeset. It holds no time
and no random id, so the same asset still encodes to the same bytes anywhere.

C2PA (c2pa-python): the plate is the ingredient (model, seed, cache key), the actions say
how the asset was made, and copyplate's own assertions record which regions were generated
and every validator verdict. Signing is opt-in (`copyplate run --sign-cert --sign-key`).
"""

from __future__ import annotations

import functools
import hashlib
import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from copyplate import __version__
from copyplate.capabilities import require
from copyplate.errors import InputError, RenderError
from copyplate.limits import MAX_PEM_BYTES
from copyplate.pngfile import XMP_KEY

IPTC_SOURCE = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED_COMPOSITE = IPTC_SOURCE + "compositeWithTrainedAlgorithmicMedia"
SYNTHETIC_COMPOSITE = IPTC_SOURCE + "compositeSynthetic"
# Plate generators that learned nothing from data: an asset made only of these and of
# typesetting is synthetic, not "trained algorithmic media".
PROCEDURAL_PLATES = ("gradient",)

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "copyplate": "https://copyplate.dev/ns/provenance/1.0/",
}


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def summary(man: dict[str, Any]) -> dict[str, Any]:
    """What the provenance records say, from an asset's manifest: the source type, the
    AI systems used, and per region its backend and whether it was generated."""
    plate = man.get("plate") or {}
    regions = []
    systems: list[str] = []
    if plate.get("model") and plate.get("generator") not in PROCEDURAL_PLATES:
        systems.append(str(plate["model"]))
    for r in man.get("regions", []):
        generated = bool(r.get("generated"))
        entry = {"id": r["id"], "backend": r.get("backend", "typeset"), "generated": generated}
        if generated and r.get("model"):
            entry["model"] = r["model"]
            if r["model"] not in systems:
                systems.append(str(r["model"]))
        if r.get("fallback"):
            entry["fallback_from"] = r["fallback"].get("from")
        regions.append(entry)
    trained = bool(systems)
    return {
        "digital_source_type": TRAINED_COMPOSITE if trained else SYNTHETIC_COMPOSITE,
        "ai_systems": systems,
        "generated": [r["id"] for r in regions if r["generated"]],
        "typeset": [r["id"] for r in regions if not r["generated"]],
        "regions": regions,
    }


def xmp_packet(man: dict[str, Any], prov: dict[str, Any]) -> bytes:
    """The XMP packet for an asset, from its manifest and its `summary`."""
    for prefix, uri in NS.items():
        ET.register_namespace(prefix, uri)
    plate = man.get("plate") or {}
    root = ET.Element(_q("x", "xmpmeta"))
    rdf = ET.SubElement(root, _q("rdf", "RDF"))
    desc = ET.SubElement(rdf, _q("rdf", "Description"), {_q("rdf", "about"): ""})
    attrs = {
        _q("Iptc4xmpExt", "DigitalSourceType"): prov["digital_source_type"],
        _q("xmp", "CreatorTool"): f"copyplate {__version__}",
        _q("copyplate", "campaign"): str(man.get("campaign", "")),
        _q("copyplate", "locale"): str(man.get("locale", "")),
        _q("copyplate", "size"): str(man.get("size", "")),
        _q("copyplate", "plateModel"): str(plate.get("model", "")),
        _q("copyplate", "plateSeed"): str(plate.get("seed", "")),
        _q("copyplate", "passed"): "True" if man.get("passed") else "False",
    }
    for k, v in attrs.items():
        desc.set(k, v)
    if prov["ai_systems"]:
        bag = ET.SubElement(
            ET.SubElement(desc, _q("Iptc4xmpExt", "AISystemUsed")), _q("rdf", "Bag")
        )
        for name in prov["ai_systems"]:
            ET.SubElement(bag, _q("rdf", "li")).text = name
    seq = ET.SubElement(ET.SubElement(desc, _q("copyplate", "regions")), _q("rdf", "Seq"))
    for r in prov["regions"]:
        li = ET.SubElement(seq, _q("rdf", "li"), {_q("rdf", "parseType"): "Resource"})
        for key in ("id", "backend", "generated", "model", "fallback_from"):
            if key in r:
                ET.SubElement(li, _q("copyplate", key)).text = str(r[key])
    body = ET.tostring(root, encoding="unicode")
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        + body
        + '\n<?xpacket end="r"?>'
    )
    return packet.encode("utf-8")


def read_xmp(path: Path) -> str | None:
    """The XMP packet embedded in a PNG, JPEG or WebP written by copyplate, if any."""
    with Image.open(path) as im:
        im.load()
        raw = im.info.get("xmp") or im.info.get(XMP_KEY)
    if raw is None:
        return None
    return raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)


# --- C2PA ----------------------------------------------------------------------------------

# By the file suffixes copyplate writes (asset.write_asset).
MIME = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}


def mime_of(name: str) -> str:
    return MIME.get(name.rsplit(".", 1)[-1].lower(), "image/png")


ALGS = ("es256", "es384", "es512", "ps256", "ps384", "ps512", "ed25519")


@dataclass(frozen=True)
class Signing:
    """Where the signing certificate chain and private key are (PEM files), and how to
    sign. Paths, not contents: the key never travels to worker processes or into a log."""

    cert: str
    key: str
    alg: str = "es256"
    tsa_url: str | None = None

    def fingerprint(self) -> str:
        """Identity of the certificate chain: a different signer makes different assets."""
        return hashlib.sha256(Path(self.cert).read_bytes()).hexdigest()[:16]


def _c2pa() -> Any:
    return require("c2pa")


@functools.lru_cache(maxsize=4)
def signer(signing: Signing) -> Any:
    """A c2pa Signer, made once per process. Bad files and keys fail here, up front."""
    c2pa = _c2pa()
    if signing.alg not in ALGS:
        msg = f"--sign-alg: {signing.alg!r} is not one of {', '.join(ALGS)}"
        raise InputError(msg)
    texts = {}
    for what, p in (("--sign-cert", signing.cert), ("--sign-key", signing.key)):
        # A regular file of bounded size, checked before reading: `/dev/zero` or a FIFO
        # would be read until memory runs out.
        path = Path(p)
        if not path.is_file():
            raise InputError(f"{what}: {p}: not a regular file; expected a PEM file")
        if path.stat().st_size > MAX_PEM_BYTES:
            msg = f"{what}: {p}: larger than {MAX_PEM_BYTES:,} bytes; expected a PEM file"
            raise InputError(msg)
        try:
            texts[what] = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as e:
            msg = f"{what}: {p}: cannot read a PEM file ({type(e).__name__})"
            raise InputError(msg) from None
        if "-----BEGIN" not in texts[what]:
            msg = f"{what}: {p}: not a PEM file"
            raise InputError(msg)
    try:
        info = c2pa.C2paSignerInfo(
            signing.alg,
            texts["--sign-cert"].encode(),
            texts["--sign-key"].encode(),
            signing.tsa_url,
        )
        return c2pa.Signer.from_info(info)
    except (c2pa.C2paError, ValueError, TypeError) as e:
        msg = f"--sign-cert/--sign-key: the certificate and key cannot sign: {e}"
        raise InputError(msg) from None


PLATE_INGREDIENT = "plate"


def c2pa_manifest(
    man: dict[str, Any], prov: dict[str, Any], title: str, with_plate: bool
) -> dict[str, Any]:
    """The C2PA manifest definition for an asset, from its manifest and its `summary`."""
    plate = man.get("plate") or {}
    placed = (
        [
            {
                "action": "c2pa.placed",
                "description": f"plate from {plate.get('model', '?')}",
                "parameters": {"ingredientIds": [PLATE_INGREDIENT]},
            }
        ]
        if with_plate
        else []
    )
    verdicts = [
        {
            "id": r["id"],
            "passed": all(f.get("passed") for f in r.get("findings", [])),
            "checks": [
                {"check": f["check"], "passed": f["passed"]}
                for f in r.get("findings", [])
                if "check" in f
            ],
            "attempts": len(r.get("attempts", [])),
        }
        for r in man.get("regions", [])
    ]
    return {
        "claim_generator_info": [{"name": "copyplate", "version": __version__}],
        "title": title,
        "assertions": [
            {
                "label": "c2pa.actions.v2",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": prov["digital_source_type"],
                            "softwareAgent": {"name": "copyplate", "version": __version__},
                        },
                        *placed,
                    ]
                },
            },
            {
                "label": "org.copyplate.regions",
                "data": {
                    "campaign": man.get("campaign"),
                    "locale": man.get("locale"),
                    "size": man.get("size"),
                    "ai_systems": prov["ai_systems"],
                    "regions": prov["regions"],
                },
            },
            {
                "label": "org.copyplate.validation",
                "data": {"passed": bool(man.get("passed")), "regions": verdicts},
            },
        ],
    }


def sign(
    data: bytes,
    man: dict[str, Any],
    prov: dict[str, Any],
    title: str,
    plate: Image.Image | None,
    s: Signing,
) -> bytes:
    """`data`, the encoded asset named `title`, with a signed C2PA manifest embedded."""
    c2pa = _c2pa()
    plate_info = man.get("plate") or {}
    try:
        builder = c2pa.Builder(c2pa_manifest(man, prov, title, plate is not None))
        if plate is not None:
            buf = io.BytesIO()
            plate.save(buf, "PNG", compress_level=1)
            buf.seek(0)
            ingredient = {
                "title": f"plate ({plate_info.get('model', '?')}, seed {plate_info.get('seed')})",
                "relationship": "componentOf",
                "format": "image/png",
                "label": PLATE_INGREDIENT,
                "description": (
                    f"model={plate_info.get('model')}; seed={plate_info.get('seed')}; "
                    f"key={plate_info.get('key')}"
                ),
            }
            builder.add_ingredient(ingredient, "image/png", buf)
        out = io.BytesIO()
        builder.sign(signer(s), mime_of(title), io.BytesIO(data), out)
    except c2pa.C2paError as e:
        msg = f"C2PA signing of {title} failed: {e}"
        raise RenderError(msg) from None
    return out.getvalue()


def read_c2pa(path: Path) -> dict[str, Any] | None:
    """The active C2PA manifest of an asset and its validation state, or None."""
    c2pa = _c2pa()
    mime = mime_of(path.name)
    try:
        with path.open("rb") as f:
            reader = c2pa.Reader(mime, f)
            active = reader.get_active_manifest()
            state = reader.get_validation_state()
    except c2pa.C2paError:
        return None
    if active is None:
        return None
    return {"manifest": active, "validation_state": state}
