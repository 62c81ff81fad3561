"""Checks for Kamailio SIP front ends, over facts from auditor.facts.kamailio."""
