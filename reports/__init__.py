"""Report renderers over saved scans (HTML, Markdown, JSON, CSV, SARIF, JUnit)."""
