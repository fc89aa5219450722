"""Meter readings of the area system: 30-minute energy per point and day, monthly confirmed totals."""
