"""What a bank's routes ask of their caller: the staff permission each needs."""

# no `from __future__ import annotations`: FastAPI resolves the aliases at import
from typing import Annotated

from fastapi import Depends

from mynumber.platform.staff.model import Acting
from mynumber.platform.staff.web import staff

#: 口座開設 at the counter.
Clerk = Annotated[Acting, Depends(staff("accounts.open"))]
#: 解約 at the counter.
Closer = Annotated[Acting, Depends(staff("accounts.close"))]
