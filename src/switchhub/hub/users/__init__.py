"""Operators' own user administration: users, their API credentials, TOTP, CSV bulk (issue 9)."""
