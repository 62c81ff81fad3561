"""Platform adapters: each platform's knowledge (defaults, option names, exact fixes, GUI menu paths).

One package per platform; each module turns the platform's parsed facts into vendor-neutral records
(:mod:`auditor.records`) and binds the controls (:mod:`checks`) to them with
:class:`auditor.control.Binding`. Controls name no platform; adapters name no control's logic.
"""
