"""Secrets, VCS history or virtualenvs reach the image through a whole-context COPY.

## What it does

Reports a COPY or ADD of the whole build context (`COPY . .`), or of a directory of it, when the
files BuildKit would send for it include:

- secrets: `.env` and `.env.*` (not `.env.example`, `.sample`, `.template`, `.dist`), private
  keys and certificates (`*.pem`, `*.key`, `*.p12`, `*.pfx`, `id_rsa`, `id_ed25519` ... but
  not `*.pub`), `.netrc`, `.pypirc`, and the folders `.aws/`, `.ssh/`, `.gnupg/`;
- version control history: `.git/`, `.hg/`, `.svn/`;
- virtualenvs and package trees built on the host: `.venv/`, `venv/`, `.tox/`, `.nox/`, any
  folder holding a `pyvenv.cfg`, and `node_modules/`.

They are found at any depth. With the build context folder at hand, only what is really there
and not excluded by `.dockerignore` is reported, each by name. Without the folder (a Dockerfile
read from stdin) the `.dockerignore` patterns are checked for the usual offenders of a Python
project: `.env`, `.git/`, `.venv/` and `venv/`.

`__pycache__/` and other caches are not reported here: they cost size, not safety. A context
with no `.dockerignore` at all is DP403; this rule still names the secrets that leak.

## Why is this bad?

Everything in the context that a whole-context COPY takes ends up in an image layer, and
anyone who can pull the image can read it: `.env` files with passwords, private keys, cloud
credentials, and `.git`, whose history keeps every secret ever committed. A host virtualenv
or `node_modules` copied over the image's own holds binaries built for the host and breaks
the application at run time, besides adding hundreds of megabytes.

## Example

```dockerfile
# .dockerignore: __pycache__/ only; the folder has .env, .git/ and .venv/
FROM python:3.13-slim
WORKDIR /app
COPY . .
```

## Use instead

```dockerfile
# .dockerignore: __pycache__/, .git, .venv, venv, .env, .env.*, !.env.example, *.pem, *.key
FROM python:3.13-slim
WORKDIR /app
COPY . .
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from rules.base import CheckContext, Rule, Severity, Violation
from rules.sources import Source, context_sources, under

RULE = Rule(
    id="DP404",
    name="secrets-in-context",
    title="Secrets, .git or virtualenvs copied into the image by COPY .",
    severity=Severity.ERROR,
    fix="Exclude them in .dockerignore (.env, .env.*, *.pem, *.key, .git, .venv, venv ...)",
)

_SECRET_DIRS = frozenset({".aws", ".ssh", ".gnupg"})
_VCS_DIRS = frozenset({".git", ".hg", ".svn"})
_ENV_DIRS = frozenset({".venv", "venv", ".tox", ".nox", "node_modules"})
_SECRET_FILES = frozenset({".env", ".netrc", ".pypirc"})
_TEMPLATE_SUFFIXES = frozenset({"example", "sample", "template", "dist", "defaults", "tpl"})
_KEY_FILE = re.compile(r"^(id_(rsa|dsa|ecdsa|ed25519)(?!.*\.pub$).*|.+\.(pem|key|p12|pfx))$")
_SHOWN = 6
# Pattern-only check (no folder): a probe path for each offender, and how it is named.
_PROBES = ((".env", ".env"), (".git/config", ".git/"), (".venv/pyvenv.cfg", ".venv/"))
_PROBES += (("venv/pyvenv.cfg", "venv/"),)


class _Leak:
    # A __slots__ class, not a dataclass: start-up time, see rules/base.py.
    __slots__ = ("files", "name", "size")

    def __init__(self, name: str, files: int = 0, size: int = 0) -> None:
        self.name = name  # "config/.env" or ".git/"
        self.files = files
        self.size = size


def classify(relpath: str) -> str | None:
    """The offender a context file belongs to: a file (".env") or a folder (".git/"), or None."""
    parts = relpath.split("/")
    for i, part in enumerate(parts[:-1]):
        if part in _SECRET_DIRS or part in _VCS_DIRS or part in _ENV_DIRS:
            return "/".join(parts[: i + 1]) + "/"
    name = parts[-1]
    if name == "pyvenv.cfg" and len(parts) > 1:
        return "/".join(parts[:-1]) + "/"  # a virtualenv under any name
    if name in _SECRET_FILES or _KEY_FILE.match(name):
        return relpath
    if name.startswith(".env.") and name.rsplit(".", 1)[-1] not in _TEMPLATE_SUFFIXES:
        return relpath
    return None


def check(ctx: CheckContext) -> Iterator[Violation]:
    for instr in ctx.dockerfile.instructions:
        for source in context_sources(instr):
            if source.glob or (
                not source.whole_context and classify(source.path + "/-") is not None
            ):
                continue  # a glob, or a copy of one of them by name: that is deliberate
            if ctx.context_files is not None:
                if source.path in ctx.context_files:
                    continue  # a single file, copied by name
                leaks = _leaks(source, ctx.context_files)
                reason = (
                    ".dockerignore does not exclude them"
                    if ctx.dockerignore is not None
                    else "the context has no .dockerignore"
                )
            elif ctx.dockerignore is not None and source.whole_context:
                leaks = [
                    _Leak(name) for probe, name in _PROBES if not ctx.dockerignore.excludes(probe)
                ]
                reason = ".dockerignore does not exclude them if they exist"
            else:
                continue
            if not leaks:
                continue
            names = [_describe(leak) for leak in leaks]
            shown = ", ".join(names[:_SHOWN])
            if len(names) > _SHOWN:
                shown += f" and {len(names) - _SHOWN} more"
            yield Violation(
                line=instr.line,
                end_line=instr.end_line,
                message=(f"{instr.keyword} {source.written} puts {shown} into the image: {reason}"),
                fix="Add to .dockerignore: " + ", ".join(leak.name for leak in leaks[:_SHOWN]),
            )
            break  # one finding per instruction is enough


def _leaks(source: Source, files: Mapping[str, int]) -> list[_Leak]:
    found: dict[str, _Leak] = {}
    for path in under(source.path, files):
        name = classify(path)
        if name is None:
            continue
        leak = found.setdefault(name, _Leak(name))
        leak.files += 1
        leak.size += files[path]
    # Secrets first: they are why this is an error.
    return sorted(found.values(), key=lambda k: (not _is_secret(k.name), k.name))


def _is_secret(name: str) -> bool:
    return not name.endswith("/") or name.rstrip("/").rsplit("/", 1)[-1] in _SECRET_DIRS


def _describe(leak: _Leak) -> str:
    if not leak.name.endswith("/") or not leak.files:
        return leak.name
    files = "1 file" if leak.files == 1 else f"{leak.files} files"
    return f"{leak.name} ({files}, {_size(leak.size)})"


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"
