"""Staff of every organisation: directory, sign-in with their own card, sessions, roles,
the access log."""
