"""Open questions (THEORY §6) as tests: reported in the claims ledger as holds / refuted / open, never gating."""
