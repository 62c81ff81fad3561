"""ENC-REST-101 and BAK-PHI-101..103 on realistic host evidence bundles built here: a Debian install
with LVM on LUKS (the installer's "guided - use entire disk and set up encrypted LVM"), a ZFS pool with
native encryption, a plain ext4 spool, and no bundle at all (ERROR, never PASS)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from tests.conftest import EXAMPLE
from voxaudit.check import CheckContext
from voxaudit.collectors.offline import CollectionError, collect_asterisk_tree
from voxaudit.model import ErrorKind, Status
from voxaudit.parsers import host_evidence as hx

FAIL, PASS, ERROR = Status.FAIL, Status.PASS, Status.ERROR
NOW = 1_763_900_000  # the bundles' captured-at
DAY = 86400

# /proc/mounts of Debian 12 installed with encrypted LVM: / is an LV inside the LUKS mapping sda5_crypt.
DEBIAN_LUKS_MOUNTS = """\
sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
udev /dev devtmpfs rw,nosuid,relatime,size=1988916k,nr_inodes=497229,mode=755,inode64 0 0
devpts /dev/pts devpts rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=000 0 0
tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,size=401476k,mode=755,inode64 0 0
/dev/mapper/debian--vg-root / ext4 rw,relatime,errors=remount-ro 0 0
securityfs /sys/kernel/security securityfs rw,nosuid,nodev,noexec,relatime 0 0
tmpfs /dev/shm tmpfs rw,nosuid,nodev,inode64 0 0
cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot 0 0
/dev/sda1 /boot ext2 rw,relatime 0 0
/dev/sdb1 /srv/backup\\040disk ext4 rw,relatime 0 0
"""
# lsblk -o NAME,TYPE,FSTYPE,MOUNTPOINT,UUID -J on the same machine (util-linux 2.38).
DEBIAN_LUKS_LSBLK = {"blockdevices": [
    {"name": "sda", "type": "disk", "fstype": None, "mountpoint": None, "uuid": None, "children": [
        {"name": "sda1", "type": "part", "fstype": "ext2", "mountpoint": "/boot",
         "uuid": "0b7a7d1c-7c1e-4f8e-9a53-0d7f5b4c1a11"},
        {"name": "sda2", "type": "part", "fstype": None, "mountpoint": None, "uuid": None},
        {"name": "sda5", "type": "part", "fstype": "crypto_LUKS", "mountpoint": None,
         "uuid": "5f0c2f0e-8f41-4c43-9d2b-1f4f3e7c6b90", "children": [
             {"name": "sda5_crypt", "type": "crypt", "fstype": "LVM2_member", "mountpoint": None,
              "uuid": "Qm3kqv-2Yx1-9hVc-Xr2b-0z6P-LkJm-3tQyQe", "children": [
                  {"name": "debian--vg-root", "type": "lvm", "fstype": "ext4", "mountpoint": "/",
                   "uuid": "d3c9a1f0-2b7e-4d55-8a61-3e0f7c2b9d44"},
                  {"name": "debian--vg-swap_1", "type": "lvm", "fstype": "swap", "mountpoint": "[SWAP]",
                   "uuid": "a1b2c3d4-0000-4111-8222-333344445555"}]}]}]},
    {"name": "sdb", "type": "disk", "fstype": None, "mountpoint": None, "uuid": None, "children": [
        {"name": "sdb1", "type": "part", "fstype": "ext4", "mountpoint": "/srv/backup disk",
         "uuid": "77e0c7a2-55b1-4f0b-9f3e-6a2d1c0b9e88"}]}]}
# /sys/class/block/dm-*/dm/{name,uuid} and slaves/ of the same machine.
DEBIAN_LUKS_SYS = {
    "dm-0": ("sda5_crypt", "CRYPT-LUKS2-5f0c2f0e8f414c439d2b1f4f3e7c6b90-sda5_crypt", ["sda5"]),
    "dm-1": ("debian--vg-root", "LVM-8cK2pXb1m0QwZr7TyUe3Vn5sLd9hFa2Gk4Jm6Pq1Rs8Tt0Uv2Wx4Yz6Ab8Cd0Ef", ["dm-0"]),
    "dm-2": ("debian--vg-swap_1", "LVM-8cK2pXb1m0QwZr7TyUe3Vn5sLd9hFa2GqWm2Lk8Jh4Gf6Ds0Az3Xc5Vb7Nm9Qp", ["dm-0"]),
    "sda": ("", "", []), "sda1": ("", "", []), "sda5": ("", "", []), "sdb": ("", "", []), "sdb1": ("", "", []),
}
CANARY = "Canary-Pa55w0rd-9d7f"
ROOT_CRONTAB = f"""\
# m h  dom mon dow   command
MAILTO=root
30 2 * * * tar czf /srv/backup\\ disk/pbx-$(date +\\%F).tgz /var/spool/asterisk /etc/asterisk
15 3 * * * mysqldump -u root -p{CANARY} asteriskcdrdb > /root/cdr.sql
"""


def write_bundle(root: Path, mounts: str = DEBIAN_LUKS_MOUNTS, sys_blocks: dict | None = DEBIAN_LUKS_SYS,
                 lsblk: dict | None = None, crontab: str | None = ROOT_CRONTAB,
                 backup_ages_days: tuple[int, ...] | None = (1, 2, 8), extra: dict[str, str] | None = None) -> Path:
    """An evidence bundle as docs/evidence.md has a clinic capture it."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "captured-at").write_text(f"{NOW}\n")
    (root / "proc").mkdir(exist_ok=True)
    (root / "proc" / "mounts").write_text(mounts)
    (root / "etc").mkdir(exist_ok=True)
    (root / "etc" / "crypttab").write_text("sda5_crypt UUID=5f0c2f0e-8f41-4c43-9d2b-1f4f3e7c6b90 none luks,discard\n")
    for dev, (name, uuid, slaves) in (sys_blocks or {}).items():
        d = root / "sys" / "class" / "block" / dev
        d.mkdir(parents=True, exist_ok=True)
        if uuid:
            (d / "dm").mkdir(exist_ok=True)
            (d / "dm" / "name").write_text(name + "\n")
            (d / "dm" / "uuid").write_text(uuid + "\n")
        for s in slaves:
            (d / "slaves").mkdir(exist_ok=True)
            (d / "slaves" / s).write_text("")
    if lsblk is not None:
        (root / "lsblk.json").write_text(json.dumps(lsblk, indent=3))
    if crontab is not None:
        (root / "crontab.txt").write_text(crontab)
    if backup_ages_days is not None:
        (root / "backup-files.txt").write_text("".join(
            f"/srv/backup disk/pbx-{i}.tgz {NOW - age * DAY - 60} {1048576 * (i + 1)}\n"
            for i, age in enumerate(backup_ages_days)))
    for rel, text in (extra or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def judge(registry, cid: str, facts) -> dict[str, tuple[Status, str, object]]:
    ctl = registry.get(cid)
    return {o.resource: (o.status, o.evidence, o.error_kind) for o in ctl(facts, CheckContext(ctl.defaults()))}


def asterisk(bundle: Path | None):
    return collect_asterisk_tree(EXAMPLE / "etc" / "asterisk", spool_dir=EXAMPLE / "var" / "spool" / "asterisk",
                                 evidence_dir=bundle, now=NOW)


# -- encryption at rest -------------------------------------------------------------------------

def test_lvm_on_luks_passes_through_the_device_stack(registry, tmp_path):
    facts = asterisk(write_bundle(tmp_path / "ev"))
    got = judge(registry, "ENC-REST-101", facts)
    assert set(got) == {"voicemail (/var/spool/asterisk/voicemail)", "recordings (/var/spool/asterisk/monitor)",
                        "logs (/var/log/asterisk)", "backups (/var/spool/asterisk/backup)"}  # a FreePBX tree
    for status, evidence, _ in got.values():
        assert status == PASS and "LUKS" in evidence and "dm-0" in evidence


def test_lsblk_alone_shows_the_luks_layer(registry, tmp_path):
    facts = asterisk(write_bundle(tmp_path / "ev", sys_blocks=None, lsblk=DEBIAN_LUKS_LSBLK))
    assert {s for s, *_ in judge(registry, "ENC-REST-101", facts).values()} == {PASS}


def test_plain_ext4_spool_fails(registry, tmp_path):
    mounts = ("/dev/sda2 / ext4 rw,relatime,errors=remount-ro 0 0\n"
              "/dev/sdb1 /var/spool/asterisk ext4 rw,relatime 0 0\n")
    facts = asterisk(write_bundle(tmp_path / "ev", mounts=mounts, sys_blocks={"sda": ("", "", [])}))
    got = judge(registry, "ENC-REST-101", facts)
    status, evidence, _ = got["voicemail (/var/spool/asterisk/voicemail)"]
    assert status == FAIL and "/var/spool/asterisk (ext4 from /dev/sdb1)" in evidence  # longest prefix wins
    assert got["logs (/var/log/asterisk)"][0] == FAIL
    assert registry.get("ENC-REST-101").meta.remediation["asterisk"].startswith("Move the spool")


def test_zfs_native_encryption(registry, tmp_path):
    mounts = ("rpool/ROOT/debian / zfs rw,relatime,xattr,posixacl,casesensitive 0 0\n"
              "rpool/pbx/spool /var/spool/asterisk zfs rw,relatime,xattr,posixacl,casesensitive 0 0\n")
    zfs = ("rpool\tencryption\toff\tdefault\nrpool/ROOT\tencryption\toff\tdefault\n"
           "rpool/ROOT/debian\tencryption\toff\tdefault\n"
           "rpool/pbx\tencryption\taes-256-gcm\t-\nrpool/pbx/spool\tencryption\taes-256-gcm\t-\n")
    facts = asterisk(write_bundle(tmp_path / "ev", mounts=mounts, sys_blocks=None,
                                  extra={"zfs-encryption.txt": zfs}))
    got = judge(registry, "ENC-REST-101", facts)
    assert got["voicemail (/var/spool/asterisk/voicemail)"][0] == PASS
    assert "aes-256-gcm" in got["voicemail (/var/spool/asterisk/voicemail)"][1]
    assert got["logs (/var/log/asterisk)"][0] == FAIL and "encryption=off" in got["logs (/var/log/asterisk)"][1]


def test_zfs_without_its_property_listing_is_unknown(registry, tmp_path):
    mounts = "rpool/ROOT/debian / zfs rw,relatime 0 0\n"
    facts = asterisk(write_bundle(tmp_path / "ev", mounts=mounts, sys_blocks=None))
    for status, evidence, kind in judge(registry, "ENC-REST-101", facts).values():
        assert status == ERROR and kind == ErrorKind.NOT_COLLECTED and "zfs get -H encryption" in evidence


def test_mapper_device_without_device_evidence_is_unknown_not_passed(registry, tmp_path):
    facts = asterisk(write_bundle(tmp_path / "ev", sys_blocks=None, extra={"etc/crypttab": ""}))
    got = judge(registry, "ENC-REST-101", facts)
    assert {s for s, *_ in got.values()} == {ERROR}
    assert "lsblk" in next(iter(got.values()))[1]


def test_dm_verity_is_not_encryption(registry, tmp_path):
    mounts = "/dev/mapper/vroot / ext4 ro 0 0\n"
    facts = asterisk(write_bundle(tmp_path / "ev", mounts=mounts,
                                  sys_blocks={"dm-0": ("vroot", "CRYPT-VERITY-0f1e2d3c4b5a69788796a5b4c3d2e1f0-vroot",
                                                       ["sda2"])}))
    assert {s for s, *_ in judge(registry, "ENC-REST-101", facts).values()} == {FAIL}


def test_no_bundle_is_error_not_collected_with_what_to_capture(registry, tmp_path):
    import shutil
    tree = tmp_path / "etc" / "asterisk"  # the example's configuration without its snapshot's evidence
    shutil.copytree(EXAMPLE / "etc" / "asterisk", tree)
    facts = collect_asterisk_tree(tree, now=NOW)
    assert facts.host is None
    for cid in ("ENC-REST-101", "BAK-PHI-101", "BAK-PHI-102", "BAK-PHI-103"):
        got = judge(registry, cid, facts)
        assert got and {s for s, *_ in got.values()} == {ERROR}, cid
        assert all(k == ErrorKind.NOT_COLLECTED and "--evidence" in e for _, e, k in got.values())


def test_a_missing_evidence_folder_is_a_collection_error(tmp_path):
    with pytest.raises(CollectionError):
        asterisk(tmp_path / "nope")


# -- contingency: backups -----------------------------------------------------------------------

def test_backups_scheduled_recent_and_on_an_unencrypted_disk(registry, tmp_path):
    facts = asterisk(write_bundle(tmp_path / "ev"))
    (status, evidence, _), = judge(registry, "BAK-PHI-101", facts).values()
    assert status == PASS and "crontab.txt:3" in evidence
    (status, evidence, _), = judge(registry, "BAK-PHI-102", facts).values()
    assert status == PASS and "1 days old" in evidence
    dest = judge(registry, "BAK-PHI-103", facts)
    # the tar destination is on /srv/backup disk (sdb1, no dm-crypt): the copy leaks what LUKS protects
    assert [s for s, *_ in dest.values()] == [FAIL]
    assert "/srv/backup disk" in next(iter(dest))
    # a password in a cron command never reaches evidence
    dumped = json.dumps([list(v[:2]) for cid in ("BAK-PHI-101", "BAK-PHI-102", "BAK-PHI-103")
                         for v in judge(registry, cid, facts).values()])
    assert CANARY not in dumped and CANARY.encode() not in msgspec.json.encode(facts.host)


def test_stale_backups_fail_with_the_profile_limit(registry, tmp_path):
    facts = asterisk(write_bundle(tmp_path / "ev", backup_ages_days=(9, 30)))
    ctl = registry.get("BAK-PHI-102")
    (o,) = ctl(facts, CheckContext(ctl.defaults()))
    assert o.status == FAIL and "9 days old (limit 7)" in o.evidence
    (o,) = ctl(facts, CheckContext({"max_backup_age_days": 14}))
    assert o.status == PASS


def test_no_backup_job_fails_and_a_script_is_unknown(registry, tmp_path):
    facts = asterisk(write_bundle(tmp_path / "a", crontab="0 1 * * * /usr/sbin/logrotate /etc/logrotate.conf\n"))
    assert [s for s, *_ in judge(registry, "BAK-PHI-101", facts).values()] == [FAIL]
    facts = asterisk(write_bundle(tmp_path / "b", crontab="0 1 * * * /root/bin/pbx-backup.sh\n"))
    (status, evidence, _), = judge(registry, "BAK-PHI-101", facts).values()
    assert status == ERROR and "crontab.txt:1" in evidence


def test_freepbx_scheduled_job_and_offsite_target(registry, tmp_path):
    cron = ("0 0 * * * [ -e /usr/sbin/fwconsole ] && /usr/sbin/fwconsole backup --backup=0e5b1f4c-2d9a-4e1b-"
            "8c6f-1a2b3c4d5e6f > /dev/null 2>&1\n"
            "0 4 * * * rsync -a /var/spool/asterisk/voicemail backup@vault.example.net:/pbx/\n")
    facts = asterisk(write_bundle(tmp_path / "ev", crontab=None, backup_ages_days=None,
                                  extra={"var/spool/cron/crontabs/asterisk": cron}))
    (status, evidence, _), = judge(registry, "BAK-PHI-101", facts).values()
    assert status == PASS and "var/spool/cron/crontabs/asterisk:1" in evidence
    assert [s for s, *_ in judge(registry, "BAK-PHI-102", facts).values()] == [ERROR]  # no file listing captured
    dest = judge(registry, "BAK-PHI-103", facts)
    assert dest["backups to vault.example.net"][0] == ERROR


def test_cli_scan_reads_the_bundle(tmp_path):
    from voxaudit.cli import cli
    bundle = write_bundle(tmp_path / "ev")
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["scan", "--config-dir", str(EXAMPLE), "--evidence", str(bundle), "-f", "json",
                                   "-o", str(out), "--no-history", "--checks", "ENC-REST-*", "-q"])
    assert res.exit_code in (0, 1, 2), res.output
    doc = json.loads((out / "scan.json").read_text())
    got = [r for r in doc["results"] if r["check_id"] == "ENC-REST-101"]
    assert got and all(r["status"] == "PASS" for r in got), got


# -- readers: linear time on hostile input ------------------------------------------------------

def test_readers_are_bounded_and_linear(tmp_path):
    import time
    problems: list[str] = []
    big = "\\" * 200_000 + " / ext4 rw 0 0\n" + "x" * 500_000
    started = time.perf_counter()
    hx.parse_mounts(big, "proc/mounts", problems)
    hx.parse_crontab(("* " * 100_000) + "\n", "crontab.txt", False)
    hx.parse_stat_lines("/a " * 200_000, "backup-files.txt", problems)
    deep = '{"blockdevices": [' + '{"name": "x", "children": [' * 100_000 + "]}" * 100_000 + "]}"
    assert hx.parse_lsblk(deep, "lsblk.json", problems) == []
    nested = '{"blockdevices": [' + '{"name": "x", "children": [' * 40 + "]}" * 40 + "]}"
    assert len(hx.parse_lsblk(nested, "lsblk.json", problems)) == hx.MAX_DEPTH + 1
    assert time.perf_counter() - started < 2
    assert any("stat" in p.message for p in problems)


def test_bad_lines_are_reported_by_place_never_by_content(tmp_path):
    problems: list[str] = []
    hx.parse_mounts(f"{CANARY}\n", "proc/mounts", problems)
    hx.parse_stat_lines(f"/x {CANARY} 3\n", "backup-files.txt", problems)
    assert [(p.file, p.line, p.message, p.fatal) for p in problems] == [
        ("proc/mounts", 1, "not a mount entry (device, mount point, type expected)", False),
        ("backup-files.txt", 1, "not a \"stat -c '%n %Y %s'\" line (path, mtime, size)", False)]


def test_an_unreadable_evidence_line_is_a_gap_that_lowers_coverage(tmp_path):
    """Through the runner: the gap is a warning and an ERROR(parse) beside the controls' results."""
    from voxaudit.engine.collect import TargetSpec, collect
    from voxaudit.engine.evaluate import evaluate_target, parse_warnings
    from voxaudit.registry import load_registry
    from voxaudit.targets import ConfigDirSource
    snap = tmp_path / "snap"
    shutil.copytree(EXAMPLE, snap)
    write_bundle(snap, mounts=DEBIAN_LUKS_MOUNTS + f"{CANARY}\n")
    record = collect(TargetSpec(name="pbx", platform="asterisk", source=ConfigDirSource(config_dir=str(snap))))
    gaps = record.facts.configs["host evidence"].problems
    assert [(g.file, g.line) for g in gaps] == [("proc/mounts", 12)] and CANARY not in gaps[0].message
    registry = load_registry()
    rules = [registry.get(c) for c in ("ENC-REST-101", "BAK-PHI-102")]
    results = evaluate_target(record, rules, {"max_backup_age_days": 7})
    assert any("proc/mounts" in w for w in parse_warnings([record]))
    enc = [r for r in results if r.check_id == "ENC-REST-101"]
    assert {r.status for r in enc} == {PASS, ERROR}
    assert any(r.error_kind == ErrorKind.PARSE for r in enc)


def test_snapshot_root_holding_evidence_is_read_without_a_flag(registry, tmp_path):
    snap = tmp_path / "snap"
    shutil.copytree(EXAMPLE, snap)
    write_bundle(snap)
    facts = collect_asterisk_tree(snap, now=NOW)
    assert facts.host is not None and facts.host.origin == "evidence bundle"
    assert {s for s, *_ in judge(registry, "ENC-REST-101", facts).values()} == {PASS}


def test_freeswitch_packaged_paths_on_a_plain_disk(registry, tmp_path):
    from tests.conftest import write_tree
    from voxaudit.collectors.offline import collect_freeswitch_tree
    conf = write_tree(tmp_path / "snap" / "etc" / "freeswitch", {
        "vars.xml": '<include>\n  <X-PRE-PROCESS cmd="set" data="domain=$${local_ip_v4}"/>\n</include>\n'})
    mounts = ("/dev/vda1 / ext4 rw,relatime 0 0\n"
              "/dev/mapper/data_crypt /var/lib/freeswitch ext4 rw,relatime 0 0\n")
    bundle = write_bundle(tmp_path / "ev", mounts=mounts,
                          sys_blocks={"dm-0": ("data_crypt", "CRYPT-LUKS2-7d1e0c4b9a8f47e6b5d4c3b2a1f0e9d8-data_crypt",
                                               ["vdb"]), "vda": ("", "", []), "vda1": ("", "", [])},
                          crontab="0 2 * * * borg create /mnt/nas::pbx-{now} /var/lib/freeswitch/storage "
                                  "/etc/freeswitch\n")
    facts = collect_freeswitch_tree(conf, evidence_dir=bundle)
    got = judge(registry, "ENC-REST-101", facts)
    assert got["voicemail (/var/lib/freeswitch/storage/voicemail)"][0] == PASS
    assert got["recordings (/var/lib/freeswitch/recordings)"][0] == PASS
    assert got["logs (/var/log/freeswitch)"][0] == FAIL  # on vda1, no dm-crypt layer
    assert [s for s, *_ in judge(registry, "BAK-PHI-101", facts).values()] == [PASS]
    # the same files as a snapshot root beside etc/freeswitch are found without the flag
    write_bundle(tmp_path / "snap", mounts=mounts)
    assert collect_freeswitch_tree(conf).host is not None
