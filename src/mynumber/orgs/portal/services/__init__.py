"""Mynaportal's use cases, one module per area: logging in (:mod:`.login`), the inbox and
the notices delivered into it, わたしの情報 and やりとり履歴 through the hub
(:mod:`.self_information`), 公金受取口座, 給付金 and 電子申請, 代理人, sign requests,
本人確認情報の提供状況, and the OpenID Connect provider. No web code: the routers in
:mod:`..web` call these.

No engine either: each use case takes a :class:`~mynumber.platform.uow.UnitOfWork` from its
caller (a route's ``Work``, or one ``app.py`` makes for a delivery receiver), opens it for
each transaction and commits what must stay; a call to another organisation happens between
two openings, never inside one."""
