"""README.md states the two commands and carries the generated check catalogue."""
from tests.conftest import REPO
from voxaudit.cli.catalogue import catalogue_markdown

BEGIN, END = "<!-- catalogue:begin -->", "<!-- catalogue:end -->"


def test_readme_catalogue_is_generated_from_metadata(registry):
    text = (REPO / "README.md").read_text()
    current = text.split(BEGIN)[1].split(END)[0].strip()
    assert current == catalogue_markdown(registry).strip(), "run: python scripts/update_readme.py"


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    text = (REPO / "README.md").read_text()
    assert "./scripts/demo.sh" in text and "./scripts/test.sh" in text
    assert "./scripts/test.sh" in (REPO / ".ci" / "run").read_text()
