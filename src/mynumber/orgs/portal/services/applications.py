"""電子申請 (ぴったりサービス, 子育てワンストップ): four child-rearing applications from the
portal to the person's municipality, through the hub.

A form (:mod:`mynumber.orgs.portal.model.forms`) carries a random submission key:
the first post with a key makes the application, any later post with it (a double click,
retries, concurrent posts) finds the same one (the ``submissions`` table's primary key).
A form that needs a signature goes through a sign request (:mod:`.signing`) over the exact
bytes of the application; the person then submits, and the portal delivers ``{"data",
"cms"}`` sealed to the municipality (procedure = the application's kind, item
``application``, recipient ``municipality``). The portal keeps the status, its own id and
the sealed payload it sent, never the form in clear; the signed bytes are dropped once
delivered. Actor (who applied) and applicant (for whom) are kept apart: a proxy (代理人)
acting for the person applies only with an ``apply`` right (``Proxies.require(actor,
principal, "apply")``, checked when the form is posted and again at submission, recorded for
the principal), signs with their own card, and the delivery says ``by_proxy``.

Which need a signature: the child allowance claim, the nursery application and the
child-rearing allowance status report (each is a claim or declaration by the person,
made online with the signing certificate as the real ぴったりサービス forms ask). The
pregnancy notification does not: it is a notification (母子保健法 Art. 15) and the login
with the card already identifies the person (modelled; whether every municipality's
online form asks for a signature is not sourced).

The municipality's decision comes back as a delivery (``application_decision``, item
``decision``): the status changes and a notice goes to the person's inbox.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc, or_, select, update

from mynumber import errors
from mynumber.jst import JST
from mynumber.orgs.portal import store
from mynumber.orgs.portal.model.care_forms import FORMS
from mynumber.orgs.portal.model.forms import Form, validate
from mynumber.orgs.portal.services.inbox import Inbox, NewNotice
from mynumber.orgs.portal.services.notices import sender_name
from mynumber.orgs.portal.services.proxies import Proxies
from mynumber.orgs.portal.services.self_information import HubLink
from mynumber.orgs.portal.services.signing import SignRequests
from mynumber.platform.deliveries import Answer, Opened
from mynumber.platform.ids import new_id
from mynumber.platform.uow import UnitOfWork

ORG = "portal"
ITEM = "application"
DECISION = "application_decision"
DECISION_ITEMS = ("decision",)
KEY_LENGTH = (16, 64)

STATUS = {
    "signing": "署名待ち / Awaiting signature",
    "sending": "送信中 / Sending",
    "submitted": "審査中 / Under review",
    "approved": "承認 / Approved",
    "rejected": "却下 / Rejected",
    "returned": "差戻し / Returned for changes",
    "refused": "受付不可 / Not accepted",
}
DECISIONS = {"approved", "rejected", "returned"}


class NotSubmittable(errors.Conflict):
    code = "not_submittable"


class FormInvalid(errors.InvalidInput):
    """The form has errors; ``by_field`` holds the message next to each field."""

    code = "form_invalid"

    def __init__(self, by_field: dict[str, str]) -> None:
        super().__init__("入力内容を確認してください / Check the form")
        self.by_field = by_field


@dataclass(frozen=True, slots=True)
class Started:
    application: dict[str, Any]
    created: bool


def payload(application_id: str, revision: int, form: Form, values: dict[str, str]) -> bytes:
    """The exact bytes signed and delivered: canonical JSON of the application, with the
    form's labels so that the municipality shows what the person saw."""
    document = {
        "application_id": application_id,
        "revision": revision,
        "kind": form.kind,
        "title": f"{form.ja} / {form.en}",
        "form": values,
        "display": [
            [f"{f.ja} / {f.en}", dict(f.choices).get(values[f.name], values[f.name])]
            for f in form.fields
            if f.name in values
        ],
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def summary(form: Form, values: dict[str, str]) -> str:
    """What the phone shows before signing: each filled field, one a line."""
    lines = [f"{form.ja} / {form.en}"]
    for f in form.fields:
        if f.name in values:
            shown = dict(f.choices).get(values[f.name], values[f.name])
            lines.append(f"{f.ja}: {shown}")
    return "\n".join(lines)


class ElectronicApplications:
    """The person's applications: start (idempotent), sign, submit, decisions."""

    def __init__(
        self,
        *,
        signing: SignRequests,
        link: HubLink,
        inbox: Inbox,
        proxies: Proxies | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.signing = signing
        self.link = link
        self.inbox = inbox
        self.proxies = proxies
        self.clock = clock

    # --- reading --------------------------------------------------------------------------

    def list(self, uow: UnitOfWork, portal_code: str) -> list[dict[str, Any]]:
        a = store.applications.c
        with uow as conn:
            rows = conn.execute(
                select(store.applications)
                .where(or_(a.applicant_code == portal_code, a.actor_code == portal_code))
                .order_by(a.created_at.desc(), a.id.desc())
            ).all()
        return [self._out(r) for r in rows]

    def get(self, uow: UnitOfWork, application_id: str, portal_code: str) -> dict[str, Any]:
        """One of the person's applications (as applicant or actor); another's is 404."""
        a = store.applications.c
        with uow as conn:
            row = conn.execute(
                select(store.applications).where(
                    a.id == application_id,
                    or_(a.applicant_code == portal_code, a.actor_code == portal_code),
                )
            ).first()
        if row is None:
            raise errors.NotFound("no such application", code="application_not_found")
        return self._out(row)

    @staticmethod
    def _out(row: Any) -> dict[str, Any]:
        out = dict(row._mapping)
        out["form"] = FORMS[out["kind"]]
        out["status_label"] = STATUS.get(out["status"], out["status"])
        return out

    # --- starting (idempotent) ------------------------------------------------------------

    def start(
        self,
        uow: UnitOfWork,
        kind: str,
        *,
        actor: str,
        applicant: str,
        submitted: dict[str, str],
        key: str,
        application_id: str | None = None,
    ) -> Started:
        """Check the form and make the application once per ``key``.

        A key seen before returns its application (``created`` False) whatever the form
        says. A new one: the form is checked (:class:`FormInvalid`), the application made
        (or, with ``application_id``, a returned one taken up again as a new revision), and
        a sign request made for the bytes when the form needs a signature; a form that
        needs none is delivered at once.
        """
        form = FORMS.get(kind)
        if form is None:
            raise errors.NotFound("no such application form", code="form_not_found")
        if not (
            isinstance(key, str)
            and KEY_LENGTH[0] <= len(key) <= KEY_LENGTH[1]
            and key.isascii()
            and key.replace("-", "").replace("_", "").isalnum()
        ):
            raise errors.InvalidInput("the form's submission key is missing: reload the form")
        existing = self._by_key(uow, key)
        if existing is not None:
            return Started(self.get(uow, existing, actor), created=False)
        self._require_proxy(uow, actor, applicant, kind)
        values, problems = validate(form, submitted, self.clock().astimezone(JST).date())
        if problems:
            raise FormInvalid(problems)
        now = self.clock()
        revision = 1
        if application_id is not None:
            before = self.get(uow, application_id, actor)
            if before["kind"] != kind or before["status"] != "returned":
                raise NotSubmittable("only an application returned for changes is resubmitted")
            revision = before["revision"] + 1
        target = application_id or new_id()
        data = payload(target, revision, form, values)
        sign_id = None
        if form.signed:
            asked = self.signing.create(
                uow,
                actor,  # the one at the PC signs, with their own card (a proxy: theirs)
                (f"{form.ja}の電子申請", f"E-application: {form.en}"),
                data,
                summary(form, values),
                next_path=f"/portal/applications/{target}",
            )
            sign_id = asked.id
        status = "signing" if form.signed else "sending"
        a = store.applications.c
        try:
            with uow as conn:
                conn.execute(
                    store.submissions.insert().values(
                        key=key, application_id=target, revision=revision, created_at=now
                    )
                )
                if application_id is None:
                    conn.execute(
                        store.applications.insert().values(
                            id=target,
                            kind=kind,
                            actor_code=actor,
                            applicant_code=applicant,
                            status=status,
                            revision=revision,
                            sign_request_id=sign_id,
                            created_at=now,
                            updated_at=now,
                        )
                    )
                else:
                    taken = conn.execute(
                        update(store.applications)
                        .where(a.id == target, a.status == "returned", a.revision == revision - 1)
                        .values(
                            status=status,
                            revision=revision,
                            sign_request_id=sign_id,
                            sealed=None,
                            updated_at=now,
                        )
                    ).rowcount
                    if not taken:
                        raise NotSubmittable("the application was already resubmitted")
                uow.commit()
        except exc.IntegrityError:
            existing = self._by_key(uow, key)
            if existing is None:
                raise
            return Started(self.get(uow, existing, actor), created=False)
        if not form.signed:
            # a failure is recorded on the application: its page says why
            with contextlib.suppress(errors.Error):
                self._deliver(
                    uow, target, applicant, kind, revision, data, None, by_proxy=actor != applicant
                )
        return Started(self.get(uow, target, actor), created=True)

    def _require_proxy(self, uow: UnitOfWork, actor: str, applicant: str, kind: str) -> None:
        """A proxy (代理人) applies only with an ``apply`` right, checked now and recorded
        for the person they act for; the person themself needs none."""
        if actor == applicant:
            return
        if self.proxies is None:
            raise errors.Forbidden("applying for someone else needs a registered proxy")
        self.proxies.require(uow, actor, applicant, "apply", action=f"apply:{kind}"[:80])

    def _municipality_of(self, uow: UnitOfWork, portal_code: str) -> str:
        a = store.accounts.c
        with uow as conn:
            found = conn.scalar(select(a.municipality).where(a.portal_code == portal_code))
        if found is None:
            raise errors.NotFound("no such account")
        return str(found)

    def _by_key(self, uow: UnitOfWork, key: str) -> str | None:
        s = store.submissions.c
        with uow as conn:
            found = conn.scalar(select(s.application_id).where(s.key == key))
        return None if found is None else str(found)

    def sign_again(self, uow: UnitOfWork, application_id: str, actor: str) -> dict[str, Any]:
        """A fresh sign request over the same bytes, when the first expired or was refused."""
        application = self.get(uow, application_id, actor)
        if application["status"] != "signing" or not application["sign_request_id"]:
            raise NotSubmittable("this application is not waiting for a signature")
        before = self.signing.get(uow, application["sign_request_id"], application["actor_code"])
        if before.state == "signed" or before.data is None:
            raise NotSubmittable("the application is signed already: submit it")
        form = FORMS[application["kind"]]
        asked = self.signing.create(
            uow,
            application["actor_code"],
            (before.purpose_ja, before.purpose_en or form.en),
            before.data,
            before.summary,
            next_path=before.next_path,
        )
        a = store.applications.c
        with uow as conn:
            conn.execute(
                update(store.applications)
                .where(a.id == application_id, a.sign_request_id == before.id)
                .values(sign_request_id=asked.id, updated_at=self.clock())
            )
            uow.commit()
        self.signing.discard_data(uow, before.id, application["actor_code"])
        return self.get(uow, application_id, actor)

    # --- submitting -----------------------------------------------------------------------

    def submit(self, uow: UnitOfWork, application_id: str, actor: str) -> dict[str, Any]:
        """Deliver a signed application to the municipality (once; later calls are no-ops)."""
        application = self.get(uow, application_id, actor)
        if application["status"] != "signing":
            if application["status"] in ("submitted", "approved", "rejected"):
                return application
            raise NotSubmittable("this application cannot be submitted now")
        self._require_proxy(uow, application["actor_code"], application["applicant_code"], "submit")
        request_id = application["sign_request_id"]
        cms = self.signing.result(uow, request_id, application["actor_code"])
        if cms is None:
            raise NotSubmittable("sign the application on your phone first", code="not_signed")
        data = self.signing.get(uow, request_id, application["actor_code"]).data
        if data is None:
            raise NotSubmittable("the signed bytes are gone: start again")
        a = store.applications.c
        with uow as conn:
            claimed = conn.execute(
                update(store.applications)
                .where(a.id == application_id, a.status == "signing")
                .values(status="sending", updated_at=self.clock())
            ).rowcount
            uow.commit()
        if not claimed:
            return self.get(uow, application_id, actor)
        try:
            self._deliver(
                uow,
                application_id,
                application["applicant_code"],
                application["kind"],
                application["revision"],
                data,
                cms,
                by_proxy=application["actor_code"] != application["applicant_code"],
            )
        finally:
            if self.get(uow, application_id, actor)["status"] != "signing":  # sent, or refused
                self.signing.discard_data(uow, request_id, application["actor_code"])
        return self.get(uow, application_id, actor)

    def _deliver(
        self,
        uow: UnitOfWork,
        application_id: str,
        applicant: str,
        kind: str,
        revision: int,
        data: bytes,
        cms: bytes | None,
        *,
        by_proxy: bool = False,
    ) -> None:
        """Seal the application to the person's municipality and deliver it via the hub.

        On a failure the application goes back to where it was (signing, or refused for
        an unsigned form) and the error is raised.
        """
        a = store.applications.c
        back = "signing" if cms is not None else "refused"
        try:
            municipality = f"municipality-{self._municipality_of(uow, applicant)}"
            message = {
                "application_id": application_id,
                "revision": revision,
                "kind": kind,
                "data": base64.b64encode(data).decode(),
                "cms": None if cms is None else base64.b64encode(cms).decode(),
                # a proxy signed with their own card: the portal vouches for the right
                "by_proxy": by_proxy,
            }
            result = self.link.hub.deliver(
                procedure=kind,
                recipient="municipality",
                items=[ITEM],
                codes=[self.link.hub_code(uow, applicant)],
                messages=[message],
                seal_to=municipality,
            )
            replies = result.answers or [None]
            reply: dict[str, Any] = replies[0] if isinstance(replies[0], dict) else {}
        except errors.Error as failure:
            with uow as conn:
                conn.execute(
                    update(store.applications)
                    .where(a.id == application_id)
                    .values(
                        status=back, decision_reason=failure.message[:500], updated_at=self.clock()
                    )
                )
                uow.commit()
            raise
        accepted = bool(result.accepted and result.accepted[0])
        # the municipality's own reason, else the hub's (it passed nothing on: the person
        # is not enrolled there, or has moved)
        hub_reasons = result.reasons or [None]
        reason = str(reply.get("reason") or hub_reasons[0] or "no reason given")[:500]
        with uow as conn:
            conn.execute(
                update(store.applications)
                .where(a.id == application_id)
                .values(
                    status="submitted" if accepted else "refused",
                    sealed=result.sealed,
                    delivery_id=result.delivery_id,
                    decision_reason=None if accepted else reason,
                    updated_at=self.clock(),
                )
            )
            uow.commit()
        if not accepted:
            raise errors.Unauthorized(
                "市区町村が申請を受け付けませんでした / The municipality did not accept the "
                f"application: {reason}",
                code=str(reply.get("code") or "application_refused")[:40],
            )

    # --- the municipality's decision ------------------------------------------------------

    def __call__(self, uow: UnitOfWork, delivery: Opened) -> Answer:
        """``application_decision``: update the status and tell the person in お知らせ."""
        if delivery.items != DECISION_ITEMS or not delivery.sender.startswith("municipality-"):
            return Answer(accepted=[False] * len(delivery.codes))
        accounts = store.accounts.c
        a = store.applications.c
        accepted: list[bool] = []
        with uow as conn:
            for code, message in zip(delivery.codes, delivery.messages, strict=True):
                owner = (
                    conn.scalar(select(accounts.portal_code).where(accounts.hub_code == code))
                    if code is not None
                    else None
                )
                decision = message.get("decision") if isinstance(message, dict) else None
                reason = message.get("reason") if isinstance(message, dict) else None
                if (
                    owner is None
                    or decision not in DECISIONS
                    or not isinstance(message.get("application_id"), str)
                    or not isinstance(message.get("revision"), int)
                    or not (reason is None or (isinstance(reason, str) and len(reason) <= 1000))
                ):
                    accepted.append(False)
                    continue
                application_id = message["application_id"]
                row = conn.execute(
                    select(a.kind).where(
                        a.id == application_id,
                        a.applicant_code == owner,
                        a.revision == message["revision"],
                        a.status == "submitted",
                    )
                ).first()
                if row is None:
                    accepted.append(False)
                    continue
                conn.execute(
                    update(store.applications)
                    .where(a.id == application_id)
                    .values(status=decision, decision_reason=reason, updated_at=self.clock())
                )
                form = FORMS[row.kind]
                label = STATUS[decision]
                body = f"{form.ja}（{form.en}）の審査結果: {label}"
                if reason:
                    body += f"\n理由 / Reason: {reason}"
                if decision == "returned":
                    body += "\n申請状況から修正して再申請できます / Correct and resubmit it."
                self.inbox.add(
                    conn,
                    [
                        NewNotice(
                            portal_code=owner,
                            sender=sender_name(delivery.sender),
                            title=f"【{label.split(' / ')[0]}】{form.ja}",
                            body=body,
                            link=f"/portal/applications/{application_id}",
                        )
                    ],
                )
                accepted.append(True)
            uow.commit()
        return Answer(accepted=accepted)


# --- pages ---------------------------------------------------------------------------------
