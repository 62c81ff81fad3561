"""Scan history: an embedded SQLite store of every scan's scores, results and coverage, and the
diff between two scans (new, resolved and regressed findings; score change per safeguard).

Location: ``--history-db PATH``, else ``$VOXAUDIT_HISTORY``, else
``$XDG_DATA_HOME/voxaudit/history.sqlite`` (``~/.local/share/voxaudit/history.sqlite``).
An MSP's central store is PostgreSQL instead: give a ``postgresql://user@host:port/db`` URL
there (the password from libpq's ``PGPASSWORD`` or ``~/.pgpass``, never in the URL on a
command line). Both run the same schema and queries; :class:`Dialect` holds the few
differences. The schema version is SQLite's ``user_version`` or PostgreSQL's
``voxaudit_schema`` table; :data:`MIGRATIONS` brings an older store forward in one
transaction, and a store from a newer voxaudit is refused, not damaged.
Nothing secret or PHI-bearing is stored: ids, statuses, severities and scores only.
"""
from __future__ import annotations

import math
import os
import re
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional, Union

from voxaudit.credentials import redact_url, scrub
from voxaudit.scan import ScanDocument

MIGRATIONS: list[str] = [
    # 1: scans, per-target and per-safeguard scores, every result by identity
    """
    CREATE TABLE scans (
        id {pk}, scan_id TEXT UNIQUE NOT NULL, started_at TEXT, finished_at TEXT,
        profile TEXT, overall {real}, coverage {real}, failing INTEGER, errors INTEGER, waived INTEGER,
        report_dir TEXT);
    CREATE TABLE target_scans (
        scan INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE, target TEXT, clinic TEXT, site TEXT,
        platform TEXT, score {real}, failure TEXT);
    CREATE TABLE results (
        scan INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE, check_id TEXT, target TEXT,
        resource TEXT, status TEXT, severity TEXT);
    CREATE TABLE safeguard_scores (
        scan INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE, safeguard TEXT, score {real}, coverage {real});
    """,
    # 2: the tool version that produced a scan, and lookups by finding identity
    """
    ALTER TABLE scans ADD COLUMN tool_version TEXT;
    CREATE INDEX results_by_key ON results(check_id, target, resource);
    CREATE INDEX target_scans_by_target ON target_scans(target);
    """,
    # 3: the 1.x check ID a control's result answers for, so diffs across the upgrade match findings
    """
    ALTER TABLE results ADD COLUMN alias TEXT;
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


class HistoryError(Exception):
    pass


# Control characters (C0, DEL, C1) have no place in an id, a name or a path the store holds; a
# store edited by hand or by someone else could carry terminal escapes into ``history``/``diff``.
_CONTROLS = dict.fromkeys([*range(0x20), *range(0x7F, 0xA0)], "\ufffd")


def _text(value: Any) -> Optional[str]:
    """A text column as read back: str without control characters, or None (a number where text belongs
    is its digits: the store is SQLite, which keeps whatever type was written)."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value) if isinstance(value, (int, float)) else ""
    return text.translate(_CONTROLS)


_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def _scan_id(value: Any) -> str:
    """A scan id as read back and shown. voxaudit writes hex ids; a store or scan.json edited by someone
    else could hold `` ` [x](javascript:...) <img ...>`` there, which Markdown and HTML reports print in
    code spans and titles: every other character becomes ``_``, and the length is bounded."""
    return _ID_UNSAFE.sub("_", _text(value) or "")[:64] or "?"


def _number(value: Any) -> Optional[float]:
    """A score or coverage as read back: a finite number, else None (unknown, never a crash or 'inf')."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond float range
        return None
    return number if math.isfinite(number) else None


def _count(value: Any) -> int:
    """A count as read back: a non-negative int below 10**12, else 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**12 else 0


def default_path() -> Union[Path, str]:
    if os.environ.get("VOXAUDIT_HISTORY"):
        return store_location(os.environ["VOXAUDIT_HISTORY"])
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "voxaudit" / "history.sqlite"


def is_postgres(location: Union[Path, str, None]) -> bool:
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def store_location(value: Union[Path, str]) -> Union[Path, str]:
    """A PostgreSQL URL stays a string; anything else is a SQLite file path."""
    return value if is_postgres(value) else Path(value)


def redact(location: Union[Path, str]) -> str:
    """A store's location as it may be shown: a password in a URL becomes ***."""
    return redact_url(str(location)) if is_postgres(location) else str(location)


@dataclass(frozen=True)
class Dialect:
    """What differs between SQLite and PostgreSQL for this store's few statements."""

    name: str
    placeholder: str
    primary_key: str
    real: str
    group_concat: str  # format with the column

    def sql(self, statement: str) -> str:
        return statement.replace("?", self.placeholder) if self.placeholder != "?" else statement

    def migration(self, number: int) -> str:
        """Migration ``number`` (0-based) in this dialect's types."""
        return MIGRATIONS[number].format(pk=self.primary_key, real=self.real)


SQLITE = Dialect("sqlite", "?", "INTEGER PRIMARY KEY", "REAL", "GROUP_CONCAT(DISTINCT {})")
POSTGRES = Dialect("postgresql", "%s", "SERIAL PRIMARY KEY", "DOUBLE PRECISION", "string_agg(DISTINCT {}, ',')")


class History:
    def __init__(self, path: Union[Path, str, None] = None) -> None:
        self.path = store_location(path) if path else default_path()
        self.shown = redact(self.path)
        if is_postgres(self.path):
            self.dialect = POSTGRES
            self.db = self._connect_postgres(str(self.path))
        else:
            self.dialect = SQLITE
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            try:
                self.db = sqlite3.connect(self.path, timeout=30)
            except sqlite3.Error as exc:
                raise HistoryError(f"cannot open history store {self.shown}: {exc}") from None
            self.db.execute("PRAGMA foreign_keys = ON")
        try:
            self.migrate()
        except self._errors() as exc:
            raise HistoryError(f"history store {self.shown}: {_first_line(exc)}") from None

    def _connect_postgres(self, url: str) -> Any:
        try:
            import psycopg
        except ImportError:
            raise HistoryError("a PostgreSQL history store needs psycopg: pip install 'voxaudit[distributed]'") from None
        try:
            # autocommit: each write below is its own explicit transaction, and reads hold no locks open.
            return psycopg.connect(url, connect_timeout=10, application_name="voxaudit", autocommit=True)
        except psycopg.Error as exc:
            raise HistoryError(f"cannot open history store {self.shown}: {scrub(_first_line(exc), url)}") from None

    def _errors(self) -> tuple[type[BaseException], ...]:
        if self.dialect is POSTGRES:
            import psycopg
            return (psycopg.Error,)
        return (sqlite3.Error,)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        if self.dialect is POSTGRES:
            with self.db.transaction():
                yield
        else:
            with self.db:
                yield

    def _query(self, statement: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return list(self.db.execute(self.dialect.sql(statement), args).fetchall())

    def _store_version(self) -> int:
        if self.dialect is SQLITE:
            return int(self.db.execute("PRAGMA user_version").fetchone()[0])
        with self._transaction():
            self.db.execute("CREATE TABLE IF NOT EXISTS voxaudit_schema (version INTEGER NOT NULL)")
            row = self.db.execute("SELECT max(version) FROM voxaudit_schema").fetchone()
        return row[0] or 0

    def migrate(self) -> None:
        version = self._store_version()
        if version > SCHEMA_VERSION:
            raise HistoryError(f"{self.shown} was written by a newer voxaudit (store version {version}, this one "
                               f"knows {SCHEMA_VERSION}); use that version or another --history-db")
        for number in range(version, SCHEMA_VERSION):
            script = self.dialect.migration(number)
            try:
                if self.dialect is SQLITE:
                    with self.db:
                        self.db.executescript("BEGIN;" + script + f"; PRAGMA user_version = {number + 1};")
                else:
                    with self._transaction():
                        # Serialise concurrent first runs of several dispatchers against one central store.
                        self.db.execute("LOCK TABLE voxaudit_schema IN EXCLUSIVE MODE")
                        current = self.db.execute("SELECT max(version) FROM voxaudit_schema").fetchone()[0] or 0
                        if current > number:
                            continue
                        for statement in filter(str.strip, script.split(";")):
                            self.db.execute(statement)
                        self.db.execute("INSERT INTO voxaudit_schema VALUES (%s)", (number + 1,))
            except self._errors() as exc:
                raise HistoryError(f"cannot migrate {self.shown} to version {number + 1}: {_first_line(exc)}") from None

    def close(self) -> None:
        self.db.close()

    def record(self, doc: ScanDocument, report_dir: Optional[Path] = None) -> None:
        try:
            self._record(doc, report_dir)
        except self._errors() as exc:
            raise HistoryError(f"cannot record scan {doc.scan_id} in {self.shown}: {_first_line(exc)}") from None

    def _record(self, doc: ScanDocument, report_dir: Optional[Path]) -> None:
        meta = doc.meta()
        counts = doc.scores.counts
        sql = self.dialect.sql
        with self._transaction():
            self.db.execute(sql("DELETE FROM scans WHERE scan_id = ?"), (doc.scan_id,))  # a rescore replaces it
            row = self.db.execute(sql(
                "INSERT INTO scans (scan_id, started_at, finished_at, profile, overall, coverage, failing, errors, "
                "waived, report_dir, tool_version) VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id"),
                (doc.scan_id, doc.started_at, doc.finished_at, doc.profile.id, doc.scores.overall,
                 doc.scores.coverage, counts.get("FAIL", 0), counts.get("ERROR", 0), counts.get("WAIVED", 0),
                 str(report_dir) if report_dir else None, doc.tool_version)).fetchone()[0]
            cur = self.db.cursor()
            cur.executemany(sql("INSERT INTO target_scans VALUES (?,?,?,?,?,?,?)"), [
                (row, t.name, t.clinic, t.site, t.platform, doc.scores.by_target.get(t.name),
                 t.failure.kind.value if t.failure else None) for t in doc.targets])
            cur.executemany(sql("INSERT INTO results VALUES (?,?,?,?,?,?,?)"), [
                (row, r.check_id, r.target, r.resource, r.effective_status,
                 meta[r.check_id].severity.value if r.check_id in meta else None, r.alias) for r in doc.results])
            cur.executemany(sql("INSERT INTO safeguard_scores VALUES (?,?,?,?)"), [
                (row, s.id, s.score, s.coverage) for s in doc.scores.safeguards])

    def scans(self, limit: int = 20, target: Optional[str] = None, clinic: Optional[str] = None) -> list[dict[str, Any]]:
        sql = ("SELECT s.id, s.scan_id, s.finished_at, s.profile, s.overall, s.coverage, s.failing, s.errors, "
               f"s.report_dir, COUNT(t.target), {self.dialect.group_concat.format('t.clinic')} FROM scans s "
               "LEFT JOIN target_scans t ON t.scan = s.id")
        where, args = [], []
        if target:
            where.append("s.id IN (SELECT scan FROM target_scans WHERE target = ?)")
            args.append(target)
        if clinic:
            where.append("s.id IN (SELECT scan FROM target_scans WHERE clinic = ?)")
            args.append(clinic)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " GROUP BY s.id ORDER BY s.finished_at DESC, s.id DESC LIMIT ?"
        keys = ("row", "scan_id", "finished_at", "profile", "overall", "coverage", "failing", "errors",
                "report_dir", "targets", "clinics")
        texts, numbers = {"scan_id", "finished_at", "profile", "report_dir", "clinics"}, {"overall", "coverage"}
        rows = [dict(zip(keys, r)) for r in self._query(sql, (*args, limit))]
        for row in rows:  # what a hand-edited store holds: typed as the writer wrote it, or unknown
            for key in keys:
                row[key] = (_text(row[key]) if key in texts else _number(row[key]) if key in numbers
                            else _count(row[key]))
            row["scan_id"] = _scan_id(row["scan_id"])
        return rows

    def snapshot(self, scan_id: str) -> "Snapshot":
        rows = self._query("SELECT id, overall FROM scans WHERE scan_id = ?", (scan_id,))
        if not rows:  # an id as scans() showed it: stored with control characters it reads back replaced
            rows = [(i, o) for i, o, sid in self._query("SELECT id, overall, scan_id FROM scans")
                    if _scan_id(sid) == scan_id][:1]
        if not rows:
            raise HistoryError(f"no scan {scan_id!r} in {self.shown} (see 'voxaudit history')")
        row = rows[0]
        snap = Snapshot(scan_id=_scan_id(scan_id), overall=_number(row[1]))
        for c, t, r, s, sev, alias in self._query(
                "SELECT check_id, target, resource, status, severity, alias FROM results WHERE scan = ?", (row[0],)):
            snap.add(_text(c) or "", _text(t) or "", _text(r) or "", _text(s) or "", _text(sev), _text(alias))
        snap.safeguards = {_text(sid) or "": _number(score) for sid, score in
                           self._query("SELECT safeguard, score FROM safeguard_scores WHERE scan = ?", (row[0],))}
        snap.targets = {_text(t) or "" for (t,) in self._query("SELECT target FROM target_scans WHERE scan = ?",
                                                               (row[0],))}
        return snap

    def previous(self, doc: ScanDocument) -> Optional["Snapshot"]:
        """The latest earlier scan that covered any of this scan's targets."""
        names = [t.name for t in doc.targets]
        if not names:
            return None
        marks = ",".join("?" * len(names))
        rows = self._query(
            f"SELECT s.scan_id FROM scans s JOIN target_scans t ON t.scan = s.id WHERE t.target IN ({marks}) "
            "AND s.scan_id != ? AND s.finished_at <= ? ORDER BY s.finished_at DESC, s.id DESC LIMIT 1",
            (*names, doc.scan_id, doc.finished_at))
        return self.snapshot(rows[0][0]) if rows else None


def _first_line(exc: BaseException) -> str:
    """A database error's first line: enough to act on, never a query's parameters."""
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


@dataclass
class Snapshot:
    scan_id: str
    overall: Optional[float]
    results: dict[tuple[str, str, str], tuple[str, Optional[str]]] = field(default_factory=dict)
    safeguards: dict[str, Optional[float]] = field(default_factory=dict)
    targets: set[str] = field(default_factory=set)
    # Results of controls by the 1.x check ID their binding replaced: how a scan from before the
    # controls (whose results carry 1.x IDs) is compared with one after, finding by finding.
    by_alias: dict[tuple[str, str, str], tuple[str, Optional[str]]] = field(default_factory=dict)
    alias_of: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def add(self, check_id: str, target: str, resource: str, status: str, severity: Optional[str],
            alias: Optional[str] = None) -> None:
        self.results[(check_id, target, resource)] = (status, severity)
        if alias:
            self.alias_of[(check_id, target, resource)] = alias
            key = (alias, target, resource)
            old = self.by_alias.get(key)
            # One 1.x check that became several controls: it failed if any of them fails.
            if old is None or _RANK.get(status, 0) > _RANK.get(old[0], 0):
                self.by_alias[key] = (status, severity)

    @classmethod
    def of(cls, doc: ScanDocument) -> "Snapshot":
        meta = doc.meta()
        # Text as the store gives it back (no control characters), so a scan file and a stored scan compare
        # alike and a hand-edited scan.json cannot carry terminal escapes into 'voxaudit diff'.
        snap = cls(scan_id=_scan_id(doc.scan_id), overall=_number(doc.scores.overall),
                   safeguards={_text(s.id) or "": _number(s.score) for s in doc.scores.safeguards},
                   targets={_text(t.name) or "" for t in doc.targets})
        for r in doc.results:
            snap.add(_text(r.check_id) or "", _text(r.target) or "", _text(r.resource) or "", r.effective_status,
                     meta[r.check_id].severity.value if r.check_id in meta else None, _text(r.alias))
        return snap

    def comparable_to(self, other: "Snapshot") -> dict[tuple[str, str, str], tuple[str, Optional[str]]]:
        """These results keyed as ``other`` keys its own: by the 1.x check ID where ``other`` predates
        the controls (its IDs are this scan's aliases), by control ID everywhere else."""
        theirs = {k[0] for k in other.results}
        legacy = {k[0] for k in self.by_alias if k[0] in theirs}
        if not legacy:
            return self.results
        out = {k: v for k, v in self.results.items() if self.alias_of.get(k) not in legacy}
        out.update({k: v for k, v in self.by_alias.items() if k[0] in legacy})
        return out


_RANK = {"FAIL": 3, "ERROR": 2, "WAIVED": 1, "PASS": 1, "NOT_APPLICABLE": 0}


@dataclass
class Diff:
    before: str
    after: str
    new: list[tuple[Any, ...]] = field(default_factory=list)         # failing now, not seen before
    regressed: list[tuple[Any, ...]] = field(default_factory=list)   # passed (or n/a, waived) before, failing now
    resolved: list[tuple[Any, ...]] = field(default_factory=list)    # failing before, not failing now
    score_before: Optional[float] = None
    score_after: Optional[float] = None
    safeguards: dict[str, tuple[Optional[float], Optional[float]]] = field(default_factory=dict)

    @property
    def score_delta(self) -> Optional[float]:
        if self.score_before is None or self.score_after is None:
            return None
        return round(self.score_after - self.score_before, 1)

    def summary(self) -> dict[str, Any]:
        return {"previous_scan": self.before, "previous_score": self.score_before, "score_delta": self.score_delta,
                "new": len(self.new), "regressed": len(self.regressed), "resolved": len(self.resolved)}


def diff(before: Snapshot, after: Snapshot) -> Diff:
    d = Diff(before=before.scan_id, after=after.scan_id, score_before=before.overall, score_after=after.overall)
    before_results, after_results = before.comparable_to(after), after.comparable_to(before)
    for key, (status, severity) in sorted(after_results.items()):
        if status != "FAIL":
            continue
        old = before_results.get(key)
        if old is None:
            d.new.append((*key, severity))
        elif old[0] != "FAIL":
            d.regressed.append((*key, severity, old[0]))
    for key, (status, severity) in sorted(before_results.items()):
        if status == "FAIL" and key[1] in after.targets and after_results.get(key, ("GONE",))[0] != "FAIL":
            d.resolved.append((*key, severity, after_results.get(key, ("GONE",))[0]))
    for sid in sorted(set(before.safeguards) | set(after.safeguards)):
        d.safeguards[sid] = (before.safeguards.get(sid), after.safeguards.get(sid))
    return d
