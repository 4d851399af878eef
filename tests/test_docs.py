"""The docs stay honest: every setting, mapping kind and CLI command is documented; CI runs the README's command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harvester.cli import main
from harvester.mapping.emitters import EMITTERS
from harvester.settings import SETTINGS

ROOT = Path(__file__).resolve().parent.parent


def read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented(setting) -> None:  # type: ignore[no-untyped-def]
    assert f"`{setting.name}`" in read("docs/operators.md")


@pytest.mark.parametrize("kind", sorted(EMITTERS))
def test_every_mapping_kind_is_documented(kind: str) -> None:
    documented = re.findall(r"^\| `([a-z_:A-Z]+)` \|", read("docs/mapping.md"), flags=re.M)
    assert kind in {d.split(":")[0] for d in documented}


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_cli_command_is_in_the_readme_or_operator_docs(command: str) -> None:
    assert f"harvester {command}" in read("README.md") + read("docs/operators.md")


def test_ci_runs_exactly_the_readme_test_command() -> None:
    blocks = re.findall(r"```sh\n(.*?)\n```", read("README.md"), flags=re.S)
    test_command = blocks[1].strip()
    assert "pytest" in test_command
    assert test_command.replace("pip install -e", "pip install -q -e") in read(".ci/run")
