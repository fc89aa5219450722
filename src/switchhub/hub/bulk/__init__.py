"""Bulk files (the original's ★ functions): relays and applications uploaded as CSV."""
