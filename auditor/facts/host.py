"""Host evidence: the storage under a PBX's files and the jobs that back them up.

Read from an **evidence bundle** (a folder a clinic captures with the commands in docs/evidence.md)
or from the same files mirrored read-only over SFTP; both have one layout, the host's own paths
under the folder (``proc/mounts``, ``etc/crypttab``, ``sys/class/block/NAME/dm/uuid``,
``etc/cron.d/*``...) plus a few command outputs at its top (``lsblk.json``, ``zfs-encryption.txt``,
``crontab.txt``, ``fwconsole-backup-list.txt``, ``backup-files.txt``, ``captured-at``). Each part
is None when it was not captured: a control then says what to capture, never PASS.

Only metadata: mount points, device names, dm uuids' type prefix, job locations with the paths and
host names they name, backup files' paths, times and sizes. No file content of a backup is read.
"""
from __future__ import annotations

import os
import time
from pathlib import Path, PurePosixPath
from typing import Optional

from voxaudit.facts.common import ParseProblem
from voxaudit.model import Data
from voxaudit.parsers import host_evidence as hx
from voxaudit.parsers import mail_relay as mx
from voxaudit.parsers.files import lines
from voxaudit.parsers.problem import Problem

MAX_ENTRIES = 4096  # files read from one evidence folder (cron.d, sys/class/block, units)
SCHEDULER_FILES = ("crontab.txt", "etc/crontab", "etc/cron.d", "var/spool/cron/crontabs", "var/spool/cron",
                   "etc/systemd/system")
MARKERS = ("proc/mounts", "captured-at", "lsblk.json", "backup-files.txt", "crontab.txt")
ODBC_INI = "etc/odbc.ini"  # unixODBC's system data sources (where res_odbc's DSNs name their servers)


class MountPoint(Data, kw_only=True):
    """One mounted filesystem and whether what it is stored on encrypts it.

    ``encryption``: "luks", "dm-crypt", "zfs", "ecryptfs" (encrypted), "none" (shown not to be),
    or "" (could not be told: ``how`` says why and what to capture)."""

    mountpoint: str
    device: str
    fstype: str
    encryption: str = ""
    how: str = ""


class BackupJob(Data, kw_only=True):
    """A scheduled job that looks like a backup: where it is defined, the tool, and the paths and
    remote hosts its command names (never the command itself: it may carry a password)."""

    kind: str  # cron, systemd, freepbx
    where: str
    tool: str = ""
    paths: list[str] = []
    remote: list[str] = []


class BackupFile(Data, kw_only=True):
    path: str
    mtime: int
    size: int


class MailRelay(Data, kw_only=True):
    """Where the host's mail transfer agent hands mail on (voicemail-to-email leaves through it).

    ``host`` "" with no ``undecidable``: straight to each recipient domain's mail exchanger."""

    program: str  # postfix, exim4, msmtp, ssmtp
    host: str
    file: str
    line: int
    undecidable: str = ""


class ProgramScript(Data, kw_only=True):
    """A program the configuration runs on PHI (a voicemail ``mailcmd``), as the evidence holds its file:
    only what its text names is kept (speech services as (provider, host), other URL hosts), never the text.
    ``problem``: why its text was not read (missing from the evidence, binary, too large)."""

    path: str
    services: list[tuple[str, str]] = []
    hosts: list[str] = []
    problem: str = ""


class OdbcDsn(Data, kw_only=True):
    """One data source of unixODBC's odbc.ini: its name, where it is, and the keys that say where it connects
    (lowercased: driver, server, servername, host, port, socket, database; each its first line, as unixODBC
    reads it). Never a user name or password."""

    name: str
    line: int
    keys: dict[str, str] = {}
    lines: dict[str, int] = {}  # the line of each key kept


class OdbcIni(Data, kw_only=True):
    """The system odbc.ini as the evidence holds it (``etc/odbc.ini``). ``refused``: unixODBC would not read
    it at all (no DSN in it is defined); ``partial``: only its beginning was read (too large)."""

    file: str
    dsns: list[OdbcDsn] = []
    refused: bool = False
    partial: bool = False

    def dsn(self, name: str) -> Optional[OdbcDsn]:
        """The data source unixODBC finds for ``name``: the first section of that name, case-insensitively
        (iniObjectSeek uses strcasecmp)."""
        low = name.lower()
        return next((d for d in self.dsns if d.name.lower() == low), None)


class HostEvidence(Data, kw_only=True):
    """What the evidence shows of one host; a None part was not captured."""

    origin: str  # "evidence bundle" or "SFTP"
    captured_at: int  # epoch seconds the evidence stands for (ages are counted to it)
    mounts: Optional[list[MountPoint]] = None
    jobs: Optional[list[BackupJob]] = None
    freepbx_jobs: Optional[list[str]] = None  # job names from fwconsole backup --list
    backup_files: Optional[list[BackupFile]] = None
    mail_relays: Optional[list[MailRelay]] = None  # None: no mail transfer agent's configuration captured
    odbc: Optional[OdbcIni] = None  # None: etc/odbc.ini was not captured (res_odbc's DSNs name their servers there)
    scripts: list[ProgramScript] = []  # the programs the configuration names that were looked for
    files: list[str] = []  # the evidence files read, as the host names them
    problems: list[ParseProblem] = []  # lines or files not understood: gaps, shown and counted

    def mount_of(self, path: str) -> Optional[MountPoint]:
        """The filesystem ``path`` is stored on: the longest mount point that is a prefix of it
        (the last mount of a mount point hides earlier ones, as the kernel does)."""
        if self.mounts is None:
            return None
        p = PurePosixPath(path)
        best: Optional[MountPoint] = None
        for m in self.mounts:
            mp = PurePosixPath(m.mountpoint)
            if (p == mp or mp in p.parents) and (best is None or len(mp.parts) >= len(PurePosixPath(best.mountpoint).parts)):
                best = m
        return best


def _outside(path: Path, root: Path) -> bool:
    """Whether ``path`` (or a link on the way to it) leads out of the bundle at ``root``: a bundle made
    with ``cp -r`` keeps absolute links (a cron.d entry linked to /usr/share/...), which would read
    the scanning machine's own files as the PBX's evidence."""
    try:
        return not Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root))
    except (OSError, ValueError):
        return True


def _read(path: Path, root: Optional[Path] = None) -> Optional[str]:
    """A bounded read of a regular file (never a FIFO or device) as text, None if absent or unreadable
    (or, given the bundle's ``root``, reached through a link out of it)."""
    if root is not None and _outside(path, root):
        return None
    data = _read_bytes(path, hx.MAX_TEXT)
    return None if data is None else data.decode("utf-8", "replace")


def _entries(path: Path) -> list[Path]:
    try:
        return sorted(path.iterdir())[:MAX_ENTRIES]
    except OSError:
        return []


def has_evidence(root: Path) -> bool:
    return any((root / m).exists() for m in MARKERS)


def _blocks(root: Path) -> dict[str, hx.BlockInfo]:
    out = {}
    for d in _entries(root / "sys" / "class" / "block"):
        info = hx.BlockInfo(d.name)
        info.dm_name = (_read(d / "dm" / "name", root) or "").strip()
        info.dm_uuid = (_read(d / "dm" / "uuid", root) or "").strip()
        info.slaves = [s.name for s in _entries(d / "slaves")]
        out[d.name] = info
    return out


def _crypt_type(uuid: str) -> str:
    if uuid.startswith(("CRYPT-LUKS1", "CRYPT-LUKS2")):
        return "luks"
    return "dm-crypt" if uuid.startswith(hx.CRYPT_ENCRYPTING) else ""


def _via_sys(name: str, blocks: dict[str, hx.BlockInfo]) -> tuple[str, str]:
    """(encryption, how) walking a device and its slaves (LVM on LUKS, RAID on dm-crypt)."""
    seen, stack = set(), [(name, 0)]
    while stack:
        cur, depth = stack.pop()
        if cur in seen or depth > hx.MAX_DEPTH:
            continue
        seen.add(cur)
        info = blocks.get(cur)
        if info is None:
            continue
        kind = _crypt_type(info.dm_uuid)
        if kind:
            return kind, f"{name} is on {cur} (dm uuid {info.dm_uuid.split('-', 2)[1]})"
        stack.extend((s, depth + 1) for s in info.slaves)
    return "none", f"{name} and the devices under it have no dm-crypt layer"


def _via_lsblk(device: str, mountpoint: str, nodes: list[hx.LsblkNode]) -> Optional[tuple[str, str]]:
    short = device.rsplit("/", 1)[-1]
    hit = next((i for i, n in enumerate(nodes) if mountpoint in n.mountpoints), None)
    if hit is None:
        hit = next((i for i, n in enumerate(nodes) if n.name == short), None)
    if hit is None:
        return None
    cur: Optional[int] = hit
    for _ in range(hx.MAX_DEPTH + 1):
        if cur is None:
            break
        n = nodes[cur]
        if n.type == "crypt":
            parent = nodes[n.parent] if n.parent is not None else None
            luks = parent is not None and parent.fstype == "crypto_LUKS"
            return ("luks" if luks else "dm-crypt"), f"lsblk: {nodes[hit].name} is on crypt device {n.name}"
        cur = n.parent
    return "none", f"lsblk: no crypt device under {nodes[hit].name}"


def _judge_mount(m: hx.Mount, blocks: Optional[dict[str, hx.BlockInfo]], nodes: Optional[list[hx.LsblkNode]],
                 crypttab: Optional[set[str]], zfs: Optional[dict[str, str]]) -> MountPoint:
    out = MountPoint(mountpoint=m.mountpoint, device=m.device, fstype=m.fstype)
    fs = m.fstype
    if fs == "ecryptfs":
        out.encryption, out.how = "ecryptfs", "eCryptfs mount"
        return out
    if fs == "zfs":
        if zfs is None:
            out.how = "ZFS dataset: capture `zfs get -H encryption` as zfs-encryption.txt"
        elif m.device not in zfs:
            out.how = f"ZFS dataset {m.device} not in zfs-encryption.txt"
        elif zfs[m.device] in {"off", "none", "-"}:
            out.encryption, out.how = "none", f"ZFS dataset {m.device} encryption=off"
        else:
            out.encryption, out.how = "zfs", f"ZFS dataset {m.device} encryption={zfs[m.device][:32]}"
        return out
    if fs in hx.NETWORK_FS:
        out.how = f"{fs} network filesystem: its server's encryption at rest is not visible from this host"
        return out
    if fs in hx.MEMORY_FS:
        out.how = f"{fs}: kept in memory, written to swap if any; capture the swap device's evidence"
        return out
    if not m.device.startswith("/dev/"):
        out.how = f"{fs} filesystem from {m.device}: not a block device the evidence describes"
        return out
    short = m.device.rsplit("/", 1)[-1]
    mapper = m.device.startswith("/dev/mapper/")
    if blocks:
        name = next((b.name for b in blocks.values() if b.dm_name == short), None) if mapper else short
        if name is not None and name in blocks:
            out.encryption, out.how = _via_sys(name, blocks)
            return out
    if nodes:
        got = _via_lsblk(m.device, m.mountpoint, nodes)
        if got is not None:
            out.encryption, out.how = got
            return out
    if mapper and crypttab is not None and short in crypttab:
        out.encryption, out.how = "dm-crypt", f"{short} is opened by /etc/crypttab"
        return out
    if short.startswith(hx.PHYSICAL) and not mapper:
        out.encryption, out.how = "none", f"{m.device} is a disk partition with no dm-crypt layer"
        return out
    out.how = (f"{m.device}: capture /sys/class/block/*/dm/uuid and slaves, or `lsblk -J`, to tell what it is "
               "stored on")
    return out


def read_host_evidence(root: Path, origin: str = "evidence bundle", now: Optional[float] = None) -> HostEvidence:
    """The host evidence under ``root`` (a bundle or an SFTP mirror with the host's layout)."""
    problems: list[Problem] = []

    def read(path: Path) -> Optional[str]:
        """A file of the bundle; one that is there but cannot be read as a regular file is a gap, never
        taken for "not captured" (its controls would judge from what is missing)."""
        rel = str(PurePosixPath(os.path.relpath(path, root)))
        if os.path.lexists(path) and _outside(path, root):
            problems.append(Problem(rel, 0, "symbolic link leads outside the evidence bundle; not read", False))
            return None
        data = _read_bytes(path, hx.MAX_TEXT + 1)
        if data is None:
            if os.path.lexists(path):
                problems.append(Problem(rel, 0, "present but not a readable regular file (a FIFO, socket, device, "
                                                "or no permission); not read", False))
            return None
        # The readers stop at these bounds; what lies past them (the newest backups of a long listing, a
        # cron job's last words) was not read, so the controls relying on it must not judge as if it were.
        if len(data) > hx.MAX_TEXT:
            problems.append(Problem(rel, 0, f"larger than {hx.MAX_TEXT // (1024 * 1024)} MiB; the rest is not read",
                                    False))
            data = data[:hx.MAX_TEXT]
        text = data.decode("utf-8", "replace")
        split = lines(text)
        if len(split) > hx.MAX_LINES:
            problems.append(Problem(rel, hx.MAX_LINES, f"more than {hx.MAX_LINES} lines; the rest is not read", False))
        long_line = 0 if path.suffix == ".json" else next(  # JSON is decoded whole, not by lines
            (n for n, ln in enumerate(split[:hx.MAX_LINES], 1) if len(ln) > hx.MAX_LINE), 0)
        if long_line:
            problems.append(Problem(rel, long_line, f"a line longer than {hx.MAX_LINE} characters; its end is not "
                                                    "read", False))
        return text

    captured = read(root / "captured-at")
    stamp = hx.number(captured.strip()) if captured else None
    at = stamp if stamp is not None else int(time.time() if now is None else now)
    if captured is not None and stamp is None:
        problems.append(Problem("captured-at", 1, "not an epoch time (date +%s); ages counted to the scan time", False))
    ev = HostEvidence(origin=origin, captured_at=at)

    mounts_text = read(root / "proc" / "mounts")
    if mounts_text is not None:
        mounts = hx.parse_mounts(mounts_text, "proc/mounts", problems)
        blocks = _blocks(root) if (root / "sys" / "class" / "block").is_dir() else None
        lsblk_text = read(root / "lsblk.json")
        nodes = hx.parse_lsblk(lsblk_text, "lsblk.json", problems) if lsblk_text is not None else None
        crypttab_text = read(root / "etc" / "crypttab")
        crypttab = hx.parse_crypttab(crypttab_text) if crypttab_text is not None else None
        zfs_text = read(root / "zfs-encryption.txt")
        zfs = hx.parse_zfs_encryption(zfs_text, "zfs-encryption.txt", problems) if zfs_text is not None else None
        ev.mounts = [_judge_mount(m, blocks, nodes, crypttab, zfs) for m in mounts]

    if any((root / f).exists() for f in SCHEDULER_FILES):
        jobs: list[hx.Job] = []
        for rel, system in (("crontab.txt", False), ("etc/crontab", True)):
            text = read(root / rel)
            if text is not None:
                jobs += hx.parse_crontab(text, rel, system)
        for d, system in (("etc/cron.d", True), ("var/spool/cron/crontabs", False), ("var/spool/cron", False)):
            for f in _entries(root / d):
                text = read(f) if not f.is_dir() else None
                if text is not None:
                    jobs += hx.parse_crontab(text, f"{d}/{f.name}", system)
        units = root / "etc" / "systemd" / "system"
        for timer in _entries(units):
            if timer.suffix != ".timer":
                continue
            text = read(timer) or ""
            unit = next((ln.split("=", 1)[1].strip() for ln in text.splitlines()[:200]
                         if ln.strip().startswith("Unit=")), timer.stem + ".service")
            for base in (units, root / "lib" / "systemd" / "system", root / "usr" / "lib" / "systemd" / "system"):
                service = read(base / unit) if "/" not in unit else None
                if service is not None:
                    rel = os.path.relpath(base / unit, root)
                    jobs += hx.parse_systemd_service(service, rel)
                    break
        ev.jobs = [BackupJob(kind=j.kind, where=j.where, tool=j.tool, paths=j.paths, remote=j.remote) for j in jobs]

    fw = read(root / "fwconsole-backup-list.txt")
    if fw is not None:
        ev.freepbx_jobs = hx.parse_fwconsole_list(fw)

    listing = read(root / "backup-files.txt")
    if listing is not None:
        ev.backup_files = [BackupFile(path=p, mtime=t, size=s)
                           for p, t, s in hx.parse_stat_lines(listing, "backup-files.txt", problems)]
    relays: Optional[list[MailRelay]] = None
    for rel, reader in mx.READERS.items():
        text = read(root / rel)
        if text is not None:
            relays = (relays or []) + [MailRelay(program=r.program, host=r.host, file=r.file, line=r.line,
                                                 undecidable=r.undecidable) for r in reader(text, rel, problems)]
    ev.mail_relays = relays
    before = len(problems)
    odbc_text = read(root / ODBC_INI)
    if odbc_text is not None:
        sections, refused = hx.parse_odbc_ini(odbc_text, ODBC_INI, problems)
        partial = any(not p.note for p in problems[before:])  # too large, too many lines: the rest is unread
        ev.odbc = OdbcIni(file=ODBC_INI, refused=refused, partial=partial, dsns=[
            OdbcDsn(name=d.name, line=d.line, keys={k: v for k, (v, _) in d.keys.items()},
                    lines={k: n for k, (_, n) in d.keys.items()}) for d in sections])
    ev.problems = [ParseProblem.of(p) for p in problems[:200]]
    ev.files = sorted({str(PurePosixPath(os.path.relpath(f, root))) for f in _evidence_files(root)})[:MAX_ENTRIES]
    return ev


def _evidence_files(root: Path) -> list[Path]:
    """The evidence files present (for the report's list of what was read), bounded."""
    out = [root / m for m in (*MARKERS, "etc/crypttab", "etc/crontab", "zfs-encryption.txt",
                              "fwconsole-backup-list.txt", *mx.READERS, ODBC_INI) if (root / m).is_file()]
    for d in ("etc/cron.d", "var/spool/cron/crontabs", "etc/systemd/system"):
        out += [f for f in _entries(root / d) if f.is_file()]
    return out


MAX_SCRIPT_READ = 256 * 1024 + 1  # one byte past the script reader's limit, so it can say "too large"


def program_path(command: str) -> str:
    """The absolute path of the program a shell command line runs (its first word, cut at shell
    metacharacters), or "" when it names none. Linear; no value is kept beyond the path."""
    words = command[:4096].split()
    path = words[0] if words else ""
    for sep in (";", "|", "&", "<", ">", "`", "$("):
        path = path.split(sep, 1)[0]
    return path if path.startswith("/") and ".." not in path.split("/") and len(path) <= 4096 else ""


def read_program_scripts(root: Path, paths: list[str]) -> list[ProgramScript]:
    """What each program's file under the evidence root names (speech services, URL hosts): read as text,
    bounded, regular files only; a program the evidence does not hold says so."""
    from voxaudit.records.transcription import script_targets
    out = []
    for path in dict.fromkeys(paths):
        rel = path.lstrip("/")
        data = None if _outside(root / rel, root) else _read_bytes(root / rel)
        if data is None:
            out.append(ProgramScript(path=path, problem=f"the evidence holds no file {path}"))
            continue
        got = script_targets(data)
        out.append(ProgramScript(path=path, services=list(got.services), hosts=list(got.hosts), problem=got.problem))
    return out


def _read_bytes(path: Path, limit: int = MAX_SCRIPT_READ) -> Optional[bytes]:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        import stat
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return os.read(fd, limit)
    except OSError:
        return None
    finally:
        os.close(fd)
