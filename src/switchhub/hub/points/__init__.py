"""Supply points as retailers see them: lookup, batch, search, export (re-check, audit, streaming)."""
