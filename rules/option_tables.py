"""The command-line options of uvicorn, gunicorn and pip, taken from the programs themselves.

DP502 checks server options and DP503 checks `PIP_*` variables against these tables. A table
comes from the installed package when it is importable and its version differs from the bundled
table's (uvicorn's click command, gunicorn's argparse parser built from `KNOWN_SETTINGS`, pip's
optparse parsers of every command); otherwise from the table bundled in `rules/data/`, which was
generated from the real packages with this module:

    python -m venv /tmp/v && /tmp/v/bin/pip install uvicorn==0.32.1 gunicorn==23.0.0
    PYTHONPATH=. /tmp/v/bin/python -m rules.option_tables server > rules/data/server_options.json
    PYTHONPATH=. .venv/bin/python -m rules.option_tables pip > rules/data/pip_options.json

Comparing versions first keeps the lint path fast: importing pip's commands takes about 0.3 s,
uvicorn's CLI about 0.1 s, and neither is imported when the bundled table already matches.
Only the standard library is imported here, so the generator runs in a bare virtualenv.
"""

# No `from __future__ import annotations`: NamedTuple field types stay objects (rules/base.py).

import contextlib
import importlib
import importlib.machinery
import json
import re
import sys
from functools import cache
from pathlib import Path
from typing import NamedTuple

DATA = Path(__file__).with_name("data")
# Value kinds: "flag" takes no value; the others take one, checked where it is a literal.
VALUE_KINDS = ("flag", "int", "float", "bool", "choice", "str")
# click.BOOL's accepted spellings (click.types.BoolParamType).
CLICK_BOOL = frozenset(
    {"1", "0", "true", "false", "t", "f", "yes", "no", "y", "n", "on", "off", ""}
)


# NamedTuples, not dataclasses: see rules/base.py.
class Option(NamedTuple):
    name: str  # as written on the command line: "--limit-max-requests", "-w"
    value: str  # one of VALUE_KINDS
    choices: tuple[str, ...] = ()


class ServerTable(NamedTuple):
    program: str  # "uvicorn" | "gunicorn"
    version: str
    source: str  # "installed" or "bundled"
    options: dict[str, Option]  # read-only
    # argparse accepts unique prefixes of long options (gunicorn); click does not (uvicorn).
    abbreviations: bool = False

    def resolve(self, name: str) -> tuple[Option | None, tuple[str, ...]]:
        """The option `name` (the part before any `=`) stands for.

        Returns (option, ()) when it is accepted, (None, candidates) when several long options
        start with it (argparse's "ambiguous option"), and (None, ()) when it is unknown.
        """
        if name in self.options:
            return self.options[name], ()
        if self.abbreviations and name.startswith("--") and len(name) > 2:
            hits = tuple(sorted(o for o in self.options if o.startswith(name)))
            if len(hits) == 1:
                return self.options[hits[0]], ()
            return None, hits
        return None, ()


class PipTable(NamedTuple):
    version: str
    source: str
    options: frozenset[str]  # long option names without "--": "no-cache-dir"
    # PIP_* variables pip reads that are not options (PIP_CONFIG_FILE ...), and the two it
    # explicitly ignores (PIP_VERSION, PIP_HELP).
    environment: frozenset[str]
    ignored: frozenset[str]


# pip's configuration.py: ENV_NAMES_IGNORED; the rest are read with os.environ directly.
PIP_IGNORED = ("PIP_HELP", "PIP_VERSION")
PIP_ENVIRONMENT = (
    "PIP_AUTO_COMPLETE",
    "PIP_BUILD_TRACKER",
    "PIP_CONFIG_FILE",
    "PIP_IS_CI",
    "PIP_NO_PARTIAL_CLONE_FOR_BROKEN_GIT_SERVER",
    "PIP_REQ_TRACKER",
    "PIP_RESOLVER_DEBUG",
    "PIP_USER_AGENT_USER_DATA",
)


# ------------------------------------------------------------------------------ introspection

_PIP_VERSION = re.compile(r"""^__version__\s*=\s*["']([^"']+)["']""", re.MULTILINE)


def _installed_version(dist: str) -> str | None:
    try:
        # The path finder, not importlib.util.find_spec: setuptools' _distutils_hack sits on the
        # meta path of many virtualenvs and imports traceback, tokenize... on any lookup of pip.
        # Cheap, and needs no metadata scan when the package is not there at all.
        spec = importlib.machinery.PathFinder.find_spec(dist)
        if spec is None:
            return None
        if dist == "pip":
            # pip/__init__.py holds the version: reading it beats importing pip (the same hook
            # again) or importlib.metadata (~50 ms).
            found = _PIP_VERSION.search(Path(spec.origin or "").read_text(encoding="utf-8"))
            return found.group(1) if found else None
        from importlib import metadata

        return metadata.version(dist)
    except Exception:  # not installed, or a broken installation: the same for us
        return None


def introspect_uvicorn() -> dict[str, Option]:
    module = importlib.import_module("uvicorn.main")
    command = module.main  # a click.Command (the package's `uvicorn.main` attribute is not)
    options: dict[str, Option] = {"--help": Option("--help", "flag")}
    for param in command.params:
        if getattr(param, "param_type_name", "") != "option":
            continue
        kind, choices = _click_kind(param)
        for name in param.opts:
            options[name] = Option(name, kind, choices)
        for name in getattr(param, "secondary_opts", ()):
            options[name] = Option(name, "flag")
    return options


def _click_kind(param) -> tuple[str, tuple[str, ...]]:
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return "flag", ()
    ptype = param.type
    choices = getattr(ptype, "choices", None)
    if choices is not None:
        return "choice", tuple(str(c) for c in choices)
    name = getattr(ptype, "name", "")
    if name in ("integer", "integer range"):
        return "int", ()
    if name in ("float", "float range"):
        return "float", ()
    if name == "boolean":
        return "bool", ()
    return "str", ()


def introspect_gunicorn() -> dict[str, Option]:
    config = importlib.import_module("gunicorn.config")
    parser = config.Config().parser()
    options: dict[str, Option] = {}
    for name, action in parser._option_string_actions.items():
        if action.nargs == 0:
            kind = "flag"
        elif action.type is int:
            kind = "int"
        elif action.type is float:
            kind = "float"
        else:
            kind = "str"
        choices = tuple(str(c) for c in action.choices) if action.choices else ()
        options[name] = Option(name, "choice" if choices else kind, choices)
    return options


def introspect_pip() -> frozenset[str]:
    cli_main = importlib.import_module("pip._internal.cli.main_parser")
    cmds = importlib.import_module("pip._internal.commands")
    names: set[str] = set()
    parsers = [cli_main.create_main_parser()]
    parsers += [cmds.create_command(name).parser for name in cmds.commands_dict]
    for parser in parsers:
        for opt in parser._get_all_options():
            names.update(long[2:] for long in opt._long_opts)
    return frozenset(names)


_INTROSPECT = {"uvicorn": introspect_uvicorn, "gunicorn": introspect_gunicorn}


# ------------------------------------------------------------------------------ tables


@cache
def _bundled(name: str) -> dict:
    """A bundled table; {} when the file is missing (an install without the package data)."""
    try:
        return json.loads((DATA / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _options_from_json(raw: dict) -> dict[str, Option]:
    # "--port": "int"; a list is the choices of a choice option: "--loop": ["auto", ...].
    return {
        name: Option(name, "choice", tuple(spec)) if isinstance(spec, list) else Option(name, spec)
        for name, spec in raw.items()
    }


@cache
def server_table(program: str) -> ServerTable | None:
    """uvicorn's or gunicorn's options: the installed package's, else the bundled table.

    None when neither is available: the rule then has nothing to check against.
    """
    bundled = _bundled("server_options.json").get(program)
    installed = _installed_version(program)
    if installed and (bundled is None or installed != bundled["version"]):
        try:
            options = _INTROSPECT[program]()
            return ServerTable(program, installed, "installed", options, program == "gunicorn")
        except Exception:
            pass  # any failure to import or introspect means: use the bundled table
    if bundled is None:
        return None
    return ServerTable(
        program,
        bundled["version"],
        "bundled",
        _options_from_json(bundled["options"]),
        bundled.get("abbreviations", False),
    )


@cache
def pip_table() -> PipTable | None:
    """pip's long options: the installed pip's, else the bundled table (None: neither)."""
    bundled = _bundled("pip_options.json")
    installed = _installed_version("pip")
    options: frozenset[str] | None = frozenset(bundled["options"]) if bundled else None
    version, source = bundled.get("version", ""), "bundled"
    if installed and installed != version:
        # Any failure means pip's internals moved: the bundled table is used.
        with contextlib.suppress(Exception):
            options, version, source = introspect_pip(), installed, "installed"
    if options is None:
        return None
    return PipTable(
        version,
        source,
        options,
        frozenset(bundled.get("environment", PIP_ENVIRONMENT)),
        frozenset(bundled.get("ignored", PIP_IGNORED)),
    )


# ------------------------------------------------------------------------------ generator


def _dump_server() -> dict:
    out: dict = {
        "generated_by": "python -m rules.option_tables server (introspection of the packages)",
    }
    for program, abbreviations in (("uvicorn", False), ("gunicorn", True)):
        options = _INTROSPECT[program]()
        out[program] = {
            "version": _installed_version(program),
            "abbreviations": abbreviations,
            "options": {
                name: list(o.choices) if o.value == "choice" else o.value
                for name, o in sorted(options.items())
            },
        }
    return out


def _dump_pip() -> dict:
    return {
        "generated_by": "python -m rules.option_tables pip (introspection of pip's parsers)",
        "version": _installed_version("pip"),
        "options": sorted(introspect_pip()),
        "environment": list(PIP_ENVIRONMENT),
        "ignored": list(PIP_IGNORED),
    }


def main(argv: list[str]) -> int:
    if argv not in (["server"], ["pip"]):
        sys.stderr.write("usage: python -m rules.option_tables server|pip > rules/data/...\n")
        return 2
    data = _dump_server() if argv == ["server"] else _dump_pip()
    text = json.dumps(data, indent=1, ensure_ascii=False)
    # One option a line, choices included, so a diff of two versions reads well.
    if argv == ["server"]:
        text = re.sub(
            r"\[\n\s+([^\]]*?)\n\s*\]", lambda m: "[" + re.sub(r"\n\s+", " ", m[1]) + "]", text
        )
    sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
