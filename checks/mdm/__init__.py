"""Checks over MDM policies for staff phones: lock-screen previews and screen lock."""
