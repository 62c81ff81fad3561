"""Checks over switch running-configs (Cisco IOS/IOS-XE, Arista EOS, Aruba AOS-S)."""
