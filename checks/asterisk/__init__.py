"""Checks for Asterisk and FreePBX, over facts from auditor.facts.asterisk."""
