"""What a plain `dockerfile-rules check` imports: start-up time is a target (issue 2, "Speed").

Each check runs in a fresh interpreter, as the console script does, on fixtures that reach every
rule module (a build context with a .dockerignore, entrypoint scripts, HEALTHCHECK, pip, apt).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
# The seed (every fault kind), a script-started server with its context, a plain file.
CHECKED = (
    FIXTURES / "seed" / "Dockerfile",
    FIXTURES / "DP307" / "good_seed_script" / "Dockerfile",
    FIXTURES / "DP502" / "good.Dockerfile",
)
# Never on the lint path: dataclasses (with inspect, ast, tokenize, dis) costs ~15 ms to import,
# which is why rules/ uses NamedTuples; the rest are the heavy packages the bench and the docs
# use. dockerfile_parse: rules/model.py has its own scanner and does not import it.
# tokenize is not listed: dockerfile-parse (the model's first pass) imports logging, which
# brings traceback -> linecache -> tokenize.
NEVER = frozenset(
    {"dataclasses", "inspect", "ast", "dis"}
    | {"docker", "requests", "rich", "matplotlib", "numpy", "yaml", "jinja2"}
)
# Only --diff and the spelling suggestions of DP502/DP503 need difflib.
CLEAN = FIXTURES / "DP502" / "good.Dockerfile"

_RUN = """
import json, sys
from rules.cli import main
rc = main(["check", "--no-config", *sys.argv[1:]])
print(json.dumps({"rc": rc, "modules": sorted(sys.modules), "made": globals().get("made")}))
"""


def _check(*args: str, prelude: str = "") -> dict:
    out = subprocess.run(
        [sys.executable, "-c", prelude + _RUN, *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize("dockerfile", CHECKED, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_check_imports_nothing_heavy(dockerfile: Path) -> None:
    result = _check(str(dockerfile))
    assert result["rc"] in (0, 1)
    modules = set(result["modules"])
    # Not vacuous: every rule ran.
    assert "rules.dp101_apt_without_cache_mount" in modules
    assert "rules.dp902_empty_continuation_line" in modules
    assert sorted(NEVER & modules) == []
    assert "dockerfile_parse" in modules  # the model's first pass


def test_clean_check_does_not_import_difflib() -> None:
    result = _check(str(CLEAN))
    assert result["rc"] in (0, 1)
    assert "difflib" not in result["modules"]


def test_no_namedtuple_field_has_a_string_annotation() -> None:
    # typing.NamedTuple turns a string annotation (`from __future__ import annotations`, or a
    # quoted name) into a ForwardRef, which calls compile(); the first compile() in a process
    # builds every AST node type: ~10M instructions, 2-3 ms of each check. --no-config keeps
    # tomllib (whose own NamedTuple has string annotations) out.
    prelude = (
        "import typing\n"
        "made = []\n"
        "_init = typing.ForwardRef.__init__\n"
        "def _record(self, arg, *a, **k):\n"
        "    made.append(arg)\n"
        "    _init(self, arg, *a, **k)\n"
        "typing.ForwardRef.__init__ = _record\n"
    )
    result = _check(str(FIXTURES / "seed" / "Dockerfile"), prelude=prelude)
    assert result["rc"] in (0, 1)
    assert result["made"] == []
