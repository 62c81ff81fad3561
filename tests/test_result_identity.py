"""A result is named by (control, target, resource): history, baselines, waivers and diffs key on it, so one
scan never holds two results with the same identity, however many bindings of a control read a file that
could not be read, or could be read only in part (each real tree, and the example clinic)."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLE
from voxaudit.engine.collect import collect
from voxaudit.engine.evaluate import build_document
from voxaudit.profile import load_profile
from voxaudit.registry import load_registry
from voxaudit.targets import Target

TREES = sorted(p.parent for p in (Path(__file__).resolve().parent / "real_trees").glob("*/EXPECTED.yaml"))


def _target(tree: Path) -> Target:
    spec = yaml.safe_load((tree / "EXPECTED.yaml").read_text())
    return Target(name=tree.name, platform=spec["platform"],
                  source={"kind": "config_dir", "config_dir": str(tree / spec.get("config_dir", "."))})


@pytest.mark.parametrize("tree", [EXAMPLE, *TREES], ids=lambda p: p.name)
def test_every_result_has_its_own_identity(tree, tmp_path):
    target = Target(name="clinic", platform="asterisk", source={"kind": "config_dir", "config_dir": str(tree)}) \
        if tree == EXAMPLE else _target(tree)
    registry = load_registry()
    doc = build_document([collect(target)], registry, load_profile("hipaa-security-rule", registry), [],
                         started_at="2026-11-23T00:00:00+00:00")
    twice = [k for k, n in Counter((r.check_id, r.target, r.resource) for r in doc.results).items() if n > 1]
    assert not twice, twice[:5]
