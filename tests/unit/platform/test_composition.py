"""The typed composition root: an app exposes one frozen services object, read back
typed; the wrong kind, a second exposure and a change after construction are refused."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass

import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine

from mynumber.platform.composition import OrgServices, expose, services_of
from mynumber.platform.staff.model import Roles
from mynumber.platform.staff.services import Staff


@dataclass(frozen=True, slots=True)
class CounterServices(OrgServices):
    counter: list[int]


@dataclass(frozen=True, slots=True)
class OtherServices(OrgServices):
    other: str


def _base() -> dict[str, object]:
    engine = create_engine("sqlite://")
    staff = Staff(engine=engine, org="town", roles=Roles.of(), authority=None)
    return {"org": "town", "engine": engine, "staff": staff, "health": lambda: {"ok": True}}


def test_an_app_exposes_its_services_typed_and_frozen() -> None:
    app = FastAPI()
    exposed = expose(app, CounterServices(**_base(), counter=[1]))  # type: ignore[arg-type]
    found = services_of(app, CounterServices)
    assert found is exposed and found.counter == [1]
    assert services_of(app).health() == {"ok": True}
    with pytest.raises(FrozenInstanceError):
        found.org = "elsewhere"  # type: ignore[misc]


def test_the_wrong_kind_and_a_second_exposure_are_refused() -> None:
    app = FastAPI()
    exposed = expose(app, CounterServices(**_base(), counter=[]))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        services_of(app, OtherServices)
    with pytest.raises(RuntimeError):
        expose(app, exposed)


def test_an_app_that_exposes_nothing_is_refused() -> None:
    app = FastAPI(title="town")
    base = _base()
    app.state.engine, app.state.staff, app.state.health = (
        base["engine"],
        base["staff"],
        base["health"],
    )  # what an app kept on its state before: no longer read
    with pytest.raises(LookupError):
        services_of(app)
    with pytest.raises(LookupError):
        services_of(app, CounterServices)
