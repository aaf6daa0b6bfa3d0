"""コンビニ交付 end to end: a kiosk (``mynumber kiosk issue`` and the terminal) with a card,
J-LIS's 証明書交付センター (chain, signature, OCSP, log, settlement), the municipality's
PDF signed by the mayor's LGPKI 職責証明書 — checked with pdfsig, pyHanko and pdftotext —,
the verification page, and each refusal: nothing issued, nothing charged."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from typer.testing import CliRunner

from mynumber import federation, jst
from mynumber.card import CardFile
from mynumber.cli import app as cli
from mynumber.cli import kiosk as kiosk_cli
from mynumber.devices.kiosk import STORES, Kiosk
from mynumber.devices.kiosk.terminal import Choice
from mynumber.devices.phone import open_card
from mynumber.errors import Error
from mynumber.platform.signing import Identity, KeyFolder
from mynumber.reader import PinBlocked, PinIncorrect

JST = dt.timezone(dt.timedelta(hours=9))
NOON = dt.datetime(2026, 6, 15, 12, 0, tzinfo=JST)
PIN = "1234"


@pytest.fixture(scope="module")
def town(fed: federation.Federation, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Chiyoda's holder (a card, a spouse in the household), within service hours."""
    fed.jlis().kiosk_center.clock = lambda: NOON
    folder = tmp_path_factory.mktemp("cards")
    holder = fed.register_synthetic_adult("131016")
    spouse = fed.admin_http.post(
        "/municipality/131016/api/residents",
        json={
            "family_name": holder["family_name"],
            "given_name": "配偶",
            "family_name_kana": holder["family_name_kana"],
            "given_name_kana": "ハイグウ",
            "birth_date": "1980-02-02",
            "sex": "2",
            "household_id": holder["household_id"],
            "relationship": "妻",
            "reason": "move_in",
        },
    )
    assert spouse.status_code == 201, spouse.text
    return {"holder": holder, "spouse": spouse.json(), "card": card_for(fed, holder, folder)}


def card_for(fed: federation.Federation, person: dict[str, Any], folder: Path) -> dict[str, Any]:
    issued = fed.issue_card("131016", person["id"], auth_pin=PIN, sign_password="ABC123")
    path = folder / f"{person['id']}.card"
    CardFile(path).save(issued["card_image"].encode("utf-8"))
    return {"path": path, "manufacture_number": issued["summary"]["manufacture_number"]}


def kiosk(fed: federation.Federation, store: str = "sunrise-0001") -> Kiosk:
    chain = STORES[store].chain
    return Kiosk(
        STORES[store],
        jlis_url=fed.directory.url("jlis"),
        http=fed.directory.http,
        identity=Identity(chain, KeyFolder(fed.settings.data_dir / "keys").private_key(chain)),
    )


def issue(fed: federation.Federation, card: Path, pin: str = PIN, **choice: Any) -> Any:
    client = open_card(card, fed.settings.data_dir / "card-seal.key")
    return kiosk(fed).issue(client, pin=pin, choice=Choice(**choice))


def issuances(fed: federation.Federation, code: str = "131016") -> int:
    day = jst.today()  # the municipality's own clock
    found = fed.admin_http.get(
        f"/municipality/{code}/api/kiosk/issuances", params={"day": str(day)}
    )
    assert found.status_code == 200
    return len(found.json())


def log(fed: federation.Federation) -> list[dict[str, Any]]:
    found = fed.admin_http.get("/jlis/kiosk/transactions", params={"day": str(NOON.date())})
    assert found.status_code == 200
    return list(found.json())


def refused(fed: federation.Federation, code: str, card: Path, **choice: Any) -> None:
    """The request is refused with ``code``; no issuance, and J-LIS logged it without a fee."""
    before_issued, before_log = issuances(fed), len(log(fed))
    with pytest.raises(Error) as caught:
        issue(fed, card, **choice)
    assert caught.value.code == code, caught.value.message
    assert issuances(fed) == before_issued
    entries = log(fed)
    assert len(entries) == before_log + 1
    assert entries[-1]["status"] == "refused" and entries[-1]["fee_yen"] == 0
    assert entries[-1]["reason"] == code


def pdf_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_juminhyo_from_the_command_line_is_signed_trusted_and_verifiable(
    fed, town, tmp_path, monkeypatch, number_of
):
    # the command line's in-process deployment is the test's (its J-LIS clock at noon)
    monkeypatch.setattr(kiosk_cli.federation, "build", lambda *a, **k: _Kept(fed))
    out = tmp_path / "juminhyo.pdf"
    result = CliRunner().invoke(
        cli,
        [
            "kiosk", "issue", "--card", str(town["card"]["path"]), "--pin", PIN,
            "--certificate", "juminhyo", "--members", "all", "--out", str(out),
            "--data", str(fed.settings.data_dir),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    code = result.output.split("verification_code ")[1].split()[0]
    assert "fee_yen 200" in result.output

    root_pem = fed.directory.http.get("/jlis/lgpki/ca.pem")
    assert root_pem.status_code == 200
    (tmp_path / "lgpki.pem").write_bytes(root_pem.content)

    # pdfsig: the signature is valid, and trusted once the LGPKI root is in its NSS store
    nss = tmp_path / "nss"
    nss.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True)
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{nss}", "-n", "LGPKI", "-t", "CT,C,C", "-i",
         str(tmp_path / "lgpki.pem")],
        check=True,
    )  # fmt: skip
    checked = subprocess.run(
        ["pdfsig", "-nssdir", f"sql:{nss}", str(out)], capture_output=True, text=True
    ).stdout
    assert "Signature is Valid." in checked
    assert "Certificate is Trusted." in checked
    assert "Total document signed" in checked
    assert "千代田区長" in checked

    # pyHanko: intact and trusted against the LGPKI root
    _, _, der = asn1_pem.unarmor(root_pem.content)
    context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(der)])
    reader = PdfFileReader(io.BytesIO(out.read_bytes()))
    status = validate_pdf_signature(reader.embedded_signatures[0], context)
    assert status.bottom_line, status.pretty_print_details()
    # ...and not against another root
    other = ValidationContext(trust_roots=[_jpki_root(fed)])
    assert not validate_pdf_signature(reader.embedded_signatures[0], other).bottom_line

    # the text names the holder and the household, the mayor; no My Number was asked for
    text = pdf_text(out)
    holder, spouse = town["holder"], town["spouse"]
    for part in (holder["family_name"], holder["given_name"], spouse["given_name"], "住民票の写し"):
        assert part in text
    assert "千代田区長" in text and code in text
    assert number_of("131016", holder["id"]) not in text.replace(" ", "")

    # the verification page confirms the code (and only a real one)
    page = fed.directory.http.post("/municipality/131016/verify", data={"code": code.lower()})
    assert page.status_code == 200
    assert holder["given_name"] in page.text and "住民票の写し" in page.text
    unknown = fed.directory.http.post("/municipality/131016/verify", data={"code": "0" * 16})
    assert unknown.status_code == 404

    # the day's settlement at the municipality and at J-LIS
    settled = fed.admin_http.get("/municipality/131016/api/kiosk/settlement").json()
    assert settled["fee_yen"] >= 200 and settled["issued"] >= 1
    page = fed.admin_http.get("/municipality/131016/kiosk/")
    assert page.status_code == 200 and code in page.text
    assert any(e["status"] == "issued" and e["fee_yen"] == 200 for e in log(fed))
    center = fed.admin_http.get("/jlis/kiosk/settlement", params={"day": str(NOON.date())})
    assert {"chain": "kiosk-sunrise", "municipality": "131016"}.items() <= center.json()[0].items()


def test_my_number_is_printed_only_when_asked(fed, town, tmp_path, number_of):
    done = issue(fed, town["card"]["path"], certificate="juminhyo", options={"my_number": True})
    out = tmp_path / "with-number.pdf"
    out.write_bytes(done.pdf)
    assert number_of("131016", town["holder"]["id"]) in pdf_text(out)


def test_seal_certificate_after_registration(fed, town, tmp_path):
    refused(fed, "no_seal", town["card"]["path"], certificate="inkan")
    holder = town["holder"]
    made = fed.admin_http.post(
        f"/municipality/131016/api/residents/{holder['id']}/seal", json={"impression": "印"}
    )
    assert made.status_code == 201
    done = issue(fed, town["card"]["path"], certificate="inkan")
    out = tmp_path / "inkan.pdf"
    out.write_bytes(done.pdf)
    text = pdf_text(out)
    assert "印鑑登録証明書" in text and made.json()["card_number"] in text


def test_family_register_at_another_honseki_after_registration(fed, town, tmp_path):
    holder, card = town["holder"], town["card"]
    koseki = fed.admin_http.post(
        "/municipality/131041/api/koseki",
        json={
            "honseki": "東京都新宿区西新宿二丁目8番地",
            "members": [
                {
                    "name": f"{holder['family_name']} {holder['given_name']}",
                    "birth_date": holder["birth_date"],
                    "sex": holder["sex"],
                    "relationship": "筆頭者",
                    "address": holder["address"],
                    "events": [["2001-04-01", "婚姻"]],
                }
            ],
        },
    )
    assert koseki.status_code == 201, koseki.text
    refused(fed, "no_honseki_registration", card["path"], certificate="koseki", honseki="131041")
    registered = fed.admin_http.post(
        "/municipality/131041/api/koseki/registrations",
        json={
            "member_id": koseki.json()["member_ids"][0],
            "manufacture_number": card["manufacture_number"],
        },
    )
    assert registered.status_code == 201
    done = issue(fed, card["path"], certificate="koseki", honseki="131041")
    assert done.municipality == "131041" and done.fee_yen == 350
    out = tmp_path / "koseki.pdf"
    out.write_bytes(done.pdf)
    text = pdf_text(out)
    assert "戸籍全部事項証明書" in text and "新宿区長" in text and "西新宿" in text


def test_refusals_issue_and_charge_nothing(fed, town):
    card = town["card"]["path"]
    refused(fed, "not_in_household", card, certificate="juminhyo", member_names=["他人 太郎"])
    refused(fed, "not_offered", card, certificate="koseki-fuhyo", honseki="131041")
    center = fed.jlis().kiosk_center
    center.clock = lambda: dt.datetime(2026, 6, 15, 23, 30, tzinfo=JST)
    try:
        before = issuances(fed)
        with pytest.raises(Error) as caught:
            issue(fed, card, certificate="juminhyo")
        assert caught.value.code == "outside_hours"
        center.clock = lambda: dt.datetime(2026, 12, 30, 12, 0, tzinfo=JST)  # 年末年始
        with pytest.raises(Error) as caught:
            issue(fed, card, certificate="juminhyo")
        assert caught.value.code == "outside_hours"
        assert issuances(fed) == before
    finally:
        center.clock = lambda: NOON


def test_wrong_pin_counts_down_then_locks(fed, tmp_path):
    person = fed.register_synthetic_adult("131016")
    card = card_for(fed, person, tmp_path)["path"]
    before_issued, before_log = issuances(fed), len(log(fed))
    for left in (2, 1):
        with pytest.raises(PinIncorrect) as caught:
            issue(fed, card, pin="9999", certificate="juminhyo")
        assert caught.value.tries_left == left
    with pytest.raises((PinIncorrect, PinBlocked)):
        issue(fed, card, pin="9999", certificate="juminhyo")
    with pytest.raises(PinBlocked):  # locked: even the right PIN no longer works
        issue(fed, card, pin=PIN, certificate="juminhyo")
    assert issuances(fed) == before_issued
    assert all(e["status"] == "refused" for e in log(fed)[before_log:])


def test_suspended_card_is_refused(fed, tmp_path):
    person = fed.register_synthetic_adult("131016")
    made = card_for(fed, person, tmp_path)
    suspended = fed.admin_http.post(
        f"/jlis/cards/{made['manufacture_number']}/suspend", json={"reason": "certificateHold"}
    )
    assert suspended.status_code in (200, 204), suspended.text
    before = issuances(fed)
    with pytest.raises(Error) as caught:
        issue(fed, made["path"], certificate="juminhyo")
    assert caught.value.code in {"certificate_revoked", "card_suspended"}
    assert issuances(fed) == before
    assert log(fed)[-1]["status"] == "refused" and log(fed)[-1]["fee_yen"] == 0


def test_only_the_chains_kiosks_may_call_the_center(fed, anonymous):
    assert anonymous.post("/jlis/kiosk/sessions").status_code == 401
    assert fed.admin_http.get("/jlis/kiosk/settlement").status_code == 200
    assert anonymous.get("/jlis/kiosk/settlement").status_code == 401
    relay = anonymous.post("/municipality/131016/api/kiosk/issue", json={})
    assert relay.status_code in (401, 422)


class _Kept:
    """The test's federation, handed to the command line and left open when it closes."""

    def __init__(self, fed: federation.Federation) -> None:
        self.directory = fed.directory

    def close(self) -> None:
        return None


def _jpki_root(fed: federation.Federation) -> asn1_x509.Certificate:
    der = fed.directory.http.get("/jlis/ca/auth.der").content
    return asn1_x509.Certificate.load(der)


def test_after_a_move_the_new_municipality_issues_the_juminhyo(fed, town, tmp_path):
    """The card stays valid when its holder moves; J-LIS relays to where they live now."""
    person = fed.register_synthetic_adult("131016")
    made = card_for(fed, person, tmp_path)
    new_address = "東京都新宿区西新宿二丁目8番1号"
    moved = fed.admin_http.post(
        f"/municipality/131016/api/residents/{person['id']}/move",
        json={"to": "131041", "address": new_address},
    )
    assert moved.status_code == 200, moved.text
    before_old, before_new = issuances(fed, "131016"), issuances(fed, "131041")
    done = issue(fed, made["path"], certificate="juminhyo")
    assert done.municipality == "131041"
    assert issuances(fed, "131041") == before_new + 1
    assert issuances(fed, "131016") == before_old
    out = tmp_path / "after-move.pdf"
    out.write_bytes(done.pdf)
    text = pdf_text(out).replace(" ", "")
    assert "新宿区長" in text and "千代田区長" not in text
    assert "西新宿二丁目8番1号" in text and person["given_name"] in text
    entry = log(fed)[-1]
    assert entry["status"] == "issued" and entry["municipality"] == "131041"


def test_the_old_card_after_a_reissue_is_refused(fed, tmp_path):
    """再交付 ends the old card for good (廃止, every certificate revoked): at the kiosk it
    is refused with nothing issued or charged; the new card works."""
    person = fed.register_synthetic_adult("131016")
    old = card_for(fed, person, tmp_path)
    reissued = fed.admin_http.post(
        f"/municipality/131016/api/residents/{person['id']}/card/reissue",
        json={"auth_pin": PIN, "sign_password": "ABC123", "kind": "normal", "reason": "lost"},
    )
    assert reissued.status_code == 201, reissued.text
    assert reissued.json()["replaced"] == [old["manufacture_number"]]
    refused(fed, "certificate_revoked", old["path"], certificate="juminhyo")
    new = tmp_path / "new.card"
    CardFile(new).save(reissued.json()["card_image"].encode("utf-8"))
    assert issue(fed, new, certificate="juminhyo").municipality == "131016"


def test_the_kiosk_screen_refuses_a_post_without_its_csrf_token(fed, anonymous):
    screen = "/kiosk/sunrise-0001"
    shown = anonymous.get(f"{screen}/")
    assert shown.status_code == 200 and "kiosk_pre" in shown.cookies
    form = {"card": "none", "pin": PIN, "certificate": "juminhyo"}
    before = issuances(fed)
    for sent in (form, {**form, "csrf": "0" * 64}):
        answer = anonymous.post(f"{screen}/issue", data=sent)
        assert answer.status_code == 403 and "CSRF" in answer.text
    # with the token of the screen last shown the post reaches the card (no such card: 4xx)
    token = answer.text.split('name="csrf" value="')[1].split('"')[0]
    answer = anonymous.post(f"{screen}/issue", data={**form, "csrf": token})
    assert answer.status_code != 403 and 400 <= answer.status_code < 500, answer.text
    assert issuances(fed) == before
