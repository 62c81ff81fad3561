"""TRX-PHI-101's judge on its own; detection on real scripts and configurations is in tests/test_transcription.py."""
from __future__ import annotations

from voxaudit.checks.transcription import no_transcript_in_notification
from voxaudit.control import Params
from voxaudit.model import Status
from voxaudit.records.transcription import TranscriptInNotification


def test_each_state():
    ctl = no_transcript_in_notification
    assert ctl.id == "TRX-PHI-101" and "164.514(d)" in ctl.hipaa
    judge, p = ctl.judge, Params({})
    included = judge(TranscriptInNotification(subject="voicemail email (mailcmd)", channel="email",
                                              setting="mailcmd=/usr/sbin/sendmail-gcloud", included=True), p)
    assert included.status == Status.FAIL and "sendmail-gcloud" in included.evidence
    plain = judge(TranscriptInNotification(subject="s", channel="email", setting="mailcmd=/usr/sbin/sendmail"), p)
    assert plain.status == Status.PASS
    unsure = judge(TranscriptInNotification(subject="s", channel="SMS", setting="x", undecidable="not collected"), p)
    assert unsure.status == Status.ERROR  # never PASS
