"""Voice network segmentation: where voice travels, whether data shares it, how it is kept apart."""
from __future__ import annotations

from voxaudit.records.base import Record


class VoiceSegment(Record, frozen=True, kw_only=True):
    """The networks a device sets aside for voice, each described with how it is known to carry voice
    ("VLAN 20 (declared 'voice')"); empty when voice has no network of its own."""

    voice_networks: tuple[str, ...] = ()


class VoiceDataSeparation(Record, frozen=True, kw_only=True):
    """One place voice travels (a phone port, a VLAN seen on the wire) and whether data shares it.

    ``shared``: data traffic (or a device behind the phone) lands in the voice network there;
    ``untagged_trunk``: voice crosses a trunk untagged, in whatever else the native network holds;
    ``detail``: what was configured or seen, in the platform's terms, for the evidence."""

    voice_network: str
    shared: bool = False
    untagged_trunk: bool = False
    detail: str = ""
    port: str = ""


class TrunkNegotiation(Record, frozen=True, kw_only=True):
    """Whether a port negotiates trunking with whatever device is plugged into it.

    ``negotiation``: "dynamic" (becomes a trunk on request), "advertised" (a trunk that still
    sends negotiation frames) or "off"; ``setting`` quotes the configuration that decides it."""

    port: str
    negotiation: str
    setting: str
    trunking_now: bool = False


class TrunkNative(Record, frozen=True, kw_only=True):
    """The network a trunk puts untagged frames in, and whether that is a voice network."""

    port: str
    native_network: str
    native_note: str = ""  # how the setting is known, e.g. " (by default)"
    voice_how: str = ""    # why the native network counts as voice; empty when it does not


class VoiceRouting(Record, frozen=True, kw_only=True):
    """Whether a device routes a voice network to the data networks, and what filters that.

    ``routed``: False when this device does not route voice at all (another device must filter);
    ``filtered``: the filter found (on the voice network or on every data network), empty if none."""

    routed: bool
    voice_network: str = ""
    routing: str = ""  # how routing is enabled, in the platform's terms
    filtered: str = ""


class VoiceNetworkAdvertisement(Record, frozen=True, kw_only=True):
    """How phones are told which network carries voice (a discovery protocol's network policy).

    ``voice_networks``: the voice networks to advertise; ``discovery_on``: the discovery protocol runs;
    ``unannounced``: voice networks not flagged for advertising;
    ``silent_ports``: phone ports that do not transmit it."""

    voice_networks: tuple[int, ...] = ()
    discovery_on: bool = True
    discovery_note: str = ""  # how the setting is known, e.g. " (by default)"
    unannounced: tuple[int, ...] = ()
    silent_ports: tuple[str, ...] = ()
