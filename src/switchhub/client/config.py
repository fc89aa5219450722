"""Where the CLI (and any script) finds the hub and its credentials: a profile file, the environment,
then flags, each overriding the one before.

Profile file: `~/.config/switchhub/client.toml` (`$XDG_CONFIG_HOME` honoured, or
`SWITCHHUB_CLIENT_CONFIG`), one table per profile ([default], [sandbox] …) with `base_url`, `cert`,
`key`, `ca`, and `token` or `token_file` (a file holding the token keeps it out of the profile and
of the shell history). Relative paths are relative to the profile file. Environment:
`SWITCHHUB_CLIENT_PROFILE`, `SWITCHHUB_CLIENT_BASE_URL`, `…_CERT`, `…_KEY`, `…_CA`, `…_TOKEN`,
`…_TOKEN_FILE`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from switchhub.client.errors import SwitchhubClientError

ENV_PREFIX = "SWITCHHUB_CLIENT_"
KEYS = ("base_url", "cert", "key", "ca", "token", "token_file")
PATH_KEYS = ("cert", "key", "ca", "token_file")


class ConfigError(SwitchhubClientError):
    """The profile cannot be used (missing file, unknown profile, no base URL …); message in Japanese."""


@dataclass(frozen=True)
class Profile:
    name: str = "default"
    base_url: str | None = None
    cert: str | None = None
    key: str | None = None
    ca: str | None = None
    token: str | None = None
    token_file: str | None = None

    def resolved_token(self) -> str | None:
        if self.token:
            return self.token
        if self.token_file:
            try:
                return Path(self.token_file).expanduser().read_text(encoding="utf-8").strip() or None
            except OSError as exc:
                raise ConfigError(f"トークンファイルを読めません: {self.token_file} ({exc.strerror})") from exc
        return None

    def client_kwargs(self) -> dict[str, Any]:
        """Arguments for SwitchhubClient / AsyncSwitchhubClient."""
        if not self.base_url:
            raise ConfigError("接続先 (base_url) が設定されていません: --base-url、SWITCHHUB_CLIENT_BASE_URL"
                              " またはプロファイルファイルで指定してください")
        return {"base_url": self.base_url, "token": self.resolved_token(), "cert": self.cert, "key": self.key,
                "ca": self.ca}


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get(ENV_PREFIX + "CONFIG"):
        return Path(env[ENV_PREFIX + "CONFIG"]).expanduser()
    base = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else Path.home() / ".config"
    return base / "switchhub" / "client.toml"


def _from_file(path: Path, name: str, explicit_path: bool, explicit_name: bool) -> dict[str, Any]:
    if not path.exists():
        if explicit_path:
            raise ConfigError(f"プロファイルファイルがありません: {path}")
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"プロファイルファイルを読めません: {path} ({exc})") from exc
    table = data.get(name)
    if table is None:
        if explicit_path or explicit_name:
            raise ConfigError(f"プロファイル [{name}] が {path} にありません（あるもの: {', '.join(data) or 'なし'}）")
        return {}
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(f"プロファイル [{name}] に不明な項目があります: {', '.join(unknown)}")
    out = {k: str(v) for k, v in table.items()}
    for key in PATH_KEYS:
        if key in out:
            p = Path(out[key]).expanduser()
            out[key] = str(p if p.is_absolute() else (path.parent / p))
    return out


def load_profile(name: str | None = None, *, path: str | Path | None = None,
                 env: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None) -> Profile:
    """The profile `name` (else SWITCHHUB_CLIENT_PROFILE, else "default") from the file, then the
    environment, then `overrides` (the CLI flags; None values are ignored)."""
    env = os.environ if env is None else env
    explicit_name = name or env.get(ENV_PREFIX + "PROFILE")
    profile = explicit_name or "default"
    explicit_path = path is not None or bool(env.get(ENV_PREFIX + "CONFIG"))
    file_path = Path(path).expanduser() if path is not None else default_config_path(env)
    values: dict[str, Any] = _from_file(file_path, profile, explicit_path, bool(explicit_name))
    for key in KEYS:
        if env.get(ENV_PREFIX + key.upper()):
            values[key] = env[ENV_PREFIX + key.upper()]
    for key, value in (overrides or {}).items():
        if value is not None and key in KEYS:
            values[key] = str(value)
    if values.get("token") and "token_file" in values and (overrides or {}).get("token_file"):
        values.pop("token")  # a token file given as a flag wins over a token from the file or env
    known = {f.name for f in fields(Profile)}
    return Profile(name=profile, **{k: v for k, v in values.items() if k in known})
