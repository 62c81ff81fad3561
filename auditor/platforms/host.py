"""Host evidence as records, for every PBX platform: each adapter names its PHI locations (voicemail,
recordings, backups, logs) and what its configuration is; the judging of storage under a path,
of backup jobs and of backup files is the same everywhere (no I/O here)."""
from __future__ import annotations

from pathlib import PurePosixPath
from typing import Iterator, Optional, Sequence

from voxaudit.facts.host import BackupFile, HostEvidence, OdbcDsn
from voxaudit.model import SourceRef
from voxaudit.records.recipients import PhiRecipient, is_local, is_private, normal_host
from voxaudit.records.storage import BackupCoverage, BackupFreshness, BackupStorage, PhiStorage

NO_EVIDENCE = ("no host evidence: run the scan over SSH with host_evidence: true, or capture an evidence bundle "
               "(docs/evidence.md) and pass --evidence DIR")
NO_MOUNTS = "the evidence has no proc/mounts (capture: cat /proc/mounts > DIR/proc/mounts)"
NO_JOBS = ("the evidence has no scheduler files (capture: crontab -l, /etc/crontab, /etc/cron.d/*, "
           "/var/spool/cron/crontabs/*, /etc/systemd/system/*.timer and their services)")
NO_FILES = ("the evidence has no backup file listing (capture: find BACKUPDIR -type f -exec stat -c '%n %Y %s' {} + "
            "> DIR/backup-files.txt)")


def _under(path: str, roots: Sequence[str]) -> bool:
    p = PurePosixPath(path)
    return any(p == PurePosixPath(r) or PurePosixPath(r) in p.parents for r in roots)


def _covers(job_paths: Sequence[str], roots: Sequence[str]) -> bool:
    """Does a job naming ``job_paths`` copy something under (or containing) one of ``roots``?"""
    for jp in job_paths:
        p = PurePosixPath(jp)
        for r in roots:
            rp = PurePosixPath(r)
            if p == rp or rp in p.parents or p in rp.parents and len(p.parts) > 1:
                return True
    return False


def phi_storage(host: Optional[HostEvidence], locations: Sequence[tuple[str, str]]) -> Iterator[PhiStorage]:
    """One record per PHI location (name, absolute path) with the storage the evidence shows under it."""
    for name, path in locations:
        subject = f"{name} ({path})"
        if host is None or host.mounts is None:
            yield PhiStorage(subject=subject, location=name, path=path, undecidable=NO_EVIDENCE if host is None
                             else NO_MOUNTS)
            continue
        m = host.mount_of(path)
        if m is None:
            yield PhiStorage(subject=subject, location=name, path=path,
                             undecidable="no mount in proc/mounts holds this path (not even /)")
            continue
        yield PhiStorage(subject=subject, location=name, path=path, mountpoint=m.mountpoint, device=m.device,
                         fstype=m.fstype, encryption=m.encryption, how=m.how,
                         undecidable="" if m.encryption else
                         f"{path} is on {m.mountpoint} ({m.fstype} from {m.device}): {m.how}")


def _backup_jobs(host: HostEvidence) -> list[tuple[str, list[str], list[str], bool]]:
    """(where, paths, remote hosts, FreePBX job) of every backup-looking job."""
    return [(j.where, list(j.paths), list(j.remote), j.kind == "freepbx") for j in host.jobs or []]


def backup_coverage(host: Optional[HostEvidence], voicemail: Sequence[str], config: Sequence[str],
                    subject: str) -> Iterator[BackupCoverage]:
    if host is None or host.jobs is None:
        yield BackupCoverage(subject=subject, voicemail=False, config=False,
                             undecidable=NO_EVIDENCE if host is None else NO_JOBS)
        return
    jobs = _backup_jobs(host)
    vm = any(fp or _covers(paths, voicemail) for _, paths, _, fp in jobs)
    cf = any(fp or _covers(paths, config) for _, paths, _, fp in jobs)
    unresolved = tuple(w for w, paths, remote, fp in jobs if not fp and not _covers(paths, [*voicemail, *config]))
    yield BackupCoverage(subject=subject, voicemail=vm, config=cf, jobs=tuple(w for w, *_ in jobs),
                         unresolved=unresolved)


def _backup_files(host: HostEvidence, dirs: Sequence[str]) -> list[BackupFile]:
    return [f for f in host.backup_files or [] if not dirs or _under(f.path, dirs)]


def destinations(host: HostEvidence, sources: Sequence[str], default_dirs: Sequence[str]) -> tuple[list[str], list[str]]:
    """(local directories, remote hosts) backups are written to: the paths backup jobs name that are not
    what they copy, the platform's own backup folders, and the folders of listed backup files."""
    local: list[str] = []
    remote: list[str] = []
    for _where, paths, hosts, _fp in _backup_jobs(host):
        for p in paths:
            if not _covers([p], sources) and not _under(p, ("/usr", "/bin", "/sbin", "/dev", "/proc")) \
                    and p not in local:
                local.append(p)
        remote += [h for h in hosts if h not in remote]
    for d in default_dirs:
        if d not in local and any(_under(f.path, [d]) for f in host.backup_files or []):
            local.append(d)
    for f in host.backup_files or []:
        parent = str(PurePosixPath(f.path).parent)
        if not _under(f.path, local) and parent not in local:
            local.append(parent)
    return local[:32], remote[:32]


def backup_freshness(host: Optional[HostEvidence], subject: str) -> Iterator[BackupFreshness]:
    if host is None or host.backup_files is None:
        yield BackupFreshness(subject=subject, files=0, undecidable=NO_EVIDENCE if host is None else NO_FILES)
        return
    files = host.backup_files
    # A file dated after the capture (beyond a day of clock skew) has no age: counted, it would make a
    # stale backup set look fresh (a restored file with a bogus mtime, or a hostile listing).
    dated = [f.mtime for f in files if f.mtime <= host.captured_at + 86400]
    if files and not dated:
        yield BackupFreshness(subject=subject, files=len(files),
                              undecidable="every backup file is dated after the evidence was captured")
        return
    newest = max(dated, default=None)
    age = None if newest is None else max(int((host.captured_at - newest) // 86400), 0)
    yield BackupFreshness(subject=subject, files=len(files), newest_age_days=age)


def backup_storage(host: Optional[HostEvidence], sources: Sequence[str],
                   default_dirs: Sequence[str]) -> Iterator[BackupStorage]:
    if host is None or (host.jobs is None and host.backup_files is None):
        yield BackupStorage(subject="backups", destination="(unknown)",
                            undecidable=NO_EVIDENCE if host is None else f"{NO_JOBS}; {NO_FILES}")
        return
    local, remote = destinations(host, sources, default_dirs)
    if not local and not remote:
        yield BackupStorage(subject="backups", destination="(unknown)",
                            undecidable="no backup destination found: no job names one and no backup file is listed")
        return
    for h in remote:
        yield BackupStorage(subject=f"backups to {h}", destination=h, remote=True,
                            undecidable=f"off-site backups to {h}: its encryption at rest is not visible from this "
                                        "host; verify it with the provider (and its BAA)")
    for d in local:
        rec = next(phi_storage(host, [("backups", d)]))
        yield BackupStorage(subject=f"backups in {d}", destination=d, encryption=rec.encryption, how=rec.how,
                            undecidable=rec.undecidable)


RELAY_ROLE = "voicemail email relay"


def relay_recipients(host: Optional[HostEvidence], handed_to: str, how: str) -> Optional[list[PhiRecipient]]:
    """The relays a PBX's voicemail email leaves through, from the host's mail transfer agent
    configuration; None when the evidence holds none (the caller then says what to capture).
    A relay of "" (direct delivery) adds no party: the recipient domains are the parties."""
    if host is None or host.mail_relays is None:
        return None
    out: dict[str, PhiRecipient] = {}
    for r in host.mail_relays:
        src = SourceRef(file=r.file, line=r.line)
        if r.undecidable:
            key = f"{r.file}:{r.line}"
            out.setdefault(key, PhiRecipient(subject=f"{RELAY_ROLE} ({r.program})", source=src, role=RELAY_ROLE,
                                             how=f"{r.file} ({r.program})", undecidable=r.undecidable))
            continue
        name = normal_host(r.host)
        if not name or is_local(name) or name in out:
            continue
        out[name] = PhiRecipient(subject=f"{name} ({RELAY_ROLE})", source=src, role=RELAY_ROLE, host=name,
                                 how=f"{how} hands it to {handed_to}; {r.program} relays it ({r.file})",
                                 private=is_private(name))
    return list(out.values())


ODBC_HOST_KEYS = ("server", "servername", "host")


def odbc_dsn_server(dsn: OdbcDsn) -> tuple[str, str, str]:
    """(host, key that names it, why not known) of one odbc.ini data source, as its driver reads the keys:
    MySQL/MariaDB Connector/ODBC ``SERVER`` (default localhost: the local socket; a ``Servername`` or ``Host``
    there, which the Asterisk guide's MariaDB example writes, is taken too: a party is never dropped), psqlODBC ``Servername``
    (or ``Server``), FreeTDS ``Server`` (its ``Servername`` names a freetds.conf entry instead), SQLite a
    local file; any other driver: the first of Server, Servername, Host."""
    keys = dsn.keys
    driver = keys.get("driver", "").lower()
    if "sqlite" in driver:
        return "localhost", "database", ""
    if any(m in driver for m in ("mysql", "maria", "myodbc")):
        key = next((k for k in ODBC_HOST_KEYS if keys.get(k)), "")  # SERVER; the others only ever widen the list
        return (keys[key] if key else "localhost"), key, ""
    if "tds" in driver:
        if keys.get("server"):
            return keys["server"], "server", ""
        if keys.get("servername"):
            return "", "", ("FreeTDS's Servername names an entry of freetds.conf, whose host this scan did not read; "
                            "capture /etc/freetds/freetds.conf or list that server in the register")
    order = ("servername", "server") if any(m in driver for m in ("psql", "postgres", "pgsql")) else ODBC_HOST_KEYS
    for key in order:
        if keys.get(key):
            return keys[key], key, ""
    return "", "", (f"odbc.ini [{dsn.name}] names no Server, Servername or Host"
                    + ("" if driver else " and no Driver") + ": where this driver connects is not known")
