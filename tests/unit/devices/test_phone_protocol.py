"""The phone's protocol client: which resources it reaches, how a target names one, and
that a refused URL sends no request at all (the transport fails the test if called)."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from mynumber import errors
from mynumber.devices.phone import ResourceRefused, Resources, qr_url, resource_of

BASE = "http://127.0.0.1:8000"


def refusing_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"the phone sent a request to {request.url}")


def phone(*allowed: str) -> Resources:
    return Resources(
        allowed=list(allowed) or [BASE],
        http=httpx.Client(transport=httpx.MockTransport(refusing_network)),
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://evil.example/portal/api/login/ABCD1234",
        "http://127.0.0.1:8001/portal/api/login/ABCD1234",
        "https://127.0.0.1:8000/portal/api/login/ABCD1234",
        "http://127.0.0.1:8000@evil.example/portal/api/login/ABCD1234",
        "http://user:pw@127.0.0.1:8000/portal/api/login/ABCD1234",
        "http://localhost:8000/portal/api/login/ABCD1234",
        "file:///etc/passwd",
        "/portal/api/login/ABCD1234",
        "http://127.0.0.1:8000/portal/api/login/ABCD1234#x",
        "http://127.0.0.1:8000/portal/../../x",
        "http://127.0.0.1:8000/portal/%2e%2e/x",
        "http://127.0.0.1:notaport/x",
        "http://127.0.0.1:8000/" + "a" * 2100,
    ],
)
def test_the_phone_refuses_a_resource_outside_the_base_url_without_a_request(url: str) -> None:
    with pytest.raises(ResourceRefused) as refused:
        phone().login_asked(url)
    assert refused.value.field == "request"
    with pytest.raises(ResourceRefused):
        phone().sign_asked(url)


def test_a_base_url_with_a_path_admits_only_what_lies_below_it() -> None:
    resources = phone(f"{BASE}/portal")
    assert resources.check(f"{BASE}/portal/api/login/X") == f"{BASE}/portal/api/login/X"
    for outside in (f"{BASE}/portalx/api", f"{BASE}/jlis/api", f"{BASE}/"):
        with pytest.raises(ResourceRefused):
            resources.check(outside)


def test_a_target_is_a_code_a_qr_url_or_the_resource_itself() -> None:
    resource = f"{BASE}/portal/api/login/ABCD1234"
    assert resource_of("abcd-1234", kind="login", base_url=BASE) == resource
    assert resource_of("ABCD1234", kind="sign", base_url=BASE + "/") == (
        f"{BASE}/portal/api/sign/ABCD1234"
    )
    assert resource_of(qr_url(f"{BASE}/phone", "login", resource), kind="login", base_url="x") == (
        resource
    )
    assert qr_url(f"{BASE}/phone/", "sign", resource) == (
        f"{BASE}/phone/sign?request={quote(resource, safe='')}"
    )
    assert resource_of(resource, kind="login", base_url="ignored") == resource
    with pytest.raises(errors.InvalidInput):
        resource_of("no/such code!", kind="login", base_url=BASE)


def test_a_resource_that_answers_another_shape_is_a_clear_error() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"code": "X", "challenge": "not base64!!"})

    resources = Resources(allowed=[BASE], http=httpx.Client(transport=httpx.MockTransport(answer)))
    with pytest.raises(errors.Unavailable) as bad:
        resources.login_asked(f"{BASE}/portal/api/login/X")
    assert bad.value.code == "bad_resource"
