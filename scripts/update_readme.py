"""Regenerate the check catalogue in README.md from check metadata."""
from __future__ import annotations

from pathlib import Path

from auditor.cli.catalogue import catalogue_markdown
from auditor.registry import load_registry

BEGIN, END = "<!-- catalogue:begin -->", "<!-- catalogue:end -->"
README = Path(__file__).resolve().parent.parent / "README.md"


def main() -> None:
    text = README.read_text()
    head, rest = text.split(BEGIN)
    _, tail = rest.split(END)
    README.write_text(f"{head}{BEGIN}\n{catalogue_markdown(load_registry())}{END}{tail}")
    print(f"updated {README}")


if __name__ == "__main__":
    main()
