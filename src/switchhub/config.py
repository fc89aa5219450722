"""Settings read from the environment (prefix SWITCHHUB_), one object per process.

Defaults are what a new user needs: an embedded PostgreSQL in the data directory,
development certificates there too, the original's rate limit of 1 request/second.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from switchhub.kernel.spid import AREA_CODES


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"SWITCHHUB_{name}", default)


def _host_entry(raw: str) -> str:
    """'Hooks.Example:8443' → 'hooks.example:8443'; '[::1]' → '::1' (a bracket form needs a port)."""
    entry = raw.strip().lower().rstrip(".")
    return entry[1:-1] if entry.startswith("[") and entry.endswith("]") else entry


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path(".switchhub")
    hub_database_url: str | None = None
    area_database_url: str | None = None
    # TLS material (paths); filled by `switchhub certs init` into data_dir/certs by default
    certs_dir: Path = Path(".switchhub/certs")
    # area code -> base URL of the area system serving it
    area_urls: dict[str, str] = field(default_factory=dict)
    area_timeout_s: float = 5.0
    # database connections a service keeps for its request path (the hub's engine, the area's lookup
    # reader), without overflow: a request waits for a free one instead of opening a connection that
    # is closed again on return (a new backend and every statement prepared again: the P1 path opened
    # one per 4 lookups with 10 + overflow, docs/benchmarks.md)
    db_pool_size: int = 20
    # whether the hub asks the areas to gzip large answers (the usage inquiry): worth it across a WAN;
    # on one machine or a LAN gzip costs more than the bytes it saves (docs/benchmarks.md P10)
    area_gzip: bool = False
    # SHA-256 fingerprints of hub client certificates an area accepts acting-operator headers from
    hub_fingerprints: frozenset[str] = frozenset()
    # SHA-256 fingerprint of each area system certificate the hub accepts events from → the area
    # codes it may post events for (an area-03 certificate cannot speak for area 06)
    area_certificates: dict[str, frozenset[str]] = field(default_factory=dict)
    # areas this area process serves
    served_areas: tuple[str, ...] = AREA_CODES
    trusted_proxies: frozenset[str] = frozenset()
    proxy_cert_header: str | None = None
    rate_per_second: float = 1.0
    rate_burst: int = 10
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    reauth_minutes: int = 10  # an admin action needs the password entered this recently (security.md)
    # days a password stays valid before the Web forces a change (0: no expiry; security.md)
    password_max_age_days: int = 90
    # request bodies above this are refused with 413 while they are read
    max_body_bytes: int = 2_000_000
    public_hub_url: str = "https://localhost:8443"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    mail_from: str = "switchhub@localhost"
    # the T&D's public page for customers (`switchhub area-public`): the area's own mail server and
    # sender, and the page's address as written in its confirmation links
    area_smtp_host: str = "127.0.0.1"
    area_smtp_port: int = 8025
    area_mail_from: str = "usage@area.localhost"
    public_area_url: str = "https://localhost:8445"
    # webhook hosts exempt from the internal-address check ("host" or "host:port"), e.g. a local
    # receiver in the demo or tests; https is still required (hub/notify/urlpolicy.py)
    webhook_allowed_hosts: frozenset[str] = frozenset()
    # port of the Prometheus endpoint on 127.0.0.1 for `switchhub hub` / `switchhub area`; None = not served
    metrics_port: int | None = None
    # the demo's background fill of 30-minute readings (generate/readings_fill.py): it stops when the
    # readings table reaches this size or the data directory's disk has less than the floor free.
    # A full 100,000-point demo is ≈ 26 GiB (docs/scaling.md); the default leaves room for it.
    demo_readings_max_gb: float = 30.0
    demo_readings_min_free_gb: float = 10.0
    # sandbox mode (docs/sandbox.md): the movable clock, reset and test markers on the hub, and the areas
    # behind the scenario stubs; a production hub leaves it off and answers 404 on /api/v1/sandbox/*
    sandbox: bool = False
    # what answers the hub's area calls in this area process: "reference" (the reference system as it is)
    # or "sandbox" (the same system behind the scenario layer, src/switchhub/sandbox/stub.py)
    area_backend: str = "reference"
    # the sandbox world this process belongs to (one hub database + its area database + one clock)
    sandbox_tenant: str = "default"

    @property
    def scenario_stubs(self) -> bool:
        """Sandbox mode implies the scenario stubs whatever area_backend says."""
        return self.sandbox or self.area_backend == "sandbox"

    @classmethod
    def from_env(cls) -> "Settings":
        data_dir = Path(_env("DATA_DIR", ".switchhub") or ".switchhub").absolute()
        area_urls: dict[str, str] = {}
        raw_urls = _env("AREA_URLS")
        if raw_urls:
            area_urls = {str(k): str(v) for k, v in json.loads(raw_urls).items()}
        fps = frozenset(x.strip().lower() for x in (_env("HUB_FINGERPRINTS", "") or "").split(",") if x.strip())
        area_certs = {str(fp).strip().lower(): frozenset(str(a) for a in areas)
                      for fp, areas in json.loads(_env("AREA_CERTIFICATES", "{}") or "{}").items()}
        proxies = frozenset(x.strip() for x in (_env("TRUSTED_PROXIES", "") or "").split(",") if x.strip())
        allow = frozenset(_host_entry(x) for x in (_env("WEBHOOK_ALLOW_HOSTS", "") or "").split(",")
                          if x.strip())
        backend = (_env("AREA_BACKEND", "reference") or "reference").strip().lower()
        if backend not in ("reference", "sandbox"):
            raise ValueError(f"SWITCHHUB_AREA_BACKEND must be reference or sandbox, not {backend!r}")
        served = tuple(x.strip() for x in (_env("AREAS", "") or "").split(",") if x.strip()) or AREA_CODES
        return cls(
            data_dir=data_dir,
            hub_database_url=_env("HUB_DATABASE_URL"),
            area_database_url=_env("AREA_DATABASE_URL"),
            certs_dir=Path(_env("CERTS_DIR", str(data_dir / "certs")) or ""),
            area_urls=area_urls,
            area_timeout_s=float(_env("AREA_TIMEOUT", "5") or 5),
            db_pool_size=int(_env("DB_POOL_SIZE", "20") or 20),
            area_gzip=(_env("AREA_GZIP", "") or "").lower() in ("1", "true", "yes"),
            hub_fingerprints=fps,
            area_certificates=area_certs,
            served_areas=served,
            trusted_proxies=proxies,
            proxy_cert_header=_env("PROXY_CERT_HEADER"),
            rate_per_second=float(_env("RATE_PER_SECOND", "1") or 1),
            rate_burst=int(_env("RATE_BURST", "10") or 10),
            session_idle_minutes=int(_env("SESSION_IDLE_MINUTES", "30") or 30),
            session_absolute_hours=int(_env("SESSION_ABSOLUTE_HOURS", "12") or 12),
            reauth_minutes=int(_env("REAUTH_MINUTES", "10") or 10),
            password_max_age_days=int(_env("PASSWORD_MAX_AGE_DAYS", "90") or 0),
            max_body_bytes=int(_env("MAX_BODY_BYTES", "2000000") or 2_000_000),
            public_hub_url=_env("PUBLIC_HUB_URL", "https://localhost:8443") or "",
            smtp_host=_env("SMTP_HOST", "127.0.0.1") or "127.0.0.1",
            smtp_port=int(_env("SMTP_PORT", "8025") or 8025),
            mail_from=_env("MAIL_FROM", "switchhub@localhost") or "switchhub@localhost",
            area_smtp_host=_env("AREA_SMTP_HOST", "127.0.0.1") or "127.0.0.1",
            area_smtp_port=int(_env("AREA_SMTP_PORT", "8025") or 8025),
            area_mail_from=_env("AREA_MAIL_FROM", "usage@area.localhost") or "usage@area.localhost",
            public_area_url=_env("PUBLIC_AREA_URL", "https://localhost:8445") or "",
            webhook_allowed_hosts=allow,
            metrics_port=int(_env("METRICS_PORT") or 0) or None,
            demo_readings_max_gb=float(_env("DEMO_READINGS_MAX_GB", "30") or 30),
            demo_readings_min_free_gb=float(_env("DEMO_READINGS_MIN_FREE_GB", "10") or 10),
            sandbox=(_env("SANDBOX", "") or "").lower() in ("1", "true", "yes"),
            area_backend=backend,
            sandbox_tenant=_env("SANDBOX_TENANT", "default") or "default",
        )

    def with_(self, **changes: object) -> "Settings":
        return replace(self, **changes)  # type: ignore[arg-type]
