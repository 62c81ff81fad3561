"""Voicemail transcription on FreeSWITCH/FusionPBX, as records (BAA-101 and TRX-PHI-101).

* **FreeSWITCH** alone: mod_voicemail has no transcription (no option, parameter or code path in
  src/mod/applications/mod_voicemail/mod_voicemail.c, signalwire/freeswitch, read for this): nothing is
  listed, and the bindings say so.
* **FusionPBX** keeps transcription in its database, not in files: the default settings
  ``transcribe``/``enabled`` and ``transcribe``/``engine`` (app/email_queue/resources/jobs/email_send.php;
  older versions: ``voicemail``/``transcribe_enabled`` and ``voicemail``/``transcribe_provider``, read by
  app/switch/resources/scripts/app/voicemail and app/email_queue/resources/functions/transcribe.php:
  watson, google, azure, custom, openai), each mailbox's ``voicemail_transcription_enabled``
  (v_voicemails), the transcript itself in ``message_transcription`` (v_voicemail_messages), and the
  email template's ``${message_text}``, which email_send.php and send_sms.lua replace with the
  transcript. The collectors read no database, so on a FusionPBX system both controls are ERROR (not
  collected), naming these settings: never PASS and never not applicable. A refused root document
  leaves even the flavor unknown: ERROR, not "not FusionPBX" (as platforms/freeswitch/logoff.py).
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.freeswitch import ROOT, FreeSwitchFacts
from voxaudit.platforms.asterisk.recipients import register_fix
from voxaudit.records.recipients import PhiRecipient
from voxaudit.records.transcription import TRANSCRIPTION_ROLE, TranscriptInNotification

NONE = "FreeSWITCH's mod_voicemail has no transcription option (mod_voicemail.c), and this is not FusionPBX"
SETTINGS = ("FusionPBX's database: Advanced > Default Settings, category transcribe (enabled, engine; older "
            "versions: category voicemail, transcribe_enabled and transcribe_provider) and each mailbox's "
            "Transcription Enabled (Apps > Voicemail)")
REMEDIATION = {
    "freeswitch": "mod_voicemail does not transcribe: nothing to change in FreeSWITCH's own configuration.",
    "fusionpbx": "Advanced > Default Settings > transcribe: set enabled=false, or sign a BAA with the engine's provider "
                 "(transcribe engine / voicemail transcribe_provider: Google, IBM Watson, Azure, OpenAI or your "
                 "custom URL) and list its API host in the business_associates: register. Advanced > Email "
                 "Templates > voicemail: remove ${message_text} from the body so the email carries no transcript; "
                 "Apps > Voicemail > (mailbox): Transcription Enabled = false where not needed.",
}


def _refused(facts: FreeSwitchFacts) -> str:
    """Why the flavor is unknown (the root document was refused), or ""."""
    state, reason = facts.source_state(ROOT)
    return f"whether this is FusionPBX (which may transcribe) is unknown: {reason}" if state == "error" else ""


def fusionpbx_service(facts: FreeSwitchFacts) -> Iterator[PhiRecipient]:
    if why := _refused(facts):
        yield PhiRecipient(subject="voicemail transcription", role=TRANSCRIPTION_ROLE, how=ROOT, undecidable=why)
        return
    if facts.flavor != "fusionpbx":
        return
    yield PhiRecipient(subject="voicemail transcription (FusionPBX)", role=TRANSCRIPTION_ROLE,
                       how="FusionPBX default settings transcribe engine / voicemail transcribe_provider",
                       undecidable=f"whether voicemail is transcribed, and by which provider, is in {SETTINGS}, "
                                   "which this scan does not read: check them and list the provider in the register")


def fusionpbx_transcript_text(facts: FreeSwitchFacts) -> Iterator[TranscriptInNotification]:
    if why := _refused(facts):
        yield TranscriptInNotification(subject="(target)", channel="email", setting=ROOT, undecidable=why)
        return
    if facts.flavor != "fusionpbx":
        return
    yield TranscriptInNotification(subject="voicemail email (FusionPBX)", channel="email",
                                   setting="FusionPBX voicemail email template ${message_text}",
                                   undecidable=f"whether transcription is on is in {SETTINGS}, and whether the "
                                               "email template writes it (${message_text}) is in Advanced > Email "
                                               "Templates: both in the database, which this scan does not read")


def no_transcript_fix(rec: TranscriptInNotification) -> list[str]:
    return ["Advanced > Email Templates > voicemail (transcription): remove ${message_text} from the body"]


BINDINGS = (
    Binding("BAA-101", "freeswitch", fusionpbx_service, (), remediation=REMEDIATION, fix=register_fix, none=NONE),
    Binding("TRX-PHI-101", "freeswitch", fusionpbx_transcript_text, (), remediation=REMEDIATION,
            fix=no_transcript_fix, none=NONE),
)
