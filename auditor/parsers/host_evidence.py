"""Readers for host evidence: where a PBX's files are stored, on what, and how they are backed up.

Each reader takes the text of one captured file (``/proc/mounts``, ``/etc/crypttab``, ``lsblk -J``,
``zfs get -H encryption``, a crontab, a systemd unit, ``fwconsole backup --list``, ``stat -c '%n %Y
%s'`` lines) and returns plain data. All are single passes over bounded text (no backtracking
pattern, no recursion without a depth limit). Problems name the file and line, never the line's
text: a cron command may carry a password (``mysqldump -pSECRET``), so what a job copies is
recorded as paths and host names only.
"""
from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from voxaudit.parsers.files import lines
from voxaudit.parsers.problem import Problem

MAX_TEXT = 4 * 1024 * 1024     # any one evidence file
MAX_LINES = 100_000
MAX_LINE = 8192
MAX_DEPTH = 16                 # device stacking (LVM on LUKS on RAID...) and lsblk nesting

# dm uuid prefixes cryptsetup gives its mappings ("CRYPT-<TYPE>-..."): these encrypt. CRYPT-VERITY
# and CRYPT-INTEGRITY (and CRYPT-SUBDEV) only check integrity or hold a part of one: not encryption.
CRYPT_ENCRYPTING = ("CRYPT-LUKS1", "CRYPT-LUKS2", "CRYPT-PLAIN", "CRYPT-LOOPAES", "CRYPT-TCRYPT", "CRYPT-BITLK",
                    "CRYPT-FVAULT2")
NETWORK_FS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "glusterfs", "ceph", "fuse.rclone", "9p"}
MEMORY_FS = {"tmpfs", "ramfs"}
# A physical disk or partition: not a device-mapper device, so no dm-crypt layer sits between it and
# the filesystem mounted from it.
PHYSICAL = ("sd", "vd", "xvd", "hd", "nvme", "mmcblk")
BACKUP_TOOLS = {"tar", "rsync", "borg", "restic", "duplicity", "rclone", "cp", "zip", "7z", "rdiff-backup", "rsnapshot",
                "duplicati", "dar", "cpio", "scp", "sftp", "lftp", "aws", "gsutil", "azcopy", "rdiff", "kopia", "bup",
                "fwconsole"}


@dataclass
class Mount:
    device: str
    mountpoint: str
    fstype: str


@dataclass
class BlockInfo:
    """What /sys/class/block/NAME says about one block device (dm name and uuid, its slaves)."""

    name: str
    dm_name: str = ""
    dm_uuid: str = ""
    slaves: list[str] = field(default_factory=list)


@dataclass
class LsblkNode:
    name: str
    type: str
    fstype: str
    mountpoints: list[str]
    parent: Optional[int]  # index of the parent node (lsblk's tree is inverted: disk -> part -> crypt -> lvm)


@dataclass
class Job:
    kind: str                     # cron, systemd, freepbx
    where: str                    # file:line
    paths: list[str]              # absolute paths the command names (sources and destinations together)
    remote: list[str]             # remote hosts or services the command sends to (host names only)
    tool: str                     # the backup tool recognised ("" when the command names none)
    freepbx: bool = False         # fwconsole backup --backup=ID


def _lines(text: str) -> Iterable[tuple[int, str]]:
    for n, line in enumerate(lines(text[:MAX_TEXT])[:MAX_LINES], 1):  # \n only, as cron splits
        yield n, line[:MAX_LINE]


def unescape_mount(field_: str) -> str:
    """/proc/mounts writes space, tab, newline and backslash as octal escapes (\\040...)."""
    if "\\" not in field_:
        return field_
    out, i = [], 0
    while i < len(field_):
        c = field_[i]
        if c == "\\" and i + 4 <= len(field_) and field_[i + 1:i + 4].isdigit():
            out.append(chr(int(field_[i + 1:i + 4], 8) & 0xFF))
            i += 4
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse_mounts(text: str, file: str, problems: list[Problem]) -> list[Mount]:
    """``/proc/mounts`` (or ``/proc/self/mounts``): device, mount point, type, options, 0, 0."""
    out = []
    for n, line in _lines(text):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) < 3 or not parts[1].startswith("/"):
            problems.append(Problem(file, n, "not a mount entry (device, mount point, type expected)", False))
            continue
        out.append(Mount(unescape_mount(parts[0]), unescape_mount(parts[1]), parts[2]))
    return out


def parse_crypttab(text: str) -> set[str]:
    """The mapping names /etc/crypttab opens (first field); key files and options are not kept."""
    names = set()
    for _, line in _lines(text):
        s = line.strip()
        if s and not s.startswith("#"):
            names.add(s.split()[0])
    return names


def parse_lsblk(text: str, file: str, problems: list[Problem]) -> list[LsblkNode]:
    """``lsblk -J`` (-o NAME,TYPE,FSTYPE,MOUNTPOINT[S]...), flattened with each node's parent."""
    try:
        doc = json.loads(text[:MAX_TEXT])
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the decoder goes
        problems.append(Problem(file, 0, "not lsblk JSON output", False))
        return []
    devices = doc.get("blockdevices") if isinstance(doc, dict) else None
    if not isinstance(devices, list):
        problems.append(Problem(file, 0, "no blockdevices list (lsblk -J output expected)", False))
        return []
    nodes: list[LsblkNode] = []
    stack: list[tuple[Any, Optional[int], int]] = [(d, None, 0) for d in reversed(devices)]
    while stack and len(nodes) < MAX_LINES:
        dev, parent, depth = stack.pop()
        if not isinstance(dev, dict):
            continue
        mps = dev.get("mountpoints")
        if not isinstance(mps, list):
            mps = [dev.get("mountpoint")]
        nodes.append(LsblkNode(str(dev.get("name") or ""), str(dev.get("type") or ""), str(dev.get("fstype") or ""),
                               [m for m in mps if isinstance(m, str) and m], parent))
        me = len(nodes) - 1
        children = dev.get("children")
        if isinstance(children, list):
            if depth >= MAX_DEPTH:
                problems.append(Problem(file, 0, f"devices nested deeper than {MAX_DEPTH}; the rest not read", False))
                continue
            stack.extend((c, me, depth + 1) for c in reversed(children))
    return nodes


def parse_zfs_encryption(text: str, file: str, problems: list[Problem]) -> dict[str, str]:
    """``zfs get -H encryption``: dataset, property, value, source (tab separated)."""
    out = {}
    for n, line in _lines(text):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) < 3 or parts[1] != "encryption":
            problems.append(Problem(file, n, "not a 'zfs get -H encryption' line", False))
            continue
        out[parts[0]] = parts[2].strip()
    return out


def number(text: str, digits: int = 15) -> Optional[int]:
    """A non-negative number of at most ``digits`` ASCII digits, else None. ``str.isdigit`` also
    accepts digits ``int`` refuses (superscripts) and lengths past Python's conversion limit."""
    if 0 < len(text) <= digits and text.isascii() and text.isdigit():
        return int(text)
    return None


def parse_stat_lines(text: str, file: str, problems: list[Problem]) -> list[tuple[str, int, int]]:
    """``stat -c '%n %Y %s'``: path, modification time (epoch), size. The path may hold spaces: the
    two numbers are taken from the right."""
    out = []
    for n, line in _lines(text):
        if not line.strip():
            continue
        parts = line.rsplit(" ", 2)
        mtime, size = (number(parts[1]), number(parts[2])) if len(parts) == 3 else (None, None)
        if mtime is None or size is None or not parts[0].startswith("/"):
            problems.append(Problem(file, n, "not a \"stat -c '%n %Y %s'\" line (path, mtime, size)", False))
            continue
        out.append((parts[0], mtime, size))
    return out


def parse_fwconsole_list(text: str) -> list[str]:
    """``fwconsole backup --list``: a Symfony table of Backup Name | Description | Backup ID. Only the
    names are kept (FreePBX's Console/Backup.class.php listBackups)."""
    names = []
    for _, line in _lines(text):
        s = line.strip()
        if not s.startswith("|"):
            continue
        cells = [c.strip() for c in s.strip("|").split("|")]
        if cells and cells[0] and cells[0] != "Backup Name":
            names.append(cells[0])
    return names


def _tokens(command: str) -> list[str]:
    """The words of a shell command as the shell splits them (quotes, backslash escapes, ; && |), in
    one linear pass (shlex); an unbalanced quote falls back to splitting on white space."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        return [t for t in lexer if t not in {";", "&&", "||", "|", "&", "(", ")", ">", ">>", "<", "2>", "2>&1"}]
    except ValueError:
        return command.split()


def _command_facts(command: str) -> tuple[list[str], list[str], str, bool]:
    """Paths, remote hosts, the backup tool and whether it is a FreePBX backup run, from one command."""
    paths: list[str] = []
    remote: list[str] = []
    tool = ""
    freepbx = False
    tokens = _tokens(command[:MAX_LINE])
    for i, raw in enumerate(tokens[:256]):
        tok = raw.strip("'\"")
        if "$" in tok or "*" in tok:  # a name made at run time (a date, a glob): its folder is what is known
            head = tok.split("$", 1)[0].split("*", 1)[0]
            tok = head if head.endswith("/") else head.rsplit("/", 1)[0] + "/" if "/" in head else head
        base = tok.rsplit("/", 1)[-1]
        if base in BACKUP_TOOLS and not tool:
            tool = base
        if base == "fwconsole" and any(t.startswith(("--backup=", "--backup")) for t in tokens[i + 1:i + 4]) \
                and "backup" in tokens[i + 1:i + 3]:
            freepbx = True
        value = tok.split("=", 1)[1] if tok.startswith("--") and "=" in tok else tok
        if "://" in value:
            host = value.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
            remote.append(host or value.split("://", 1)[0])
        elif value.startswith("/"):
            if i == 0 or value.endswith((".sh", ".py", ".pl")) or base == tool:
                continue  # the program run, not what it copies
            if len(paths) < 32:
                paths.append(value.rstrip("/") or "/")
        elif ":" in value and not value.startswith("-"):
            head = value.split(":", 1)[0].rsplit("@", 1)[-1]
            if head and all(c.isalnum() or c in ".-_" for c in head) and tool in {"rsync", "scp", "rclone", "sftp",
                                                                                  "lftp", "borg", "restic", "duplicity"}:
                remote.append(head)
    return paths, remote, tool, freepbx


def parse_crontab(text: str, file: str, system: bool) -> list[Job]:
    """Jobs of a crontab. ``system``: /etc/crontab and /etc/cron.d/* have a user field after the time."""
    jobs = []
    for n, line in _lines(text):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        parts = s.split(None, 7 if not s.startswith("@") else 3)
        if s.startswith("@"):
            rest = parts[2:] if system else parts[1:]
        else:
            first = parts[0]
            if "=" in first and not (first[0].isdigit() or first[0] == "*"):
                continue  # an environment line (MAILTO=, PATH=)
            rest = parts[6:] if system else parts[5:]
        if not rest:
            continue
        command = " ".join(rest)
        paths, remote, tool, freepbx = _command_facts(command)
        if tool or freepbx or "backup" in command.lower():
            jobs.append(Job("freepbx" if freepbx else "cron", f"{file}:{n}", paths, remote, tool, freepbx))
    return jobs


def parse_systemd_service(text: str, file: str) -> list[Job]:
    """ExecStart= lines of a service a timer starts (the timer's presence is checked by the caller)."""
    jobs = []
    for n, line in _lines(text):
        s = line.strip()
        if not s.startswith("ExecStart") or "=" not in s:
            continue
        command = s.split("=", 1)[1].lstrip("-@:+!")
        paths, remote, tool, freepbx = _command_facts(command)
        if tool or freepbx or "backup" in command.lower():
            jobs.append(Job("freepbx" if freepbx else "systemd", f"{file}:{n}", paths, remote, tool, freepbx))
    return jobs


# -- unixODBC's odbc.ini ---------------------------------------------------------------------------

ODBC_LINE = 999  # unixODBC reads with fgets(szLine, INI_MAX_LINE=1000): a longer line goes on as the next one
ODBC_KEEP = ("driver", "server", "servername", "host", "port", "socket", "database")  # never uid/pwd/password
MAX_DSNS = 4096


@dataclass
class OdbcSection:
    """One ``[DSN]`` of odbc.ini: its name, where it starts, and the few keys that say where it connects
    (lowercased names; the first line of a key wins, as iniPropertySeek finds it). Credentials are not kept."""

    name: str
    line: int
    keys: dict[str, tuple[str, int]] = field(default_factory=dict)


def parse_odbc_ini(text: str, file: str, problems: list[Problem]) -> tuple[list[OdbcSection], bool]:
    """(sections, refused) of an odbc.ini as unixODBC's ini library reads it (ini/iniOpen.c): lines of at
    most 999 characters; before the first section only blank lines and ``#``/``;`` comments, and that
    first ``[`` in column 1, or the whole file is refused (``refused`` True, a note); then a line whose
    first non-blank character is ``[`` opens a section (its name up to ``]``, trimmed), ``#``/``;``
    starts a comment (only there: a value keeps any ``;`` inside it), anything else is ``name = value``
    split at the first ``=`` and trimmed. Names are matched case-insensitively by the caller, the first
    section of a name (iniObjectSeek) and its first line of a key first. One pass, linear."""
    sections: list[OdbcSection] = []
    started = False
    for n, physical in enumerate(lines(text[:MAX_TEXT])[:MAX_LINES], 1):
        for start in range(0, max(len(physical), 1), ODBC_LINE):
            piece = physical[start:start + ODBC_LINE]
            stripped = piece.strip()
            if not started:
                if not stripped or stripped[0] in "#;":
                    continue
                if not piece.startswith("["):
                    problems.append(Problem(file, n, "a line before the first [section] is neither blank nor a "
                                                     "comment: unixODBC refuses the whole file, no DSN in it is "
                                                     "defined", False, note=True))
                    return [], True
                started = True
            if not stripped or stripped[0] in "#;":
                continue
            if stripped[0] == "[":
                if len(sections) < MAX_DSNS:
                    sections.append(OdbcSection(stripped[1:].split("]", 1)[0].strip(), n))
                continue
            if not sections:
                continue
            name, _, value = stripped.partition("=")
            key = name.strip().lower()
            if key in ODBC_KEEP and key not in sections[-1].keys:
                sections[-1].keys[key] = (value.strip(), n)
    return sections, False
