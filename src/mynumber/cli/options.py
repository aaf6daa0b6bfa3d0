"""Options shared by every command."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from mynumber.platform.settings import Settings

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data", help="data folder (default ./var or $MYNUMBER_DATA_DIR)", show_default=False
    ),
]


def settings(data: Path | None) -> Settings:
    from mynumber.platform.settings import Settings  # pydantic: not for --help

    return Settings().with_data_dir(data)
