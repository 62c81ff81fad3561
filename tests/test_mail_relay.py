"""Mail relays from host evidence (Postfix main.cf, Exim's Debian smarthost, msmtp, sSMTP): read as each
program reads them, checked against Postfix's own postconf (unpacked by scripts/setup.sh --test)."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import msgspec
import pytest

from voxaudit.facts.host import read_host_evidence
from voxaudit.parsers import mail_relay as mx

REPO = Path(__file__).resolve().parents[1]
POSTFIX = REPO / ".cache" / "postfix"
CANARY = "Canary-Sasl-Pw-4417"

MAIN_CF = {  # name -> main.cf text
    "bracketed": "relayhost = [smtp.sendgrid.net]:587\n",
    "host-port": "relayhost = mail.example.net:25\n",
    "variable": "relay_base = smtp.office365.com\nrelayhost = [$relay_base]:587\n",
    "braces": "relay_base = smtp.office365.com\nrelayhost = [${relay_base}]:587\n",
    "continued": "relayhost =\n    [smtp.gmail.com]:587\nmyhostname = pbx\n",
    "comments": "# relayhost = [old.example]\n  # relayhost = [older.example]\nrelayhost = [new.example]\n",
    "last-wins": "relayhost = [first.example]\nrelayhost = [second.example]:2525\n",
    "empty": "myhostname = pbx.clinic.example\nrelayhost =\n",
    "unset": "myhostname = pbx.clinic.example\n",
    "crlf": "relayhost = [smtp.crlf.example]:587\r\nmyhostname = pbx\r\n",
    "secret-inline": f"smtp_sasl_password_maps = static:apikey:{CANARY}\nrelayhost = [smtp.sendgrid.net]:587\n",
    "tabs": "relayhost\t=\t[tab.example]:587\n",
}


def _postconf(tmp_path: Path, text: str) -> str:
    exe = POSTFIX / "usr" / "sbin" / "postconf"
    if not exe.is_file():
        pytest.skip("postconf not unpacked: run ./scripts/setup.sh --test")
    (tmp_path / "main.cf").write_text(text)
    (tmp_path / "master.cf").write_text("")
    for name in ("main.cf", "master.cf"):  # a file written in the last seconds makes postconf wait for it to settle
        os.utime(tmp_path / name, (time.time() - 60, time.time() - 60))
    env = {**os.environ, "LD_LIBRARY_PATH": str(POSTFIX / "usr" / "lib" / "postfix")}
    proc = subprocess.run([str(exe), "-c", str(tmp_path), "-x", "-h", "relayhost"], capture_output=True, text=True,
                          env=env, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.mark.parametrize("name", sorted(MAIN_CF))
def test_relayhost_is_read_as_postconf_reads_it(tmp_path, name):
    # myhostname set: otherwise postconf asks DNS for this machine's name (seconds, offline)
    text = "myhostname = pbx.clinic.example\nmydomain = clinic.example\n" + MAIN_CF[name]
    expected = _postconf(tmp_path, text)
    problems: list = []
    relays = [r for r in mx.parse_postfix(text, "etc/postfix/main.cf", problems) if not r.undecidable]
    assert [r.host for r in relays] == [mx._clean_host(expected)] if expected else [r.host for r in relays] == [""]
    assert not problems


def test_a_relayhost_from_an_unset_parameter_or_a_map_is_named_not_guessed():
    problems: list = []
    relays = mx.parse_postfix("relayhost = [$nowhere]:587\ntransport_maps = hash:/etc/postfix/transport\n",
                              "main.cf", problems)
    assert [r.host for r in relays] == ["", ""] and all(r.undecidable for r in relays)


def test_exim_msmtp_and_ssmtp_name_their_relays_and_never_their_passwords():
    problems: list = []
    exim = mx.parse_exim_debian("dc_eximconfig_configtype='smarthost'\ndc_smarthost='smtp.example.org::587'\n",
                                "x", problems)
    assert [(r.program, r.host) for r in exim] == [("exim4", "smtp.example.org")]
    internet = mx.parse_exim_debian("dc_eximconfig_configtype='internet'\n", "x", problems)
    assert [r.host for r in internet] == [""]
    msmtp = mx.parse_msmtp(f"account default\nhost smtp.mailgun.org\nport 587\nuser pbx\npassword {CANARY}\n", "x", problems)
    assert [r.host for r in msmtp] == ["smtp.mailgun.org"]
    ssmtp = mx.parse_ssmtp(f"mailhub=smtp.gmail.com:587\nAuthPass={CANARY}\n", "x", problems)
    assert [r.host for r in ssmtp] == ["smtp.gmail.com"] and not problems


def test_host_evidence_carries_the_relays_and_no_secret(tmp_path):
    (tmp_path / "etc" / "postfix").mkdir(parents=True)
    (tmp_path / "etc" / "postfix" / "main.cf").write_text(MAIN_CF["secret-inline"])
    (tmp_path / "etc" / "msmtprc").write_text(f"host [smtp.bad host]\npassword {CANARY}\n")
    (tmp_path / "captured-at").write_text("1795003337\n")
    ev = read_host_evidence(tmp_path)
    assert [(r.program, r.host, r.line) for r in ev.mail_relays or []] == [("postfix", "smtp.sendgrid.net", 2)]
    assert "etc/postfix/main.cf" in ev.files
    blob = msgspec.json.encode(ev).decode()
    assert CANARY not in blob and "bad host" not in blob
    assert [p.file for p in ev.problems] == ["etc/msmtprc"]


def test_without_mail_configuration_the_relays_are_not_collected(tmp_path):
    (tmp_path / "captured-at").write_text("1795003337\n")
    assert read_host_evidence(tmp_path).mail_relays is None


def test_readers_are_linear_on_hostile_files():
    def timed(text: str) -> float:
        start = time.perf_counter()
        for reader in mx.READERS.values():
            reader(text, "f", [])
        return time.perf_counter() - start

    # a chain of $references, a long continuation, many redefinitions, a line of one character repeated
    small = "a0 = x\n" + "".join(f"a{i} = $a{i - 1}$a{i - 1}\n" for i in range(1, 200)) + "relayhost = $a199\n"
    hostile = [small * 10, "relayhost =\n" + " x\n" * 20000, "relayhost = [h]\n" * 20000, "$" * 200000,
               "host " + "a" * 200000 + "\n", "mailhub=" + "[" * 200000 + "\n"]
    for text in hostile:
        assert timed(text) < 2.0
    assert timed(hostile[1] * 10) < 12 * max(timed(hostile[1]), 0.005)
