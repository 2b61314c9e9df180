"""Kinerja web: the installable web app and its same-origin proxy to the five services."""
