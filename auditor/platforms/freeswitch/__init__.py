"""The freeswitch adapter: its facts as vendor-neutral records, and its bindings of the controls."""
