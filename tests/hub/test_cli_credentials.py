"""`switchhub credentials issue` (issue 9): a person's ID or an unknown ID is one Japanese line and
exit code 1, not a traceback; an API user gets its credential."""

from __future__ import annotations

import asyncio

from typer.testing import CliRunner


async def test_credentials_issue_for_a_non_api_user_is_one_line_and_exit_1(stack, monkeypatch, tmp_path):
    from switchhub import cli

    monkeypatch.setenv("SWITCHHUB_AREA_DATABASE_URL", stack.area_url)
    monkeypatch.setenv("SWITCHHUB_HUB_DATABASE_URL", stack.hub_url)
    monkeypatch.setenv("SWITCHHUB_DATA_DIR", str(tmp_path))
    run = CliRunner().invoke
    result = await asyncio.to_thread(run, cli.app, ["credentials", "issue", "--user", "m0300-admin"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "エラー: m0300-admin はAPIユーザではありません（APIクレデンシャルはAPIユーザにだけ発行できます）"]
    assert "Traceback" not in result.output
    result = await asyncio.to_thread(run, cli.app, ["credentials", "issue", "--user", "nobody-here"])
    assert result.exit_code == 1 and result.output.strip() == "エラー: ユーザID nobody-here は登録されていません"
    result = await asyncio.to_thread(run, cli.app, ["credentials", "issue", "--user", "m0300-api"])
    assert result.exit_code == 0 and result.output.strip().startswith("shk_")
