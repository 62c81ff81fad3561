"""Red team: what a hostile or compromised device's SFTP server lists. A file name that is not one
entry of its directory (``../../x``, ``/etc/x``, ``.``, NUL) would make the mirror write outside its
temporary folder or walk for ever: the target is refused instead, and nothing lands outside."""
from __future__ import annotations

import io
import stat

import pytest

from voxaudit.collectors.offline import CollectionError
from voxaudit.collectors.ssh import MAX_DEPTH, MAX_DIRS, _Mirror

paramiko = pytest.importorskip("paramiko")


class HostileSftp:
    """An SFTP client's surface as _Mirror uses it, answering what a hostile server would answer."""

    def __init__(self, tree: dict[str, dict[str, bytes | None]], endless: bool = False) -> None:
        self.tree, self.endless = tree, endless  # dir -> {name: content, or None for a sub-directory}

    def _attrs(self, name: str, content: bytes | None) -> "paramiko.SFTPAttributes":
        a = paramiko.SFTPAttributes()
        a.filename = name
        a.st_mode = (stat.S_IFDIR | 0o755) if content is None else (stat.S_IFREG | 0o644)
        a.st_size = 0 if content is None else len(content)
        a.st_mtime = a.st_atime = 1_700_000_000
        return a

    def listdir_attr(self, path: str) -> list:
        if self.endless:  # every directory holds another: a loop the server does not admit
            return [self._attrs("a", None)]
        return [self._attrs(n, c) for n, c in self.tree.get(path, {}).items()]

    def listdir(self, path: str) -> list[str]:
        return [a.filename for a in self.listdir_attr(path)]

    def stat(self, path: str):
        parent, _, name = path.rpartition("/")
        return self._attrs(name, self.tree.get(parent, {}).get(name))

    def open(self, path: str, mode: str = "rb"):
        parent, _, name = path.rpartition("/")
        return io.BytesIO(self.tree[parent][name] or b"")


@pytest.mark.parametrize("name", ["../../../escaped.conf", "/etc/escaped.conf", "..", ".", "", "a\x00b"])
def test_a_name_that_leaves_its_directory_refuses_the_mirror(tmp_path, name):
    mirror_root = tmp_path / "mirror"
    into = mirror_root / "fs" / "etc" / "asterisk"
    sftp = HostileSftp({"/etc/asterisk": {"pjsip.conf": b"[x]\n", name: b"owned\n"}})
    with pytest.raises(CollectionError, match="not one entry of its directory"):
        _Mirror(sftp, mirror_root, None).copy_tree("/etc/asterisk", into)
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(p.is_relative_to(into) for p in written), written
    assert not (tmp_path / "escaped.conf").exists()


def test_a_directory_loop_the_server_hides_is_bounded(tmp_path):
    m = _Mirror(HostileSftp({}, endless=True), tmp_path, None)
    with pytest.raises(CollectionError, match=f"more than {MAX_DIRS} directories, or {MAX_DEPTH} levels"):
        m.copy_tree("/etc/asterisk", tmp_path / "fs")


def test_a_huge_stated_size_is_a_bounded_placeholder(tmp_path):
    sftp = HostileSftp({"/var/spool/asterisk/voicemail/default/1001/INBOX": {"msg0000.wav": b""}})
    big = sftp._attrs("msg0000.wav", b"")
    big.st_size = 2**63 - 1
    sftp.listdir_attr = lambda path: [big] if path.endswith("INBOX") else []  # type: ignore[method-assign]
    m = _Mirror(sftp, tmp_path, None)
    m.placeholder_tree("/var/spool/asterisk/voicemail/default/1001/INBOX", tmp_path / "inbox")
    assert (tmp_path / "inbox" / "msg0000.wav").stat().st_size == 1 << 40


def test_a_true_listing_is_still_mirrored(tmp_path):
    sftp = HostileSftp({"/etc/asterisk": {"pjsip.conf": b"[x]\n", "sub": None}, "/etc/asterisk/sub": {"a.conf": b"y"}})
    _Mirror(sftp, tmp_path, None).copy_tree("/etc/asterisk", tmp_path / "out")
    assert (tmp_path / "out" / "pjsip.conf").read_bytes() == b"[x]\n"
    assert (tmp_path / "out" / "sub" / "a.conf").read_bytes() == b"y"


def test_a_logrotate_path_that_is_a_device_on_the_host_is_not_read(tmp_path):
    sftp = HostileSftp({"/etc/logrotate.d": {"asterisk": None}})  # a directory where a file was named
    assert _Mirror(sftp, tmp_path, None).copy_file("/etc/logrotate.d/asterisk", tmp_path / "lr") is False
    assert not (tmp_path / "lr").exists()
