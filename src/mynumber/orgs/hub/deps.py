"""What the hub's routes ask of their caller: the staff permission each needs."""

# no `from __future__ import annotations`: FastAPI resolves the aliases at import
from typing import Annotated

from fastapi import Depends

from mynumber.platform.staff.model import Acting
from mynumber.platform.staff.web import staff

#: Reading the whole exchange record to recompute its chain (運用担当).
LogVerifier = Annotated[Acting, Depends(staff("log.verify"))]
