"""Checks over what the network shows: SIP probe answers and TLS endpoint scans."""
