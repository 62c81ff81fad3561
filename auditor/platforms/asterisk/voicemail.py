"""app_voicemail's access policy (voicemail.conf [general]), the dialplan's ways into VoiceMailMain,
and mailbox names (voicemail.conf, users.conf, minivm.conf) as records."""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding, Params
from voxaudit.facts.asterisk import AsteriskFacts
from voxaudit.facts.asterisk_dialplan import piece, separate, voicemailmain_access
from voxaudit.platforms.asterisk.common import mailboxes, vm_general
from voxaudit.platforms.common import config_int
from voxaudit.records.voicemail import LoginLimit, MailboxOwner, PinPolicy, PinPrompt
from voxaudit.remediation import Change, note, set_

GENERAL = "voicemail.conf [general]"
MAXLOGINS_DEFAULT = 3  # app_voicemail's default


def pin_policy(facts: AsteriskFacts) -> Iterator[PinPolicy]:
    general = vm_general(facts)
    if general is None:
        return
    value = general.get("minpassword")
    length = config_int(value)
    yield PinPolicy(subject=GENERAL, source=general.location("minpassword"), section=GENERAL,
                    min_length=length if length is not None else 0,
                    setting=f"minpassword={value}" if value else "minpassword unset (0)")


def login_limit(facts: AsteriskFacts) -> Iterator[LoginLimit]:
    general = vm_general(facts)
    if general is None:
        return
    raw = general.get("maxlogins")
    given = config_int(raw)
    value = given if given is not None else MAXLOGINS_DEFAULT
    yield LoginLimit(subject=GENERAL, source=general.location("maxlogins"), section=GENERAL,
                     attempts=value, setting=f"maxlogins={value}", defaulted=not raw)


def pin_prompts(facts: AsteriskFacts) -> Iterator[PinPrompt]:
    for s in facts.dialplan:
        if s.app.lower() != "voicemailmain":
            continue
        verdict, why = voicemailmain_access(s.args)
        parts = separate(piece(s.args), ",", 2, True) if verdict != "asks" else []
        plain = bool(s.priority and not s.via)
        section = (f"{s.source.file} [{s.context}]" if plain
                   else f"{s.source} [{s.context}]" + (f" (inside {s.via})" if s.via else ""))
        yield PinPrompt(subject=f"dialplan {s.label}", source=s.source, section=section, access=verdict, why=why,
                        menu="VoiceMailMain", call=f"VoiceMailMain({s.args})",
                        mailbox=parts[0].text if parts else "", step=f"{s.exten},{s.priority}" if plain else "")


def mailbox_owners(facts: AsteriskFacts) -> Iterator[MailboxOwner]:
    for mb in mailboxes(facts):
        yield MailboxOwner(subject=f"mailbox {mb.name}", source=mb.source, mailbox=mb.name,
                           name=mb.get("fullname") or "")


def minpassword_fix(policy: PinPolicy, params: Params) -> list[str]:
    return ["[general]", f"minpassword={params.int('min_pin_length')}"]


def maxlogins_fix(limit: LoginLimit, params: Params) -> list[str]:
    return ["[general]", f"maxlogins={params.int('max_logins')}"]


def minpassword_change(policy: PinPolicy, params: Params) -> list[Change]:
    return [set_("voicemail.conf", "general", "minpassword", str(params.int("min_pin_length")), "voicemail.general")]


def maxlogins_change(limit: LoginLimit, params: Params) -> list[Change]:
    return [set_("voicemail.conf", "general", "maxlogins", str(params.int("max_logins")), "voicemail.general")]


def prompt_change(prompt: PinPrompt) -> list[Change]:
    """Rewriting a dialplan step is a decision about who may skip the PIN: a note at the step."""
    return [note(prompt.source.file if prompt.source else "extensions.conf", "",
                 f"make {prompt.subject} ask for the PIN: remove the 's' option of VoiceMailMain here")]


def prompt_fix(prompt: PinPrompt) -> list[str]:
    call = f"VoiceMailMain({prompt.mailbox})"
    return [f"; {prompt.section}", f"exten => {prompt.step},{call}" if prompt.step else call]


BINDINGS = (
    Binding("MBX-POL-101", "asterisk", pin_policy, ("voicemail.conf",), "AST-VM-105", {
        "asterisk": "In voicemail.conf [general] set minpassword=<min_pin_length>.",
        "freepbx": "Settings > Voicemail Admin > Settings > General: minpassword.",
    }, minpassword_fix, none="no [general] section", change=minpassword_change),
    Binding("MBX-POL-102", "asterisk", login_limit, ("voicemail.conf",), "AST-VM-107", {
        "asterisk": "In voicemail.conf [general] set maxlogins=3 (and lock out repeated callers with fail2ban on the "
                    "security log).",
        "freepbx": "Settings > Voicemail Admin > Settings > General: maxlogins = 3.",
    }, maxlogins_fix, none="no [general] section", change=maxlogins_change),
    Binding("MBX-POL-104", "asterisk", pin_prompts, ("extensions.conf", "extensions.ael", "extensions.lua"),
            "AST-VM-108", {
        "asterisk": "Remove the 's' option: VoiceMailMain(${CALLERID(num)}@default) so the PIN is always asked.",
        "freepbx": "Remove the custom context in extensions_custom.conf that calls VoiceMailMain(...,s); for *97 keep "
                   "Settings > Voicemail Admin > Settings > 'Require From Same Extension' with a password.",
    }, prompt_fix, none="VoiceMailMain is not used in the dialplan", change=prompt_change),
    Binding("MBX-POL-105", "asterisk", mailbox_owners, ("voicemail.conf", "minivm.conf"), "AST-VM-109", {
        "asterisk": "Give each person their own mailbox; for group lines use a ring group to personal mailboxes or "
                    "app_voicemail's per-user copies (box => PIN with the group as an alias).",
        "freepbx": "Replace the shared mailbox with a Ring Group whose destination-if-no-answer is each member's "
                   "voicemail, or a Queue with personal voicemail.",
    }, none="no mailboxes defined"),
)
