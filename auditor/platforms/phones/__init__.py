"""The phones adapter: its facts as vendor-neutral records, and its bindings of the controls."""
