"""What a municipality's routes ask of their caller: the staff permission each needs, and the
purpose for which one person's record is opened."""

# no `from __future__ import annotations`: FastAPI resolves the aliases at import
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Query

from mynumber.errors import InvalidInput
from mynumber.orgs.municipality.model import PURPOSE_PATTERN
from mynumber.platform.staff.model import Acting
from mynumber.platform.staff.web import staff

#: The largest list offset a caller may ask for: this project's bound, above the residents
#: of any municipality (Yokohama has under 4 million), so a huge one is a 422, not a 500.
MAX_OFFSET = 10_000_000
PAGE_SIZE = 50  # residents on one staff list page

#: The staff pages' templates.
TEMPLATES = Path(__file__).parent.parent / "templates"

Reader = Annotated[Acting, Depends(staff("residents.read"))]
Registrar = Annotated[Acting, Depends(staff("residents.register"))]
Mover = Annotated[Acting, Depends(staff("residents.move"))]
DeathRecorder = Annotated[Acting, Depends(staff("residents.death"))]
CardIssuer = Annotated[Acting, Depends(staff("cards.issue"))]
ReissueRequester = Annotated[Acting, Depends(staff("numbers.reissue"))]
ReissueApprover = Annotated[Acting, Depends(staff("numbers.approve"))]
TaxClerk = Annotated[Acting, Depends(staff("taxes.record"))]
Enroller = Annotated[Acting, Depends(staff("linkage.enrol"))]
IncomeReader = Annotated[Acting, Depends(staff("linkage.income"))]
LinkageReader = Annotated[Acting, Depends(staff("linkage.read"))]
ApplicationReader = Annotated[Acting, Depends(staff("applications.read"))]
ApplicationDecider = Annotated[Acting, Depends(staff("applications.decide"))]
Exporter = Annotated[Acting, Depends(staff("residents.export"))]

#: Why the record is opened (see :data:`~mynumber.orgs.municipality.model.PURPOSES`).
Purpose = Annotated[
    str | None,
    Query(
        pattern=PURPOSE_PATTERN,
        max_length=60,
        description="why the record is opened: counter, inquiry, correction, application:<id>",
    ),
]


def why(acting: Acting, purpose: str | None) -> str:
    """The purpose a staff member gave; the local administrator (the command line on the
    data folder) acts for administration and is recorded as such."""
    if purpose:
        return purpose
    if acting.session.kind == "local":
        return "administration"
    raise InvalidInput(
        "say why you open this record: purpose=counter|inquiry|correction|application:<id>",
        field="purpose",
    )
