"""SIP probes over UDP, TCP and TLS, with plain sockets.

By default each transport gets one OPTIONS (is it open, what does it announce) and one
REGISTER without credentials for a made-up user (is a challenge required). Extension
enumeration and unauthenticated INVITE can ring phones or reveal users, so they run only
when the inventory opts in, paced by ``rate_per_second`` and bounded in count; an INVITE that
is not refused is cancelled at once. Every wait is bounded by the target's timeout.
"""
from __future__ import annotations

import re
import secrets
import socket
import ssl
import time
from dataclasses import dataclass, field

from voxaudit.collectors.offline import CollectionError
from voxaudit.collectors.tls import bounded_handshake
from voxaudit.facts.network import (
    AdminPortProbe,
    EnumerationProbe,
    InviteProbe,
    SdpFacts,
    SipFacts,
    SipResponse,
    SipTransportProbe,
)
from voxaudit.targets import SipSource

MAX_PROBES = 24              # per target, all transports and opt-in probes together
MAX_RESPONSE_BYTES = 64 * 1024
# What one request may bring back: a hostile or looping server answering a UDP request with a flood of
# provisional responses would otherwise fill memory for the whole timeout (1.2 GB in 3 s on loopback).
MAX_FRAMES = 32
MAX_EXCHANGE_BYTES = 1024 * 1024
MAX_ALLOW = 64  # methods kept from Allow: (SIP defines 14)
_CONTROLS = dict.fromkeys([*range(0x20), *range(0x7F, 0xA0)], " ")
COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact", "l": "content-length",
           "c": "content-type", "k": "supported"}


@dataclass
class _Budget:
    rate: float
    sent: int = 0
    last: float = field(default=0.0)

    def spend(self) -> None:
        if self.sent >= MAX_PROBES:
            raise CollectionError("parse", f"probe budget of {MAX_PROBES} requests exhausted")
        gap = 1.0 / self.rate if self.rate > 0 else 0.0
        wait = self.last + gap - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self.last = time.monotonic()
        self.sent += 1


def _token() -> str:
    return secrets.token_hex(8)


def _request(method: str, uri: str, transport: str, local: tuple[str, int], to_uri: str,
             call_id: str | None = None, cseq: int = 1, body: str = "", extra: str = "",
             branch: str | None = None, from_tag: str | None = None, to_header: str | None = None) -> bytes:
    host, port = local
    via_host = f"[{host}]" if ":" in host else host
    lines = [
        f"{method} {uri} SIP/2.0",
        f"Via: SIP/2.0/{transport.upper()} {via_host}:{port};branch=z9hG4bK{branch or _token()};rport",
        "Max-Forwards: 70",
        f"From: <sip:voxaudit@{via_host}>;tag={from_tag or _token()}",
        f"To: {to_header}" if to_header else f"To: <{to_uri}>",
        f"Call-ID: {call_id or _token()}@voxaudit",
        f"CSeq: {cseq} {method}",
        f"Contact: <sip:voxaudit@{via_host}:{port};transport={transport}>",
        "User-Agent: voxaudit (HIPAA VoIP audit; read-only probe)",
        "Accept: application/sdp",
    ]
    if extra:
        lines.append(extra)
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body.encode())}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


_STATUS_RE = re.compile(r"^SIP/2\.0 (\d{3}) ?(.*)$")
_CALL_ID_RE = re.compile(rb"(?im)^(?:call-id|i)[ \t]*:[ \t]*([^\s]{1,256})")


def _call_id(message: bytes) -> bytes | None:
    """The Call-ID of a SIP message's head (bounded, linear), or None when it has none."""
    m = _CALL_ID_RE.search(message.partition(b"\r\n\r\n")[0][:MAX_RESPONSE_BYTES])
    return m.group(1) if m else None


def _answers(frame: bytes, call_id: bytes | None) -> bool:
    """Whether ``frame`` may answer the request with ``call_id``: not when it names another Call-ID (what is
    not SIP at all is kept: it is the peer's answer, shown as garbage)."""
    got = _call_id(frame)
    return call_id is None or got is None or got == call_id


def parse_response(data: bytes) -> SipResponse | None:
    """A SIP response, or None when the bytes are not one (garbage)."""
    head, _, body = data.partition(b"\r\n\r\n")
    text = head.decode("utf-8", errors="replace")  # a Latin-1 Server: header does not make it not SIP
    lines = text.split("\r\n")
    m = _STATUS_RE.match(lines[0])
    if not m:
        return None
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        if ":" not in line:
            continue
        k, v = line.split(":", 1)
        key = COMPACT.get(k.strip().lower(), k.strip().lower())
        headers.setdefault(key, []).append(v.strip())
    challenge = (headers.get("www-authenticate") or headers.get("proxy-authenticate") or [""])[0].split(" ")[0]
    allow = list(dict.fromkeys(a.strip().upper()[:32] for v in headers.get("allow", []) for a in v.split(",")
                               if a.strip()))[:MAX_ALLOW]
    # The peer's own text, shown in reports: bounded, and without control characters (terminal escapes).
    server = (headers.get("server") or headers.get("user-agent") or [""])[0]
    resp = SipResponse(status=int(m.group(1)), reason=m.group(2)[:80].translate(_CONTROLS), allow=allow,
                       challenge=challenge[:32].translate(_CONTROLS), server=server[:200].translate(_CONTROLS))
    if body and "application/sdp" in " ".join(headers.get("content-type", [])).lower():
        resp.sdp = parse_sdp(body.decode("utf-8", "replace"))
    return resp


def parse_sdp(text: str) -> SdpFacts:
    sdp = SdpFacts()
    for line in text.splitlines():
        if line.startswith("m="):
            parts = line[2:].split()
            if len(parts) >= 3:
                sdp.media_protocols.append(parts[2])
        elif line.startswith("a=crypto:"):
            sdp.crypto_lines += 1  # the key material itself is never stored
        elif line.startswith("a=fingerprint:"):
            sdp.fingerprint = True
    return sdp


class _NoConnection(OSError):
    """TCP: the connection itself was never made (nothing accepts it from here)."""


class _TlsDropped(OSError):
    """TLS: the port took the connection and reset it during the handshake."""


class _Channel:
    """One transport to the target; TCP/TLS connections are reused for every probe."""

    def __init__(self, spec: SipSource, transport: str, port: int) -> None:
        self.spec, self.transport, self.port = spec, transport, port
        self.sock: socket.socket | None = None
        family = socket.AF_INET6 if ":" in spec.address else socket.AF_INET
        if transport == "udp":
            self.sock = socket.socket(family, socket.SOCK_DGRAM)
            self.sock.settimeout(spec.timeout)
            self.sock.connect((spec.address, port))
        else:
            try:
                raw = socket.create_connection((spec.address, port), timeout=spec.timeout)
            except TimeoutError:
                raise _NoConnection(f"no TCP connection within {spec.timeout:g} s (filtered or down)") from None
            if transport == "tls":
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE  # we audit the certificate with sslyze; here we only talk SIP
                try:
                    raw = ctx.wrap_socket(raw, server_hostname=spec.tls_server_name or None,
                                          do_handshake_on_connect=False)
                    bounded_handshake(raw, time.monotonic() + spec.timeout)  # a trickling server cannot stretch it
                except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError) as exc:
                    raw.close()  # it took the connection, then dropped our hello: a TLS answer of sorts
                    raise _TlsDropped(exc.__class__.__name__) from None
                except BaseException:
                    raw.close()
                    raise
            raw.settimeout(spec.timeout)
            self.sock = raw
        self.local = self.sock.getsockname()[:2]

    def exchange(self, payload: bytes, until_final: bool = True) -> list[bytes]:
        """Send one request; collect responses until a final (>=200) one or the timeout. A response to
        another request (another Call-ID: a late answer to the previous probe, a retransmission) is not
        this one's: over UDP a slow 401 to OPTIONS would otherwise be read as the REGISTER's challenge."""
        assert self.sock is not None
        want = _call_id(payload)
        self.sock.sendall(payload) if self.transport != "udp" else self.sock.send(payload)
        out: list[bytes] = []
        deadline = time.monotonic() + self.spec.timeout
        buf = b""
        received = 0
        while time.monotonic() < deadline and len(out) < MAX_FRAMES and received < MAX_EXCHANGE_BYTES:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(MAX_RESPONSE_BYTES)
            except TimeoutError:
                chunk = b""
            if not chunk:  # closed or silent: what it sent (a body shorter than announced) is its answer
                if buf.strip():
                    out.append(buf)
                break
            received += len(chunk)
            if self.transport == "udp":
                if _answers(chunk, want):
                    out.append(chunk)
            else:
                buf += chunk
                while b"\r\n\r\n" in buf:
                    head, _, rest = buf.partition(b"\r\n\r\n")
                    m = re.search(rb"(?im)^(?:content-length|l)[ \t]*:[ \t]*(\d{1,9})(?!\d)", head)
                    # no length or one of 10 digits or more (int() refuses 5,000): what is buffered is the body
                    length = int(m.group(1)) if m else (MAX_RESPONSE_BYTES + 1 if re.search(
                        rb"(?im)^(?:content-length|l)[ \t]*:[ \t]*\d", head) else 0)
                    if len(rest) < length:
                        break
                    if _answers(head, want):
                        out.append(head + b"\r\n\r\n" + rest[:length])
                    buf = rest[length:]
                if len(buf) > MAX_RESPONSE_BYTES:
                    out.append(buf)
                    break
            last = parse_response(out[-1]) if out else None
            if out and (last is None or not until_final or last.status >= 200):
                break
        return out

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass


def _uri(spec: SipSource, user: str = "") -> str:
    host = spec.domain or (f"[{spec.address}]" if ":" in spec.address else spec.address)
    return f"sip:{user}@{host}" if user else f"sip:{host}"


def _final(frames: list[bytes]) -> SipResponse | None:
    parsed = [parse_response(f) for f in frames]
    finals = [p for p in parsed if p is not None and p.status >= 200]
    return finals[-1] if finals else next((p for p in reversed(parsed) if p is not None), None)


def probe_transport(spec: SipSource, transport: str, port: int, budget: _Budget) -> tuple[SipTransportProbe, _Channel | None]:
    started = time.monotonic()
    try:
        ch = _Channel(spec, transport, port)
    except ConnectionRefusedError:
        return SipTransportProbe(transport=transport, port=port, state="closed", detail="connection refused"), None
    except _NoConnection as exc:  # dropped SYNs: from here it is as closed as a refusal
        return SipTransportProbe(transport=transport, port=port, state="closed", detail=str(exc)), None
    except ssl.SSLError as exc:
        return SipTransportProbe(transport=transport, port=port, state="tls-failed",
                                 detail=f"TLS handshake failed ({exc.reason or exc.__class__.__name__})"), None
    except _TlsDropped as exc:
        return SipTransportProbe(transport=transport, port=port, state="tls-failed",
                                 detail=f"TLS handshake failed ({exc})"), None
    except TimeoutError:  # connected, but TLS never completed
        return SipTransportProbe(transport=transport, port=port, state="no-answer",
                                 detail=f"no TLS handshake within {spec.timeout:g} s"), None
    except OSError as exc:
        return SipTransportProbe(transport=transport, port=port, state="closed", detail=exc.strerror or str(exc)), None
    try:
        budget.spend()
        frames = ch.exchange(_request("OPTIONS", _uri(spec), transport, ch.local, _uri(spec)))
    except ConnectionRefusedError:  # UDP: ICMP port unreachable
        ch.close()
        return SipTransportProbe(transport=transport, port=port, state="closed", detail="port unreachable"), None
    except OSError as exc:
        ch.close()
        return SipTransportProbe(transport=transport, port=port, state="no-answer", detail=exc.strerror or str(exc)), None
    rtt = round((time.monotonic() - started) * 1000, 1)
    if not frames:
        ch.close()
        return SipTransportProbe(transport=transport, port=port, state="no-answer",
                                 detail=f"no SIP answer within {spec.timeout:g} s"), None
    options = _final(frames)
    if options is None:
        ch.close()
        return SipTransportProbe(transport=transport, port=port, state="garbage",
                                 detail="answered with something that is not SIP"), None
    probe = SipTransportProbe(transport=transport, port=port, state="answered", options=options, rtt_ms=rtt)
    user = f"voxaudit-{secrets.token_hex(3)}"
    try:
        budget.spend()
        probe.unauth_register = _final(ch.exchange(_request("REGISTER", _uri(spec), transport, ch.local, _uri(spec, user))))
    except OSError:
        probe.unauth_register = None
    return probe, ch


def _enumerate(spec: SipSource, ch: _Channel, budget: _Budget) -> EnumerationProbe:
    def status(user: str) -> str:
        budget.spend()
        r = _final(ch.exchange(_request("REGISTER", _uri(spec), ch.transport, ch.local, _uri(spec, user))))
        return f"{r.status} {r.reason}".strip() if r else "no answer"
    known = status(spec.known_user)
    unknown = [status(f"{secrets.randbelow(9000) + 1000}{secrets.token_hex(2)}") for _ in range(2)]
    return EnumerationProbe(transport=ch.transport, known_user_status=known, unknown_user_statuses=unknown,
                            distinguishable=any(u != known for u in unknown))


def _invite(spec: SipSource, ch: _Channel, budget: _Budget) -> InviteProbe:
    """An INVITE without credentials. Challenged (401/407) or refused (403) is the safe outcome;
    anything else means the request was routed without authentication."""
    host, port = ch.local
    sdp = (f"v=0\r\no=voxaudit 1 1 IN IP4 {host}\r\ns=-\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
           f"m=audio {port + 2} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendonly\r\n")
    call_id, branch, tag = _token(), _token(), _token()
    target = _uri(spec, spec.invite_target)
    budget.spend()
    frames = ch.exchange(_request("INVITE", target, ch.transport, ch.local, target, call_id=call_id, body=sdp,
                                  branch=branch, from_tag=tag))
    parsed = [p for p in (parse_response(f) for f in frames) if p is not None]
    statuses = [p.status for p in parsed]
    final = next((s for s in statuses if s >= 200), None)
    # Challenged or refused is safe; a transient failure (timeout, overload) or no final answer at all
    # proves nothing either way (SIP-NET-105 reads the statuses); ringing or any other final: routed.
    accepted = (final not in {401, 407, 403, 408, 500, 503, 504}) if final is not None \
        else any(100 < s < 200 for s in statuses)
    cancelled = False
    if final is None and statuses:
        # Still ringing: CANCEL at once, same branch, Call-ID, From tag and CSeq number (RFC 3261 9.1).
        budget.spend()
        ch.exchange(_request("CANCEL", target, ch.transport, ch.local, target, call_id=call_id, branch=branch,
                             from_tag=tag), until_final=True)
        cancelled = True
    elif final is not None and 200 <= final < 300:
        to = re.search(rb"(?im)^(?:to|t)\s*:\s*(.+?)\r$", frames[-1])
        to_header = to.group(1).decode(errors="replace") if to else None
        budget.spend()
        ch.sock.send(_request("ACK", target, ch.transport, ch.local, target, call_id=call_id, from_tag=tag,
                              to_header=to_header))
        ch.exchange(_request("BYE", target, ch.transport, ch.local, target, call_id=call_id, cseq=2, from_tag=tag,
                             to_header=to_header), until_final=True)
        cancelled = True
    return InviteProbe(transport=ch.transport, target=spec.invite_target, statuses=statuses, accepted=accepted,
                       cancelled=cancelled)


BANNER_BYTES = 64  # what is read of a management port's greeting: enough to tell AMI from the event socket


def _service(greeting: bytes) -> str:
    """What a port's unsolicited first bytes show (the greeting itself is never kept)."""
    if greeting.startswith(b"Asterisk Call Manager"):
        return "AMI"
    if greeting.startswith(b"Content-Type: auth/request"):
        return "event socket"
    if greeting.startswith(b"SSH-"):
        return "SSH"
    return "answers without a greeting" if not greeting else "another service"


def probe_admin_port(address: str, port: int, timeout: float) -> AdminPortProbe:
    """One TCP connection to a management port: accepted or not, and what it volunteers within ``timeout``.
    Nothing is sent, so no login is tried and no account can be locked."""
    try:
        conn = socket.create_connection((address, port), timeout=timeout)
    except ConnectionRefusedError:
        return AdminPortProbe(port=port, state="closed")
    except OSError:
        return AdminPortProbe(port=port, state="filtered")
    try:
        conn.settimeout(min(timeout, 1.0))
        try:
            greeting = conn.recv(BANNER_BYTES)
        except OSError:
            greeting = b""
    finally:
        conn.close()
    return AdminPortProbe(port=port, state="open", service=_service(greeting))


def probe(spec: SipSource, vantage: str = "") -> SipFacts:
    """Probe every configured transport; ERROR (CollectionError) only when none answered at all."""
    budget = _Budget(spec.rate_per_second)
    facts = SipFacts(address=spec.address, vantage=vantage)
    channels: list[_Channel] = []
    try:
        for transport in ("udp", "tcp", "tls"):
            port = getattr(spec, transport)
            if not port:
                continue
            result, ch = probe_transport(spec, transport, port, budget)
            facts.transports.append(result)
            if ch is not None:
                channels.append(ch)
        best = next((c for c in sorted(channels, key=lambda c: {"tls": 0, "tcp": 1, "udp": 2}[c.transport])), None)
        if best is not None and spec.enumeration and spec.known_user:
            facts.enumeration = _enumerate(spec, best, budget)
        if best is not None and spec.invite and spec.invite_target:
            facts.invite = _invite(spec, best, budget)
    finally:
        for ch in channels:
            ch.close()
    for port in dict.fromkeys(spec.admin_ports):  # each once, at the probe rate
        budget.spend()
        facts.admin_ports.append(probe_admin_port(spec.address, port, spec.timeout))
    facts.probes_sent = budget.sent
    if not any(t.state == "answered" for t in facts.transports) and not any(
            p.state == "open" for p in facts.admin_ports):
        summary = "; ".join(f"{t.transport}/{t.port}: {t.detail or t.state}" for t in facts.transports)
        kind = "parse" if any(t.state == "garbage" for t in facts.transports) else "connectivity"
        raise CollectionError(kind, f"no SIP service answered at {spec.address} ({summary})")
    return facts
