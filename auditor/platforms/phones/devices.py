"""Desk phones' provisioning as their files configure it: the server URL's scheme and any
user:password it embeds, and any other URL the phone applies with a password or token in it (the
collector keeps scheme, host and port only, and notes the secret's shape)."""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.phones import PhoneFacts
from voxaudit.platforms.phones.common import PLACEHOLDER_WHY, per_vendor
from voxaudit.records.devices import Provisioning

ENCRYPTED = {"https", "ftps"}
CREDENTIAL_URL = "credential_url:"  # auditor/facts/phones.py: a URL other than the provisioning one, with a secret


def provisioning(facts: PhoneFacts) -> Iterator[Provisioning]:
    for d in facts.of_kind("phone.device"):
        url = d.get("provisioning_url")
        if not url:
            continue
        proto = d.get("provisioning_protocol") or "?"
        if d.get("provisioning_url.unknown"):  # set only by a file the phone may load: not known
            yield Provisioning(subject=f"phone {d.name}", source=d.location("provisioning_url"), protocol="?",
                               encrypted=False, setting=d.get("provisioning_url.option") or "provisioning URL",
                               url="not known", undecidable=d.get("provisioning_url.unknown") or "")
            continue
        if d.get("provisioning_url.placeholder"):
            option = d.get("provisioning_url.option") or "provisioning URL"
            yield Provisioning(subject=f"phone {d.name}", source=d.location("provisioning_url"), protocol=proto,
                               encrypted=False, setting=option, url=url, undecidable=f"{option} is {PLACEHOLDER_WHY}")
            continue
        yield Provisioning(subject=f"phone {d.name}", source=d.location("provisioning_url"), protocol=proto,
                           encrypted=proto in ENCRYPTED, setting=d.get("provisioning_url.option") or "", url=url,
                           credentials_in_url="provisioning_url_password" in d.secrets)


def provisioning_and_credential_urls(facts: PhoneFacts) -> Iterator[Provisioning]:
    """The provisioning URLs, and every other URL a phone applies with a password or token in it (firmware,
    phone book, a boot file's include): DEV-PRV-102 judges them all, the HTTPS control only the first."""
    yield from provisioning(facts)
    for d in facts.of_kind("phone.device"):
        for name in d.settings:
            if not name.startswith(CREDENTIAL_URL):
                continue
            key, url = name[len(CREDENTIAL_URL):], d.get(name) or ""
            yield Provisioning(subject=f"phone {d.name} {key}", source=d.location(name),
                               protocol=url.partition("://")[0].lower(), encrypted=url.startswith("https://"),
                               setting=key, url=url, credentials_in_url=True)


def https_fix(prov: Provisioning) -> list[str]:
    return [f"{prov.setting} -> https://..."]


def credentials_fix(prov: Provisioning) -> list[str]:
    return [f"{prov.setting} -> URL without credentials"]


BINDINGS = (
    Binding("DEV-PRV-101", "phone", provisioning, ("provisioning",), "PHONE-PRV-101", per_vendor(
        yealink="static.auto_provision.server.url = https://<server>/ (and phones trust the server's CA).",
        polycom="device.prov.serverType=\"HTTPS\" with device.prov.serverName=\"https://<server>/\".",
        grandstream="P212 = 2 (HTTPS) and P237 = the server path.",
        cisco_spa="<Profile_Rule>https://<server>/$MA.xml</Profile_Rule>.",
    ), https_fix, none="no provisioning URL in the files"),
    Binding("DEV-PRV-102", "phone", provisioning_and_credential_urls, ("provisioning",), "PHONE-PRV-102", per_vendor(
        yealink="Use static.auto_provision.server.username / .password (or client certificates) instead of URL "
                "credentials.",
        polycom="Use device.prov.user and device.prov.password instead of URL credentials.",
        grandstream="Use the config server's HTTP/HTTPS user name and password P-values instead of URL credentials.",
        cisco_spa="Use HTTPS with client certificates, or --uid/--pwd options, not user:password@ in Profile_Rule.",
    ), credentials_fix, none="no provisioning URL in the files"),
)
