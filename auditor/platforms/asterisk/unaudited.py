"""Channel drivers voxaudit does not read (SCCP, MGCP, UNIStim, H.323: plaintext by design). Their
configuration, present while the module loads, is a gap of its root (auditor/facts/asterisk_modules.py);
naming those roots as sources of the transport controls makes each such gap an ERROR there, so the
coverage of call encryption drops instead of the audit passing over phones it never looked at."""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.asterisk import AsteriskFacts
from voxaudit.facts.asterisk_modules import NOT_AUDITED
from voxaudit.records.transport import MediaPolicy, SignallingPath

SOURCES = tuple(NOT_AUDITED)
REMEDIATION = {
    "asterisk": "Unload the driver (modules.conf: noload => chan_skinny.so, chan_sccp.so, chan_mgcp.so, "
                "chan_unistim.so or chan_ooh323.so) and move its phones to chan_pjsip with TLS and SRTP.",
    "freepbx": "Settings > Advanced Settings / Module Admin: disable the SCCP, MGCP, UNIStim or H.323 channel "
               "driver, and move its phones to PJSIP extensions with TLS and SRTP.",
}
NONE = "no SCCP, MGCP, UNIStim or H.323 configuration that loads"


def no_signalling(facts: AsteriskFacts) -> Iterator[SignallingPath]:
    """Nothing is judged from these files: their gaps are the answer."""
    return iter(())


def no_media(facts: AsteriskFacts) -> Iterator[MediaPolicy]:
    return iter(())


BINDINGS = (
    Binding("ENC-SIG-101", "asterisk", no_signalling, SOURCES, remediation=REMEDIATION, none=NONE),
    Binding("ENC-MEDIA-101", "asterisk", no_media, SOURCES, remediation=REMEDIATION, none=NONE),
)
