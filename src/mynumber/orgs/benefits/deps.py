"""Who may call the benefit office's routes: its staff by role, Mynaportal by signature."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from mynumber.platform.staff.model import Acting
from mynumber.platform.staff.web import staff
from mynumber.platform.web import signed_by

#: 企画担当 (planner): makes programmes, starts runs.
Planner = Annotated[Acting, Depends(staff("programmes.create"))]
Runner = Annotated[Acting, Depends(staff("programmes.run"))]
#: 承認者 (approver): approves a programme another staff member made.
Approver = Annotated[Acting, Depends(staff("programmes.approve"))]
#: Either role: the programmes, their status, the staff pages.
Reader = Annotated[Acting, Depends(staff("programmes.read"))]
#: Mynaportal, shows a programme to a resident (the one-click application page).
FromPortal = Annotated[str, Depends(signed_by(lambda org: org == "portal", who="portal"))]

#: What the office records its staff's acts on programmes for (access log ``purpose``).
PURPOSE = "特定公的給付の支給 (paying a designated public benefit)"
