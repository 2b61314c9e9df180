"""Thin runtime kit shared by the Kinerja services. Plumbing only: no domain rules live here."""
