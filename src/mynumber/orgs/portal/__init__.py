"""Mynaportal (マイナポータル, Digital Agency): login with the card, pages, notices."""
