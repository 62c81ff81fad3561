"""Voicemail transcription: who turns a patient's recorded voice into text, and where that text goes.

A transcription service receives the audio (PHI) and is a business associate: it is listed as a
:class:`~voxaudit.records.recipients.PhiRecipient` with role :data:`TRANSCRIPTION_ROLE` and judged by
BAA-101 against the register, like every other recipient (no second register control). A transcript
placed into an email or SMS body is a :class:`TranscriptInNotification` (minimum necessary).

:func:`script_targets` reads a transcription script's *text* only to name the speech service it sends
audio to (known API hosts and command-line tools, and the host of every URL it writes): never runs it,
never returns a value from it (a script carries API keys), linear in its length, bounded in size.
"""
from __future__ import annotations

from dataclasses import dataclass

from voxaudit.records.base import Record
from voxaudit.records.recipients import MAX_HOST, normal_host

TRANSCRIPTION_ROLE = "transcription service"
MAX_SCRIPT = 256 * 1024  # a wrapper script is a few kilobytes; more is not read (a gap, never a guess)
MAX_URLS = 64

# (what appears in a script, the service, the host its audio goes to). Markers are lowercase and
# matched with str.find (linear). Command-line clients are listed with the API host they call.
PROVIDERS: tuple[tuple[str, str, str], ...] = (
    ("speech.googleapis.com", "Google Cloud Speech-to-Text", "speech.googleapis.com"),
    ("gcloud ml speech", "Google Cloud Speech-to-Text (gcloud CLI)", "speech.googleapis.com"),
    ("google.com/speech-api", "Google Web Speech API", "www.google.com"),
    ("recognize_google", "Google Web Speech API (speech_recognition)", "www.google.com"),
    ("watsonplatform.net", "IBM Watson Speech to Text", "stream.watsonplatform.net"),
    ("speech-to-text.watson.cloud.ibm.com", "IBM Watson Speech to Text", "speech-to-text.watson.cloud.ibm.com"),
    ("recognize_ibm", "IBM Watson Speech to Text (speech_recognition)", "stream.watsonplatform.net"),
    ("aws transcribe", "Amazon Transcribe (aws CLI)", "transcribe.amazonaws.com"),
    ("start-transcription-job", "Amazon Transcribe", "transcribe.amazonaws.com"),
    ("stt.speech.microsoft.com", "Azure AI Speech", "stt.speech.microsoft.com"),
    ("cognitiveservices.speech", "Azure AI Speech (SDK)", "stt.speech.microsoft.com"),
    ("recognize_azure", "Azure AI Speech (speech_recognition)", "stt.speech.microsoft.com"),
    ("recognize_bing", "Microsoft Bing Speech (speech_recognition)", "speech.platform.bing.com"),
    ("api.openai.com", "OpenAI (Whisper)", "api.openai.com"),
    ("audio/transcriptions", "OpenAI (Whisper)", "api.openai.com"),
    ("api.deepgram.com", "Deepgram", "api.deepgram.com"),
    ("api.assemblyai.com", "AssemblyAI", "api.assemblyai.com"),
    ("api.rev.ai", "Rev.ai", "api.rev.ai"),
    ("api.wit.ai", "Wit.ai", "api.wit.ai"),
)
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-[]:")


class TranscriptInNotification(Record, frozen=True, kw_only=True):
    """Whether a message's transcript is written into a notification (email or SMS body).

    ``channel``: "email", "SMS"; ``setting``: where it is decided, quoted as configured (a program
    path or an option name, never a value that may be secret); ``undecidable``: why it cannot be told."""

    channel: str
    setting: str
    included: bool = False
    undecidable: str = ""


@dataclass(frozen=True, slots=True)
class ScriptTargets:
    """What a script's text names: services (provider, host) and other URL hosts; ``problem`` when the
    file is not read as a script (binary, too large): then nothing it names is known."""

    services: tuple[tuple[str, str], ...] = ()
    hosts: tuple[str, ...] = ()
    problem: str = ""


def script_targets(data: bytes) -> ScriptTargets:
    """The speech services and URL hosts a script sends to (text only; see the module docstring)."""
    if len(data) > MAX_SCRIPT:
        return ScriptTargets(problem=f"larger than {MAX_SCRIPT // 1024} KiB: not read as a script")
    if b"\x00" in data:
        return ScriptTargets(problem="binary content (a NUL byte): not a script whose text can be read")
    text = data.decode("utf-8", "replace").lower()
    services: dict[tuple[str, str], None] = {}
    for marker, provider, host in PROVIDERS:
        if text.find(marker) >= 0:
            services[(provider, host)] = None
    hosts: dict[str, None] = {}
    start = text.find("://")
    while start >= 0 and len(hosts) < MAX_URLS:
        end = start + 3
        limit = min(len(text), end + MAX_HOST + 1)
        while end < limit and text[end] in _HOST_CHARS:
            end += 1
        begin = start + 3
        if end < len(text) and text[end] == "@":  # user:password@host: the credentials are skipped, never kept
            begin = end = end + 1
            limit = min(len(text), end + MAX_HOST + 1)
            while end < limit and text[end] in _HOST_CHARS:
                end += 1
        host = _url_host(text[begin:end])
        if host:
            hosts[host] = None
        start = text.find("://", end)
    known = {h for _, h in services}
    return ScriptTargets(services=tuple(services), hosts=tuple(h for h in hosts if h not in known))


def _url_host(authority: str) -> str:
    """The host of a URL's authority, without port; "" when it is not a plausible host name."""
    if authority.startswith("["):
        host = authority[1:].split("]", 1)[0]
    else:
        host = authority.split(":", 1)[0]
    host = normal_host(host)
    if not host or "." not in host or len(host) > MAX_HOST or host.startswith(("-", ".")):
        return ""
    return host
