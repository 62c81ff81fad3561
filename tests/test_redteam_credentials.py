"""Red team: credential references and service URLs (history store, broker) never show a secret,
never raise while being shown, and never block on what a reference points at."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from voxaudit.credentials import CredentialError, redact_url, resolve, scrub

C = "CANARY-7f3a9c"

HOSTILE_URLS = [
    f"postgresql://u:pa/{C}@h/db",        # a "/" in the password: urlsplit reads it as the path
    f"postgresql://u:pa#{C}@h/db",        # "#": a fragment
    f"postgresql://u:pa?{C}@h/db",        # "?": a query
    f"postgresql://pa/{C}@h/db",
    f"postgresql://u:{C}@[::1",           # urlsplit raises "Invalid IPv6 URL"
    f"postgresql://u:{C}@h:99999/db",     # .port raises
    f"postgresql://u:p@h:{C}/db",         # .port raises quoting the value
    f"postgresql://h/db?password={C}",    # libpq takes the password as a parameter too
    f"postgresql:///db?sslpassword={C}&host=x",
    f"postgresql://h/db?{C}",             # a parameter without "=": a pasted secret
    f"redis://u:p@h/0?password={C}",
    f"postgresql://u:{C}\n@h/db",
    C,                                    # not a URL at all (an env: reference holding the bare password)
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_redact_url_hides_the_secret_wherever_it_sits_and_never_raises(url):
    shown = redact_url(url)
    assert C not in shown and "***" in shown


def test_redact_url_keeps_what_may_be_shown():
    assert redact_url("redis://:pw-Zq81@h:1/0") == "redis://:***@h:1/0"
    assert redact_url("postgresql://msp:pw@db.example:5432/vox?sslmode=require") == \
        "postgresql://msp:***@db.example:5432/vox?sslmode=require"
    assert redact_url("postgresql://u:p@[::1]:5432/db") == "postgresql://u:***@[::1]:5432/db"
    assert redact_url("redis://h/0") == "redis://h/0"


def test_scrub_removes_quoted_values_from_driver_messages():
    url = f"postgresql://u@h:{C}/db"
    message = f'connection is bad: invalid integer value "{C}" for connection option "port"'
    assert C not in scrub(message, url)
    assert C not in scrub(f"failed to resolve host '{C}'", f"postgresql://{C}:x@h/db")


def test_the_redaction_is_linear():
    for n in (100_000, 1_000_000):
        url = "postgresql://u:" + "/" * n + "@h:" + "x" * n + "/db?" + "a&" * n
        started = time.perf_counter()
        redact_url(url)
        assert time.perf_counter() - started < 2


@pytest.mark.parametrize("url", [f"postgresql://u:pa/{C}@127.0.0.1:1/db", f"postgresql://u:p@127.0.0.1:{C}/db",
                                 f"postgresql://127.0.0.1:1/db?password={C}", f"postgresql://u@127.0.0.1:1/db?{C}",
                                 f"postgresql://u:%zz{C}@127.0.0.1:1/db"])
def test_history_store_url_errors_never_show_the_password(url, tmp_path):
    pytest.importorskip("psycopg")
    proc = subprocess.run([sys.executable, "-m", "voxaudit.cli", "history", "--history-db", url],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert proc.returncode == 2, proc.stderr
    assert C not in proc.stderr + proc.stdout
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr


def test_file_references_to_what_is_no_file_fail_at_once(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    big = tmp_path / "big"
    big.write_bytes(b"x" * (2 * 1024 * 1024))
    (tmp_path / "dir").mkdir()
    bad = tmp_path / "bad"
    bad.write_bytes(b"\xff\xfe" + C.encode())
    for ref, why in [("file:/dev/zero", "not a regular file"), (f"file:{fifo}", "not a regular file"),
                     (f"file:{big}", "larger than"), ("file:dir", "not a regular file"), ("file:bad", "not UTF-8")]:
        started = time.perf_counter()
        with pytest.raises(CredentialError, match=why) as exc:
            resolve(ref, base=Path(tmp_path))
        assert time.perf_counter() - started < 2, ref
        assert C not in str(exc.value)
    (tmp_path / "ok").write_text(f"{C}\nsecond line\n")
    assert resolve("file:ok", base=tmp_path).reveal() == C


def test_broker_client_errors_never_quote_the_password():
    """redis-py and kombu put the URL (or a value typed in the wrong place) into their messages: the broker
    errors voxaudit prints keep the error's kind and drop every secret and quoted span."""
    from voxaudit.engine.broker import _reason

    url = "redis://queue:Pa/ss#w0rd-CANARY@broker.example:6379/0"
    exc = ConnectionError('Error -2 connecting to queue:Pa/ss#w0rd-CANARY@broker.example:6379. "Pa/ss#w0rd-CANARY"')
    said = _reason(exc, url)
    assert "CANARY" not in said and said.startswith("ConnectionError: Error -2 connecting to")
    assert "CANARY" not in _reason(ValueError('invalid port "w0rd-CANARY"'))
