"""Tooling of the CSBS create-restore contract kit (spec lint, client generation, contract checks)."""
