"""Sandbox self-service: an operator's admin equips its developers (user, credential, certificate)."""
