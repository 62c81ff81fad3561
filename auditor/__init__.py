"""voxaudit engine: inventory, collectors, parsers, runner, scoring, saved scans."""

__version__ = "0.1.0"
