"""No generated request gets a 5xx from any organisation (or the phone app, or a kiosk).

Schemathesis reads each app's own OpenAPI description (``app.openapi()``) and generates
requests for every operation, inside the schema (positive) and outside it (negative:
wrong types, missing fields, out-of-range values). Each is sent through the federation's
in-process HTTP client — the same transport the organisations use to call each other —
once with no credential and once as the organisation's local administrator, so both the
authorisation layer and the routes behind it see the input. The only check is
``not_a_server_error``: a bad request must be a 4xx, never a 5xx or an exception.

Run it alone: ``pytest -q -p no:cacheprovider tests/api/test_no_server_errors.py``
(``FUZZ_EXAMPLES=200`` for a longer search). Every failure prints the operation and a
reproducible example.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from starlette.routing import Mount

from mynumber import federation
from mynumber.federation import INTERNAL_BASE, KIOSK_PATH, PHONE_PATH, mount_path
from mynumber.platform.settings import Settings

pytestmark = pytest.mark.slow(seconds=25)

#: examples per operation and mode; small for CI, raise it to search longer
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
#: every organisation of a deployment, then the resident's phone app and a convenience-store
#: kiosk's touch screen (devices, not organisations)
KIOSK_STORE = "sunrise-0001"
DEVICES = ("phone", "kiosk")
TARGETS = [*federation.org_names(Settings(seed_residents=0)), *DEVICES]


#: who sends the requests: ``FUZZ_CALLERS=administrator`` for the PostgreSQL pass, where
#: anonymous requests (refused before any query) would only repeat the SQLite pass
CALLERS = os.environ.get("FUZZ_CALLERS", "anonymous,administrator").split(",")


def _cases() -> list[tuple[str, str]]:
    found = [(org, "anonymous") for org in TARGETS if "anonymous" in CALLERS]
    # the devices have no staff: a local administrator of them does not exist
    if "administrator" in CALLERS:
        found += [(org, "administrator") for org in TARGETS if org not in DEVICES]
    return found


def _app_and_base(fed: federation.Federation, target: str) -> tuple[Any, str]:
    if target == "phone":
        return fed.phone, INTERNAL_BASE + PHONE_PATH
    if target == "kiosk":
        path = f"{KIOSK_PATH}/{KIOSK_STORE}"
        [kiosk] = [r.app for r in fed.root.routes if isinstance(r, Mount) and r.path == path]
        return kiosk, INTERNAL_BASE + path
    return fed.apps[target], INTERNAL_BASE + mount_path(target)


def _send(client: httpx.Client, case: schemathesis.Case, base_url: str) -> httpx.Response:
    """The case as one HTTP request through ``client`` (requests prepares the body: JSON,
    form or multipart, as schemathesis serialises it)."""
    kwargs = case.as_transport_kwargs(base_url=base_url)
    prepared = requests.Request(
        method=kwargs["method"],
        url=kwargs["url"],
        headers=kwargs.get("headers"),
        params=kwargs.get("params"),
        cookies=kwargs.get("cookies"),
        json=kwargs.get("json"),
        data=kwargs.get("data"),
        files=kwargs.get("files"),
    ).prepare()
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    started = time.monotonic()
    response = client.request(
        prepared.method or "GET",
        prepared.url or base_url,
        headers=dict(prepared.headers),
        content=body,
    )
    # the in-process transport's answer has no timing of its own; schemathesis reads one
    response.elapsed = dt.timedelta(seconds=time.monotonic() - started)
    return response


def _operations(app: Any) -> Iterator[schemathesis.APIOperation]:
    schema = schemathesis.openapi.from_dict(app.openapi())
    for result in schema.get_all_operations():
        # an operation schemathesis cannot read is a failure of this test, never a skip
        yield result.ok()


@pytest.mark.parametrize(("target", "caller"), _cases())
def test_no_generated_request_gets_a_server_error(
    fed: federation.Federation, target: str, caller: str
) -> None:
    app, base_url = _app_and_base(fed, target)
    client = fed.directory.http if caller == "anonymous" else fed.admin_http
    failures: list[str] = []
    operations = list(_operations(app))
    assert operations, f"{target} describes no operation"
    for operation in operations:
        strategy = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=[
                HealthCheck.too_slow,
                HealthCheck.filter_too_much,
                HealthCheck.data_too_large,
            ],
        )
        @given(case=strategy)
        def check(case: schemathesis.Case) -> None:
            response = _send(client, case, base_url)
            case.validate_response(response, checks=[not_a_server_error])

        try:
            check()
        except Exception as exc:
            failures.append(f"{operation.label}: {type(exc).__name__}: {exc}")
    assert not failures, "\n\n".join(failures)
