"""Mynaportal (マイナポータル, Digital Agency): login with the card (the QR code and the
resident's phone), わたしの情報 and やりとり履歴 through the linkage hub, お知らせ, 電子申請,
代理人, 公金受取口座 and 給付金, sign requests, 本人確認情報の提供状況, and the OpenID
Connect provider for private services.

Layers (import-linter contract "Mynaportal's layers"): ``web`` (routers, one module per area;
``web.deps`` and ``web.pages`` hold what they share) → ``services`` (use cases) →
``clients`` (J-LIS, the hub, the account registry and the benefits office) and ``store``
(the only module that declares tables) → ``schemas`` (wire bodies) → ``model`` (plain rules
and the names a resident reads). ``app.create_app`` wires them. The portal never holds a
card or a PIN: the resident's phone (:mod:`mynumber.devices.phone`) signs and posts back
only the signature and the certificate."""
