"""rules.config: where the configuration is found and what a bad one does."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules.base import Severity
from rules.config import DEFAULT, config_for, find_config_file, load_config, matches
from rules.errors import InputError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_when_there_is_no_config(tmp_path):
    df = write(tmp_path / "Dockerfile", "FROM a\n")
    assert find_config_file(df) is None
    assert config_for(df) == DEFAULT
    assert DEFAULT.failure_threshold is Severity.INFO
    assert DEFAULT.select is None


def test_nearest_pyproject_with_a_dockperf_table_above_the_file(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.dockperf]\nignore = ["DP105"]\n')
    # A pyproject.toml without the table does not stop the search.
    write(tmp_path / "svc" / "pyproject.toml", '[project]\nname = "svc"\n')
    df = write(tmp_path / "svc" / "docker" / "Dockerfile", "FROM a\n")
    assert find_config_file(df) == tmp_path / "pyproject.toml"
    assert config_for(df).ignore == ("DP105",)


def test_dockperf_toml_is_a_top_level_table_and_wins_in_its_folder(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.dockperf]\nignore = ["DP105"]\n')
    write(
        tmp_path / ".dockperf.toml",
        'select = ["DP1", "DP301"]\nfailure-threshold = "error"\n[severity]\nDP501 = "warning"\n',
    )
    config = config_for(tmp_path / "Dockerfile")
    assert config.select == ("DP1", "DP301")
    assert config.ignore == ()
    assert config.failure_threshold is Severity.ERROR
    assert config.severity == {"DP501": Severity.WARNING}
    assert config.path == str(tmp_path / ".dockperf.toml")


def test_failure_threshold_none_and_sub_tables(tmp_path):
    path = write(
        tmp_path / "pyproject.toml",
        '[tool.dockperf]\nfailure-threshold = "none"\n[tool.dockperf.bench]\nvariants = []\n',
    )
    assert load_config(path).failure_threshold is None


def test_the_repository_config_loads():
    root = Path(__file__).resolve().parents[1]
    config = load_config(root / "pyproject.toml")
    assert config.failure_threshold is Severity.WARNING


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("[tool.dockperf\n", "invalid TOML", 1),
        ('[tool.dockperf]\nselect = "DP1\n', "invalid TOML", 2),
        ("[tool.dockperf]\nselekt = []\n", "unknown dockperf config key 'selekt'", None),
        ("[tool.dockperf]\nselect = [1]\n", "not a rule id", None),
        ('[tool.dockperf]\nignore = ["dp-101"]\n', "not a rule id", None),
        ('[tool.dockperf]\nfailure-threshold = "fatal"\n', "failure-threshold 'fatal'", None),
        ("[tool.dockperf]\nfailure-threshold = 3\n", "failure-threshold must be", None),
        ('[tool.dockperf]\nseverity = { DP101 = "loud" }\n', "severity.DP101", None),
        ('[tool.dockperf]\nseverity = "error"\n', "severity must be a table", None),
    ],
)
def test_a_bad_config_names_its_file(tmp_path, text, message, line):
    path = write(tmp_path / "pyproject.toml", text)
    with pytest.raises(InputError, match=message) as err:
        load_config(path)
    assert err.value.path == str(path)
    assert err.value.line == line


def test_non_utf8_config(tmp_path):
    path = tmp_path / ".dockperf.toml"
    path.write_bytes(b"select = ['\xff']\n")
    with pytest.raises(InputError, match="UTF-8"):
        load_config(path)


def test_prefix_matching():
    assert matches("DP101", ("DP1",))
    assert matches("DP101", ("ALL",))
    assert not matches("DP201", ("DP1",))
    assert matches("DL3008", ("DL",))
