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
