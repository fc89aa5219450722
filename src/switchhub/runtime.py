"""Build the hub and area apps from settings and files on disk (used by the CLI and e2e tests).

Certificates live in `certs_dir` as written by `switchhub certs init`:
ca.pem, hub-server.{pem,key}, area-server.{pem,key}, hub-client.{pem,key}, area-client.{pem,key}.
"""

from __future__ import annotations

import json
from pathlib import Path

from switchhub.config import Settings
from switchhub.db.embedded import resolve_urls
from switchhub.db.engine import make_engine
from switchhub.tlsserver import fingerprint_of_pem


def cert_paths(certs_dir: Path) -> dict[str, Path]:
    d = Path(certs_dir)
    return {
        "ca": d / "ca" / "ca.pem",
        "hub_server": d / "hub-server.pem", "hub_server_key": d / "hub-server.key",
        "area_server": d / "area-server.pem", "area_server_key": d / "area-server.key",
        "hub_client": d / "hub-client.pem", "hub_client_key": d / "hub-client.key",
        "area_client": d / "area-client.pem", "area_client_key": d / "area-client.key",
    }


def fingerprint_of_file(path: Path) -> str:
    return fingerprint_of_pem(Path(path).read_text())


def complete_settings(settings: Settings) -> Settings:
    """Fill fingerprints and area URLs from the certificate directory and runtime file when not configured."""
    paths = cert_paths(settings.certs_dir)
    changes: dict[str, object] = {}
    if not settings.hub_fingerprints and paths["hub_client"].exists():
        changes["hub_fingerprints"] = frozenset({fingerprint_of_file(paths["hub_client"])})
    runtime = Path(settings.data_dir) / "runtime.json"
    if not settings.area_urls and runtime.exists():
        changes["area_urls"] = json.loads(runtime.read_text()).get("area_urls", {})
    if not settings.area_certificates and paths["area_client"].exists():
        # the development area certificate speaks for the areas this hub routes to the local area system
        served = frozenset(changes.get("area_urls") or settings.area_urls)  # type: ignore[arg-type]
        changes["area_certificates"] = {fingerprint_of_file(paths["area_client"]): served}
    return settings.with_(**changes) if changes else settings


def build_area_app(settings: Settings):
    from switchhub.area.app import create_area_app

    _, area_url = resolve_urls(settings)
    return create_area_app(settings, make_engine(area_url))


def build_area_public_app(settings: Settings):
    from switchhub.area.public.app import create_public_app

    _, area_url = resolve_urls(settings)
    return create_public_app(settings, make_engine(area_url, pool_size=3))


def build_hub_app(settings: Settings):
    from switchhub.hub.app import create_hub_app
    from switchhub.hub.gateway.client import HttpsAreaClient

    hub_url, _ = resolve_urls(settings)
    paths = cert_paths(settings.certs_dir)
    areas = HttpsAreaClient(settings.area_urls, cert=(str(paths["hub_client"]), str(paths["hub_client_key"])),
                            ca=str(paths["ca"]), timeout=settings.area_timeout_s, gzip=settings.area_gzip)
    return create_hub_app(settings, make_engine(hub_url, pool_size=settings.db_pool_size, max_overflow=0), areas)
