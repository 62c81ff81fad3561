"""The least any audit must do that saves per-object evidence the way a voxaudit scan does, with no audit logic:
read the tree as benchmarks/minimal_parser.py does, keep every object's settings with file and line (the
saved scan's facts), make ``--results`` results (control, target, resource, status, evidence, location,
alias) spread over the objects, and write them as one JSON document, atomically. No includes, templates,
typed records, judgement, profile or scoring, and no import beyond msgspec.

It shows how much of the gap between the full scan and the minimal parser is irreducible in CPython for
a scan that keeps what an auditor needs, and so what a target ratio can ask of pure-Python code. Run as
its own process, like the CLI and the minimal parser."""
import gc
import os
import sys
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent))
from minimal_parser import read  # noqa: E402


class Result(msgspec.Struct, gc=False):
    check_id: str
    target: str
    resource: str
    status: str
    evidence: str
    location: dict
    alias: str


def main(root: Path, results: int, out: Path) -> int:
    gc.disable()  # millions of young objects and nothing cyclic: the collector would only walk them
    objects = read(root)
    facts = [{"kind": file, "name": name, "settings": {k: [{"value": v, "file": file, "line": 0} for v in vs]
                                                       for k, vs in settings.items()}}
             for (file, name), settings in objects.items()]
    # Objects a control judges one by one: each section, and each line of a one-section file (mailboxes).
    judged = [(file, name) for (file, name), settings in objects.items() if len(settings) < 50]
    judged += [(file, key) for (file, _), settings in objects.items() if len(settings) >= 50 for key in settings]
    per_object = -(-results // max(len(judged), 1))
    controls = [(f"CTRL-{k:03d}", f"OLD-{k:03d}") for k in range(per_object)]
    made = []
    for file, name in judged:
        where = {"file": file, "line": 0}
        for control, alias in controls:
            made.append(Result(control, "t", name, "PASS", "key=value", where, alias))
    del made[results:]
    data = msgspec.json.encode({"targets": [{"name": "t", "facts": facts}], "results": made})
    part = out.with_suffix(".part")
    part.write_bytes(data)
    os.replace(part, out)
    return len(made)


if __name__ == "__main__":
    print(main(Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])))
