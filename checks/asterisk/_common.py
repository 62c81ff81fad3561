"""Helpers of the 1.x Asterisk checks; they live in the Asterisk adapter now."""
from auditor.platforms.asterisk.common import (  # noqa: F401
    PLATFORMS,
    TLS_METHODS,
    WEAK_CIPHER_RE,
    endpoint_transports,
    mailboxes,
    pins_elsewhere,
    tls_version,
    transports,
    vm_general,
    yes,
)
