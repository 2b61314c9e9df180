"""Service settings from environment variables.

Shared settings use the `KINERJA_` prefix (e.g. KINERJA_KAFKA_BOOTSTRAP, KINERJA_JWT_SECRET);
a service may override any of them with its own prefix, e.g. KINERJA_TPP_DATABASE_URL or
KINERJA_TPP_HTTP_PORT, which wins over the shared one."""

from __future__ import annotations

import os
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_JWT_SECRET = "kinerja-local-dev-secret-change-me-in-production"
"""The documented default for local mode only; production verifies against the OIDC JWKS."""


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KINERJA_", extra="ignore")

    service: str = Field(default="kinerja", description="service name (set by each service)")
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    http_workers: int = Field(default=1, ge=1, description="worker processes (each runs its own consumers)")
    database_url: str | None = Field(
        default=None, description="postgresql://… or sqlite:///…; empty = SQLite file in ./var"
    )
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = None
    kafka_ssl_cafile: str | None = Field(default=None, description="CA bundle of the brokers' TLS certificates")
    jwt_secret: str = LOCAL_JWT_SECRET
    jwt_issuer: str = "kinerja-local"
    jwt_audience: str = "kinerja"
    jwt_jwks_url: str | None = Field(default=None, description="production: the OIDC provider's JWKS")
    jwt_jwks_refresh_cooldown_seconds: float = Field(default=30.0, description="an unknown kid refetches the "
                                                     "JWKS at most this often (key rotation without a DoS lever)")
    jwt_allow_local_secret: bool = Field(default=False, description="let a throw-away local container serve "
                                         "beyond loopback with the documented local secret")
    otlp_endpoint: str | None = Field(default=None, description="OTLP/HTTP traces endpoint; empty = no export")
    log_level: str = "INFO"
    outbox_poll_seconds: float = 0.5
    outbox_batch_size: int = 500
    lag_sample_seconds: float = 15.0
    consumer_retry_base_seconds: float = 0.2
    consumer_retry_max_seconds: float = 30.0
    consumer_max_poll_interval_seconds: float = Field(default=300.0, gt=0, description="the longest a consumer may go between polls before the group drops it (aiokafka max_poll_interval_ms); one poll's batch stops after half of it")
    region_config_dir: str | None = Field(default=None, description="overrides the packaged default region data")
    fault_relay_hold_seconds: float = Field(default=0.0, description="tests only: the relay waits this long "
                                            "between reading rows and publishing them (a crash window)")
    fault_handle_delay_seconds: float = Field(default=0.0, description="tests only: each record's handler "
                                              "takes this much longer (a slow consumer)")
    write_rate_per_minute: float = Field(default=120.0, description="writes per user per minute on average")
    write_burst: int = Field(default=60, description="writes a user may send at once before the rate applies")
    http_max_writes_in_flight: int = Field(default=64, ge=0, description="writes one process works on at once "
                                           "(about 3x its database pool of 20); past it a write answers 503 with "
                                           "Retry-After (load shedding); 0 = no limit")
    timezone: str = Field(default="Asia/Jakarta", description="the region's time zone (dates, working days)")

    def today(self) -> date:
        """Today's date in the region's time zone."""
        return datetime.now(ZoneInfo(self.timezone)).date()

    @classmethod
    def for_service(cls, service: str, default_port: int, **overrides: Any) -> "ServiceSettings":
        """Shared KINERJA_* values, overridden by KINERJA_<SERVICE>_* ones, then by `overrides`."""
        prefix = f"KINERJA_{service.upper()}_"
        specific = {
            name: os.environ[prefix + name.upper()]
            for name in cls.model_fields
            if prefix + name.upper() in os.environ
        }
        values: dict[str, Any] = {"service": service, "http_port": default_port}
        shared = cls()
        values.update({k: getattr(shared, k) for k in shared.model_fields_set})
        values.update(specific)
        values.update(overrides)
        return cls(**values)

    def kafka_client_kwargs(self) -> dict[str, Any]:
        """Connection settings for plain aiokafka clients (admin, lag sampler)."""
        kw: dict[str, Any] = {"bootstrap_servers": self.kafka_bootstrap, "security_protocol": self.kafka_security_protocol}
        if "SSL" in self.kafka_security_protocol:
            from aiokafka.helpers import create_ssl_context

            kw["ssl_context"] = create_ssl_context(cafile=self.kafka_ssl_cafile)
        if self.kafka_security_protocol.startswith("SASL"):
            kw.update(sasl_mechanism=self.kafka_sasl_mechanism, sasl_plain_username=self.kafka_sasl_username,
                      sasl_plain_password=self.kafka_sasl_password)
        return kw

    def sqlalchemy_url(self) -> str:
        """The async SQLAlchemy URL for the configured database (SQLite in ./var by default)."""
        url = self.database_url or f"sqlite:///var/{self.service}.db"
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            return "postgresql+asyncpg://" + url.split("://", 1)[1]
        if url.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
        return url
