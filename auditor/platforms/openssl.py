"""Cipher lists as OpenSSL expands them, for every platform that hands one to OpenSSL (Kamailio's
tls.cfg, OpenSIPS tls_mgm, FreeSWITCH's sofia ``tls-ciphers``, PJSIP's default list).

Expanded by the OpenSSL voxaudit runs on: the same string on the PBX's OpenSSL may differ in suites
either one lacks, so the suites a list names one by one are judged by name as well.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

# PSK and SRP suites need a pre-shared key or an SRP verifier callback, which none of the servers
# voxaudit reads installs: a list that names them can never negotiate them.
UNUSABLE_KEY_EXCHANGES = frozenset({"kx-psk", "kx-rsa-psk", "kx-dhe-psk", "kx-ecdhe-psk", "kx-srp"})
MAX_LIST = 4096  # characters of a cipher list looked at (OpenSSL's own lists are a few hundred)


def _ssl() -> Any:
    """The ssl module, loaded when a list is first expanded (a registry or a rescore never needs it)."""
    import ssl
    return ssl


def openssl_version() -> str:
    return str(_ssl().OPENSSL_VERSION.split()[1])


@lru_cache(maxsize=64)
def expand_cipher_list(cipher_list: str) -> tuple[str, ...] | None:
    """The suites below TLS 1.3 that ``cipher_list`` selects (SSL_CTX_set_cipher_list); None when
    OpenSSL selects nothing from it, which makes the server refuse the profile."""
    ssl = _ssl()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        ctx.set_ciphers(cipher_list[:MAX_LIST])
    except ssl.SSLError:
        return None
    return tuple(c["name"] for c in ctx.get_ciphers()
                 if c.get("protocol") != "TLSv1.3" and c.get("kea") not in UNUSABLE_KEY_EXCHANGES)


@lru_cache(maxsize=1)
def default_tls13_suites() -> tuple[str, ...]:
    """OpenSSL's TLS 1.3 suites (a cipher list does not change them)."""
    ssl = _ssl()
    return tuple(c["name"] for c in ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).get_ciphers()
                 if c.get("protocol") == "TLSv1.3")


def named_suites(cipher_list: str) -> tuple[str, ...]:
    """The suites a cipher list names one by one ("DES-CBC3-SHA"), not removed ("!", "-") nor
    moved ("+"), nor aliases ("HIGH", "ECDHE+AESGCM"), nor "@" commands: judged by their names even
    where the OpenSSL voxaudit runs on no longer has them (RC4, 3DES) but the PBX's may."""
    out: list[str] = []
    for token in cipher_list[:MAX_LIST].replace(",", ":").replace(" ", ":").split(":"):
        if (token and token[0] not in "!-+@" and "-" in token and len(token) <= 64
                and all(ch.isalnum() or ch in "-_" for ch in token) and token not in out):
            out.append(token)
    return tuple(out)


def admitted_suites(cipher_list: str, tls13: bool) -> tuple[tuple[str, ...], list[str]]:
    """(every suite a server given ``cipher_list`` admits: the list as OpenSSL expands it, the suites it
    names that this OpenSSL lacks, and OpenSSL's TLS 1.3 suites when the server admits TLS 1.3;
    the names this OpenSSL lacks). No suites: OpenSSL selects none from the list."""
    below13 = expand_cipher_list(cipher_list) or ()
    lacking = [n for n in named_suites(cipher_list) if n not in below13]
    if not below13 and not lacking:
        return (), lacking
    return (*below13, *lacking, *(default_tls13_suites() if tls13 else ())), lacking


def how_read(setting: str, lacking: list[str]) -> str:
    """Evidence text for a list's suites: how it was read, and the names this OpenSSL lacks (suite names
    only: a cipher list holds no secret, but it is not quoted either)."""
    text = f"{setting} as OpenSSL {openssl_version()} expands it"
    if lacking:
        text += f" (named there, unknown to this OpenSSL: {', '.join(lacking[:4])})"
    return text


@lru_cache(maxsize=1)
def suites_by_id() -> dict[int, str]:
    """Each suite this OpenSSL knows, by its two-byte IANA number (PJSIP also takes ``0xC02B`` or ``49195``)."""
    ssl = _ssl()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.set_ciphers("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    return {int(c["id"]) & 0xFFFF: str(c["name"]) for c in ctx.get_ciphers()}
