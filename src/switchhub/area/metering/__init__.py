"""Metering files of the area (metering.md): 30-minute energy, monthly billing usage, CSV forms."""
