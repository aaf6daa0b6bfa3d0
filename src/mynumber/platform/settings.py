"""Typed settings, read from ``MYNUMBER_*`` environment variables and command-line options."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The demo municipalities (全国地方公共団体コード with its check digit): 千代田区, 新宿区.
DEMO_MUNICIPALITIES = ("131016", "131041")


class Settings(BaseSettings):
    """Everything a deployment may change. Nothing is built from it at import time."""

    model_config = SettingsConfigDict(env_prefix="MYNUMBER_", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="where databases and keys live")
    database_url: str | None = Field(
        default=None,
        description="a PostgreSQL server URL; each organisation gets its own database there. "
        "Unset: one SQLite file per organisation in data_dir",
    )
    database_prefix: str = Field(default="mynumber", description="prefix of database names")
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = Field(
        default=None, description="the URL residents and verifiers reach; default http://host:port"
    )
    municipalities: tuple[str, ...] = DEMO_MUNICIPALITIES
    seed_residents: int = Field(default=500, description="demo residents per municipality")
    log_level: str = "INFO"
    portal_ocsp_max_age: float = Field(
        default=60.0,
        ge=0,
        description="seconds the portal reuses a good OCSP answer about a login certificate "
        "(never past its nextUpdate); 0 asks J-LIS at every login",
    )

    org_concurrency: int = Field(
        default=8,
        ge=1,
        description="requests each organisation serves at once (this project's choice); "
        "served, the thread pool holds this many per organisation",
    )
    org_queue: int = Field(
        default=64,
        ge=0,
        description="requests that may wait for one of an organisation's slots; more get 503",
    )
    org_queue_wait: float = Field(
        default=5.0,
        ge=0,
        description="seconds a request waits for a slot before it gets 503 with Retry-After",
    )
    login_rate_per_minute: float = Field(
        default=30.0,
        ge=0,
        description="portal login starts (GET /portal/login, POST /portal/api/login/start) "
        "per client address a minute; 0 turns the limit off",
    )
    login_burst: int = Field(
        default=20, ge=1, description="login starts a client address may make at once"
    )
    staff_sign_in_rate_per_minute: float = Field(
        default=30.0,
        ge=0,
        description="staff sign-in starts (GET <org>/staff/login, POST <org>/staff/api/sign-in) "
        "per client address a minute, at each organisation; 0 turns the limit off",
    )
    staff_sign_in_burst: int = Field(
        default=20, ge=1, description="staff sign-in starts a client address may make at once"
    )

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def with_data_dir(self, data_dir: Path | None) -> Settings:
        return self if data_dir is None else self.model_copy(update={"data_dir": data_dir})
