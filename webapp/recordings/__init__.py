"""Recorded audio of the person-facing texts, per language (issue 16 item 4)."""
