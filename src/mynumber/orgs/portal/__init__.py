"""Mynaportal (マイナポータル, Digital Agency): login with the card, わたしの情報 and やりとり
履歴 through the linkage hub, notices, e-applications, proxies, the public-fund account, and
the OpenID Connect provider for private services."""
