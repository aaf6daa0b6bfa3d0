"""The police's route dependencies: who may call (staff permissions), as ``Annotated``."""

# no `from __future__ import annotations`: FastAPI resolves the aliases at import
from typing import Annotated

from fastapi import Depends

from mynumber.platform.policy import marker
from mynumber.platform.staff.model import Acting
from mynumber.platform.staff.web import staff

Reader = Annotated[Acting, Depends(staff("licences.read"))]
Counter = Annotated[Acting, Depends(staff("licences.issue"))]
Writer = Annotated[Acting, Depends(staff("licences.write"))]
#: The holder's own applications carry their proof: a signature with the card's signing key
#: (checked with J-LIS's OCSP in the use case), or the course id that signed start answered.
HOLDER = marker("resident", "the holder's signature with the card's signing key")
COURSE = marker("resident", "the unguessable course id the holder's signed start answered")
