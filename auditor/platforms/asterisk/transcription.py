"""Voicemail transcription on Asterisk/FreePBX, as records (BAA-101 and TRX-PHI-101).

app_voicemail has no transcription of its own. The public add-ons install a **mail command**:
voicemail.conf [general] ``mailcmd`` (app_voicemail pipes each notification email, audio attached,
into it instead of ``/usr/sbin/sendmail -t``) names a wrapper script that cuts the audio out of the
message, sends it to a speech service, writes the text into the email body and hands the email on to
``sendmail -t``. Read from the source of the known wrappers:

* ``sendmail-gcloud`` (VitalPBX/vitalpbx-voicemail-transcription-google-cloud, after N. Bernaerts'
  and jrklein's scripts): ``gcloud ml speech recognize`` (Google Cloud Speech-to-Text), appends
  "--- Google transcription result ---" and the text to the body, then ``sendmail -t``;
* ``sendmail-openai`` (VitalPBX/vitalpbx-voicemail-transcription-openai): OpenAI's transcription API;
* ``sendmail-bluemix``/``sendmail-watson`` (jrklein.com, 2015): IBM Watson Speech to Text;
* ``sendmailmp3`` (PhracturedBlue/sendmailmp3, after the same scripts): its ``wav_transcribe.py``
  (Google, Microsoft Bing and IBM Watson through speech_recognition) or a ``TRANSCRIBE_URL``, then
  ``sendmail -t``.

Which service a wrapper uses is in the script, not in /etc/asterisk: :func:`mailcmd_transcription`
names the program and, for a known wrapper, the service its published version uses; it stays an
ERROR (not collected) for BAA-101 until the script's text is read with
:func:`voxaudit.records.transcription.script_targets` (the collectors do not yet carry script files:
docs/transcription.md). FreePBX's commercial transcription (Sangoma's) is not configured in any file
this reader holds: not detected here (docs/transcription.md).
"""
from __future__ import annotations

import functools
from typing import Iterator, Optional

from voxaudit.control import Binding
from voxaudit.facts.asterisk import AsteriskFacts
from voxaudit.facts.common import ConfigObject
from voxaudit.platforms.asterisk.common import vm_general
from voxaudit.platforms.asterisk.recipients import MTA_PROGRAMS, register_fix
from voxaudit.records.recipients import PhiRecipient
from voxaudit.records.transcription import TRANSCRIPTION_ROLE, TranscriptInNotification

# Known public wrappers: program name -> (the speech service its published version sends audio to, its host).
KNOWN_WRAPPERS: dict[str, tuple[str, str]] = {
    "sendmail-gcloud": ("Google Cloud Speech-to-Text", "speech.googleapis.com"),
    "sendmail-openai": ("OpenAI (Whisper)", "api.openai.com"),
    "sendmail-bluemix": ("IBM Watson Speech to Text", "stream.watsonplatform.net"),
    "sendmail-watson": ("IBM Watson Speech to Text", "stream.watsonplatform.net"),
    # PhracturedBlue/sendmailmp3: runs wav_transcribe.py (speech_recognition: Google, Microsoft Bing, IBM
    # Watson) or POSTs the audio to $TRANSCRIBE_URL, then `sendmail -t`
    "sendmailmp3": ("the services of its wav_transcribe.py (Google, Microsoft Bing, IBM Watson) or its TRANSCRIBE_URL", ""),
}
# Words in a program's name that say it transcribes (matched as substrings of the lowercased name).
TRANSCRIBING_WORDS = ("transcri", "speech", "stt", "whisper", "gcloud", "watson", "bluemix", "openai", "azure")
MAX_PROGRAM = 4096  # a mailcmd longer than this is not a command line anyone wrote: not read

REMEDIATION = {
    "asterisk": "Sign a business associate agreement with the speech service the voicemail.conf mailcmd script "
                "sends audio to and list its API host in the business_associates: register, or remove mailcmd "
                "(voicemail.conf [general]) to stop transcription. Keep transcripts out of the email body: "
                "email only 'you have a new message' and read the transcript in the voicemail system.",
    "freepbx": "Settings > Voicemail Admin > Settings > Email Config (mailcmd; or voicemail.conf_custom / "
               "vm_general.inc [general](+) mailcmd=): remove the transcription wrapper, or sign a BAA with its "
               "speech service and list it in the register; have it send a notice without the transcript.",
}


def program_of(mailcmd: str) -> tuple[str, str]:
    """(path, name) of the program a mailcmd runs: its first word (app_voicemail runs the whole line
    through the shell; the rest are arguments). Split on fixed characters: linear; never a value quoted."""
    words = mailcmd[:MAX_PROGRAM].split()
    path = words[0] if words else ""
    for sep in (";", "|", "&", "<", ">", "`", "$("):
        path = path.split(sep, 1)[0]
    return path, path.rsplit("/", 1)[-1]


def is_transcribing(name: str) -> bool:
    """Does a mail command's program name say it transcribes (a known wrapper, or a telling word)?"""
    low = name.lower()
    return low in KNOWN_WRAPPERS or any(w in low for w in TRANSCRIBING_WORDS)


def hands_on_to_sendmail(name: str) -> bool:
    """Known wrappers pass the email on to ``sendmail -t`` (read in their source): the MTA's relay still
    carries it."""
    return name.lower() in KNOWN_WRAPPERS


def _mailcmd(facts: AsteriskFacts) -> Optional[tuple[ConfigObject, str, str]]:
    """(voicemail.conf [general], program path, name) when mailcmd runs a transcription program and a
    mailbox emails voicemail (app_voicemail runs mailcmd only to send email)."""
    general = vm_general(facts)
    value = (general.get("mailcmd") if general is not None else None) or ""
    if general is None or not value.strip():
        return None
    path, name = program_of(value)
    if not is_transcribing(name):
        return None
    if not any((box.get("email") or "").strip() for box in facts.of_kind("voicemail.mailbox")):
        return None
    return general, path, name


def mailcmd_transcription(facts: AsteriskFacts) -> Iterator[PhiRecipient]:
    """The speech service a transcribing mailcmd sends audio to (undecidable until its script is read)."""
    found = _mailcmd(facts)
    if found is None:
        return
    general, path, name = found
    script = next((s for s in (facts.host.scripts if facts.host is not None else []) if s.path == path), None)
    if script is not None and not script.problem and (script.services or script.hosts):
        named = [(f"{provider} ({host})", host) for provider, host in script.services] + [
            (f"a URL in the script ({host})", host) for host in script.hosts]
        for what, host in named:  # each party the script sends to: judged against the register like any other
            yield PhiRecipient(subject=f"{host} ({TRANSCRIPTION_ROLE})", source=general.location("mailcmd"),
                               role=TRANSCRIPTION_ROLE, host=host,
                               how=f"voicemail.conf [general] mailcmd runs {path}, which sends audio to {what}")
        return
    known = KNOWN_WRAPPERS.get(name.lower())
    hint = (f"; the published {name} sends audio to {known[0]}" + (f" ({known[1]})" if known[1] else "") +
            ", but the copy installed here may have been changed") if known else ""
    yield PhiRecipient(
        subject=f"voicemail transcription {name}", source=general.location("mailcmd"), role=TRANSCRIPTION_ROLE,
        how=f"voicemail.conf [general] mailcmd runs {path}",
        undecidable=f"mailcmd runs the transcription program {path}; the speech service it sends each message's "
                    f"audio to is named in that script, which this scan did not collect"
                    f"{' (' + script.problem + ')' if script is not None and script.problem else ''}{hint}: capture the "
                    "script with the host evidence (docs/transcription.md) and list its service in the register")


def transcript_in_email(facts: AsteriskFacts) -> Iterator[TranscriptInNotification]:
    """What the notification email carries. app_voicemail has no transcript of its own and a mail transfer
    agent adds none: PASS. A known wrapper writes the transcript into the email it sends (its only
    output): FAIL. Any other program may: ERROR until its script is read."""
    general = vm_general(facts)
    emailing = any((box.get("email") or "").strip() for box in facts.of_kind("voicemail.mailbox"))
    if general is None and not emailing:
        return
    value = (general.get("mailcmd") if general is not None else None) or ""
    path, name = program_of(value) if value.strip() else ("/usr/sbin/sendmail -t (default)", "sendmail")
    src = general.location("mailcmd") if general is not None and value.strip() else \
        (general.source if general is not None else None)
    setting = f"voicemail.conf [general] mailcmd={path}"
    rec = functools.partial(TranscriptInNotification, subject="voicemail email (mailcmd)", source=src, channel="email")
    if not emailing:
        yield rec(setting=f"{setting}, and no mailbox emails voicemail")
    elif name in MTA_PROGRAMS:
        yield rec(setting=setting)
    elif name.lower() in KNOWN_WRAPPERS:
        yield rec(setting=setting, included=True)
    else:
        yield rec(setting=setting,
                  undecidable=f"mailcmd runs {name}, not a mail transfer agent: whether it transcribes the message "
                              "and writes the transcript into the email body is in that program, which this scan "
                              "did not collect")


def no_transcript_fix(rec: TranscriptInNotification) -> list[str]:
    return ["[general]", ";mailcmd=... removed: app_voicemail's default /usr/sbin/sendmail -t sends no transcript"]


BINDINGS = (
    Binding("BAA-101", "asterisk", mailcmd_transcription, ("voicemail.conf",), remediation=REMEDIATION,
            fix=register_fix, none="voicemail.conf mailcmd runs no transcription program"),
    Binding("TRX-PHI-101", "asterisk", transcript_in_email, ("voicemail.conf",), remediation=REMEDIATION,
            fix=no_transcript_fix, none="no voicemail.conf [general] and no mailbox"),
)
