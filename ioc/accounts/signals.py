"""Audit of logins and logouts (infrastructure signals; see ADR 0002)."""
