"""Checks for FreeSWITCH and FusionPBX, over facts from auditor.facts.freeswitch."""
