"""The JSON Schema of the saved scan (reports/schema/scan-v2.json), generated from the model.

Regenerate after changing auditor/scan.py: ``python -m reports.scan_schema``.
A test fails when the committed schema and the model disagree.
"""
from __future__ import annotations

import json
from pathlib import Path

import msgspec
from pydantic import BaseModel

from voxaudit.scan import SCHEMA_MAJOR, SCHEMA_VERSION, ScanDocument

SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / f"scan-v{SCHEMA_MAJOR}.json"


def _pydantic_part(kind: type) -> dict:
    """The parts of a scan that are pydantic models (check metadata, scores, waivers) describe themselves."""
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        part = kind.model_json_schema(mode="serialization", ref_template="#/$defs/{model}")
        for name, sub in part.pop("$defs", {}).items():
            _EXTRA_DEFS[name] = sub
        return part
    raise NotImplementedError(kind)


_EXTRA_DEFS: dict[str, dict] = {}


def scan_schema() -> dict:
    schema = msgspec.json.schema(ScanDocument, schema_hook=_pydantic_part)
    schema.setdefault("$defs", {}).update(_EXTRA_DEFS)
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
