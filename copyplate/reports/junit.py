"""junit.xml: one test case per asset, so a CI gate can fail a build on a bad asset."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET


def junit_xml(report: dict[str, Any]) -> str:
    assets = report["assets"]
    suite = ET.Element(
        "testsuite",
        {
            "name": f"copyplate.{report['campaign']}",
            "tests": str(len(assets)),
            "failures": str(sum(1 for a in assets if not a["passed"] and not a.get("error"))),
            "errors": str(sum(1 for a in assets if a.get("error"))),
            "time": f"{sum(a.get('seconds') or 0 for a in assets):.3f}",
        },
    )
    for a in assets:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": f"{report['campaign']}.{a['size']}",
                "name": a["locale"] + ("" if a["variant"] == "default" else f".{a['variant']}"),
                "time": f"{a.get('seconds') or 0:.3f}",
            },
        )
        if a.get("error"):
            ET.SubElement(case, "error", {"message": a["error"][:500]})
        elif not a["passed"]:
            lines = [f"{f.get('region')}: {f['check']}: {f['message']}" for f in a["findings"]]
            fail = ET.SubElement(
                case,
                "failure",
                {
                    "message": f"{len(lines)} failed check(s)",
                    "type": ",".join(sorted({f["check"] for f in a["findings"]})),
                },
            )
            fail.text = "\n".join(lines)
        if a.get("image"):
            ET.SubElement(case, "system-out").text = a["image"]
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, "unicode") + "\n"
