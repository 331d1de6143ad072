"""`govbot config --check` says everything wrong with a configuration, secrets masked;
`govbot config --docs` and `govbot commands` print the committed references."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.command_reference import REGENERATE as COMMANDS_REGENERATE
from bot.command_reference import reference as commands_reference
from bot.resources import rego_dir, template_dir

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cr3t-forge-token-9f2c"




def _repository(tmp_path: Path) -> Path:
    root = tmp_path / "policies"
    shutil.copytree(template_dir(), root)
    shutil.copytree(rego_dir(), root / "rego")
    return root


def _config(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["config", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_a_fresh_configuration_and_repository_pass(clean_env: None, tmp_path: Path) -> None:
    code, out, err = _config("--check", str(_repository(tmp_path)))
    assert (code, err) == (0, ""), err
    assert "configuration: ok" in out


def test_every_problem_is_said_and_no_secret_is_printed(clean_env: None,
                                                       tmp_path: Path) -> None:
    code, out, err = _config("--check", str(_repository(tmp_path)), env={
        "GOVBOT_GUARD": "opal", "GOVBOT_TICK_SECONDS": "-1", "GOVBOT_LOG_FORMAT": "xml",
        "GOVBOT_FORGE": "github", "GOVBOT_FORGE_TOKEN": SECRET,
        "GOVBOT_FORGE_TOKN": "x", "GOVBOT_DATABASE_URL": f"postgresql://gb:{SECRET}@db/gb"})
    assert code == 1
    lines = err.splitlines()
    for said in ("GOVBOT_GUARD='opal'", "GOVBOT_TICK_SECONDS='-1'", "GOVBOT_LOG_FORMAT='xml'",
                 "GOVBOT_FORGE=github needs GOVBOT_FORGE_REPO",
                 "GOVBOT_FORGE_TOKN: not a setting govbot reads"):
        assert any(line.startswith(said) for line in lines), (said, lines)
    assert "did you mean GOVBOT_FORGE_TOKEN?" in err
    assert "configuration: 5 problems" in out
    assert SECRET not in out + err


def test_a_broken_govbot_yaml_is_named_with_its_line(clean_env: None, tmp_path: Path) -> None:
    root = _repository(tmp_path)
    with (root / "govbot.yaml").open("a") as config:
        config.write("  bogus: [\n")
    code, _out, err = _config("--check", str(root))
    assert code == 1
    assert err.startswith("govbot.yaml: not valid YAML: line "), err


def test_a_grant_naming_an_unknown_group_is_named(clean_env: None, tmp_path: Path) -> None:
    root = _repository(tmp_path)
    access = (root / "access.yaml").read_text(encoding="utf-8")
    (root / "access.yaml").write_text(access.replace("group: sre", "group: sres", 1),
                                      encoding="utf-8")
    code, _out, err = _config("--check", str(root))
    assert code == 1 and "access.yaml grants[1]: names no group" in err, err


def test_without_a_directory_or_a_repository_it_says_how_to_give_one(clean_env: None,
                                                            tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    monkeypatch.chdir(tmp_path)
    code, _out, err = _config("--check")
    assert code == 1 and "no main branch to check" in err, err


def test_docs_and_check_are_one_or_the_other() -> None:
    assert _config()[0] == 2
    assert _config("--docs", "--check")[0] == 2


def test_config_docs_prints_the_committed_reference() -> None:
    code, out, _err = _config("--docs")
    assert code == 0
    assert out == (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")


def test_the_committed_command_reference_is_the_registry() -> None:
    committed = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    assert committed == commands_reference(), (
        f"docs/commands.md is out of date: run `{COMMANDS_REGENERATE}`")
    result = CliRunner().invoke(main, ["commands"])
    assert result.exit_code == 0 and result.stdout == committed


def test_the_command_reference_has_every_command_and_example() -> None:
    from commands import REGISTRY

    page = commands_reference()
    for spec in REGISTRY:
        assert f"\n## {spec.name}\n" in page and spec.usage in page
        assert all(example in page for example in spec.examples)


def test_without_a_directory_main_of_the_local_forge_is_checked(clean_env: None,
                                                               tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    from bot.scaffold import init_repository

    work = tmp_path / "work"
    init_repository(work)
    access = work / "access.yaml"
    access.write_text(access.read_text(encoding="utf-8").replace("group: sre", "group: sres", 1),
                      encoding="utf-8")
    git = ["git", "-c", "user.name=alice", "-c", "user.email=alice@example.com"]
    subprocess.run([*git, "commit", "-qam", "a grant for a group that is not there"],
                   cwd=work, check=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(tmp_path / "home" /
                                                                      "policy.git")], check=True)
    monkeypatch.chdir(tmp_path)
    code, _out, err = _config("--check")
    assert code == 1 and "access.yaml grants[1]: names no group" in err, err


def test_kubernetes_service_links_are_not_taken_for_misspelt_settings(
        clean_env: None, tmp_path: Path) -> None:
    links = {"GOVBOT_SERVICE_HOST": "10.0.0.7", "GOVBOT_SERVICE_PORT": "8080",
             "GOVBOT_SERVICE_PORT_HTTP": "8080", "GOVBOT_PORT": "tcp://10.0.0.7:8080",
             "GOVBOT_PORT_8080_TCP": "tcp://10.0.0.7:8080",
             "GOVBOT_PORT_8080_TCP_ADDR": "10.0.0.7", "GOVBOT_PORT_8080_TCP_PORT": "8080",
             "GOVBOT_PORT_8080_TCP_PROTO": "tcp"}
    code, out, err = _config("--check", str(_repository(tmp_path)),
                             env={**links, "GOVBOT_PORTS": "8080"})
    assert code == 1 and err.startswith("GOVBOT_PORTS: not a setting"), err
    assert "configuration: 1 problem" in out
