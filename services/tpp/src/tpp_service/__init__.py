"""Kinerja TPP: rule sets, period close, slips, the payroll topic."""
