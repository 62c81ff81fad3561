"""Built-in voxaudit controls: vendor-neutral, one module per concern (see docs/controls.md).

Every control here is a pure function of one record type (auditor/records/), with its metadata
and HIPAA citations written once; the platform adapters (auditor/platforms/) feed and bind them.
"""
