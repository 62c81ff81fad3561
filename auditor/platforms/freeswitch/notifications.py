"""What mod_voicemail sends out for directory users with vm-mailto: audio attachments, deletion after email.

mod_voicemail attaches the recording unless vm-attach-file is false, and keeps the message after
mailing it unless vm-keep-local-after-email is false.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.common import ConfigObject
from voxaudit.facts.freeswitch import FreeSwitchFacts
from voxaudit.platforms.freeswitch.common import fs_true, runtime_reason
from voxaudit.records.notifications import AudioAttachment, MessageAfterEmail

NONE = "no user has vm-mailto"


def _emailing(facts: FreeSwitchFacts) -> list[ConfigObject]:
    return [u for u in facts.of_kind("directory.user") if (u.get("vm-mailto") or "").strip()]


def audio_attachments(facts: FreeSwitchFacts) -> Iterator[AudioAttachment]:
    for u in _emailing(facts):
        attach = u.get("vm-attach-file")
        hidden = runtime_reason(u, "vm-attach-file")
        attached = attach is None or fs_true(attach)
        source = hidden[1] if hidden else u.location("vm-mailto") if attached else u.location("vm-attach-file")
        yield AudioAttachment(subject=f"user {u.name}", source=source, section=f"directory user {u.name}",
                              attached=attached, channel="email",
                              setting=f"vm-attach-file={attach or 'unset (attaches)'}",
                              undecidable=hidden[0] if hidden else "")


def attach_fix(att: AudioAttachment) -> list[str]:
    return ['<param name="vm-attach-file" value="false"/>']


def messages_after_email(facts: FreeSwitchFacts) -> Iterator[MessageAfterEmail]:
    for u in _emailing(facts):
        keep = u.get("vm-keep-local-after-email")
        attach = u.get("vm-attach-file")
        hidden = runtime_reason(u, "vm-keep-local-after-email", "vm-attach-file")
        yield MessageAfterEmail(subject=f"user {u.name}",
                                source=hidden[1] if hidden else u.location("vm-keep-local-after-email"),
                                section=f"directory user {u.name}",
                                deleted=keep is not None and not fs_true(keep),
                                attached=attach is None or fs_true(attach),
                                deletion="vm-keep-local-after-email=false",
                                attachment=f"vm-attach-file={attach or 'unset (attaches)'}",
                                undecidable=hidden[0] if hidden else "")


def keep_fix(msg: MessageAfterEmail) -> list[str]:
    return ['<param name="vm-keep-local-after-email" value="true"/>']


BINDINGS = (
    Binding("NTF-PHI-101", "freeswitch", audio_attachments, ("directory",), "FS-NTF-101", {
        "freeswitch": "Set <param name=\"vm-attach-file\" value=\"false\"/> for users with vm-mailto "
                      "(or on the domain's <params>).",
        "fusionpbx": "Apps > Voicemail > (mailbox): Voicemail File = 'Listen with link' or 'none', not 'attach'.",
    }, attach_fix, none=NONE),
    Binding("NTF-PHI-103", "freeswitch", messages_after_email, ("directory",), "FS-NTF-102", {
        "freeswitch": "Set vm-keep-local-after-email=true (the default) and vm-attach-file=false.",
        "fusionpbx": "Apps > Voicemail > (mailbox): Keep Local = true.",
    }, keep_fix, none=NONE),
)
