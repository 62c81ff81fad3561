"""Vendor-neutral records: what a control judges, whichever platform or probe it came from.

A platform adapter (``auditor/platforms/<platform>/``) turns a platform's parsed facts into
records; a network probe or a capture yields the same records with ``observed=True``. Records
are frozen: each object changes shape once, from facts to record, and nothing edits it after.
One module per concern; :mod:`auditor.records.base` holds what every record has.
"""
from voxaudit.records.base import Record

__all__ = ["Record"]
