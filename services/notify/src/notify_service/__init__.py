"""Kinerja notify: in-app notifications from approval and TPP events."""
