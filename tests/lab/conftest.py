"""Session-scoped lab servers on 127.0.0.1, started on first use and stopped by PID."""
from __future__ import annotations

import pytest

from tests.lab import servers


@pytest.fixture(scope="session")
def ssh_lab(tmp_path_factory):
    try:
        lab = servers.start_sshd(tmp_path_factory.mktemp("sshd"))
    except servers.LabUnavailable as exc:
        pytest.skip(str(exc))
    yield lab
    lab.server.stop()


def _kamailio(tmp_path_factory, variant):
    try:
        return servers.start_kamailio(tmp_path_factory.mktemp(f"kamailio-{variant}"), variant)
    except servers.LabUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def kamailio_weak(tmp_path_factory):
    lab = _kamailio(tmp_path_factory, "weak")
    yield lab
    lab.server.stop()


@pytest.fixture(scope="session")
def kamailio_hardened(tmp_path_factory):
    lab = _kamailio(tmp_path_factory, "hardened")
    yield lab
    lab.server.stop()


@pytest.fixture(scope="session")
def snmp_lab(tmp_path_factory):
    try:
        lab = servers.start_snmpd(tmp_path_factory.mktemp("snmpd"))
    except servers.LabUnavailable as exc:
        pytest.skip(str(exc))
    yield lab
    lab.server.stop()


@pytest.fixture(scope="session")
def fake_switch(tmp_path_factory):
    from tests.checks.test_switches import FIXTURES
    try:
        sw = servers.start_fake_switch(tmp_path_factory.mktemp("switch"), FIXTURES / "weak" / "clinic-core-c2960x.cfg")
    except servers.LabUnavailable as exc:
        pytest.skip(str(exc))
    yield sw
    sw.stop()


@pytest.fixture(scope="session")
def redis_lab(tmp_path_factory):
    try:
        lab = servers.start_redis(tmp_path_factory.mktemp("redis"), servers.BROKER_PASSWORD)
    except servers.LabUnavailable as exc:
        pytest.skip(str(exc))
    yield lab
    lab.server.stop()


@pytest.fixture(scope="session")
def postgres_lab():
    import shutil
    try:
        lab = servers.start_postgres(servers.POSTGRES_PASSWORD)
    except servers.LabUnavailable as exc:
        pytest.skip(str(exc))
    yield lab
    lab.server.stop()
    shutil.rmtree(lab.server.workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def netns_pair():
    """A phone namespace and a switch-port namespace joined by a veth pair (skipped where the kernel refuses)."""
    try:
        pair = servers.make_netns_pair()
    except servers.LabUnavailable as exc:
        pytest.skip(str(exc))
    yield pair
    pair.delete()
