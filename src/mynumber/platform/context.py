"""What the composition root hands each organisation's ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass

from mynumber.platform.http import Directory
from mynumber.platform.settings import Settings
from mynumber.platform.signing import Identity, KeyFolder


@dataclass(frozen=True)
class OrgContext:
    """One organisation's view of the deployment: its name, settings, keys and directory."""

    org: str
    settings: Settings
    keys: KeyFolder
    directory: Directory

    @property
    def identity(self) -> Identity:
        return Identity(self.org, self.keys.private_key(self.org))
