"""iax.conf as chan_iax2 reads it (``set_config``, ``build_peer`` and ``build_user`` in
channels/chan_iax2.c), turned into facts.

IAX2 carries a call's signalling and its audio in one UDP stream (port 4569): unless the call is
encrypted (``encryption``/``forceencryption``, AES-128 keyed from the MD5 challenge), both cross the
network in clear, and ``auth=plaintext`` sends the account's secret itself. Clinics meet it as the
trunk between two sites' PBXes and on older FreePBX extensions (FreePBX writes ``iax_additional.conf``
and includes it from iax.conf).

What chan_iax2 does, kept here so that the adapter judges the effective settings:

* ``[general]`` holds the defaults: ``auth`` (unset: none, see below), ``encryption`` and
  ``forceencryption`` (off), ``bindaddr``/``bindport`` (every address, 4569). ``[callnumberlimits]``
  is not an account.
* Every other section is built by its ``type=``: ``user`` (who may call in), ``peer`` (whom we call,
  or who registers to us), ``friend`` (both). A section without ``type=``, or with another type,
  is skipped with a warning (kept here as a note).
* A user or peer starts from the general ``encryption`` and can only add to it: ``encryption=no`` on
  a peer does not take away an encryption [general] turned on (``encmethods |= ...``).
* ``auth`` is matched by substring ("md5", "rsa", "plaintext"); unset and unset in [general], a peer
  answers MD5 challenges and a user asks for MD5 (RSA when it has only ``inkeys``).
* A user with no ``secret``, no ``dbsecret`` and no ``inkeys`` takes calls without any credentials,
  from the addresses its ``permit``/``deny`` admit (from everywhere without them).
* ``dbsecret`` names the AstDB key holding the secret: the secret is not in the file.
* users.conf users with ``hasiax`` (their own, else users.conf [general]'s) are IAX2 friends too,
  built after iax.conf's accounts; they are made by ``build_users`` (auditor/facts/asterisk_sip.py).

``auditor.facts.asterisk`` imports this module for its ``ROOT_BUILDERS`` table, so helpers from
there are imported inside the function that uses them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from voxaudit.facts.asterisk_sip import typed_section
from voxaudit.facts.common import ParseProblem
from voxaudit.parsers.asterisk_conf import ParsedConfig
from voxaudit.secretinfo import SecretInfo

if TYPE_CHECKING:
    from voxaudit.facts.asterisk import BuildContext

IAX_ROOT = "iax.conf"
IAX_TYPES = ("user", "peer", "friend")


def build_iax(pc: ParsedConfig, b: BuildContext) -> None:
    """``iax.general`` (at most one) and one ``iax.account`` per user, peer or friend section."""
    from voxaudit.facts.asterisk import _object

    for section in pc.instances():
        name = section.name.lower()
        if name == "general":
            b.objects.append(_object("iax.general", section)[0])
            continue
        if name == "callnumberlimits":
            b.problems.append(ParseProblem(file=section.file, line=section.line, fatal=False, note=True,
                                           message="[callnumberlimits] limits call numbers per address range; "
                                                   "it is not an account"))
            continue
        if not typed_section(section, IAX_TYPES, "chan_iax2", b.problems):
            continue
        obj, secrets = _object("iax.account", section)
        reference = obj.secrets.get("dbsecret")
        if reference is not None:  # an AstDB key, not a secret: its strength is not in this file
            obj.secrets["dbsecret"] = SecretInfo(present=True, placeholder=True, source=reference.source)
        for key, value in secrets.items():
            if key == "secret":
                b.sip_tracker.add(value, obj.secrets[key])
        b.objects.append(obj)
