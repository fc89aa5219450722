"""Where the CLI's settings come from (docs/client.md): the profile file, then SWITCHHUB_CLIENT_*,
then flags; relative paths in the file are relative to it; a token file is read; mistakes are
Japanese messages, not tracebacks."""

from __future__ import annotations

import pytest

from switchhub.client.config import ConfigError, default_config_path, load_profile

FILE = """
[default]
base_url = "https://hub.example"
cert = "certs/a0001-api.pem"
key = "/abs/a0001-api.key"
ca = "ca.pem"
token_file = "a0001.token"

[sandbox]
base_url = "https://sandbox.hub.example"
token = "sandbox-token"
"""


@pytest.fixture
def profile_file(tmp_path):
    path = tmp_path / "client.toml"
    path.write_text(FILE, encoding="utf-8")
    (tmp_path / "a0001.token").write_text("tok-default\n", encoding="utf-8")
    return path


def test_the_default_profile_from_the_file_with_paths_relative_to_it(profile_file):
    p = load_profile(path=profile_file, env={})
    assert p.name == "default" and p.base_url == "https://hub.example"
    assert p.cert == str(profile_file.parent / "certs" / "a0001-api.pem") and p.key == "/abs/a0001-api.key"
    assert p.client_kwargs() == {"base_url": "https://hub.example", "token": "tok-default",
                                 "cert": str(profile_file.parent / "certs/a0001-api.pem"),
                                 "key": "/abs/a0001-api.key", "ca": str(profile_file.parent / "ca.pem")}


def test_environment_overrides_the_file_and_flags_override_the_environment(profile_file):
    env = {"SWITCHHUB_CLIENT_PROFILE": "sandbox", "SWITCHHUB_CLIENT_TOKEN": "env-token",
           "SWITCHHUB_CLIENT_CA": "/env/ca.pem"}
    p = load_profile(path=profile_file, env=env)
    assert (p.name, p.base_url, p.token, p.ca) == ("sandbox", "https://sandbox.hub.example", "env-token",
                                                   "/env/ca.pem")
    flagged = load_profile(path=profile_file, env=env, overrides={"token": "flag-token", "ca": None})
    assert flagged.token == "flag-token" and flagged.ca == "/env/ca.pem"


def test_the_config_path_follows_the_environment(tmp_path):
    assert default_config_path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "switchhub" / "client.toml"
    assert default_config_path({"SWITCHHUB_CLIENT_CONFIG": "/etc/x.toml"}).as_posix() == "/etc/x.toml"
    # without any file the environment alone is enough
    p = load_profile(env={"XDG_CONFIG_HOME": str(tmp_path), "SWITCHHUB_CLIENT_BASE_URL": "https://h"})
    assert p.client_kwargs()["base_url"] == "https://h"


def test_mistakes_are_reported_in_japanese(profile_file, tmp_path):
    with pytest.raises(ConfigError, match="プロファイル \\[prod\\] が"):
        load_profile("prod", path=profile_file, env={})
    with pytest.raises(ConfigError, match="プロファイルファイルがありません"):
        load_profile(path=tmp_path / "none.toml", env={})
    with pytest.raises(ConfigError, match="接続先"):
        load_profile(env={"XDG_CONFIG_HOME": str(tmp_path)}).client_kwargs()
    bad = tmp_path / "bad.toml"
    bad.write_text('[default]\nbase_url = "https://h"\npassword = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="不明な項目があります: password"):
        load_profile(path=bad, env={})
