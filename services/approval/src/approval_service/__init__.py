"""Kinerja approval: superiors' tasks, decisions, escalation, audit trail."""
