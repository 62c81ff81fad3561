"""The project's public addresses, in one place: every format that links to a control's page
(SARIF ``helpUri``, OCSF remediation references) and the page generator share them."""
from __future__ import annotations

PROJECT_URL = "https://github.com/voxaudit/voxaudit"
# docs/controls/<ID>.md as published; scripts/update_readme.py writes those pages from the registry.
CONTROL_DOCS_URL = f"{PROJECT_URL}/blob/main/docs/controls"
CONTROL_DOCS_DIR = "docs/controls"


def control_doc_url(check_id: str) -> str:
    """The page of one control (or of a 1.x check ID, which says what replaced it)."""
    return f"{CONTROL_DOCS_URL}/{check_id}.md"
