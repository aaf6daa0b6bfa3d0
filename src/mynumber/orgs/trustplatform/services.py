"""The platform operator's use cases: complete and keep a signed contract, validate one,
re-check its signers' certificates (現況確認), the 犯収法 identity check by JPKI signature.
What is kept (contracts, consents, identity-check records) is read and written in the
:class:`~mynumber.platform.uow.UnitOfWork` the caller gives, opened only once J-LIS and the
time-stamp authority have answered: no transaction is held across the network.

Every check against J-LIS goes through the platform's own registration as a verifier: if
J-LIS withdraws it, J-LIS refuses and so does the platform.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select, update

from mynumber.errors import Forbidden, InvalidInput, NotFound
from mynumber.orgs.trustplatform import model, pades, store
from mynumber.orgs.trustplatform.clients import JlisClient
from mynumber.orgs.trustplatform.tsa import TimeStampAuthority
from mynumber.pki import BasicItems, CertificateError, CertificateRevoked
from mynumber.pki.cms import verify_detached
from mynumber.pki.verify import build_ocsp_request, check_ocsp_response, issuer_of
from mynumber.platform.ids import new_id
from mynumber.platform.jlis_verifier import hierarchy_of
from mynumber.platform.uow import UnitOfWork


def items_json(items: BasicItems | None) -> dict[str, Any] | None:
    if items is None:
        return None
    return {
        "name": items.name,
        "gender": int(items.gender),
        "birth_date": items.birth_date.isoformat(),
        "address": items.address,
    }


@dataclass(frozen=True, slots=True)
class Status:
    serial: str
    status: str  # good | revoked
    revoked_at: dt.datetime | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "serial": self.serial,
            "status": self.status,
            "revoked_at": self.revoked_at,
            "reason": self.reason,
            "meaning": model.meaning(self.reason) if self.status == "revoked" else None,
        }


class Platform:
    """The operator's use cases, over J-LIS (as a registered verifier) and its own TSA."""

    def __init__(self, *, jlis: JlisClient, tsa: TimeStampAuthority) -> None:
        self.jlis = jlis
        self.tsa = tsa

    def roots(self) -> list[x509.Certificate]:
        """J-LIS's signing CAs of both card generations and the platform's TSA root: what a
        contract chains to."""
        return [*self.jlis.sign_roots(), self.tsa.root]

    def _answer(self, cert: x509.Certificate, *, nonce: bytes | None = None) -> bytes:
        """J-LIS's verified OCSP answer about ``cert`` from the responder of the hierarchy
        that issued it (either generation); raises CertificateRevoked."""
        root = issuer_of(cert, self.jlis.sign_roots())
        der = self.jlis.ocsp(build_ocsp_request(cert, root, nonce), hierarchy_of(root))
        check_ocsp_response(der, cert, root, dt.datetime.now(dt.UTC), nonce)
        return der

    def status_or_raise(self, cert: x509.Certificate) -> None:
        """Raise :class:`CertificateRevoked` unless J-LIS says ``good`` now (with a nonce)."""
        self._answer(cert, nonce=os.urandom(16))

    def status_of(self, cert: x509.Certificate) -> Status:
        """現況確認: J-LIS's current answer about a signing certificate (fresh, with a nonce)."""
        serial = f"{cert.serial_number:x}"
        try:
            self._answer(cert, nonce=os.urandom(16))
        except CertificateRevoked as exc:
            reason = exc.reason.value if exc.reason is not None else None
            return Status(serial, "revoked", exc.revoked_at, reason)
        return Status(serial, "good")

    # --- contracts ---------------------------------------------------------------------

    def complete(self, uow: UnitOfWork, provider_id: str, title: str, pdf: bytes) -> dict[str, Any]:
        """Validate the signatures, embed chain + OCSP + a document time-stamp, keep it."""
        provider = model.provider(provider_id)
        title = title.strip()
        if not 1 <= len(title) <= 200 or any(ord(c) < 0x20 for c in title):
            raise InvalidInput("a title is 1-200 printable characters", field="title")
        done = pades.complete(
            pdf, roots=self.roots(), ocsp_of=self._answer, timestamper=self.tsa.stamper()
        )
        report = pades.validate(done, roots=self.roots())
        contract_id = new_id()
        now = dt.datetime.now(dt.UTC)
        with uow as conn:
            conn.execute(
                store.contracts.insert().values(
                    id=contract_id, provider=provider.id, title=title, completed_at=now, pdf=done
                )
            )
            for s in report.signatures:
                conn.execute(
                    store.signers.insert().values(
                        contract_id=contract_id,
                        field=s.field,
                        serial=f"{s.certificate.serial_number:x}",
                        certificate=s.certificate.public_bytes(Encoding.DER),
                        items=json.dumps(items_json(s.items), ensure_ascii=False),
                    )
                )
            uow.commit()
        return {"id": contract_id, "provider": provider.id, "pdf": done, "report": report}

    def verify(self, pdf: bytes, *, current: bool = True) -> dict[str, Any]:
        """What the file proves by itself, and (``current``) each signer's status today."""
        report = pades.validate(pdf, roots=self.roots())
        signatures = []
        for s in report.signatures:
            entry: dict[str, Any] = {
                "field": s.field,
                "intact": s.intact,
                "trusted": s.trusted,
                "revocation_embedded": s.revocation_embedded,
                "timestamped": s.timestamped,
                "signed_at": s.signed_at,
                "modified_after_signing": s.modified_after,
                "serial": f"{s.certificate.serial_number:x}",
                "items": items_json(s.items),
                "ok": s.ok,
            }
            if current and s.intact:
                try:
                    entry["current"] = self.status_of(s.certificate).as_dict()
                except CertificateError:  # not a J-LIS certificate: nothing to ask
                    entry["current"] = None
            signatures.append(entry)
        return {
            "ok": report.ok,
            "document_timestamp": report.document_timestamp,
            "document_timestamp_ok": report.document_timestamp_ok,
            "signatures": signatures,
        }

    def contract(self, uow: UnitOfWork, provider_id: str, contract_id: str) -> dict[str, Any]:
        """A kept contract of the provider's, its file and its signers."""
        model.provider(provider_id)
        c, s = store.contracts.c, store.signers.c
        with uow as conn:
            row = conn.execute(
                select(c.id, c.title, c.completed_at, c.pdf).where(
                    c.id == contract_id, c.provider == provider_id
                )
            ).first()
            if row is None:
                raise NotFound("no such contract", code="contract_not_found")
            people = conn.execute(
                select(s.field, s.serial, s["items"], s.certificate)
                .where(s.contract_id == contract_id)
                .order_by(s.field)
            ).all()
        return {
            "id": row.id,
            "provider": provider_id,
            "title": row.title,
            "completed_at": row.completed_at,
            "pdf": row.pdf,
            "signers": [
                {
                    "field": p["field"],
                    "serial": p["serial"],
                    "items": json.loads(p["items"]),
                    "certificate": x509.load_der_x509_certificate(p["certificate"]),
                }
                for p in (row._mapping for row in people)
            ],
        }

    def contract_status(
        self, uow: UnitOfWork, provider_id: str, contract_id: str
    ) -> list[dict[str, Any]]:
        """現況確認 of every signer of a kept contract."""
        found = self.contract(uow, provider_id, contract_id)
        return [
            {"field": p["field"], **self.status_of(p["certificate"]).as_dict()}
            for p in found["signers"]
        ]

    # --- the latest four items, with consent (services-reference §5) ----------------------

    def _signed_by_card(self, data: bytes, cms: bytes, *, good: bool = True) -> Any:
        now = dt.datetime.now(dt.UTC)
        signature = verify_detached(cms, data, self.jlis.sign_roots(), now)
        if good:
            self.status_or_raise(signature.certificate)
        try:
            statement = json.loads(data)
        except ValueError as exc:
            raise InvalidInput("the signed statement is JSON", field="data") from exc
        serial = f"{signature.certificate.serial_number:x}"
        if not isinstance(statement, dict) or statement.get("serial") != serial:
            raise InvalidInput("the statement names another certificate", field="data")
        return signature, statement, serial

    def give_consent(
        self, uow: UnitOfWork, provider_id: str, data: bytes, cms: bytes
    ) -> dict[str, Any]:
        """Record a consent ``{"consent": "latest-basic-items", "serial": …}`` the person
        signed with a good signing certificate."""
        provider = model.provider(provider_id)
        _, statement, serial = self._signed_by_card(data, cms)
        if statement.get("consent") != model.CONSENT:
            raise InvalidInput(f"consent must be {model.CONSENT!r}", field="data")
        record = {"id": new_id(), "provider": provider.id, "serial": serial}
        with uow as conn:
            conn.execute(
                store.consents.insert().values(
                    **record, data=data, signature=cms, given_at=dt.datetime.now(dt.UTC)
                )
            )
            uow.commit()
        return record

    def withdraw_consent(self, uow: UnitOfWork, provider_id: str, data: bytes, cms: bytes) -> int:
        """The person withdraws (``{"withdraw": "latest-basic-items", "serial": …}``,
        signed); every consent of theirs with this provider ends."""
        provider = model.provider(provider_id)
        # a revoked certificate still proves who withdraws (a move must not trap a consent)
        _, statement, serial = self._signed_by_card(data, cms, good=False)
        if statement.get("withdraw") != model.CONSENT:
            raise InvalidInput(f"withdraw must be {model.CONSENT!r}", field="data")
        k = store.consents.c
        with uow as conn:
            withdrawn = conn.execute(
                update(store.consents)
                .where(k.provider == provider.id, k.serial == serial, k.withdrawn_at.is_(None))
                .values(withdrawn_at=dt.datetime.now(dt.UTC))
            ).rowcount
            uow.commit()
        return int(withdrawn)

    def _signer(
        self, uow: UnitOfWork, provider_id: str, contract_id: str, field: str
    ) -> dict[str, Any]:
        signers: list[dict[str, Any]] = self.contract(uow, provider_id, contract_id)["signers"]
        for signer in signers:
            if signer["field"] == field:
                return signer
        raise NotFound("no such signer", code="signer_not_found")

    def latest_items(
        self, uow: UnitOfWork, provider_id: str, contract_id: str, field: str
    ) -> dict[str, Any]:
        """J-LIS's current four items of a signer, with their consent on file; ``changed``
        lists the items that differ from the signing certificate's."""
        signer = self._signer(uow, provider_id, contract_id, field)
        k = store.consents.c
        with uow as conn:
            consent = conn.execute(
                select(k.data, k.signature)
                .where(
                    k.provider == provider_id,
                    k.serial == signer["serial"],
                    k.withdrawn_at.is_(None),
                )
                .order_by(k.given_at.desc())
            ).first()
        if consent is None:
            raise Forbidden("the person has not consented, or withdrew", code="consent_missing")
        latest = self.jlis.latest_items(signer["serial"], consent[0], consent[1])
        before = signer["items"] or {}
        changed = [
            name
            for name in ("name", "gender", "birth_date", "address")
            if latest.get(name) is not None and latest.get(name) != before.get(name)
        ]
        return {"field": field, "serial": signer["serial"], **latest, "changed": changed}

    def auth_serial(
        self, uow: UnitOfWork, provider_id: str, contract_id: str, field: str
    ) -> dict[str, str]:
        """The user-authentication serial on the same card as a signer's certificate."""
        signer = self._signer(uow, provider_id, contract_id, field)
        return self.jlis.auth_serial(signer["serial"])

    # --- 犯収法 eKYC by JPKI signature ---------------------------------------------------

    def ekyc(self, uow: UnitOfWork, provider_id: str, data: bytes, cms: bytes) -> dict[str, Any]:
        """Identity check (施行規則 Art. 6(1)(i)(ワ)): the signature over ``data`` with a
        good signing certificate; the record (items, certificate, signature) is kept."""
        provider = model.provider(provider_id)
        if not provider.ekyc:
            raise InvalidInput("this provider opens no accounts", field="provider")
        now = dt.datetime.now(dt.UTC)
        signature = verify_detached(cms, data, self.jlis.sign_roots(), now)
        self.jlis.check_status(signature.certificate, signature.issuer, now)
        record = {
            "id": new_id(),
            "provider": provider.id,
            "serial": f"{signature.certificate.serial_number:x}",
            "items": items_json(signature.items),
            "checked_at": now,
            "keep_until": (now + model.EKYC_KEEP).date(),
        }
        with uow as conn:
            conn.execute(
                store.ekyc_records.insert().values(
                    id=record["id"],
                    provider=provider.id,
                    serial=record["serial"],
                    certificate=signature.certificate.public_bytes(Encoding.DER),
                    signature=cms,
                    items=json.dumps(record["items"], ensure_ascii=False),
                    checked_at=now,
                    keep_until=record["keep_until"],
                )
            )
            uow.commit()
        return record

    def ekyc_record(self, uow: UnitOfWork, provider_id: str, record_id: str) -> dict[str, Any]:
        """A kept identity-check record (確認記録) of the provider's."""
        model.provider(provider_id)
        e = store.ekyc_records.c
        with uow as conn:
            row = conn.execute(
                select(e.id, e.provider, e.serial, e["items"], e.checked_at, e.keep_until).where(
                    e.id == record_id, e.provider == provider_id
                )
            ).first()
        if row is None:
            raise NotFound("no such identity-check record", code="record_not_found")
        return {
            "id": row.id,
            "provider": row.provider,
            "serial": row.serial,
            "items": json.loads(row._mapping["items"]),
            "checked_at": row.checked_at,
            "keep_until": row.keep_until,
        }
