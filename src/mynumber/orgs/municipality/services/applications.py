"""E-applications (電子申請) received from Mynaportal through the hub, reviewed by staff.

Receiver (``POST /api/deliveries``, the hub's signature only; procedures
``child_allowance_claim``, ``nursery_admission``, ``pregnancy_notification``,
``child_rearing_allowance_status``): each message is ``{"application_id", "revision",
"kind", "data", "cms"}``. The municipality

1. finds the resident behind its own agency code (the hub converted the portal's),
2. checks the detached CMS over ``data`` (:func:`mynumber.pki.cms.verify_detached`: the
   digest, the signature, the chain to J-LIS's signing CA) — required for every kind but the
   pregnancy notification,
3. asks J-LIS for the signing certificate's OCSP status as a registered 署名検証者
   (registered on first need, credential in ``DATA/<org>/jlis-verifier.credential``),
4. checks that the certificate's four basic items are the resident's (name, birth date,
   sex, address as the registry records them) — unless a proxy (代理人) applied: Mynaportal
   checked their ``apply`` right and says so (``by_proxy``), the proxy signed with their own
   card, and the verdict names the proxy,
5. keeps the application; anything refused is answered ``false`` with a reason sealed back
   to the portal, and nothing of it is kept. The same application delivered again — even
   twice at the same moment — is answered as the first was (accepted, the same id).

Staff pages ``/applications/``: list and filter, the form and the signature verdict, for
the child allowance claim the claimant's income from the tax office through the hub
(the existing ``linkage/income``; no income certificate is attached) and each claimed child
checked against the registry (:meth:`Applications.child_checks`: on the registry by name and
birth date, in the claimant's household, within the child period of
:func:`mynumber.ages.end_of_child_period`), and the decision —
approve, reject with a reason, or return for changes (差戻し: the person resubmits the same
application) — which goes back to the portal as a delivery (``application_decision``).
Approving a claim with a failing child check needs an override reason, recorded with the
checks as they stood (this project's choice of safeguard; the real review is by hand).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, func, select, update

from mynumber import errors, jst
from mynumber.ages import age_on, end_of_child_period
from mynumber.orgs.municipality import store
from mynumber.orgs.municipality.model import (
    DECISION,
    DECISIONS,
    ITEMS,
    KINDS,
    MAX_CHILDREN,
    STATUS,
    ChildCheck,
    Municipality,
    care_notice,
    care_period,
    compact,
    differing_items,
)
from mynumber.orgs.municipality.model import care_level as model_care_level
from mynumber.orgs.municipality.services import care
from mynumber.orgs.municipality.services.linkage import Linkage
from mynumber.orgs.municipality.store import agency_codes, applications
from mynumber.pki import CertificateError
from mynumber.pki.cms import verify_detached
from mynumber.platform.deliveries import Answer, Opened, Receivers
from mynumber.platform.ids import new_id
from mynumber.platform.jlis_verifier import JlisVerifierClient
from mynumber.platform.uow import UnitOfWork

#: The largest application data taken (bytes): this project's bound.
MAX_DATA = 256 * 1024


class Refused(errors.Error):
    """An application the municipality will not take; ``code`` says why."""

    code = "application_refused"


class MunicipalityApplications:
    """The municipality's e-applications: receive, verify, review, decide."""

    def __init__(
        self,
        *,
        municipality: Municipality,
        linkage: Linkage,
        jlis: JlisVerifierClient,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.municipality = municipality
        self.linkage = linkage
        self.jlis = jlis
        self.clock = clock

    # --- receiving ------------------------------------------------------------------------

    def __call__(self, uow: UnitOfWork, delivery: Opened) -> Answer:
        accepted: list[bool] = []
        answers: list[Any] = []
        for code, message in zip(delivery.codes, delivery.messages, strict=True):
            try:
                if delivery.sender != "portal" or delivery.items != ITEMS:
                    raise Refused("only Mynaportal's applications are taken here")
                own_id = self.receive(uow, delivery.procedure, code, message, delivery.delivery_id)
            except (Refused, CertificateError) as exc:
                accepted.append(False)
                answers.append({"status": "refused", "code": exc.code, "reason": exc.message})
                continue
            except errors.Error as exc:  # J-LIS unreachable, the person not enrolled, …
                accepted.append(False)
                answers.append({"status": "refused", "code": exc.code, "reason": exc.message})
                continue
            accepted.append(True)
            answers.append({"status": "received", "id": own_id})
        return Answer(accepted=accepted, answers=answers)

    def _resident(self, uow: UnitOfWork, code: str | None) -> Any:
        if code is None:
            raise Refused("the person is not known here", code="unknown_person")
        r, a = store.residents, agency_codes
        query = select(r).select_from(r.join(a, a.c.resident_id == r.c.id)).where(a.c.code == code)
        for attempt in range(2):
            with uow as conn:
                row = conn.execute(query).first()
            if row is not None:
                return row
            if attempt == 0:
                self.linkage.enrol(uow)  # residents registered since the last enrolment
        raise Refused("the person is not a resident here", code="unknown_person")

    def receive(
        self, uow: UnitOfWork, kind: str, code: str | None, message: Any, delivery_id: str
    ) -> str:
        """Verify one application and keep it; returns the municipality's own id."""
        if kind not in KINDS:
            raise Refused(f"no e-application {kind!r} here", code="unknown_procedure")
        if not isinstance(message, dict):
            raise Refused("the application is not an object", code="malformed")
        application_id, revision = message.get("application_id"), message.get("revision")
        if not isinstance(application_id, str) or not 0 < len(application_id) <= 16:
            raise Refused("application_id is missing", code="malformed")
        if not isinstance(revision, int) or revision < 1:
            raise Refused("revision is missing", code="malformed")
        try:
            data = base64.b64decode(message.get("data") or "", validate=True)
            cms_text = message.get("cms")
            cms = None if cms_text is None else base64.b64decode(cms_text, validate=True)
        except (binascii.Error, ValueError, TypeError) as exc:
            raise Refused("data or cms is not base64", code="malformed") from exc
        if not data or len(data) > MAX_DATA:
            raise Refused("the application data is empty or too large", code="malformed")
        try:
            document = json.loads(data)
        except ValueError as exc:
            raise Refused("the application data is not JSON", code="malformed") from exc
        if not (
            isinstance(document, dict)
            and document.get("application_id") == application_id
            and document.get("revision") == revision
            and document.get("kind") == kind
            and isinstance(document.get("form"), dict)
        ):
            raise Refused("the signed data is not this application", code="malformed")
        resident = self._resident(uow, code)
        now = self.clock()
        needs_signature = KINDS[kind][1]
        verdict: dict[str, Any] = {"signed": False}
        serial = None
        if cms is None and needs_signature:
            raise Refused("this application must be signed", code="signature_required")
        if cms is not None:
            # either card generation (or the phone's certificate); OCSP of its hierarchy
            signature = verify_detached(cms, data, self.jlis.sign_roots(), now)
            check = self.jlis.check_status(signature.certificate, signature.issuer, now)
            by_proxy = message.get("by_proxy") is True
            differ = [] if by_proxy else differing_items(signature.items, resident)
            if differ:
                raise Refused(
                    "the signing certificate is not this resident's (" + ", ".join(differ) + ")",
                    code="signer_mismatch",
                )
            serial = signature.serial
            verdict = {
                "signed": True,
                "serial": serial,
                "issuer": signature.issuer.subject.rfc4514_string(),
                "ocsp": "good",
                "ocsp_this_update": check.this_update.isoformat(),
                "checked_at": now.isoformat(),
                "basic_items": "proxy" if by_proxy else "match",
            }
            if by_proxy:  # 代理人: the portal vouches for the right; the signer is the proxy
                verdict["proxy_name"] = signature.items.name
        a = applications.c

        def keep(conn: Connection) -> str:
            """Keep the application, or find it kept: the same delivery twice at once
            meets the unique key, and the retry reads the first one's row."""
            before = conn.execute(
                select(a.id, a.revision, a.status, a.resident_id).where(
                    a.portal_application_id == application_id
                )
            ).first()
            if before is not None:
                if before.resident_id != resident.id:
                    raise Refused("another person's application", code="malformed")
                if before.revision >= revision:
                    return str(before.id)  # the same delivery again: already kept
                if before.status != "returned":
                    raise Refused("the application is under review", code="not_returned")
                conn.execute(
                    update(applications)
                    .where(a.id == before.id)
                    .values(
                        revision=revision,
                        status="received",
                        data=data,
                        cms=cms,
                        signer_serial=serial,
                        verdict=json.dumps(verdict),
                        delivery_id=delivery_id,
                        updated_at=now,
                        decision_reason=None,
                    )
                )
                return str(before.id)
            own_id = new_id()
            conn.execute(
                applications.insert().values(
                    id=own_id,
                    portal_application_id=application_id,
                    revision=revision,
                    kind=kind,
                    resident_id=resident.id,
                    status="received",
                    data=data,
                    cms=cms,
                    signer_serial=serial,
                    verdict=json.dumps(verdict),
                    delivery_id=delivery_id,
                    received_at=now,
                    updated_at=now,
                )
            )
            return own_id

        return uow.run(keep)

    # --- staff ----------------------------------------------------------------------------

    def search(
        self, uow: UnitOfWork, *, status: str | None = None, kind: str | None = None
    ) -> list[dict[str, Any]]:
        a, r = applications.c, store.residents.c
        query = (
            select(
                a.id,
                a.kind,
                a.status,
                a.revision,
                a.received_at,
                a.updated_at,
                r.family_name,
                r.given_name,
            )
            .select_from(applications.join(store.residents, r.id == a.resident_id))
            .order_by(a.received_at.desc(), a.id.desc())
            .limit(500)
        )
        if status:
            query = query.where(a.status == status)
        if kind:
            query = query.where(a.kind == kind)
        with uow as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def counts(self, uow: UnitOfWork) -> dict[str, int]:
        a = applications.c
        with uow as conn:
            rows = conn.execute(select(a.status, func.count()).group_by(a.status)).all()
        return {str(s): int(n) for s, n in rows}

    def get(self, uow: UnitOfWork, own_id: str) -> dict[str, Any]:
        a = applications.c
        with uow as conn:
            row = conn.execute(select(applications).where(a.id == own_id)).first()
            if row is None:
                raise errors.NotFound("no such application", code="application_not_found")
            resident = conn.execute(
                select(store.residents).where(store.residents.c.id == row.resident_id)
            ).first()
        out = dict(row._mapping)
        out["document"] = json.loads(row.data)
        out["verdict"] = json.loads(row.verdict)
        out["income"] = None if row.income is None else json.loads(row.income)
        out["resident"] = resident
        out["checks"] = None if row.checks is None else json.loads(row.checks)
        out["kind_label"] = KINDS[row.kind][0]
        out["status_label"] = STATUS.get(row.status, row.status)
        return out

    def fetch_income(self, uow: UnitOfWork, own_id: str) -> dict[str, Any]:
        """児童手当: the claimant's income from the tax office, through the hub."""
        application = self.get(uow, own_id)
        if application["kind"] != "child_allowance_claim":
            raise errors.Conflict("income is asked for the child allowance claim only")
        answer = self.linkage.income_for_child_allowance(uow, application["resident_id"])
        with uow as conn:
            conn.execute(
                update(applications)
                .where(applications.c.id == own_id)
                .values(
                    income=json.dumps(answer.income),
                    income_exchange_id=answer.exchange_id,
                    updated_at=self.clock(),
                )
            )
            uow.commit()
        return self.get(uow, own_id)

    def _certification(
        self, uow: UnitOfWork, application: dict[str, Any], care_level: str, months: int | None
    ) -> tuple[str, tuple[dt.date, dt.date]]:
        return _certification_of(uow, application, care_level, months)

    def child_checks(self, uow: UnitOfWork, application: dict[str, Any]) -> list[ChildCheck]:
        """For a child allowance claim, each claimed child (name and birth date as claimed)
        against the active residents here and the claimant's household; none otherwise.

        Only people with the claimed name and birth date are read, never the others.
        """
        if application["kind"] != "child_allowance_claim":
            return []
        form = application["document"].get("form")
        form = form if isinstance(form, dict) else {}
        household = application["resident"].household_id
        today = jst.today()
        r = store.residents.c
        checks = []
        with uow as conn:
            for n in range(1, MAX_CHILDREN + 1):
                name = form.get(f"child{n}_name")
                if not isinstance(name, str) or not name.strip():
                    continue
                try:
                    birth: dt.date | None = dt.date.fromisoformat(
                        str(form.get(f"child{n}_birth_date"))
                    )
                except ValueError:
                    birth = None
                found: list[Any] = []
                if birth is not None:
                    found = list(
                        conn.execute(
                            select(r.id, r.household_id).where(
                                r.status == "active",
                                r.birth_date == birth,
                                r.family_name.concat(r.given_name) == compact(name),
                            )
                        ).all()
                    )
                home = next((f for f in found if f.household_id == household), None)
                match = home or (found[0] if found else None)
                checks.append(
                    ChildCheck(
                        child=n,
                        name=name,
                        birth_date=birth,
                        resident_id=None if match is None else str(match.id),
                        on_registry=match is not None,
                        in_household=home is not None,
                        age=None if birth is None else age_on(birth, today),
                        eligible_age=birth is not None
                        and birth <= today <= end_of_child_period(birth),
                        period_ends=None if birth is None else end_of_child_period(birth),
                    )
                )
        return checks

    def decide(
        self,
        uow: UnitOfWork,
        own_id: str,
        decision: str,
        reason: str,
        *,
        override: str = "",
        care_level: str = "",
        months: int | None = None,
    ) -> dict[str, Any]:
        """Approve, reject (with a reason) or return (差戻し, with what to change); the
        decision goes to the person's Mynaportal through the hub before it is recorded.

        Approving a child allowance claim whose child checks do not all pass needs an
        ``override`` reason; the checks as they stood and the override are recorded.
        Approving a 要介護・要支援認定 application needs the level decided (``care_level``;
        ``months`` of 認定有効期間, else the usual): the applicant must be an insured person
        here under the number the application gives; the 認定 is written on them and the
        notice says it.
        """
        if decision not in DECISIONS:
            raise errors.InvalidInput("decide approved, rejected or returned", field="decision")
        reason, override = reason.strip(), override.strip()
        if decision != "approved" and not reason:
            raise errors.InvalidInput(
                "却下・差戻しには理由が必要です / A reason is required", field="reason"
            )
        if len(reason) > 1000:
            raise errors.InvalidInput("the reason is at most 1000 characters", field="reason")
        if len(override) > 1000:
            raise errors.InvalidInput("the override is at most 1000 characters", field="override")
        application = self.get(uow, own_id)
        if application["status"] != "received":
            raise errors.Conflict("this application was already decided", code="already_decided")
        checks = self.child_checks(uow, application)
        failing = [c for c in checks if not c.passed]
        if decision == "approved" and failing and not override:
            raise errors.InvalidInput(
                "確認に通らない児童がいます。承認するには理由を記入してください / "
                f"Child {', '.join(str(c.child) for c in failing)} failed a check: "
                "give an override reason to approve",
                field="override",
                code="override_required",
            )
        certification = None
        if decision == "approved" and application["kind"] == "care_certification":
            certification = self._certification(uow, application, care_level, months)
            reason = "\n".join(x for x in (care_notice(*certification), reason) if x)
        result = self.linkage.hub.deliver(
            procedure=DECISION,
            recipient="portal",
            items=["decision"],
            codes=[self.linkage.code_of(uow, application["resident_id"])],
            messages=[
                {
                    "application_id": application["portal_application_id"],
                    "revision": application["revision"],
                    "decision": decision,
                    "reason": reason or None,
                }
            ],
        )
        if not result.accepted[0]:
            raise errors.Unavailable(
                "Mynaportal did not take the decision: tell the person on paper",
                code="decision_not_delivered",
            )
        a = applications.c
        with uow as conn:
            conn.execute(
                update(applications)
                .where(a.id == own_id, a.status == "received")
                .values(
                    status=decision,
                    decision_reason=reason or None,
                    checks=json.dumps([c.to_json() for c in checks]) if checks else None,
                    override_reason=override if decision == "approved" and failing else None,
                    updated_at=self.clock(),
                )
            )
            uow.commit()
        if certification is not None:
            care.certify(
                uow,
                application["resident_id"],
                level=certification[0],
                period=certification[1],
                application_id=own_id,
                now=self.clock(),
            )
        return self.get(uow, own_id) | {"read": [c.resident_id for c in checks if c.resident_id]}


def _certification_of(
    uow: UnitOfWork, application: dict[str, Any], care_level: str, months: int | None
) -> tuple[str, tuple[dt.date, dt.date]]:
    """The 認定 an approval decides: the level, and the period from the application day."""
    level = model_care_level(care_level)
    form = application["document"].get("form")
    form = form if isinstance(form, dict) else {}
    with uow as conn:
        insured = care.insured_of(conn, application["resident_id"])
    if insured is None or insured["insured_number"] != form.get("insured_number"):
        raise errors.InvalidInput(
            "申請者はこの被保険者番号の介護保険被保険者ではありません（先に資格を登録） / "
            "the applicant is not insured here under the number given",
            field="care_level",
            code="not_insured",
        )
    applied_on = application["received_at"].astimezone(jst.JST).date()
    return level, care_period(str(form.get("request") or "new"), applied_on, months)


def register(
    receivers: Receivers, service: MunicipalityApplications, unit: Callable[[], UnitOfWork]
) -> None:
    """The service receives each kind of e-application, a delivery in a unit of work of its
    own (``unit`` makes one on the municipality's database)."""

    def receive(delivery: Opened) -> Answer:
        return service(unit(), delivery)

    for kind in KINDS:
        receivers[kind] = receive
