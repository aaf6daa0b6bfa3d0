"""Mynaportal's typed clients of other organisations."""
