"""Claim tests, one module per THEORY section."""
