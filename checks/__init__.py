"""Built-in voxaudit checks, grouped by platform; one module per concern.

Every check here is a pure function of collected facts (see auditor/check.py).
"""
