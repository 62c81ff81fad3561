"""Helpers of the 1.x switch checks; they live in the switch adapter now."""
from auditor.platforms.switches.common import (  # noqa: F401
    PLATFORMS,
    SOURCES,
    VOICE_NAME_RE,
    active_ports,
    by_default,
    device_of,
    flavor_of,
    port_voice,
    switch_label,
    voice_vlans,
)
