"""Checks for desk phones, over vendor-neutral facts from auditor.facts.phones."""
