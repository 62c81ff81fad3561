"""Voicemail transcription: the text of a patient's message is PHI as much as the audio.

Two concerns are controls here and one is not:

* TRX-PHI-101 (below): a transcript written into an email or SMS body leaves the system in full, onto
  lock screens and mail servers: minimum necessary (164.502(b), 164.514(d)).
* The transcription service receives every message's audio: it is a business associate. Platform
  adapters list it as a PHI recipient (role "transcription service") and **BAA-101** judges it against
  the register (checks/recipients.py): one register, one control, for every party PHI flows to.
* Transcripts kept past the retention policy: no platform voxaudit reads keeps transcripts as files.
  The Asterisk/FreePBX mail-command wrappers write the text into the email and delete their temporary
  directory; FusionPBX keeps it in its database (v_voicemail_messages), which no collector reads. So
  there is no record and no control yet, rather than evidence invented (docs/transcription.md).
"""
from __future__ import annotations

from voxaudit.control import Params, Verdict, control, failed, passed, unknown
from voxaudit.records.transcription import TranscriptInNotification

MINIMUM_NECESSARY = ("164.502(b)", "164.514(d)")


@control(
    id="TRX-PHI-101", title="Voicemail transcripts are not written into email or SMS notifications",
    severity="high", hipaa=MINIMUM_NECESSARY, area="notifications", record=TranscriptInNotification,
    rationale="""A transcript is the patient's message itself: symptoms, medications, results. Written
    into a notification email or SMS it is stored by every mail server and phone it passes and shown on
    lock screens and previews, where "you have a new message" is all that is necessary (minimum
    necessary, 164.502(b) and 164.514(d)). Read the transcript in the voicemail system instead.""",
    references=("https://www.ecfr.gov/current/title-45/part-164/section-164.502#p-164.502(b)",
                "https://www.ecfr.gov/current/title-45/part-164/section-164.514#p-164.514(d)"),
)
def no_transcript_in_notification(rec: TranscriptInNotification, params: Params) -> Verdict:
    """FAIL when the transcript is written into the notification, ERROR when that cannot be told."""
    if rec.undecidable:
        return unknown(f"{rec.setting}: {rec.undecidable}")
    if rec.included:
        return failed(f"{rec.setting}: each message's transcript is written into the {rec.channel} body")
    return passed(f"{rec.setting}: the {rec.channel} carries no transcript")
