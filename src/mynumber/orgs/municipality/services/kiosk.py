"""コンビニ交付 at a municipality: the use cases behind J-LIS's relay (issue a certificate
as a signed PDF), the public verification of a printed code, the staff's lists and the
day's settlement, and the data the certificates need — 印鑑登録, 戸籍 kept here as
本籍地, and 本籍地利用登録 for a card whose holder lives elsewhere.

The request names the card by its manufacture number (the card issued here is in the
resident's history; a card from elsewhere must be registered for 本籍地 issuance). It never
carries a My Number; the PDF shows one only when the person asked for it.

A refusal raises before anything is written: nothing issued, nothing charged (J-LIS logs
the refusal with no fee).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, func, select
from sqlalchemy.exc import IntegrityError

from mynumber import errors
from mynumber.jst import JST
from mynumber.orgs.municipality import kiosk_model, store
from mynumber.orgs.municipality.kiosk_model import KINDS, CertificateKind
from mynumber.orgs.municipality.model import CARD_EVENTS, Municipality, Sex
from mynumber.orgs.municipality.services import kiosk_pdf
from mynumber.orgs.municipality.services.mayor import MayorKeys
from mynumber.platform.ids import new_id
from mynumber.platform.uow import UnitOfWork


class NotOffered(errors.Forbidden):
    code = "not_offered"


class NotInHousehold(errors.Forbidden):
    code = "not_in_household"


class NoSeal(errors.Forbidden):
    code = "no_seal"


class NoHonsekiRegistration(errors.Forbidden):
    code = "no_honseki_registration"


def _sex(code: str) -> str:
    return {"1": "男", "2": "女"}.get(code, "")


def _date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _name(row: RowMapping) -> str:
    return f"{row['family_name']}\u3000{row['given_name']}"


@dataclass
class KioskIssuing:
    municipality: Municipality
    mayor: MayorKeys
    verify_url: str
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))

    # --- who asks --------------------------------------------------------------------------

    def _resident_of_card(self, conn: Connection, manufacture_number: str) -> RowMapping | None:
        e, r = store.events.c, store.residents.c
        detail = json.dumps({"manufacture_number": manufacture_number}, ensure_ascii=False)
        return (
            conn.execute(
                select(store.residents)
                .join(store.events, e.resident_id == r.id)
                .where(e.kind.in_(CARD_EVENTS), e.detail == detail, r.status == "active")
            )
            .mappings()
            .first()
        )

    def _koseki_member(self, conn: Connection, manufacture_number: str) -> RowMapping:
        """The 戸籍 member a card stands for here: a resident whose 戸籍 is here, or a
        card registered for 本籍地 issuance."""
        m = store.koseki_members.c
        resident = self._resident_of_card(conn, manufacture_number)
        if resident is not None:
            found = (
                conn.execute(select(store.koseki_members).where(m.resident_id == resident["id"]))
                .mappings()
                .first()
            )
            if found is not None:
                return found
        h = store.honseki_registrations.c
        found = (
            conn.execute(
                select(store.koseki_members)
                .join(store.honseki_registrations, h.member_id == m.id)
                .where(h.manufacture_number == manufacture_number)
            )
            .mappings()
            .first()
        )
        if found is None:
            raise NoHonsekiRegistration(
                "本籍地での利用登録がありません / this card is not registered for 戸籍 "
                "certificates at this 本籍地"
            )
        return found

    # --- issuing ---------------------------------------------------------------------------

    def issue(self, uow: UnitOfWork, request: dict[str, Any]) -> dict[str, Any]:
        """Render and sign the certificate asked for, record it, and hand it back."""
        kind = kiosk_model.kind(str(request["certificate"]))
        fee = kiosk_model.fee(self.municipality.code, kind.key)
        if fee is None:
            raise NotOffered(
                f"{self.municipality.full_name}はコンビニで{kind.title}を交付していません / "
                f"not offered at kiosks here"
            )
        options = dict(request.get("options") or {})
        now = self.clock()
        with uow as conn:
            if kind.at_honseki:
                member = self._koseki_member(conn, str(request["manufacture_number"]))
                sections, holder, resident_id = self._koseki_sections(conn, kind, member)
            else:
                resident = self._resident_of_card(conn, str(request["manufacture_number"]))
                if resident is None:
                    raise errors.NotFound(
                        "この市区町村に住民登録がありません / no current resident here holds "
                        "this card",
                        code="not_resident",
                    )
                holder, resident_id = _name(resident), str(resident["id"])
                sections = self._resident_sections(conn, kind, resident, request, options)
        code = kiosk_model.new_verification_code()
        form = kiosk_pdf.Form(
            title=kind.title,
            sections=sections,
            certification=_CERTIFY[kind.key],
            municipality=self.municipality.full_name,
            mayor=f"{self.mayor.title}\u3000{self.mayor.name}",
            issued_on=now.astimezone(JST).date(),
            verification_code=code,
            verify_url=self.verify_url,
            notes=[f"交付: {request.get('store_name', request['store'])} (コンビニ交付)"],
        )
        signed = kiosk_pdf.sign(
            kiosk_pdf.render(form),
            self.mayor.signer().pyhanko_signer(),
            reason=f"{kind.title} ({self.municipality.full_name})",
            location=self.municipality.full_name,
        )
        try:
            with uow as conn:
                conn.execute(
                    store.kiosk_issuances.insert().values(
                        id=new_id(),
                        verification_code=code,
                        certificate=kind.key,
                        resident_id=resident_id,
                        holder_name=holder,
                        chain=str(request["chain"]),
                        store=str(request["store"]),
                        transaction=str(request["transaction"]),
                        fee_yen=fee,
                        pdf_sha256=hashlib.sha256(signed).hexdigest(),
                        issued_at=now,
                    )
                )
                uow.commit()
        except IntegrityError as exc:
            raise errors.Conflict("this transaction was already issued", code="duplicate") from exc
        return {
            "pdf": base64.b64encode(signed).decode("ascii"),
            "fee_yen": fee,
            "verification_code": code,
            "certificate": kind.key,
        }

    def _resident_sections(
        self,
        conn: Connection,
        kind: CertificateKind,
        resident: RowMapping,
        request: dict[str, Any],
        options: dict[str, bool],
    ) -> list[list[tuple[str, str]]]:
        r = store.residents.c
        if kind.key == "inkan":
            seal = (
                conn.execute(select(store.seals).where(store.seals.c.resident_id == resident["id"]))
                .mappings()
                .first()
            )
            if seal is None:
                raise NoSeal("印鑑登録がありません / no seal is registered")
            return [
                [
                    ("印影", f"【{seal['impression']}】"),
                    ("登録番号", seal["card_number"]),
                    ("氏名", _name(resident)),
                    ("生年月日", _date(resident["birth_date"])),
                    ("性別", _sex(resident["sex"])),
                    ("住所", resident["address"]),
                ]
            ]
        if kind.key == "shotoku":
            t = store.resident_taxes.c
            taxes = conn.execute(
                select(t.year, t.amount_yen)
                .where(t.resident_id == resident["id"])
                .order_by(t.year.desc())
                .limit(1)
            ).first()
            if taxes is None:
                raise errors.NotFound(
                    "課税の記録がありません / no resident-tax record", code="no_tax_record"
                )
            return [
                [
                    ("氏名", _name(resident)),
                    ("住所", resident["address"]),
                    ("年度", f"{taxes.year}年度"),
                    ("区市町村民税額", f"{taxes.amount_yen:,}円"),
                ]
            ]
        household = (
            conn.execute(
                select(store.residents)
                .where(r.household_id == resident["household_id"], r.status == "active")
                .order_by(r.birth_date)
            )
            .mappings()
            .all()
        )
        head = next((p for p in household if p["relationship"] == "世帯主"), resident)
        wanted = [resident]
        names = [str(n) for n in request.get("member_names") or []]
        if kind.key == "juminhyo" and request.get("members") == "all":
            wanted = list(household)
        elif names:
            by_name = {_name(p).replace("\u3000", ""): p for p in household}
            wanted = []
            for n in names:
                found = by_name.get(n.replace(" ", "").replace("\u3000", ""))
                if found is None:
                    raise NotInHousehold(
                        "世帯の方の分だけ交付できます / only people in your household"
                    )
                wanted.append(found)
        honseki = self._honseki_of(conn, str(resident["id"])) if options.get("honseki") else None
        sections: list[list[tuple[str, str]]] = [
            [("住所", resident["address"]), ("世帯主", _name(head))]
        ]
        for person in wanted:
            rows = [
                ("氏名", _name(person)),
                ("フリガナ", f"{person['family_name_kana']}\u3000{person['given_name_kana']}"),
                ("生年月日", _date(person["birth_date"])),
                ("性別", _sex(person["sex"])),
            ]
            if options.get("relationship", True):
                rows.append(("続柄", person["relationship"]))
            rows.append(("住民となった日", _date(person["registered_on"])))
            if options.get("honseki"):
                rows.append(("本籍", honseki or "（本籍地は他の市区町村）"))
            rows.append(
                (
                    "個人番号",
                    person["my_number"]
                    if options.get("my_number") and person["my_number"]
                    else "（省略）",
                )
            )
            sections.append(rows)
        return sections

    def _honseki_of(self, conn: Connection, resident_id: str) -> str | None:
        m, k = store.koseki_members.c, store.koseki.c
        return conn.scalar(
            select(k.honseki)
            .join(store.koseki_members, m.koseki_id == k.id)
            .where(m.resident_id == resident_id)
        )

    def _koseki_sections(
        self, conn: Connection, kind: CertificateKind, member: RowMapping
    ) -> tuple[list[list[tuple[str, str]]], str, str | None]:
        k, m = store.koseki.c, store.koseki_members.c
        family = (
            conn.execute(select(store.koseki).where(k.id == member["koseki_id"])).mappings().one()
        )
        head = [("本籍", family["honseki"]), ("筆頭者", family["head_name"])]
        if kind.key == "koseki-fuhyo":
            return (
                [
                    head,
                    [
                        ("氏名", member["name"]),
                        ("生年月日", _date(member["birth_date"])),
                        ("住所", member["address"]),
                    ],
                ],
                member["name"],
                member["resident_id"],
            )
        sections = [head]
        for person in conn.execute(
            select(store.koseki_members).where(m.koseki_id == family["id"]).order_by(m.birth_date)
        ).mappings():
            rows = [
                ("氏名", person["name"]),
                ("生年月日", _date(person["birth_date"])),
                ("性別", _sex(person["sex"])),
                ("続柄", person["relationship"]),
            ]
            for on, event in json.loads(person["events"])[:3]:
                rows.append(("身分事項", f"{on} {event}"))
            sections.append(rows)
        return sections, member["name"], member["resident_id"]

    # --- verification, lists, settlement --------------------------------------------------

    def verify(self, uow: UnitOfWork, code: str) -> dict[str, Any]:
        """What a verification code stands for; NotFound if nothing was issued with it."""
        wanted = kiosk_model.normalise_code(code)
        i = store.kiosk_issuances.c
        with uow as conn:
            row = conn.execute(
                select(i.certificate, i.holder_name, i.issued_at, i.pdf_sha256).where(
                    i.verification_code == wanted
                )
            ).first()
        if row is None:
            raise errors.NotFound(
                "この検証コードの証明書はありません / no certificate with this code",
                code="unknown_code",
            )
        return {
            "verification_code": wanted,
            "certificate": row.certificate,
            "title": KINDS[row.certificate].title,
            "holder_name": row.holder_name,
            "issued_at": row.issued_at,
            "municipality": self.municipality.full_name,
            "pdf_sha256": row.pdf_sha256,
        }

    def issuances(self, uow: UnitOfWork, day: dt.date) -> list[dict[str, Any]]:
        start = dt.datetime.combine(day, dt.time(), JST)
        i = store.kiosk_issuances.c
        with uow as conn:
            rows = conn.execute(
                select(
                    i.id,
                    i.verification_code,
                    i.certificate,
                    i.resident_id,
                    i.holder_name,
                    i.chain,
                    i.store,
                    i.fee_yen,
                    i.issued_at,
                )
                .where(and_(i.issued_at >= start, i.issued_at < start + dt.timedelta(days=1)))
                .order_by(i.issued_at)
            ).mappings()
            return [dict(r) for r in rows]

    def settlement(self, uow: UnitOfWork, day: dt.date) -> dict[str, Any]:
        """The day's issuances and fees per store chain: what J-LIS settles with it."""
        start = dt.datetime.combine(day, dt.time(), JST)
        i = store.kiosk_issuances.c
        with uow as conn:
            rows = conn.execute(
                select(i.chain, func.count(), func.sum(i.fee_yen))
                .where(i.issued_at >= start, i.issued_at < start + dt.timedelta(days=1))
                .group_by(i.chain)
                .order_by(i.chain)
            ).all()
        chains = [{"chain": c, "issued": int(n), "fee_yen": int(s or 0)} for c, n, s in rows]
        return {
            "day": day,
            "chains": chains,
            "issued": sum(c["issued"] for c in chains),
            "fee_yen": sum(c["fee_yen"] for c in chains),
        }

    # --- the data certificates need --------------------------------------------------------

    def register_seal(self, uow: UnitOfWork, resident_id: str, impression: str) -> dict[str, Any]:
        """印鑑登録: the seal of an active resident; the 印鑑登録証 number comes back."""
        with uow as conn:
            r = store.residents.c
            status = conn.scalar(select(r.status).where(r.id == resident_id))
            if status is None:
                raise errors.NotFound("no such resident", code="resident_not_found")
            if status != "active":
                raise errors.Conflict("this resident no longer lives here", code="not_active")
            s = store.seals.c
            if conn.scalar(select(s.id).where(s.resident_id == resident_id)) is not None:
                raise errors.Conflict("a seal is already registered", code="seal_registered")
            sequence = int(conn.scalar(select(func.count()).select_from(store.seals)) or 0) + 1
            number = kiosk_model.seal_card_number(self.municipality.code, sequence)
            try:
                conn.execute(
                    store.seals.insert().values(
                        resident_id=resident_id,
                        card_number=number,
                        impression=impression,
                        registered_on=self.clock().astimezone(JST).date(),
                    )
                )
            except IntegrityError as exc:
                raise errors.Conflict("try again", code="seal_conflict") from exc
            uow.commit()
        return {"resident_id": resident_id, "card_number": number}

    def create_koseki(
        self, uow: UnitOfWork, *, honseki: str, members: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """A 戸籍 whose 本籍 is here; the first member is the 筆頭者."""
        if not honseki.startswith(self.municipality.full_name):
            raise errors.InvalidInput("the 本籍 must be in this municipality", field="honseki")
        koseki_id = new_id()
        ids = []
        with uow as conn:
            if any(p.get("resident_id") for p in members):
                r = store.residents.c
                known = set(
                    conn.scalars(
                        select(r.id).where(
                            r.id.in_([p["resident_id"] for p in members if p.get("resident_id")])
                        )
                    )
                )
                if any(p.get("resident_id") and p["resident_id"] not in known for p in members):
                    raise errors.NotFound("no such resident", code="resident_not_found")
            conn.execute(
                store.koseki.insert().values(
                    id=koseki_id,
                    honseki=honseki,
                    head_name=members[0]["name"],
                    created_at=self.clock(),
                )
            )
            for p in members:
                member_id = new_id()
                ids.append(member_id)
                conn.execute(
                    store.koseki_members.insert().values(
                        id=member_id,
                        koseki_id=koseki_id,
                        resident_id=p.get("resident_id"),
                        name=p["name"],
                        birth_date=p["birth_date"],
                        sex=Sex(p["sex"]).value,
                        relationship=p["relationship"],
                        address=p["address"],
                        events=json.dumps(
                            [[str(on), text] for on, text in p.get("events") or []],
                            ensure_ascii=False,
                        ),
                    )
                )
            uow.commit()
        return {"id": koseki_id, "member_ids": ids}

    def register_honseki(
        self, uow: UnitOfWork, *, member_id: str, manufacture_number: str
    ) -> dict[str, Any]:
        """本籍地利用登録: this card may get the member's 戸籍 certificates from here."""
        with uow as conn:
            m = store.koseki_members.c
            if conn.scalar(select(m.id).where(m.id == member_id)) is None:
                raise errors.NotFound("no such 戸籍 member", code="member_not_found")
            try:
                conn.execute(
                    store.honseki_registrations.insert().values(
                        manufacture_number=manufacture_number,
                        member_id=member_id,
                        registered_at=self.clock(),
                    )
                )
            except IntegrityError as exc:
                raise errors.Conflict(
                    "this card is already registered", code="already_registered"
                ) from exc
            uow.commit()
        return {"member_id": member_id, "manufacture_number": manufacture_number}


_CERTIFY = {
    "juminhyo": "この写しは、住民票の原本と相違ないことを証明する。",
    "juminhyo-kisai": "上記のとおり住民票に記載されていることを証明する。",
    "inkan": "この写しは、登録された印影と相違ないことを証明する。",
    "shotoku": "上記のとおり証明する。",
    "koseki": "これは、戸籍に記録されている事項の全部を証明した書面である。",
    "koseki-fuhyo": "この写しは、戸籍の附票の原本と相違ないことを証明する。",
}
