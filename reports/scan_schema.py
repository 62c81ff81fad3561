"""The JSON Schema of the saved scan (reports/schema/scan-v2.json), generated from the model.

Regenerate after changing auditor/scan.py: ``python -m reports.scan_schema``.
A test fails when the committed schema and the model disagree.
"""
from __future__ import annotations

import json
from pathlib import Path

import msgspec

from voxaudit.scan import SCHEMA_MAJOR, SCHEMA_VERSION, ScanDocument

SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / f"scan-v{SCHEMA_MAJOR}.json"


def scan_schema() -> dict:
    """Every part of the scan is a msgspec struct (check metadata, scores and waivers too): one generator."""
    schema = msgspec.json.schema(ScanDocument)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://voxaudit.dev/schema/scan-v{SCHEMA_MAJOR}.json"
    schema["description"] = (f"voxaudit saved scan, schema {SCHEMA_VERSION}: facts (secret-free), results, scores. "
                             "Minor versions only add optional fields.")
    return schema


def render() -> str:
    return json.dumps(scan_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.parent.mkdir(parents=True, exist_ok=True)
    SCHEMA_PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
