"""Real servers for the lab, started on 127.0.0.1 by the test fixtures and stopped by PID.

Each helper writes its own configuration into a private directory, starts the Debian
package's daemon in the foreground, waits until it answers (bounded), and returns a handle
whose ``stop()`` kills exactly the process it started.

A daemon's output goes to a log file in its directory (``Server.log``), never to a pipe: nobody
would read the pipe, and a daemon blocked writing its log (Kamailio after ~64 KiB of TLS errors)
stops answering. ``Server.tail()`` gives its last lines for failure messages.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"


class LabUnavailable(Exception):
    """A lab component is not installed (scripts/setup.sh --test installs them)."""


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


TAIL_BYTES = 3000


def tail(log: Path | None, size: int = TAIL_BYTES) -> str:
    """The end of a daemon's log file (what a failure message shows)."""
    if log is None:
        return ""
    try:
        with log.open("rb") as fh:
            fh.seek(max(0, log.stat().st_size - size))
            return fh.read().decode(errors="replace")
    except OSError:
        return ""


def wait_until(ready: Callable[[], bool], proc: subprocess.Popen, what: str, timeout: float = 20.0,
               log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before it was ready:\n{tail(log)}")
        if ready():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} not ready after {timeout:g} s:\n{tail(log)}")


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
    log: Path | None = None  # the daemon's stdout and stderr

    def tail(self, size: int = TAIL_BYTES) -> str:
        return tail(self.log, size)

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


def _spawn(argv: list[str], cwd: Path, env: dict | None = None, name: str = "") -> subprocess.Popen:
    """Start a daemon with its output appended to ``<cwd>/<name>.log`` (``proc.log_path``; see the module
    docstring). A new process group, so stop() reaches the daemon's children too and nothing else."""
    log = cwd / f"{name or Path(argv[0]).name}.log"
    with log.open("ab") as fh:  # the daemon keeps its own descriptor
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
    proc.log_path = log  # type: ignore[attr-defined]
    return proc


def _serving(name: str, proc: subprocess.Popen, port: int, workdir: Path, ready: Callable[[], bool] | None = None,
             timeout: float = 20.0) -> Server:
    """The started daemon as a Server once it answers (by default: its TCP port accepts); stopped if it never does."""
    server = Server(name, proc, port, workdir, getattr(proc, "log_path", None))
    try:
        wait_until(ready or (lambda: tcp_open(port)), proc, name, timeout=timeout, log=server.log)
    except Exception:
        server.stop()
        raise
    return server


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
    server = _serving("sshd", proc, port, workdir)
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


def stage_pbx_tree(src: Path, dst: Path) -> Path:
    """A PBX snapshot (etc/, var/) as it sits on a live host. Asterisk writes a message envelope when
    the message arrives, so mtime agrees with origtime; the live collector reads ages from mtime
    (it never opens an envelope), the offline one from origtime: make them agree as on a real PBX."""
    root = stage_tree(src, dst)
    for txt in (root / "var").rglob("msg*.txt"):
        origtime = next((ln.split("=", 1)[1] for ln in txt.read_text().splitlines() if ln.startswith("origtime=")), "")
        if origtime.strip().isdigit():
            os.utime(txt, (int(origtime), int(origtime)))
    return root


def cleanup(servers: list[Server | None]) -> None:
    for s in servers:
        if s is not None:
            s.stop()


# -- Kamailio --------------------------------------------------------------------------------

KAMAILIO_DIR = Path(__file__).resolve().parent / "kamailio"


def make_certs(workdir: Path, variant: str) -> None:
    """hardened: a lab CA and a leaf for pbx.lab.example / 127.0.0.1, valid 91 days;
    weak: a self-signed certificate for another name, without subjectAltName, valid 800 days and
    expired last month."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def key():
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def pem(obj) -> bytes:
        return obj.public_bytes(serialization.Encoding.PEM)

    leaf_key = key()
    if variant == "hardened":
        ca_key = key()
        ca = (x509.CertificateBuilder().subject_name(name("voxaudit lab CA")).issuer_name(name("voxaudit lab CA"))
              .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=60))
              .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
              .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
              .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                           content_commitment=False, key_encipherment=False, data_encipherment=False,
                                           key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
              .sign(ca_key, hashes.SHA256()))
        leaf = (x509.CertificateBuilder().subject_name(name("pbx.lab.example")).issuer_name(ca.subject)
                .public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=90))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName("pbx.lab.example"),
                                                            x509.IPAddress(ipaddress.ip_address(LOOPBACK))]), False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=True, key_cert_sign=False,
                                             crl_sign=False, content_commitment=False, data_encipherment=False,
                                             key_agreement=False, encipher_only=False, decipher_only=False), True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False)
                .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH,
                                                      x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), False)
                .sign(ca_key, hashes.SHA256()))
        (workdir / "ca.pem").write_bytes(pem(ca))
    else:
        leaf = (x509.CertificateBuilder().subject_name(name("old-pbx.example")).issuer_name(name("old-pbx.example"))
                .public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=830)).not_valid_after(now - datetime.timedelta(days=30))
                .sign(leaf_key, hashes.SHA256()))
        (workdir / "ca.pem").write_bytes(pem(leaf))
    (workdir / "cert.pem").write_bytes(pem(leaf))
    (workdir / "key.pem").write_bytes(leaf_key.private_bytes(serialization.Encoding.PEM,
                                                             serialization.PrivateFormat.TraditionalOpenSSL,
                                                             serialization.NoEncryption()))
    os.chmod(workdir / "key.pem", 0o600)


@dataclass
class KamailioLab:
    variant: str
    server: Server
    sip_port: int | None
    tls_port: int
    workdir: Path


def start_kamailio(workdir: Path, variant: str) -> KamailioLab:
    """Debian's Kamailio with the lab's weak or hardened configuration on 127.0.0.1."""
    binary = _binary("/usr/sbin/kamailio", "kamailio")
    if not list(Path("/usr/lib").glob("*/kamailio/modules/tls.so")):
        raise LabUnavailable("kamailio tls.so missing: install Debian package kamailio-tls-modules")
    workdir.mkdir(parents=True, exist_ok=True)
    make_certs(workdir, variant)
    sip_port = free_port() if variant == "weak" else None
    tls_port = free_port()
    for src, dst in ((f"{variant}.cfg", "kamailio.cfg"), (f"{variant}-tls.cfg", "tls.cfg")):
        text = (KAMAILIO_DIR / src).read_text()
        text = text.replace("@DIR@", str(workdir)).replace("@PORT_TLS@", str(tls_port))
        text = text.replace("@PORT_SIP@", str(sip_port or 0))
        (workdir / dst).write_text(text)
    (workdir / "run").mkdir(exist_ok=True)
    # No OPENSSL_CONF here: limiting the key-exchange groups that way (tls.cfg has no option for them)
    # made Kamailio 5.6's TLS workers free OpenSSL memory through the wrong allocator (qm_free: bad
    # pointer) and die with SIGSEGV in about one lab run in four. The groups stay OpenSSL's defaults.
    env = None
    proc = _spawn([binary, "-DD", "-E", "-f", str(workdir / "kamailio.cfg"), "-P", str(workdir / "kamailio.pid"),
                   "-Y", str(workdir / "run"), "-m", "64", "-M", "8"], workdir, env)
    server = _serving(f"kamailio-{variant}", proc, tls_port, workdir)
    return KamailioLab(variant, server, sip_port, tls_port, workdir)


def garbage_udp_server() -> tuple[socket.socket, int, threading.Thread]:
    """Answers every datagram with bytes that are not SIP: a confused or hostile device."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((LOOPBACK, 0))
    s.settimeout(0.2)

    def serve():
        while True:
            try:
                _, peer = s.recvfrom(65535)
                s.sendto(b"\x16\x03\x01garbage\r\nHTTP/1.0 200 OK\r\n\r\n", peer)
            except TimeoutError:
                continue
            except OSError:
                return
    th = threading.Thread(target=serve, daemon=True)
    th.start()
    return s, s.getsockname()[1], th


# -- Network namespaces ----------------------------------------------------------------------

@dataclass
class NetnsPair:
    """Two namespaces joined by a veth pair: a phone side and a switch-port side."""

    phone_ns: str
    switch_ns: str
    phone_if: str = "vp0"
    switch_if: str = "vs0"

    def delete(self) -> None:
        for ns in (self.phone_ns, self.switch_ns):
            if ns:
                subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True, timeout=10)
        if not self.switch_ns:  # the root-side end goes with its peer, but make sure
            subprocess.run(["ip", "link", "del", self.switch_if], check=False, capture_output=True, timeout=10)


def make_netns_pair(switch_in_root: bool = False) -> NetnsPair:
    """Raises LabUnavailable with the kernel's words when namespaces or veth are refused.

    ``switch_in_root``: the switch-port end of the veth stays in the scanner's own namespace
    (no address on it, so nothing is routed), for a scan that must also reach loopback servers."""
    if shutil.which("ip") is None:
        raise LabUnavailable("iproute2 (ip) missing")
    tag = f"{os.getpid() % 100000}"
    pair = NetnsPair(phone_ns=f"vxa-phone-{tag}", switch_ns="" if switch_in_root else f"vxa-sw-{tag}",
                     switch_if=f"vxs{tag}" if switch_in_root else "vs0")

    def ip(*args: str) -> None:
        proc = subprocess.run(["ip", *args], check=False, capture_output=True, text=True, timeout=10)
        if proc.returncode != 0:
            pair.delete()
            raise LabUnavailable(f"the kernel refused 'ip {' '.join(args)}': {proc.stderr.strip()}")

    ip("netns", "add", pair.phone_ns)
    if pair.switch_ns:
        ip("netns", "add", pair.switch_ns)
        ip("-n", pair.phone_ns, "link", "add", pair.phone_if, "type", "veth", "peer", "name", pair.switch_if,
           "netns", pair.switch_ns)
    else:
        ip("link", "add", pair.switch_if, "type", "veth", "peer", "name", pair.phone_if, "netns", pair.phone_ns)
        ip("link", "set", pair.switch_if, "up")
    for ns, ifname in ((pair.phone_ns, pair.phone_if), (pair.switch_ns, pair.switch_if)):
        if ns:
            ip("-n", ns, "link", "set", "lo", "up")
            ip("-n", ns, "link", "set", ifname, "up")
    return pair


def sniff_lab_traffic(pair: NetnsPair, workdir: Path, clinic: str, target: str) -> tuple[dict[str, Any], str]:
    """The lab clinic's frames (tests.lab.traffic: tagged plain RTP and SRTP between a phone and the PBX)
    sent from the phone namespace while voxaudit, run through its CLI in the switch-port namespace, sniffs
    them for 4 s as pcap target ``target`` of ``clinic``: (scan.json as data, what the sender printed)."""
    import json
    import sys

    repo = Path(__file__).resolve().parents[2]
    inv = workdir / "inventory.yaml"
    inv.write_text(f"""
clinics:
  - name: {clinic}
    sites:
      - name: idf
        targets:
          - name: {target}
            platform: pcap
            pcap: {{interface: {pair.switch_if}, seconds: 4, capture_point: trunk}}
""")
    sender = subprocess.Popen(["ip", "netns", "exec", pair.phone_ns, sys.executable, "-m", "tests.lab.traffic",
                               pair.phone_if, "7"], cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        out = workdir / "out"
        proc = subprocess.run(["ip", "netns", "exec", pair.switch_ns, str(Path(sys.executable).parent / "voxaudit"),
                               "scan", str(inv), "-o", str(out), "-f", "json", "-q"], capture_output=True, text=True,
                              timeout=120, cwd=repo)
    finally:
        sender.wait(timeout=30)
    assert proc.returncode in (0, 1), proc.stderr
    said = sender.stdout.read().decode(errors="replace") if sender.stdout is not None else ""
    return json.loads((out / "scan.json").read_text()), said


# -- snmpd -----------------------------------------------------------------------------------

CORPUS_SNMPD = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "snmp" / "snmpd.conf"
SNMP_SECRETS = {"community": "Lab-Comm-7f3k", "auth": "lab-auth-pass-9q", "priv": "lab-priv-pass-4z"}


@dataclass
class SnmpLab:
    server: Server
    port: int


def start_snmpd(workdir: Path) -> SnmpLab:
    """net-snmp's snmpd on 127.0.0.1:<free udp port>, configured from the corpus's Debian snmpd.conf
    (its 'public' community kept) plus a lab community and two v3 users: labpriv (authPriv) and
    labauth (authNoPriv allowed)."""
    binary = _binary("/usr/sbin/snmpd", "snmpd")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port(socket.SOCK_DGRAM)
    base = CORPUS_SNMPD.read_text() if CORPUS_SNMPD.exists() else "rocommunity public default\n"
    lines = [ln for ln in base.splitlines()
             if not ln.strip().lower().startswith(("agentaddress", "master", "includedir", "rocommunity6"))]
    lines += [
        f"agentAddress udp:127.0.0.1:{port}",
        f"rocommunity {SNMP_SECRETS['community']} 127.0.0.1",
        f"createUser labpriv SHA \"{SNMP_SECRETS['auth']}\" AES \"{SNMP_SECRETS['priv']}\"",
        f"createUser labauth SHA \"{SNMP_SECRETS['auth']}\"",
        "rouser labpriv priv",
        "rouser labauth auth",
    ]
    (workdir / "snmpd.conf").write_text("\n".join(lines) + "\n")
    (workdir / "persist").mkdir(exist_ok=True)
    env = dict(os.environ, SNMP_PERSISTENT_DIR=str(workdir / "persist"), MIBS="")
    proc = _spawn([binary, "-f", "-Lo", "-C", "-c", str(workdir / "snmpd.conf"), "-p", str(workdir / "snmpd.pid")],
                  workdir, env=env)

    def answers() -> bool:
        # a minimal SNMPv2c GET sysDescr.0 with the lab community
        community = SNMP_SECRETS["community"].encode()
        oid = bytes([0x06, 0x08, 0x2B, 6, 1, 2, 1, 1, 1, 0])
        varbind = bytes([0x30, len(oid) + 2]) + oid + b"\x05\x00"
        vbl = bytes([0x30, len(varbind)]) + varbind
        pdu_body = b"\x02\x01\x01\x02\x01\x00\x02\x01\x00" + vbl
        pdu = bytes([0xA0, len(pdu_body)]) + pdu_body
        msg_body = b"\x02\x01\x01" + bytes([0x04, len(community)]) + community + pdu
        msg = bytes([0x30, len(msg_body)]) + msg_body
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.3)
            try:
                s.sendto(msg, (LOOPBACK, port))
                return bool(s.recv(2048))
            except OSError:
                return False

    return SnmpLab(_serving("snmpd", proc, port, workdir, ready=answers), port)


# -- A fake switch (fakenos) -----------------------------------------------------------------

SWITCH_PASSWORD = "Lab-Sw-Pw-81"


@dataclass
class FakeSwitch:
    net: object
    port: int
    known_hosts_line: str

    def stop(self) -> None:
        self.net.stop()


def start_fake_switch(workdir: Path, running_config: Path) -> FakeSwitch:
    """A Cisco IOS switch simulated by fakenos on 127.0.0.1: its own recorded show outputs
    (ntc-templates test data) plus our running-config for 'show running-config'."""
    try:
        from fakenos import FakeNOS
    except ImportError as exc:
        raise LabUnavailable(f"fakenos not installed ({exc}); scripts/setup.sh --test installs it") from None
    workdir.mkdir(parents=True, exist_ok=True)
    key = workdir / "switch_host_rsa"
    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f", str(key)], check=True,
                   timeout=30)
    port = free_port()
    config = running_config.read_text()
    inventory = {
        "default": {
            "username": "auditor", "password": SWITCH_PASSWORD, "port": port,
            "server": {"plugin": "ParamikoSshServer",
                       "configuration": {"address": LOOPBACK, "ssh_key_file": str(key), "timeout": 1}},
            "shell": {"plugin": "CMDShell", "configuration": {}},
            "nos": {"plugin": "cisco_ios", "configuration": {"commands": {
                "show running-config": {"output": config, "help": "running configuration",
                                        "prompt": ["{base_prompt}#"]}}}},
        },
        "hosts": {"clinic-core": {"port": port, "platform": "cisco_ios"}},
    }
    net = FakeNOS(inventory=inventory)
    net.start()  # binds and listens before returning (a TCP readiness probe would only upset its SSH server)
    public = subprocess.run(["ssh-keygen", "-y", "-f", str(key)], capture_output=True, text=True, check=True,
                            timeout=30).stdout.split()
    return FakeSwitch(net, port, f"[{LOOPBACK}]:{port} {public[0]} {public[1]}")


# -- Distributed mode: a Redis broker and a PostgreSQL central store ---------------------------

BROKER_PASSWORD = "Lab-Broker-Pw-55"
POSTGRES_PASSWORD = "Lab-Pg-Pw-66"

@dataclass
class RedisLab:
    server: Server
    password: str

    @property
    def url(self) -> str:
        """With the password: for the test's own environment variables, never for a command line."""
        return f"redis://:{self.password}@{LOOPBACK}:{self.server.port}/0"


def start_redis(workdir: Path, password: str) -> RedisLab:
    """Debian's redis-server on 127.0.0.1:<free port>, password required, nothing persisted."""
    binary = _binary("/usr/bin/redis-server", "redis-server")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    (workdir / "redis.conf").write_text(f"""\
port {port}
bind {LOOPBACK}
protected-mode yes
requirepass {password}
save ""
appendonly no
dir {workdir}
""")
    os.chmod(workdir / "redis.conf", 0o600)
    proc = _spawn([binary, str(workdir / "redis.conf")], workdir)
    return RedisLab(_serving("redis-server", proc, port, workdir), password)


@dataclass
class PostgresLab:
    server: Server
    user: str
    password: str
    database: str

    @property
    def url(self) -> str:
        """Without the password: voxaudit gets it the libpq way, from PGPASSWORD or a pgpass file."""
        return f"postgresql://{self.user}@{LOOPBACK}:{self.server.port}/{self.database}"


def _postgres_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not found:
        raise LabUnavailable(f"PostgreSQL's {name} missing: install Debian package postgresql "
                             "(scripts/setup.sh --test does)")
    return str(found[-1])


def start_postgres(password: str) -> PostgresLab:
    """A throwaway PostgreSQL cluster on 127.0.0.1:<free port> with password (scram) login.

    PostgreSQL refuses to run as root, so as root the cluster belongs to Debian's postgres user;
    its directory is made under /tmp, which that user can reach (pytest's own tmp is root-only)."""
    import tempfile

    initdb, postgres = _postgres_bin("initdb"), _postgres_bin("postgres")
    workdir = Path(tempfile.mkdtemp(prefix="voxaudit-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        import pwd
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise LabUnavailable("no 'postgres' user: install Debian package postgresql") from None
        os.chown(workdir, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    pwfile = workdir / "pw"
    pwfile.write_text(password + "\n")
    if as_user:
        os.chown(pwfile, owner.pw_uid, owner.pw_gid)
    os.chmod(pwfile, 0o600)
    data = workdir / "data"
    subprocess.run([*as_user, initdb, "-D", str(data), "-U", "voxaudit", "--pwfile", str(pwfile),
                    "-A", "scram-sha-256", "--no-sync", "-E", "UTF8", "--locale", "C"],
                   check=True, timeout=120, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    pwfile.unlink()
    port = free_port()
    proc = _spawn([*as_user, postgres, "-D", str(data), "-p", str(port), "-c", f"listen_addresses={LOOPBACK}",
                   "-c", f"unix_socket_directories={workdir}", "-c", "fsync=off"], workdir, name="postgres")
    return PostgresLab(_serving("postgres", proc, port, workdir, timeout=60), "voxaudit", password, "postgres")


@dataclass
class Collector:
    """A site collector (``voxaudit worker``) started as its own process, as at a clinic's site."""

    proc: subprocess.Popen
    node: str
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # warm shutdown: finish the targets in hand
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)


def start_collector(broker_ref: str, broker_url: str, sites: list[str], base: Path, node: str, env: dict,
                    concurrency: int = 2) -> Collector:
    """``voxaudit worker`` for these sites, relative paths from ``base``; ready once it answers a ping
    through the broker (bounded)."""
    import sys

    from voxaudit.engine.broker import make_app

    exe = Path(sys.executable).parent / "voxaudit"
    argv = [str(exe), "worker", "--broker", broker_ref, "--base", str(base), "-c", str(concurrency), "--name", node]
    for site in sites:
        argv += ["--site", site]
    log = base / f"{node.split('@')[0]}.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(argv, cwd=base, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    collector = Collector(proc, node, log)
    app = make_app(broker_url)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"voxaudit worker exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        if app.control.ping(destination=[node], timeout=0.5):
            return collector
    collector.stop()
    raise RuntimeError(f"voxaudit worker {node} did not answer a ping within 60 s:\n{log.read_text()[-3000:]}")
