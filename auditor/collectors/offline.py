"""Offline collector: facts from a copied configuration tree on local disk.

Accepts either the Asterisk config directory itself (``/etc/asterisk``) or a
snapshot root that contains ``etc/asterisk`` (and perhaps ``etc/logrotate.d`` and
``var/spool/asterisk``). Reads configuration text and file metadata only: voicemail
audio and recordings are never opened; of each message's ``.txt`` envelope only the
``origtime=`` line is kept (its age), never the caller.
"""
from __future__ import annotations

import errno
import os
import stat
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Optional, Sequence

from voxaudit.facts.asterisk import ASTERISK_ROOTS, AsteriskFacts, build_asterisk_facts
from voxaudit.facts.asterisk_dialplan import ROOT_READERS
from voxaudit.facts.common import (
    ConfigFileFacts,
    LogrotateRule,
    MailboxSpool,
    RecordingSpool,
    SpoolFacts,
    redact_inline_credentials,
)
from voxaudit.facts.host import HostEvidence, has_evidence, program_path, read_host_evidence, read_program_scripts
from voxaudit.parsers.asterisk_conf import DEFAULT_ASTERISK_CONFIG_DIR, ParsedConfig, parse_config
from voxaudit.parsers.logrotate import LogrotateError, parse_logrotate_file

MAX_SPOOL_FILES = 200_000  # bound the walk on a huge spool
AUDIO_SUFFIXES = {".wav", ".wav49", ".gsm", ".ulaw", ".alaw", ".g722", ".sln", ".mp3", ".ogg", ".opus"}


class CollectionError(Exception):
    """A target could not be collected at all; the runner turns it into ERROR results."""

    def __init__(self, kind: str, reason: str) -> None:
        if "@" in reason:  # a URL or dial string named in the reason keeps no user:password (see ParseProblem)
            reason = redact_inline_credentials(reason)
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def locate_tree(path: Path) -> tuple[Path, Optional[Path]]:
    """Return (config_dir, snapshot_root or None)."""
    if (path / "etc" / "asterisk").is_dir():
        return path / "etc" / "asterisk", path
    if path.name == "asterisk" and path.parent.name == "etc":
        return path, path.parent.parent
    return path, None


class _UnreadableFile(Exception):
    """A file that exists but cannot be read (permissions, a symlink loop): its name, for the reason."""


def _read_regular(path: Path, max_bytes: int) -> bytes:
    """At most ``max_bytes`` of a regular file. A FIFO or a device (a hostile snapshot links one in:
    ``msg0000.txt -> /dev/zero``, a named pipe) would block or never end, so the file is opened without
    blocking and refused (OSError) unless it is a regular file."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        chunks, left = [], max_bytes
        while left > 0:
            chunk = os.read(fd, min(left, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _mentions_asterisk(path: Path) -> bool:
    """Does a logrotate.d entry name Asterisk's logs? Read at most 1 MiB: a hostile entry stays cheap."""
    try:
        return b"asterisk" in _read_regular(path, 1024 * 1024)
    except OSError as exc:
        raise _UnreadableFile(f"etc/logrotate.d/{path.name} ({exc.strerror or exc.__class__.__name__})") from None


def _asterisk_directory(ac: ParsedConfig, key: str) -> Optional[str]:
    """A directory from asterisk.conf's [directories]; stock files declare it ``(!)``, and Asterisk
    reads it even so."""
    if not ac.found or ac.fatal is not None:
        return None
    d = next((s for s in ac.sections if s.name.lower() == "directories"), None)
    value = d.get(key) if d is not None else None
    return value if value and value.startswith("/") else None


def _inside(path: Path, root: Path) -> bool:
    """Is ``path`` (symlinks and ``..`` resolved) inside ``root``? A loop or an unreadable link is not."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        return False


def _to_root(root: Optional[Path], absolute: str) -> Optional[Path]:
    if root is None:
        return None
    return root / absolute.lstrip("/")


def _age_days(epoch: float, now: float) -> int:
    return max(int((now - epoch) // 86400), 0)


MAX_ORIGTIME_DIGITS = 12  # seconds since 1970 until the year 33658: more digits are no time


def _origtime(txt: Path) -> Optional[float]:
    """Read only the origtime= line of a message envelope (its first 64 lines, at most 16 KiB);
    everything else is discarded. Not a plain count of seconds (``²``, 400 digits): None, the
    caller falls back to the file's modification time."""
    try:
        head = _read_regular(txt, 16 * 1024)
    except OSError:
        return None
    for line in head.split(b"\n", 64)[:64]:
        if line.startswith(b"origtime="):
            value = line[len(b"origtime="):].strip()
            ok = value.isdigit() and len(value) <= MAX_ORIGTIME_DIGITS  # bytes.isdigit(): ASCII 0-9 only
            return float(value) if ok else None
    return None


def collect_spool(spool_dir: Path, now: Optional[float] = None, display: str = "") -> SpoolFacts:
    now = time.time() if now is None else now
    vm_dir = spool_dir / "voicemail"
    mailboxes: list[MailboxSpool] = []
    seen = 0
    def dirs(parent: Path) -> list[Path]:
        """The sub-directories of a spool level; one linked to outside the spool (``default -> /home``)
        would have the walk read the scanner's own disk: the spool is then not read at all."""
        found = sorted(p for p in parent.iterdir() if p.is_dir())
        for p in found:
            if p.is_symlink() and not _inside(p, spool_dir):
                raise OSError(errno.EINVAL, f"{p.relative_to(spool_dir)} links outside the spool")
        return found

    if vm_dir.is_dir():
        for context in dirs(vm_dir):
            for box in dirs(context):
                spool = MailboxSpool(mailbox=f"{box.name}@{context.name}", messages=0, total_bytes=0)
                for folder in dirs(box):
                    if folder.name.lower() in {"tmp", "temp"}:
                        continue
                    count = 0
                    for entry in folder.iterdir():
                        seen += 1
                        if seen > MAX_SPOOL_FILES:
                            break
                        if entry.suffix == ".txt" and entry.name.startswith("msg"):
                            st = entry.stat()
                            if not stat.S_ISREG(st.st_mode):  # a FIFO or device has no age: the spool is unread
                                where = f"voicemail/{context.name}/{box.name}/{folder.name}/{entry.name}"
                                raise OSError(errno.EINVAL, f"{where} is not a regular file")
                            count += 1
                            origtime = _origtime(entry)
                            if origtime is not None and origtime > now + 86400:
                                origtime = None  # dated after the scan: no age; the file's own time instead
                            epoch = origtime if origtime is not None else st.st_mtime
                            spool.ages_days.append(_age_days(epoch, now))
                        elif entry.suffix.lower() in AUDIO_SUFFIXES:
                            spool.total_bytes += entry.stat().st_size
                    if count:
                        spool.folders[folder.name] = count
                        spool.messages += count
                spool.ages_days.sort(reverse=True)
                mailboxes.append(spool)
    recordings = None
    mon = spool_dir / "monitor"
    if mon.is_dir():
        rec = RecordingSpool(path="monitor", files=0, total_bytes=0)
        for dirpath, _, files in os.walk(mon):
            seen += len(files)
            if seen > MAX_SPOOL_FILES:  # stop counting; what was seen is still reported
                break
            for name in files:
                p = Path(dirpath, name)
                if p.suffix.lower() in AUDIO_SUFFIXES:
                    st = p.stat()
                    rec.files += 1
                    rec.total_bytes += st.st_size
                    rec.ages_days.append(_age_days(st.st_mtime, now))
        rec.ages_days.sort(reverse=True)
        recordings = rec
    return SpoolFacts(
        collected_at=datetime.fromtimestamp(now, tz=timezone.utc).isoformat(timespec="seconds"),
        voicemail_dir=display or str(spool_dir), mailboxes=mailboxes, recordings=recordings,
    )


def collect_asterisk_tree(
    path: Path,
    spool_dir: Optional[Path] = None,
    logrotate_files: Optional[list[Path]] = None,
    now: Optional[float] = None,
    progress: Optional[Callable[[str], None]] = None,
    evidence_dir: Optional[Path] = None,
) -> AsteriskFacts:
    path = Path(path)
    if not path.exists():
        raise CollectionError("not_collected", f"config directory {path} does not exist")
    if not path.is_dir():
        raise CollectionError("parse", f"{path} is not a directory")
    config_dir, root = locate_tree(path)
    if not any((config_dir / r).exists() for r in ASTERISK_ROOTS):
        raise CollectionError("parse", f"no Asterisk configuration files (pjsip.conf, voicemail.conf, ...) in {config_dir}")
    parsed = {}
    etc_dir = DEFAULT_ASTERISK_CONFIG_DIR
    for name in ASTERISK_ROOTS:  # asterisk.conf first: its astetcdir places absolute #includes
        if progress:
            progress(name)
        parsed[name] = ROOT_READERS.get(name, parse_config)(config_dir, name, asterisk_dir=etc_dir)
        if name == "asterisk.conf":
            etc_dir = _asterisk_directory(parsed[name], "astetcdir") or etc_dir
    flavor = "freepbx" if any(config_dir.glob("*_additional.conf")) else "asterisk"

    # logrotate: explicit files, else the snapshot's etc/logrotate.d entries for Asterisk.
    logrotate: Optional[list[LogrotateRule]] = None
    logrotate_problem: Optional[str] = None
    candidates = list(logrotate_files or [])
    if not candidates and root is not None:
        lr = root / "etc" / "logrotate.d"
        if lr.is_dir():
            try:
                candidates = sorted(p for p in lr.iterdir() if p.is_file() and _mentions_asterisk(p))
            except OSError as exc:
                logrotate_problem = f"cannot list etc/logrotate.d: {exc.strerror or exc.__class__.__name__}"
            except _UnreadableFile as exc:
                logrotate_problem = f"cannot read {exc}; logrotate policy not assessed"
    if candidates:
        logrotate = []
        for f in candidates:
            display = os.path.relpath(f, root) if root is not None and f.is_relative_to(root) else f.name
            try:
                if not stat.S_ISREG(f.stat().st_mode):  # a FIFO or /dev/zero would block the reader or never end
                    raise OSError(errno.EINVAL, "not a regular file")
                logrotate += parse_logrotate_file(f, display)
            except LogrotateError as exc:
                logrotate, logrotate_problem = None, f"logrotate parse error at {exc}"
                break
            except OSError as exc:
                logrotate, logrotate_problem = None, f"cannot read {display}: {exc.strerror}"
                break

    # spool: explicit, else asterisk.conf's astspooldir inside the snapshot, else the usual place.
    spool: Optional[SpoolFacts] = None
    spool_problem: Optional[str] = None
    if spool_dir is None and root is not None:
        astspool = "/var/spool/asterisk"
        ac = parsed.get("asterisk.conf")
        if ac is not None:
            astspool = _asterisk_directory(ac, "astspooldir") or astspool
        candidate = _to_root(root, astspool)
        if candidate is not None and candidate.is_dir():
            if _inside(candidate, root):
                spool_dir = candidate
            else:  # astspooldir=/../../home must not walk the scanner's own disk
                spool_problem = "asterisk.conf astspooldir points outside the snapshot; spool not read"
    if spool_dir is not None and not spool_dir.is_dir():  # given, but missing or a file: unread, not empty
        spool_problem = f"spool {spool_dir.name} is not a directory; spool not read"
    elif spool_dir is not None:
        if progress:
            progress("voicemail spool")
        try:
            display = os.path.relpath(spool_dir, root) if root is not None and spool_dir.is_relative_to(root) else spool_dir.name
            spool = collect_spool(spool_dir, now=now, display=display)
        except OSError as exc:
            spool_problem = f"cannot read spool {spool_dir.name}: {exc.strerror}"
    facts = build_asterisk_facts(parsed, logrotate=logrotate, spool=spool, flavor=flavor,
                                 logrotate_problem=logrotate_problem, spool_problem=spool_problem)
    general = facts.first("voicemail.general")
    programs = [general.get(k) or "" for k in ("mailcmd", "externnotify")] if general is not None else []
    facts.host = collect_host_evidence(evidence_dir, root, now, progress, programs)
    facts.configs[HOST_EVIDENCE] = evidence_config(facts.host)
    return facts


HOST_EVIDENCE = "host evidence"  # the fact source of the storage and backup bindings


def evidence_config(host: Optional[HostEvidence]) -> ConfigFileFacts:
    """The host evidence as a config root: its unreadable lines are gaps (shown, coverage lowered)
    like any configuration file's; absent evidence is "missing" and the controls say what to capture."""
    if host is None:
        return ConfigFileFacts(root=HOST_EVIDENCE, found=False)
    return ConfigFileFacts(root=HOST_EVIDENCE, found=True, files=list(host.files), problems=list(host.problems))


def collect_host_evidence(evidence_dir: Optional[Path], root: Optional[Path], now: Optional[float] = None,
                          progress: Optional[Callable[[str], None]] = None,
                          programs: Sequence[str] = ()) -> Optional[HostEvidence]:
    """Host evidence (mounts, backup jobs and files) from ``evidence_dir``, else from a snapshot root
    that holds it (an SFTP mirror writes it there); None when there is none."""
    if evidence_dir is not None:
        if not evidence_dir.is_dir():
            raise CollectionError("not_collected", f"evidence folder {evidence_dir} does not exist")
        where = evidence_dir
    elif root is not None and has_evidence(root):
        where = root
    else:
        return None
    if progress:
        progress("host evidence")
    origin = "SFTP" if (where / ".voxaudit-sftp").exists() else "evidence bundle"
    evidence = read_host_evidence(where, origin, now)
    evidence.scripts = read_program_scripts(where, [p for p in (program_path(c) for c in programs) if p])
    return evidence


FREESWITCH_CONF_DIRS = ("", "conf", "etc/freeswitch", "usr/local/freeswitch/conf", "usr/share/freeswitch/conf",
                        "opt/freeswitch/conf", "opt/freeswitch/etc/freeswitch")
FREESWITCH_LAYOUT_MARKERS = ("vars.xml", "sip_profiles", "autoload_configs")
_FS_SNIFF_BYTES = 64 * 1024
_FS_SNIFF_ENTRIES = 500


def _freeswitch_content(path: Path) -> str | None:
    """'document' for a FreeSWITCH root document, 'fragment' for FreeSWITCH configuration XML, else None.
    Reads at most 64 KiB of a regular file, never blocking on a FIFO nor following a final symlink."""
    import re
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        head = os.read(fd, _FS_SNIFF_BYTES)
    except OSError:
        return None
    finally:
        os.close(fd)
    if re.search(rb"<document\s[^>]{0,200}?freeswitch/xml", head):
        return "document"
    if re.search(rb"<configuration\s+name\s*=\s*[\"'][^\"'<>]{1,80}\.conf[\"']|<x-pre-process\s", head, re.IGNORECASE):
        return "fragment"
    return None


def locate_freeswitch_conf(path: Path) -> tuple[Path, str | None] | None:
    """(conf dir, root file) of a FreeSWITCH tree, found the way FreeSWITCH starts: from freeswitch.xml.

    ``path`` may be the root file itself, the conf dir, or a snapshot root holding it at a packaged
    place. Without freeswitch.xml, a conf dir with the packaged layout (vars.xml, sip_profiles/,
    autoload_configs/) is read as the packaged freeswitch.xml would include it (root None); failing
    that, the XML files at the top of a candidate are recognised by content: a
    ``<document type="freeswitch/xml">`` is the root, configuration fragments mean a tree whose root
    is not there."""
    if path.is_file():
        return path.parent, path.name
    candidates = [path / c if c else path for c in FREESWITCH_CONF_DIRS]
    candidates = [c for c in candidates if c.is_dir()]
    for c in candidates:
        if (c / "freeswitch.xml").is_file():
            return c, "freeswitch.xml"
    for c in candidates:
        if any((c / m).exists() for m in FREESWITCH_LAYOUT_MARKERS):
            return c, None
    for c in candidates:
        fragments = False
        try:
            names = sorted(os.listdir(c))[:_FS_SNIFF_ENTRIES]
        except OSError:
            continue
        for name in names:
            if name.lower().endswith(".xml"):
                kind = _freeswitch_content(c / name)
                if kind == "document":
                    return c, name
                fragments = fragments or kind == "fragment"
        if fragments:
            return c, None
    return None


def freeswitch_snapshot(conf: Path) -> Optional[Path]:
    """The snapshot root holding a FreeSWITCH conf dir at etc/freeswitch (where its host evidence is), if any."""
    return conf.parent.parent if conf.name == "freeswitch" and conf.parent.name == "etc" else None


def collect_freeswitch_tree(path: Path, progress: Callable[[str], None] | None = None,
                            evidence_dir: Optional[Path] = None):
    """Facts of the FreeSWITCH configuration under ``path`` (see locate_freeswitch_conf); host evidence
    from ``evidence_dir``, else from a snapshot root holding etc/freeswitch and the evidence."""
    from voxaudit.facts.freeswitch import build_freeswitch_facts

    path = Path(path)
    if not path.exists():
        raise CollectionError("not_collected", f"config directory {path} does not exist")
    found = locate_freeswitch_conf(path)
    if found is None:
        raise CollectionError("parse", f"no FreeSWITCH configuration (freeswitch.xml, vars.xml, sip_profiles/, or XML "
                                       f"with FreeSWITCH content) in {path}")
    conf, root = found
    if progress:
        progress(f"FreeSWITCH XML ({root or 'packaged layout'})")
    facts = build_freeswitch_facts(conf, root)
    facts.host = collect_host_evidence(evidence_dir, freeswitch_snapshot(conf), None, progress)
    facts.configs[HOST_EVIDENCE] = evidence_config(facts.host)
    return facts


def collect_kamailio_tree(path: Path, progress: Optional[Callable[[str], None]] = None):
    from voxaudit.facts.kamailio import build_kamailio_facts

    path = Path(path)
    if not path.exists():
        raise CollectionError("not_collected", f"config directory {path} does not exist")
    for candidate in (path, path / "etc" / "kamailio"):
        if (candidate / "kamailio.cfg").is_file():
            if progress:
                progress("kamailio.cfg")
            return build_kamailio_facts(candidate)
    raise CollectionError("parse", f"no kamailio.cfg in {path}")


def collect_opensips_tree(path: Path, progress: Optional[Callable[[str], None]] = None):
    from voxaudit.facts.kamailio import build_kamailio_facts

    path = Path(path)
    if not path.exists():
        raise CollectionError("not_collected", f"config directory {path} does not exist")
    for candidate in (path, path / "etc" / "opensips"):
        if (candidate / "opensips.cfg").is_file():
            if progress:
                progress("opensips.cfg")
            return build_kamailio_facts(candidate, "opensips.cfg", flavor="opensips")
    raise CollectionError("parse", f"no opensips.cfg in {path}")


def _directory_or_file(path: Path) -> None:
    """A per-file platform reads a directory or one file; a FIFO, a device or a socket given as either is
    neither, and is said so (rather than "cannot list directory")."""
    if not path.is_dir() and not path.is_file():
        raise CollectionError("parse", f"{path} is neither a directory nor a regular file")


def collect_phone_files(path: Path, progress: Optional[Callable[[str], None]] = None):
    """A directory of provisioning files as a provisioning server holds them (or one file)."""
    from voxaudit.facts.phones import build_phone_facts

    path = Path(path)
    if not path.exists():
        raise CollectionError("not_collected", f"provisioning directory {path} does not exist")
    _directory_or_file(path)
    if progress:
        progress("provisioning files")
    return build_phone_facts(path)


def collect_switch_configs(path: Path, progress: Optional[Callable[[str], None]] = None):
    """A directory of saved running-configs (one file per switch), or one file."""
    from voxaudit.facts.switches import build_switch_facts

    path = Path(path)
    if not path.exists():
        raise CollectionError("not_collected", f"switch configuration path {path} does not exist")
    _directory_or_file(path)
    if progress:
        progress("switch running-configs")
    return build_switch_facts(path)


def collect_mdm_policies(path: Path, progress: Optional[Callable[[str], None]] = None):
    """A directory of exported MDM policies (.mobileconfig, Android Management API or Intune JSON)."""
    from voxaudit.facts.mdm import build_mdm_facts

    path = Path(path)
    if not path.exists():
        raise CollectionError("not_collected", f"MDM policy path {path} does not exist")
    _directory_or_file(path)
    if progress:
        progress("MDM policies")
    return build_mdm_facts(path)
