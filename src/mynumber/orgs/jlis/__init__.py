"""J-LIS (地方公共団体情報システム機構), in the layers every organisation has: ``app``
composes; ``web`` holds the routes (numbers, cards, PKI and verifiers, agency-code
acquisition, Mynaportal's link) with ``deps``; the use cases are ``services`` (My Numbers
from resident record codes), ``cards`` (issuance, suspension, revocation), ``revocation``
(CRL and OCSP for registered verifiers), ``verifiers`` (their registration),
``acquisition`` (取得番号 for the hub's agency codes) and ``portal_link`` (a login
certificate's serial → the portal's hub code); ``clients`` calls the hub; ``authority``
and ``numbering`` hold the keys; ``store`` the tables; ``model`` the rules."""
