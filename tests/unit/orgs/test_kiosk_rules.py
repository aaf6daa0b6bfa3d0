"""The plain rules of コンビニ交付: service hours, fees and offers, verification codes, and
the LGPKI 職責証明書 profile."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from mynumber.errors import InvalidInput
from mynumber.orgs.jlis.kiosk_center import in_service
from mynumber.orgs.municipality import kiosk_model
from mynumber.pki import lgpki

JST = dt.timezone(dt.timedelta(hours=9))


@pytest.mark.parametrize(
    ("at", "open_"),
    [
        (dt.datetime(2026, 6, 15, 6, 29, tzinfo=JST), False),
        (dt.datetime(2026, 6, 15, 6, 30, tzinfo=JST), True),
        (dt.datetime(2026, 6, 15, 22, 59, tzinfo=JST), True),
        (dt.datetime(2026, 6, 15, 23, 0, tzinfo=JST), False),
        (dt.datetime(2026, 12, 28, 12, 0, tzinfo=JST), True),
        (dt.datetime(2026, 12, 29, 12, 0, tzinfo=JST), False),
        (dt.datetime(2027, 1, 3, 12, 0, tzinfo=JST), False),
        (dt.datetime(2027, 1, 4, 6, 30, tzinfo=JST), True),
        (dt.datetime(2026, 6, 15, 3, 0, tzinfo=dt.UTC), True),  # 12:00 in Japan
        (dt.datetime(2026, 6, 15, 15, 0, tzinfo=dt.UTC), False),  # midnight in Japan
    ],
)
def test_service_hours_are_630_to_2300_jst_except_the_new_year(at, open_):
    assert in_service(at) is open_


def test_fees_and_offers_per_municipality():
    assert kiosk_model.fee("131016", "koseki") == 350
    assert kiosk_model.fee("131041", "koseki-fuhyo") is None  # not offered there
    assert kiosk_model.fee("999999", "juminhyo") is None
    with pytest.raises(InvalidInput):
        kiosk_model.kind("passport")


def test_verification_codes_are_read_back_forgivingly():
    code = kiosk_model.new_verification_code()
    assert len(code) == 19 and code.count("-") == 3
    assert kiosk_model.normalise_code(code.lower().replace("-", " ")) == code
    assert kiosk_model.normalise_code("oooo-iiii-llll-0000") == "0000-1111-1111-0000"
    for bad in ("", "ABC", "UUUU-UUUU-UUUU-UUUU", "0" * 17):
        with pytest.raises(InvalidInput):
            kiosk_model.normalise_code(bad)


def test_an_official_certificate_names_the_post_and_chains_to_the_lgpki_root():
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = lgpki.create_root(root_key, now)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = lgpki.official_name(
        prefecture="東京都", municipality="千代田区", title="千代田区長", holder="千代 一郎"
    )
    cert = lgpki.issue_official(root, root_key, key.public_key(), subject, now)
    cert.verify_directly_issued_by(root)
    assert cert.subject.get_attributes_for_oid(NameOID.TITLE)[0].value == "千代田区長"
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
