"""Real servers for the lab, started on 127.0.0.1 by the test fixtures and stopped by PID.

Each helper writes its own configuration into a private directory, starts the Debian
package's daemon in the foreground, waits until it answers (bounded), and returns a handle
whose ``stop()`` kills exactly the process it started.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

LOOPBACK = "127.0.0.1"


class LabUnavailable(Exception):
    """A lab component is not installed (scripts/setup.sh --test installs them)."""


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def wait_until(ready: Callable[[], bool], proc: subprocess.Popen, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            raise RuntimeError(f"{what} exited with {proc.returncode} before it was ready:\n{out[-3000:]}")
        if ready():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} not ready after {timeout:g} s")


def tcp_open(port: int, host: str = LOOPBACK) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class Server:
    name: str
    proc: subprocess.Popen
    port: int
    workdir: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)


def _binary(path: str, package: str) -> str:
    if not Path(path).exists():
        raise LabUnavailable(f"{path} missing: install Debian package {package} (scripts/setup.sh --test does)")
    return path


def _spawn(argv: list[str], cwd: Path) -> subprocess.Popen:
    # A new process group, so stop() reaches the daemon's children too and nothing else.
    return subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def keygen(path: Path, kind: str = "ed25519") -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "voxaudit-lab", "-f", str(path)], check=True,
                   timeout=30)
    return path


@dataclass
class SshLab:
    server: Server
    client_key: Path
    host_public_key: str

    @property
    def port(self) -> int:
        return self.server.port

    def known_hosts_line(self) -> str:
        return f"[{LOOPBACK}]:{self.port} {self.host_public_key}"


def start_sshd(workdir: Path) -> SshLab:
    """OpenSSH on 127.0.0.1:<free port>, key-only login for the current user, SFTP enabled."""
    sshd = _binary("/usr/sbin/sshd", "openssh-server")
    workdir.mkdir(parents=True, exist_ok=True)
    host_key = keygen(workdir / "host_ed25519")
    client_key = keygen(workdir / "client_ed25519")
    (workdir / "authorized_keys").write_text((workdir / "client_ed25519.pub").read_text())
    os.chmod(workdir / "authorized_keys", 0o600)
    Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # privilege-separation directory
    port = free_port()
    (workdir / "sshd_config").write_text(f"""\
Port {port}
ListenAddress {LOOPBACK}
HostKey {host_key}
PidFile {workdir}/sshd.pid
AuthorizedKeysFile {workdir}/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxStartups 50:30:100
Subsystem sftp internal-sftp
""")
    proc = _spawn([sshd, "-D", "-e", "-f", str(workdir / "sshd_config")], workdir)
    server = Server("sshd", proc, port, workdir)
    try:
        wait_until(lambda: tcp_open(port), proc, "sshd")
    except Exception:
        server.stop()
        raise
    public = " ".join((workdir / "host_ed25519.pub").read_text().split()[:2])
    return SshLab(server, client_key, public)


def silent_tcp_server() -> tuple[socket.socket, int]:
    """Accepts connections and never says a word: a hung device."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((LOOPBACK, 0))
    s.listen(16)
    return s, s.getsockname()[1]


def stage_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    return dst


def cleanup(servers: list[Optional[Server]]) -> None:
    for s in servers:
        if s is not None:
            s.stop()
