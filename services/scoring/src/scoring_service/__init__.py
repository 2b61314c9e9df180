"""Kinerja scoring: activity catalog, pricing, monthly performance."""
