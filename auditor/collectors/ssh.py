"""SSH collector (paramiko): a read-only SFTP mirror of a device's configuration tree.

The remote tree is copied into a private temporary directory and handed to the very same
offline builder that audits a copied tree, so live and offline audits of the same files yield
identical facts. Voicemail and recording spools are mirrored as *empty sparse placeholders*
with the remote size and modification time: counts, sizes and ages survive, content (audio,
envelopes with caller IDs) never crosses the wire. Nothing is ever written on the device.

Host keys are verified against a known_hosts file; an unknown key is refused unless the user
chose trust-on-first-use for that target, in which case it is recorded in that file.
"""
from __future__ import annotations

import os
import shutil
import socket
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, Optional

from voxaudit.collectors.offline import CollectionError
from voxaudit.credentials import CredentialError, Secret, key_path, resolve
from voxaudit.extras import require_for_target
from voxaudit.targets import SshSource

MAX_FILES = 20_000        # per target, config and spool entries together
MAX_DIRS = 20_000         # directories walked per target: a server listing "." or a loop never ends otherwise
MAX_DEPTH = 64            # directory levels below a collected path (a real tree has a handful)
MAX_PLACEHOLDER_BYTES = 1 << 40  # a spool file's size as the server states it; beyond 1 TiB it is no audio


def _safe_name(name: object) -> str:
    """A file name as an SFTP server listed it, if it names one entry of that directory. A hostile or
    broken server can list ``..``, ``../../home/x``, ``/etc/x`` or a name with NUL: joined to the
    local mirror such a name would write outside it (or walk a directory for ever). Refused: the
    server is not giving a true listing, so nothing it mirrors can be trusted."""
    if not isinstance(name, str) or name in {"", ".", ".."} or "/" in name or "\x00" in name:
        raise CollectionError("parse", "the SFTP server listed a file name that is not one entry of its directory "
                                       "(empty, '.', '..', with '/' or NUL); the mirror is refused")
    return name
MAX_CONFIG_BYTES = 64 * 1024 * 1024
MAX_FILE_BYTES = 16 * 1024 * 1024


class _Mirror:
    def __init__(self, sftp, local: Path, progress: Optional[Callable[[str], None]]) -> None:
        self.sftp, self.local, self.progress = sftp, local, progress
        self.files = 0
        self.dirs = 0
        self.bytes = 0

    def _count(self) -> None:
        self.files += 1
        if self.files > MAX_FILES:
            raise CollectionError("parse", f"more than {MAX_FILES} files under the collected paths; narrow them")

    def walk(self, remote: str):
        """(remote path, attrs) of regular files below ``remote``; symlinked files followed, not dirs."""
        stack = [(remote, 0)]
        while stack:
            cur, depth = stack.pop()
            self.dirs += 1
            if self.dirs > MAX_DIRS or depth > MAX_DEPTH:
                raise CollectionError("parse", f"more than {MAX_DIRS} directories, or {MAX_DEPTH} levels, under the "
                                               "collected paths; narrow them")
            entries = self.sftp.listdir_attr(cur)
            for entry in sorted(entries, key=lambda e: _safe_name(e.filename)):
                path = str(PurePosixPath(cur) / entry.filename)
                mode = entry.st_mode or 0
                if stat.S_ISLNK(mode):
                    try:
                        entry = self.sftp.stat(path)
                        mode = entry.st_mode or 0
                    except OSError:
                        continue
                    if stat.S_ISDIR(mode):
                        continue  # never follow directory links out of the tree
                if stat.S_ISDIR(mode):
                    stack.append((path, depth + 1))
                elif stat.S_ISREG(mode):
                    self._count()
                    yield path, entry

    def copy_tree(self, remote: str, into: Path) -> None:
        for path, attrs in self.walk(remote):
            rel = PurePosixPath(path).relative_to(remote)
            target = into / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            size = attrs.st_size or 0
            if size > MAX_FILE_BYTES:
                target.write_bytes(b"")  # too big to be a config file; the parser reports it empty
                continue
            self.bytes += size
            if self.bytes > MAX_CONFIG_BYTES:
                raise CollectionError("parse", f"configuration under {remote} exceeds {MAX_CONFIG_BYTES >> 20} MiB")
            with self.sftp.open(path, "rb") as fh:
                target.write_bytes(fh.read(MAX_FILE_BYTES))
            os.utime(target, (attrs.st_atime or 0, attrs.st_mtime or 0))

    def placeholder_tree(self, remote: str, into: Path) -> None:
        """Same names, sizes and mtimes; no content read (sparse files take no disk)."""
        for path, attrs in self.walk(remote):
            target = into / PurePosixPath(path).relative_to(remote)
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as fh:
                fh.truncate(min(max(attrs.st_size or 0, 0), MAX_PLACEHOLDER_BYTES))
            os.utime(target, (attrs.st_atime or 0, attrs.st_mtime or 0))

    def copy_file(self, remote: str, target: Path) -> bool:
        try:
            attrs = self.sftp.stat(remote)
        except OSError:
            return False
        if not stat.S_ISREG(attrs.st_mode or 0):  # a device or FIFO on the host: never read; as if absent,
            return False                          # so what depends on it is "not collected" (ERROR), not empty
        self._count()
        target.parent.mkdir(parents=True, exist_ok=True)
        with self.sftp.open(remote, "rb") as fh:
            target.write_bytes(fh.read(MAX_FILE_BYTES))
        os.utime(target, (attrs.st_atime or 0, attrs.st_mtime or 0))
        return True


EVIDENCE_FILES = ("proc/mounts", "etc/crypttab", "etc/crontab", "etc/postfix/main.cf", "etc/exim4/update-exim4.conf.conf",
                  "etc/msmtprc", "etc/ssmtp/ssmtp.conf",  # mail relays: host names only are kept
                  "etc/odbc.ini")  # the ODBC DSNs call records go to: server and port only are kept
EVIDENCE_DIRS = ("etc/cron.d", "var/spool/cron/crontabs", "var/spool/cron")
MAX_EVIDENCE_BYTES = 1024 * 1024  # any one evidence file
MAX_BACKUP_FILES = 5000


def _voicemail_programs(config: Path) -> list[str]:
    """The programs the mirrored voicemail.conf runs (``mailcmd``, ``externnotify``), read as Asterisk reads
    the file: a transcription wrapper's script names the speech service voicemail is sent to (BAA-101)."""
    if not (config / "voicemail.conf").is_file():
        return []
    from voxaudit.facts.host import program_path
    from voxaudit.parsers.asterisk_conf import parse_config

    general = parse_config(config, "voicemail.conf").section("general")
    if general is None:
        return []
    return [p for p in (program_path(general.get(k) or "") for k in ("mailcmd", "externnotify")) if p]


def _host_evidence(m: _Mirror, spec: SshSource, into: Path, config: Optional[Path] = None) -> None:
    """Host evidence as plain files, read over SFTP (never a command run on the host): mounts,
    crypttab, device-mapper names/uuids and slaves, crontabs, systemd timers and their services,
    and stat (path, mtime, size) of backup files. Unreadable parts are left out: the controls then
    say what was not collected."""
    sftp = m.sftp
    base = PurePosixPath(spec.evidence_root)

    def fetch(rel: str) -> None:
        if ".." in PurePosixPath(rel).parts:  # never written outside the evidence folder
            return
        remote = str(base / rel)
        try:
            attrs = sftp.stat(remote)
            if not stat.S_ISREG(attrs.st_mode or 0):
                return
            m._count()
            with sftp.open(remote, "rb") as fh:
                data = fh.read(MAX_EVIDENCE_BYTES)
        except OSError:
            return
        target = into / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    def names(rel: str) -> list[str]:
        try:
            return sorted(_safe_name(n) for n in sftp.listdir(str(base / rel)))[:1000]
        except OSError:
            return []

    into.mkdir(parents=True, exist_ok=True)
    (into / ".voxaudit-sftp").write_text("host evidence read over SFTP\n")
    (into / "captured-at").write_text(f"{int(time.time())}\n")
    for rel in EVIDENCE_FILES:
        fetch(rel)
    for program in _voicemail_programs(config) if config is not None else []:
        fetch(program.lstrip("/"))  # read as text later, bounded; a binary or a missing one is said then
    for d in EVIDENCE_DIRS:
        for n in names(d):
            fetch(f"{d}/{n}")
    for dev in names("sys/class/block"):
        fetch(f"sys/class/block/{dev}/dm/name")
        fetch(f"sys/class/block/{dev}/dm/uuid")
        for slave in names(f"sys/class/block/{dev}/slaves"):
            (into / "sys/class/block" / dev / "slaves").mkdir(parents=True, exist_ok=True)
            (into / "sys/class/block" / dev / "slaves" / slave).write_bytes(b"")
        (into / "sys/class/block" / dev).mkdir(parents=True, exist_ok=True)
    for n in names("etc/systemd/system"):
        if n.endswith(".timer"):
            fetch(f"etc/systemd/system/{n}")
            fetch(f"etc/systemd/system/{n[:-6]}.service")
    dirs = list(spec.backup_dirs)
    if spec.spool_dir and spec.spool_dir.startswith(str(base)):
        dirs.append("/" + str(PurePosixPath(spec.spool_dir).relative_to(base) / "backup"))
    lines: list[str] = []
    collected = False
    for d in dirs:
        remote = str(base / d.lstrip("/"))
        try:
            for path, attrs in m.walk(remote):
                collected = True
                if len(lines) >= MAX_BACKUP_FILES:
                    break  # enough to tell the newest; the walk stops here
                host_path = "/" + str(PurePosixPath(path).relative_to(base))
                if "\n" not in host_path:
                    lines.append(f"{host_path} {int(attrs.st_mtime or 0)} {int(attrs.st_size or 0)}")
        except OSError:
            continue
        collected = True
    if collected:
        (into / "backup-files.txt").write_text("".join(f"{ln}\n" for ln in lines))


def _connect(spec: SshSource):
    require_for_target("an SSH target", "paramiko")
    import paramiko

    client = paramiko.SSHClient()
    known_hosts = Path(spec.known_hosts) if spec.known_hosts else None
    if known_hosts is not None and known_hosts.exists():
        client.load_host_keys(str(known_hosts))
    elif known_hosts is None:
        client.load_system_host_keys()
    if spec.trust_on_first_use:
        if known_hosts is None:
            raise CollectionError("auth", "trust_on_first_use needs a known_hosts file to record the key in")
        known_hosts.parent.mkdir(parents=True, exist_ok=True)
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # trust_on_first_use: the user's choice
    else:
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
    password: Optional[Secret] = None
    key_file: Optional[Path] = None
    try:
        if spec.password:
            password = resolve(spec.password, spec.base)
        if spec.key:
            key_file = key_path(spec.key, spec.base)
            if key_file is None:
                raise CredentialError(f"{spec.key}: a private key must be a file: reference")
            if not key_file.is_file():
                raise CredentialError(f"{spec.key}: no such key file")
    except CredentialError as exc:
        raise CollectionError("auth", str(exc)) from None
    try:
        client.connect(spec.address, port=spec.port, username=spec.username,
                       password=password.reveal() if password else None,
                       key_filename=str(key_file) if key_file else None,
                       timeout=spec.timeout, banner_timeout=spec.timeout, auth_timeout=spec.timeout,
                       allow_agent=False, look_for_keys=False)
    except paramiko.BadHostKeyException:
        client.close()
        raise CollectionError("auth", f"{spec.display}: host key does NOT match known_hosts (possible "
                                      "man-in-the-middle); not connecting") from None
    except paramiko.SSHException as exc:
        client.close()
        text = str(exc)
        if "not found in known_hosts" in text:
            raise CollectionError("auth", f"{spec.display}: host key unknown; add it to known_hosts "
                                          "(ssh-keyscan) or set trust_on_first_use for this target") from None
        if isinstance(exc, paramiko.AuthenticationException):
            raise CollectionError("auth", f"{spec.display}: authentication failed for user {spec.username}") from None
        raise CollectionError("connectivity", f"{spec.display}: SSH error ({exc.__class__.__name__})") from None
    except socket.timeout:
        client.close()
        raise CollectionError("timeout", f"{spec.display}: no answer within {spec.timeout:g} s") from None
    except OSError as exc:
        client.close()
        raise CollectionError("connectivity", f"{spec.display}: {exc.strerror or exc.__class__.__name__}") from None
    if spec.trust_on_first_use and known_hosts is not None:
        client.save_host_keys(str(known_hosts))
    return client


@dataclass
class Mirrored:
    root: Path                # the temporary directory; caller removes it
    config_dir: Path
    spool_dir: Optional[Path]
    logrotate: list[Path]
    stats: dict
    evidence: Optional[Path] = None  # host evidence, laid out under the host's root (host_evidence: true)


def mirror(spec: SshSource, progress: Optional[Callable[[str], None]] = None) -> Mirrored:
    started = time.perf_counter()
    client = _connect(spec)
    root = Path(tempfile.mkdtemp(prefix="voxaudit-ssh-"))
    os.chmod(root, 0o700)
    ok = False
    try:
        sftp = client.open_sftp()
        sftp.get_channel().settimeout(spec.timeout)
        m = _Mirror(sftp, root, progress)
        # The mirror keeps the remote absolute layout under root/fs, so it is a snapshot of the
        # device's filesystem and facts name files exactly as an offline copy of it would.
        fs = root / "fs"

        def local(remote: str) -> Path:
            # relative remote paths are relative to the login directory; ".." would leave the mirror
            if ".." in PurePosixPath(remote).parts or "\x00" in remote:
                raise CollectionError("parse", f"{spec.display}: a remote path with '..' or NUL is not mirrored")
            return fs / PurePosixPath(remote).relative_to("/") if remote.startswith("/") else fs / "home" / remote

        config = local(spec.config_dir)
        if progress:
            progress(f"{spec.config_dir} over SFTP")
        try:
            m.copy_tree(spec.config_dir, config)
        except FileNotFoundError:
            raise CollectionError("connectivity", f"{spec.display}: {spec.config_dir} does not exist on the host") from None
        spool = None
        if spec.spool_dir:
            if progress:
                progress(f"{spec.spool_dir} sizes and ages")
            spool = local(spec.spool_dir)
            try:
                m.placeholder_tree(spec.spool_dir, spool)
            except FileNotFoundError:
                spool = None
        logrotate = []
        for remote in spec.logrotate:
            target = local(remote)
            if m.copy_file(remote, target):
                logrotate.append(target)
        evidence = None
        if spec.host_evidence:
            if progress:
                progress("host evidence (mounts, dm-crypt, cron, backup ages)")
            evidence = local(spec.evidence_root)
            _host_evidence(m, spec, evidence, config)
        ok = True
        return Mirrored(root, config, spool, logrotate,
                        {"files": m.files, "bytes": m.bytes, "seconds": round(time.perf_counter() - started, 3)},
                        evidence)
    except socket.timeout:
        raise CollectionError("timeout", f"{spec.display}: SFTP stopped answering (>{spec.timeout:g} s)") from None
    except CollectionError:
        raise
    except OSError as exc:
        raise CollectionError("connectivity", f"{spec.display}: SFTP failed: {exc.strerror or exc.__class__.__name__}") from None
    finally:
        client.close()
        if not ok:
            shutil.rmtree(root, ignore_errors=True)
