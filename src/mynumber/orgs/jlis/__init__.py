"""J-LIS (地方公共団体情報システム機構): My Numbers from resident record codes; the JPKI
certificate authority (cards, certificates, CRL and OCSP for registered verifiers); its part
in agency codes for the linkage hub; the portal's serial → code link."""
