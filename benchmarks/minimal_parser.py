"""The floor the CLI is compared with: the least a program can do to read an Asterisk tree's sections
and settings (no includes, templates, comments blocks or checks). Run as its own process, like the CLI."""
import sys
from pathlib import Path


def read(root: Path) -> dict[tuple[str, str], dict[str, list[str]]]:
    objects: dict[tuple[str, str], dict[str, list[str]]] = {}
    for path in sorted(root.rglob("*.conf")):
        section = None
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split(";", 1)[0].strip()
            if not line:
                continue
            if line.startswith("[") and "]" in line:
                section = objects.setdefault((path.name, line[1:line.index("]")]), {})
            elif section is not None and "=" in line:
                key, _, value = line.partition("=")
                section.setdefault(key.strip().rstrip(">"), []).append(value.lstrip(">").strip())
    return objects


if __name__ == "__main__":
    print(len(read(Path(sys.argv[1]))))
