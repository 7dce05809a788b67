"""The rule registry against the files on disk, and what every rule module must carry."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from rules.base import Rule, Severity
from rules.registry import RULE_MODULES, rule_modules

ROOT = Path(__file__).resolve().parents[1]
RULES_DIR = ROOT / "rules"
FIXTURES = ROOT / "tests" / "fixtures"
SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "## Use instead")
_MODULE = re.compile(r"^dp\d{3}_[a-z0-9_]+$")


def test_registry_lists_exactly_the_rule_files_on_disk():
    on_disk = {p.stem for p in RULES_DIR.glob("dp[0-9][0-9][0-9]_*.py")}
    assert set(RULE_MODULES) == on_disk
    assert len(RULE_MODULES) == len(set(RULE_MODULES))


def test_every_listed_module_imports():
    missing = []
    for name in RULE_MODULES:
        try:
            importlib.import_module(f"rules.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"rules.{name}":
                raise
            missing.append(name)
    assert missing == []
    assert len(rule_modules()) == len(RULE_MODULES)


def _modules():
    out = []
    for name in RULE_MODULES:
        try:
            out.append(importlib.import_module(f"rules.{name}"))
        except ModuleNotFoundError:
            continue  # reported by test_every_listed_module_imports
    return out


@pytest.mark.parametrize("module", _modules(), ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_rule_module_shape(module):
    rule = module.RULE
    short = module.__name__.rsplit(".", 1)[-1]
    assert isinstance(rule, Rule)
    assert _MODULE.match(short)
    assert re.fullmatch(r"DP\d{3}", rule.id)
    # The file name is the id's digits and the name in snake case.
    assert short == f"dp{rule.id[2:]}_{rule.name.replace('-', '_')}"
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), "names are kebab-case"
    assert isinstance(rule.severity, Severity)
    assert rule.title and "\n" not in rule.title
    assert rule.fix and "\n" not in rule.fix
    assert callable(module.check)


@pytest.mark.parametrize("module", _modules(), ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_docstring_has_the_sections_in_order(module):
    doc = module.__doc__ or ""
    positions = [doc.find(section) for section in SECTIONS]
    assert all(p >= 0 for p in positions), f"missing sections: {SECTIONS}"
    assert positions == sorted(positions)
    example = doc[positions[2] : positions[3]]
    use_instead = doc[positions[3] :]
    assert "```dockerfile" in example or "```" in example
    assert "```" in use_instead


def test_ids_and_names_are_unique():
    modules = _modules()
    ids = [m.RULE.id for m in modules]
    names = [m.RULE.name for m in modules]
    assert len(ids) == len(set(ids))
    assert len(names) == len(set(names))
    assert [m.RULE.id for m in rule_modules()] == sorted(ids)


@pytest.mark.parametrize("module", _modules(), ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_every_rule_has_bad_and_good_fixtures(module):
    folder = FIXTURES / module.RULE.id
    names = [p.name for p in folder.iterdir()] if folder.is_dir() else []
    assert any(n.startswith("bad") for n in names), f"no bad fixture in {folder}"
    assert any(n.startswith("good") for n in names), f"no good fixture in {folder}"


def test_version_constant_matches_pyproject() -> None:
    import tomllib

    import rules

    with (Path(__file__).parents[1] / "pyproject.toml").open("rb") as fh:
        assert rules.__version__ == tomllib.load(fh)["project"]["version"]
