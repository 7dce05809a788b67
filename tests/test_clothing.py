# ruff: noqa: E501  (the table holds whole Dockerfile lines; splitting them hides what is tested)
"""The same faults in other clothing: variants of every handed case, seed fault and rule.

Each row is (id, files, args, rules under test, expected {(rule, line)}, rules that must be
absent). For the rules under test the set of (rule, line) is compared EXACTLY (not counts), so a
negative twin (the same thing done right) asserts that the rule stays silent. A line is an int for
the Dockerfile, or "file:line" for a finding in another file (.dockerignore, a copied script).

Rows marked `xfail` are known wrong today; they are strict, so each flips loudly once fixed.
The right answers come from BuildKit/Docker/pip/uvicorn semantics; the reason of each xfail says
what is wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from rules.cli import main


def L(*lines: str) -> str:
    """A file from its lines: line k of the file is the k-th argument (1-based)."""
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class V:
    id: str
    files: dict[str, str | bytes]
    rules: tuple[str, ...]  # rules under test: (rule, line) compared exactly
    expect: frozenset = frozenset()
    args: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()  # further rules that must not appear at all
    xfail: str | None = None
    exit: int | None = None  # 2: the build rejects it; `expect` then holds stderr fragments
    dockerfile: str = "Dockerfile"


def v(
    id,
    files,
    rules,
    expect=(),
    *,
    args=(),
    absent=(),
    xfail=None,
    exit=None,
    dockerfile="Dockerfile",
):
    if isinstance(files, str):
        files = {"Dockerfile": files}
    if isinstance(rules, str):
        rules = (rules,)
    return V(
        id,
        files,
        tuple(rules),
        frozenset(expect),
        tuple(args),
        tuple(absent),
        xfail,
        exit,
        dockerfile,
    )


PY = "FROM python:3.12-slim"
DEB = "FROM debian:12"
APT_MOUNTS = (
    "RUN --mount=type=cache,target=/var/cache/apt,sharing=locked "
    "--mount=type=cache,target=/var/lib/apt,sharing=locked \\"
)
NO_CLEAN = (
    "RUN rm -f /etc/apt/apt.conf.d/docker-clean && echo "
    "'Binary::apt::APT::Keep-Downloaded-Packages \"true\";' > /etc/apt/apt.conf.d/keep-cache"
)
PIPM = "RUN --mount=type=cache,target=/root/.cache/pip \\"
IGN = ".dockerignore"

ROWS: list[V] = []
add = ROWS.append

# --------------------------------------------------------------------------------------------
# DP101 apt install without cache mounts
# --------------------------------------------------------------------------------------------
add(
    v(
        "dp101-lowercase-run",
        L(DEB, "run apt-get update && apt-get install -y curl", "USER 1"),
        "DP101",
        {("DP101", 2)},
    )
)
add(
    v(
        "dp101-apt-not-apt-get",
        L(DEB, "RUN apt update && apt install -y curl", "USER 1"),
        "DP101",
        {("DP101", 2)},
    )
)
add(
    v(
        "dp101-heredoc",
        L(
            "# syntax=docker/dockerfile:1",
            DEB,
            "RUN <<EOF",
            "apt-get update",
            "apt-get install -y curl",
            "EOF",
            "USER 1",
        ),
        "DP101",
        {("DP101", 3)},
    )
)
add(
    v(
        "dp101-heredoc-dash-tabs",
        L(DEB, "RUN <<-EOF", "\tapt-get update", "\tapt-get install -y curl", "\tEOF", "USER 1"),
        "DP101",
        {("DP101", 2)},
    )
)
add(
    v(
        "dp101-sh-c",
        L(DEB, 'RUN sh -c "apt-get update && apt-get install -y curl"', "USER 1"),
        "DP101",
        {("DP101", 2)},
    )
)
add(
    v(
        "dp101-exec-form",
        L(DEB, 'RUN ["apt-get", "install", "-y", "curl"]', "USER 1"),
        "DP101",
        {("DP101", 2)},
    )
)
add(
    v(
        "dp101-env-prefix-sudo-flag-first",
        L(
            DEB,
            "RUN apt-get update; DEBIAN_FRONTEND=noninteractive sudo apt-get -y install curl",
            "USER 1",
        ),
        "DP101",
        {("DP101", 2)},
    )
)
add(
    v(
        "dp101-comment-in-continuation",
        L(DEB, "RUN apt-get update && \\", "    # tools", "    apt-get install -y curl", "USER 1"),
        "DP101",
        {("DP101", 2)},
    )
)
add(
    v(
        "dp101-crlf",
        L(DEB, "RUN apt-get update && \\", "    apt-get install -y curl", "USER 1").replace(
            "\n", "\r\n"
        ),
        "DP101",
        {("DP101", 2)},
    )
)
add(
    v(
        "dp101-bom",
        "\ufeff" + L(DEB, "RUN apt-get install -y curl", "USER 1"),
        "DP101",
        {("DP101", 2)},
    )
)
add(
    v(
        "dp101-mount-on-other-run",
        L(
            DEB,
            "RUN --mount=type=cache,target=/var/cache/apt --mount=type=cache,target=/var/lib/apt apt-get update",
            "RUN apt-get install -y curl",
            "USER 1",
        ),
        "DP101",
        {("DP101", 3)},
    )
)
add(
    v(
        "dp101-only-cache-mount",
        L(
            DEB,
            "RUN --mount=type=cache,target=/var/cache/apt,sharing=locked apt-get update && apt-get install -y curl",
            "USER 1",
        ),
        "DP101",
        {("DP101", 2)},
    )
)
# negative twins
add(
    v(
        "dp101-ok-keys-reordered-dst",
        L(
            DEB,
            NO_CLEAN,
            "RUN --mount=sharing=locked,dst=/var/cache/apt,type=cache \\",
            "    --mount=destination=/var/lib/apt,type=cache,sharing=locked \\",
            "    apt-get update && apt-get install -y curl",
            "USER 1",
        ),
        "DP101",
    )
)
add(v("dp101-ok-apk", L("FROM alpine:3.20", "RUN apk add --no-cache curl", "USER 1"), "DP101"))
add(
    v(
        "dp101-ok-echo-mentions-apt",
        L(DEB, "RUN echo 'run apt-get install -y curl to get curl'", "USER 1"),
        "DP101",
    )
)
add(
    v(
        "dp101-ok-heredoc-with-mounts",
        L(
            DEB,
            NO_CLEAN,
            APT_MOUNTS,
            "    <<EOF",
            "apt-get update",
            "apt-get install -y curl",
            "EOF",
            "USER 1",
        ),
        "DP101",
    )
)
add(
    v(
        "dp101-ok-remove-only",
        L(DEB, "RUN apt-get purge -y curl && apt-get autoremove -y", "USER 1"),
        "DP101",
    )
)

# --------------------------------------------------------------------------------------------
# DP102 apt cache mount that cannot work (docker-clean, sharing=locked, cache deleted)
# --------------------------------------------------------------------------------------------
add(
    v(
        "dp102-python-slim-docker-clean",
        L(PY, APT_MOUNTS, "    apt-get update && apt-get install -y curl", "USER 1"),
        "DP102",
        {("DP102", 2)},
    )
)
add(
    v(
        "dp102-ubuntu-docker-clean",
        L(
            "FROM ubuntu:24.04",
            APT_MOUNTS,
            "    apt-get update && apt-get install -y curl",
            "USER 1",
        ),
        "DP102",
        {("DP102", 2)},
    )
)
add(
    v(
        "dp102-clean-disabled-in-unrelated-stage",
        L(
            DEB + " AS other",
            NO_CLEAN,
            DEB + " AS final",
            APT_MOUNTS,
            "    apt-get update && apt-get install -y curl",
            "USER 1",
        ),
        "DP102",
        {("DP102", 4)},
    )
)
add(
    v(
        "dp102-clean-disabled-after-install",
        L(DEB, APT_MOUNTS, "    apt-get update && apt-get install -y curl", NO_CLEAN, "USER 1"),
        "DP102",
        {("DP102", 2)},
    )
)
add(
    v(
        "dp102-no-sharing-locked",
        L(
            DEB,
            NO_CLEAN,
            "RUN --mount=type=cache,target=/var/cache/apt --mount=type=cache,target=/var/lib/apt \\",
            "    apt-get update && apt-get install -y curl",
            "USER 1",
        ),
        "DP102",
        {("DP102", 3)},
    )
)
add(
    v(
        "dp102-sharing-shared",
        L(
            DEB,
            NO_CLEAN,
            "RUN --mount=type=cache,target=/var/cache/apt,sharing=shared --mount=type=cache,target=/var/lib/apt,sharing=shared \\",
            "    apt-get update && apt-get install -y curl",
            "USER 1",
        ),
        "DP102",
        {("DP102", 3)},
    )
)
add(
    v(
        "dp102-lists-deleted-keys-reordered",
        L(
            DEB,
            NO_CLEAN,
            "RUN --mount=target=/var/cache/apt,type=cache,sharing=locked --mount=sharing=locked,target=/var/lib/apt,type=cache \\",
            "    apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*",
            "USER 1",
        ),
        "DP102",
        {("DP102", 3)},
    )
)
add(
    v(
        "dp102-apt-get-clean-under-mount",
        L(
            DEB,
            NO_CLEAN,
            APT_MOUNTS,
            "    apt-get update && apt-get install -y curl && apt-get clean",
            "USER 1",
        ),
        "DP102",
        {("DP102", 3)},
    )
)
add(
    v(
        "dp102-heredoc-lists-deleted",
        L(
            DEB,
            NO_CLEAN,
            APT_MOUNTS,
            "    <<EOF",
            "apt-get update",
            "apt-get install -y curl",
            "rm -rf /var/lib/apt/lists/*",
            "EOF",
            "USER 1",
        ),
        "DP102",
        {("DP102", 3)},
    )
)
# negative twins
add(
    v(
        "dp102-ok-clean-disabled-same-stage",
        L(DEB, NO_CLEAN, APT_MOUNTS, "    apt-get update && apt-get install -y curl", "USER 1"),
        "DP102",
        absent=("DP101",),
    )
)
add(
    v(
        "dp102-ok-clean-disabled-in-parent-stage",
        L(
            PY + " AS base",
            NO_CLEAN,
            "FROM base AS final",
            APT_MOUNTS,
            "    apt-get update && apt-get install -y curl",
            "USER 1",
        ),
        "DP102",
        absent=("DP101",),
    )
)
add(
    v(
        "dp102-ok-clean-disabled-same-run-first",
        L(
            DEB,
            APT_MOUNTS,
            "    rm -f /etc/apt/apt.conf.d/docker-clean && echo 'Binary::apt::APT::Keep-Downloaded-Packages \"true\";' > /etc/apt/apt.conf.d/keep-cache && \\",
            "    apt-get update && apt-get install -y curl",
            "USER 1",
        ),
        "DP102",
    )
)
add(
    v(
        "dp102-ok-no-mounts-lists-deleted",
        L(
            DEB,
            "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*",
            "USER 1",
        ),
        "DP102",
    )
)
add(
    v(
        "dp102-ok-alpine-cache-mount",
        L(
            "FROM alpine:3.20",
            "RUN --mount=type=cache,target=/var/cache/apk apk add curl",
            "USER 1",
        ),
        "DP102",
    )
)

# --------------------------------------------------------------------------------------------
# DP103 pip/uv/poetry install without an effective cache mount
# --------------------------------------------------------------------------------------------
REQ = {"requirements.txt": "fastapi\n"}
add(
    v(
        "dp103-python3-m-pip",
        L(PY, "RUN python3 -m pip install -r requirements.txt", "USER 1"),
        "DP103",
        {("DP103", 2)},
    )
)
add(v("dp103-pip3.13", L(PY, "RUN pip3.13 install fastapi", "USER 1"), "DP103", {("DP103", 2)}))
add(
    v(
        "dp103-abs-path-pip",
        L(PY, "RUN /usr/local/bin/pip install fastapi", "USER 1"),
        "DP103",
        {("DP103", 2)},
    )
)
add(
    v(
        "dp103-uv-pip-install",
        L(PY, "RUN uv pip install --system fastapi", "USER 1"),
        "DP103",
        {("DP103", 2)},
    )
)
add(v("dp103-uv-sync", L(PY, "RUN uv sync --frozen", "USER 1"), "DP103", {("DP103", 2)}))
add(
    v(
        "dp103-poetry-install",
        L(PY, "RUN poetry install --no-root", "USER 1"),
        "DP103",
        {("DP103", 2)},
    )
)
add(
    v(
        "dp103-no-cache-dir-after-r",
        L(PY, PIPM, "    pip install -r requirements.txt --no-cache-dir", "USER 1"),
        "DP103",
        {("DP103", 2)},
    )
)
add(
    v(
        "dp103-env-no-cache-dir-in-parent",
        L(
            PY + " AS base",
            "ENV PIP_NO_CACHE_DIR=1",
            "FROM base",
            PIPM,
            "    pip install fastapi",
            "USER 1",
        ),
        "DP103",
        {("DP103", 4)},
    )
)
add(
    v(
        "dp103-env-no-cache-dir-false-still-disables",
        L(PY, "ENV PIP_NO_CACHE_DIR=false", PIPM, "    pip install fastapi", "USER 1"),
        "DP103",
        {("DP103", 3)},
    )
)
add(
    v(
        "dp103-env-prefix-no-cache-dir",
        L(PY, PIPM, "    PIP_NO_CACHE_DIR=1 pip install fastapi", "USER 1"),
        "DP103",
        {("DP103", 2)},
    )
)
add(
    v(
        "dp103-arg-no-cache-dir",
        L(PY, "ARG PIP_NO_CACHE_DIR=1", PIPM, "    pip install fastapi", "USER 1"),
        "DP103",
        {("DP103", 3)},
    )
)
add(
    v(
        "dp103-mount-at-root-cache-but-user-app",
        L(PY, "RUN useradd -m app", "USER app", PIPM, "    pip install --user fastapi"),
        "DP103",
        {("DP103", 4)},
    )
)
add(
    v(
        "dp103-uv-mount-at-pip-cache",
        L(PY, PIPM, "    uv pip install --system fastapi", "USER 1"),
        "DP103",
        {("DP103", 2)},
    )
)
add(
    v(
        "dp103-uv-no-cache",
        L(
            PY,
            "RUN --mount=type=cache,target=/root/.cache/uv uv pip install --system --no-cache fastapi",
            "USER 1",
        ),
        "DP103",
        {("DP103", 2)},
    )
)
add(
    v(
        "dp103-heredoc",
        L(PY, "RUN <<EOF", "set -e", "pip install fastapi", "EOF", "USER 1"),
        "DP103",
        {("DP103", 2)},
    )
)
add(
    v(
        "dp103-pip-cache-dir-elsewhere",
        L(PY, "ENV PIP_CACHE_DIR=/tmp/pipcache", PIPM, "    pip install fastapi", "USER 1"),
        "DP103",
        {("DP103", 3)},
    )
)
# negative twins
add(
    v(
        "dp103-ok-dst-key",
        L(PY, "RUN --mount=dst=/root/.cache/pip,type=cache pip install fastapi", "USER 1"),
        "DP103",
    )
)
add(
    v(
        "dp103-ok-pip-cache-dir-env",
        L(
            PY,
            "ENV PIP_CACHE_DIR=/cache/pip",
            "RUN --mount=type=cache,target=/cache/pip pip install fastapi",
            "USER 1",
        ),
        "DP103",
    )
)
add(
    v(
        "dp103-ok-user-app-home-mount",
        L(
            PY,
            "RUN useradd -m app",
            "USER app",
            "RUN --mount=type=cache,target=/home/app/.cache/pip,uid=1000 pip install --user fastapi",
        ),
        "DP103",
    )
)
add(
    v(
        "dp103-ok-uv-cache",
        L(
            PY,
            "RUN --mount=type=cache,target=/root/.cache/uv uv pip install --system fastapi",
            "USER 1",
        ),
        "DP103",
    )
)
add(
    v(
        "dp103-ok-uninstall-freeze",
        L(PY, "RUN pip uninstall -y setuptools && pip freeze > /freeze.txt", "USER 1"),
        "DP103",
    )
)
add(v("dp103-ok-echo", L(PY, "RUN echo 'pip install fastapi' > /hint.txt", "USER 1"), "DP103"))
add(
    v(
        "dp103-ok-env-disabled-in-other-stage",
        L(
            PY + " AS other",
            "ENV PIP_NO_CACHE_DIR=1",
            PY,
            PIPM,
            "    pip install fastapi",
            "USER 1",
        ),
        "DP103",
    )
)

# --------------------------------------------------------------------------------------------
# DP104 dependency install after the source is copied
# --------------------------------------------------------------------------------------------
ID = {IGN: ".git\n"}
add(
    v(
        "dp104-add-dot",
        {
            "Dockerfile": L(
                PY, "WORKDIR /app", "ADD . .", "RUN pip install -r requirements.txt", "USER 1"
            ),
            **ID,
            **REQ,
        },
        "DP104",
        {("DP104", 4)},
    )
)
add(
    v(
        "dp104-copy-chown-dot-slash",
        {
            "Dockerfile": L(
                PY,
                "WORKDIR /app",
                "COPY --chown=1:1 ./ /app/",
                "RUN python -m pip install -r requirements.txt",
                "USER 1",
            ),
            **ID,
            **REQ,
        },
        "DP104",
        {("DP104", 4)},
    )
)
add(
    v(
        "dp104-lowercase-json-copy",
        {
            "Dockerfile": L(
                PY,
                "workdir /app",
                'copy [".", "."]',
                "run pip install -r requirements.txt",
                "USER 1",
            ),
            **ID,
            **REQ,
        },
        "DP104",
        {("DP104", 4)},
    )
)
add(
    v(
        "dp104-inherited-copy",
        {
            "Dockerfile": L(
                PY + " AS src",
                "WORKDIR /app",
                "COPY . .",
                "FROM src",
                "RUN pip install -r requirements.txt",
                "USER 1",
            ),
            **ID,
            **REQ,
        },
        "DP104",
        {("DP104", 5)},
    )
)
add(
    v(
        "dp104-uv-sync-heredoc",
        {
            "Dockerfile": L(
                PY, "WORKDIR /app", "COPY . .", "RUN <<EOF", "uv sync --frozen", "EOF", "USER 1"
            ),
            **ID,
            "pyproject.toml": "[project]\n",
            "uv.lock": "",
        },
        "DP104",
        {("DP104", 4)},
    )
)
add(
    v(
        "dp104-src-dir-before-install",
        {
            "Dockerfile": L(
                PY,
                "WORKDIR /app",
                "COPY src/ ./src/",
                "COPY requirements.txt .",
                "RUN pip install -r requirements.txt",
                "USER 1",
            ),
            **ID,
            **REQ,
            "src/app.py": "",
        },
        "DP104",
        {("DP104", 5)},
    )
)
# negative twins
add(
    v(
        "dp104-ok-manifest-first",
        {
            "Dockerfile": L(
                PY,
                "WORKDIR /app",
                "COPY requirements.txt .",
                "RUN pip install -r requirements.txt",
                "COPY . .",
                "USER 1",
            ),
            **ID,
            **REQ,
        },
        "DP104",
    )
)
add(
    v(
        "dp104-ok-copy-dot-in-other-stage",
        {
            "Dockerfile": L(
                PY + " AS lint",
                "WORKDIR /app",
                "COPY . .",
                PY,
                "COPY requirements.txt .",
                "RUN pip install -r requirements.txt",
                "USER 1",
            ),
            **ID,
            **REQ,
        },
        "DP104",
    )
)
add(
    v(
        "dp104-ok-copy-from-builder",
        {
            "Dockerfile": L(
                PY + " AS build",
                "RUN pip wheel -w /wheels fastapi",
                PY,
                "COPY --from=build /wheels /wheels",
                "RUN pip install /wheels/*.whl",
                "USER 1",
            )
        },
        "DP104",
    )
)
add(
    v(
        "dp104-ok-poetry-manifests",
        {
            "Dockerfile": L(
                PY,
                "WORKDIR /app",
                "COPY pyproject.toml poetry.lock ./",
                "RUN poetry install --no-root",
                "COPY . .",
                "USER 1",
            ),
            **ID,
            "pyproject.toml": "",
            "poetry.lock": "",
        },
        "DP104",
    )
)

# --------------------------------------------------------------------------------------------
# DP105 `# syntax=` without a digest
# --------------------------------------------------------------------------------------------
add(v("dp105-nospace", L("#syntax=docker/dockerfile:1.7", PY, "USER 1"), "DP105", {("DP105", 1)}))
add(
    v(
        "dp105-uppercase-spaces",
        L("# SYNTAX = docker/dockerfile:1", PY, "USER 1"),
        "DP105",
        {("DP105", 1)},
    )
)
add(
    v(
        "dp105-after-escape-directive",
        L("# escape=\\", "# syntax=docker/dockerfile:1", PY, "USER 1"),
        "DP105",
        {("DP105", 2)},
    )
)
add(v("dp105-untagged", L("# syntax=docker/dockerfile", PY, "USER 1"), "DP105", {("DP105", 1)}))
add(
    v(
        "dp105-ok-digest",
        L("# syntax=docker/dockerfile:1@sha256:" + "a" * 64, PY, "USER 1"),
        "DP105",
    )
)
add(
    v(
        "dp105-ok-not-a-directive-after-comment",
        L("# my image", "# syntax=docker/dockerfile:1", PY, "USER 1"),
        "DP105",
    )
)
add(
    v(
        "dp105-ok-not-a-directive-after-blank",
        L("", "# syntax=docker/dockerfile:1", PY, "USER 1"),
        "DP105",
    )
)

# --------------------------------------------------------------------------------------------
# DP106 dependency groups installed into separate prefixes/venvs
# --------------------------------------------------------------------------------------------
GROUPS = {
    "requirements-core.txt": "pydantic==2.9\n",
    "requirements-ai.txt": "langchain\n",
    IGN: ".git\n",
}
add(
    v(
        "dp106-prefix-equals-python-m-pip",
        {
            "Dockerfile": L(
                PY + " AS core",
                "COPY requirements-core.txt .",
                "RUN python -m pip install --prefix=/core -r requirements-core.txt",
                PY + " AS ai",
                "COPY requirements-ai.txt .",
                "RUN python -m pip install --prefix /ai -r requirements-ai.txt",
                PY,
                "COPY --from=core /core /usr/local",
                "COPY --from=ai /ai /usr/local",
                "USER 1",
            ),
            **GROUPS,
        },
        "DP106",
        {("DP106", 8)},
    )
)
add(
    v(
        "dp106-target-dirs",
        {
            "Dockerfile": L(
                PY + " AS core",
                "COPY requirements-core.txt .",
                "RUN pip install --target /core -r requirements-core.txt",
                PY + " AS ai",
                "COPY requirements-ai.txt .",
                "RUN pip install -t /ai -r requirements-ai.txt",
                PY,
                "COPY --from=core /core /core",
                "COPY --from=ai /ai /ai",
                'ENV PYTHONPATH="/core:/ai"',
                "USER 1",
            ),
            **GROUPS,
        },
        "DP106",
        {("DP106", 8)},
    )
)
add(
    v(
        "dp106-venvs",
        {
            "Dockerfile": L(
                PY + " AS core",
                "COPY requirements-core.txt .",
                "RUN python -m venv /venv-core && /venv-core/bin/pip install -r requirements-core.txt",
                PY + " AS ai",
                "COPY requirements-ai.txt .",
                "RUN python -m venv /venv-ai && /venv-ai/bin/pip install -r requirements-ai.txt",
                PY,
                "COPY --from=core /venv-core /venv-core",
                "COPY --from=ai /venv-ai /venv-ai",
                "USER 1",
            ),
            **GROUPS,
        },
        "DP106",
        {("DP106", 8)},
    )
)
add(
    v(
        "dp106-ok-one-resolution",
        {
            "Dockerfile": L(
                PY,
                "COPY requirements-core.txt requirements-ai.txt ./",
                "RUN pip install --prefix=/install -r requirements-core.txt -r requirements-ai.txt",
                "USER 1",
            ),
            **GROUPS,
        },
        "DP106",
    )
)
add(
    v(
        "dp106-ok-constraints",
        {
            "Dockerfile": L(
                PY + " AS core",
                "COPY requirements-core.txt constraints.txt ./",
                "RUN pip install --prefix=/core -c constraints.txt -r requirements-core.txt",
                PY + " AS ai",
                "COPY requirements-ai.txt constraints.txt ./",
                "RUN pip install --prefix=/ai -c constraints.txt -r requirements-ai.txt",
                PY,
                "COPY --from=core /core /usr/local",
                "COPY --from=ai /ai /usr/local",
                "USER 1",
            ),
            **GROUPS,
            "constraints.txt": "",
        },
        "DP106",
    )
)
add(
    v(
        "dp106-ok-no-deps-from-lock",
        {
            "Dockerfile": L(
                PY + " AS core",
                "COPY requirements-core.txt .",
                "RUN pip install --no-deps --prefix=/core -r requirements-core.txt",
                PY + " AS ai",
                "COPY requirements-ai.txt .",
                "RUN pip install --no-deps --prefix=/ai -r requirements-ai.txt",
                PY,
                "COPY --from=core /core /usr/local",
                "COPY --from=ai /ai /usr/local",
                "USER 1",
            ),
            **GROUPS,
        },
        "DP106",
    )
)

# --------------------------------------------------------------------------------------------
# DP201 recursive chown/chmod over files an earlier layer added
# --------------------------------------------------------------------------------------------
APP = {IGN: ".git\n", "app.py": ""}
add(
    v(
        "dp201-chown-R-after-copy",
        {
            "Dockerfile": L(
                PY, "WORKDIR /app", "COPY . .", "RUN chown -R 1000:1000 /app", "USER 1000"
            ),
            **APP,
        },
        "DP201",
        {("DP201", 4)},
    )
)
add(
    v(
        "dp201-chown-recursive-long",
        {
            "Dockerfile": L(
                PY, "COPY . /app", "RUN useradd app && chown --recursive app:app /app", "USER app"
            ),
            **APP,
        },
        "DP201",
        {("DP201", 3)},
    )
)
add(
    v(
        "dp201-chmod-R",
        {"Dockerfile": L(PY, "COPY . /app", "RUN chmod -R g+rwX /app", "USER 1000"), **APP},
        "DP201",
        {("DP201", 3)},
    )
)
add(
    v(
        "dp201-chown-relative-workdir",
        {
            "Dockerfile": L(PY, "WORKDIR /app", "COPY . .", "RUN chown -R 1000 .", "USER 1000"),
            **APP,
        },
        "DP201",
        {("DP201", 4)},
    )
)
add(
    v(
        "dp201-in-parent-layer",
        {
            "Dockerfile": L(
                PY + " AS base", "COPY . /app", "FROM base", "RUN chown -hR 1000 /app", "USER 1000"
            ),
            **APP,
        },
        "DP201",
        {("DP201", 4)},
    )
)
add(
    v(
        "dp201-ok-chown-own-mkdir",
        {"Dockerfile": L(PY, "RUN mkdir -p /data && chown -R 1000:1000 /data", "USER 1000"), **APP},
        "DP201",
    )
)
add(
    v(
        "dp201-ok-copy-chown",
        {"Dockerfile": L(PY, "COPY --chown=1000:1000 . /app", "USER 1000"), **APP},
        "DP201",
    )
)
add(
    v(
        "dp201-ok-other-dir",
        {
            "Dockerfile": L(
                PY, "COPY . /app", "RUN mkdir /data && chown -R 1000 /data", "USER 1000"
            ),
            **APP,
        },
        "DP201",
    )
)

# --------------------------------------------------------------------------------------------
# DP202 files deleted in a later layer
# --------------------------------------------------------------------------------------------
add(
    v(
        "dp202-rm-copied-archive",
        {
            "Dockerfile": L(
                PY,
                "COPY big.tar.gz /tmp/",
                "RUN tar -xzf /tmp/big.tar.gz -C /opt",
                "RUN rm /tmp/big.tar.gz",
                "USER 1",
            ),
            IGN: ".git\n",
            "big.tar.gz": "x",
        },
        "DP202",
        {("DP202", 4)},
    )
)
add(
    v(
        "dp202-lists-removed-later",
        L(
            DEB,
            "RUN apt-get update && apt-get install -y curl",
            "RUN rm -rf /var/lib/apt/lists/*",
            "USER 1",
        ),
        "DP202",
        {("DP202", 3)},
    )
)
add(
    v(
        "dp202-find-exec-rm",
        {
            "Dockerfile": L(
                PY,
                "WORKDIR /app",
                "COPY src ./src",
                "RUN python -m compileall -b src && find src -name '*.py' -exec rm {} +",
                "USER 1",
            ),
            IGN: ".git\n",
            "src/a.py": "",
        },
        "DP202",
        {("DP202", 4)},
    )
)
add(
    v(
        "dp202-pip-cache-purge-later",
        L(PY, "RUN pip install fastapi", "RUN rm -rf /root/.cache/pip", "USER 1"),
        "DP202",
        {("DP202", 3)},
    )
)
add(
    v(
        "dp202-ok-same-layer",
        L(
            DEB,
            "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*",
            "USER 1",
        ),
        "DP202",
    )
)
add(
    v(
        "dp202-ok-remove-base-file",
        L(DEB, "RUN rm -f /etc/apt/apt.conf.d/docker-clean", "USER 1"),
        "DP202",
    )
)
add(
    v(
        "dp202-ok-delete-in-builder-stage-not-shipped",
        {
            "Dockerfile": L(
                PY + " AS build",
                "COPY big.tar.gz /tmp/",
                "RUN tar -xzf /tmp/big.tar.gz -C /opt",
                "RUN rm /tmp/big.tar.gz",
                PY,
                "COPY --from=build /opt /opt",
                "USER 1",
            ),
            IGN: ".git\n",
            "big.tar.gz": "x",
        },
        "DP202",
    )
)

# --------------------------------------------------------------------------------------------
# DP203 build tools in the final stage
# --------------------------------------------------------------------------------------------
add(
    v(
        "dp203-build-essential-apt",
        L(PY, "RUN apt update && apt install -y build-essential", "USER 1"),
        "DP203",
        {("DP203", 2)},
    )
)
add(
    v(
        "dp203-dev-pkg-heredoc",
        L(
            PY,
            "RUN <<EOF",
            "apt-get update",
            "apt-get install -y --no-install-recommends libpq-dev",
            "EOF",
            "USER 1",
        ),
        "DP203",
        {("DP203", 2)},
    )
)
add(
    v(
        "dp203-apk-build-base",
        L("FROM python:3.12-alpine", "RUN apk add --no-cache build-base", "USER 1"),
        "DP203",
        {("DP203", 2)},
    )
)
add(
    v(
        "dp203-inherited-from-parent",
        L(
            PY + " AS base",
            "RUN apt-get update && apt-get install -y gcc",
            "FROM base AS runtime",
            "USER 1",
        ),
        "DP203",
        {("DP203", 2)},
    )
)
add(
    v(
        "dp203-target-selects-builder",
        L(
            PY + " AS build",
            "RUN apt-get update && apt-get install -y gcc",
            PY + " AS runtime",
            "USER 1",
        ),
        "DP203",
        {("DP203", 2)},
        args=("--target", "build"),
    )
)
add(
    v(
        "dp203-ok-builder-only",
        L(
            PY + " AS build",
            "RUN apt-get update && apt-get install -y gcc g++ libffi-dev",
            PY + " AS runtime",
            "RUN apt-get update && apt-get install -y libffi8 libpq5",
            "USER 1",
        ),
        "DP203",
    )
)
add(
    v(
        "dp203-ok-devscripts-name-probe",
        L(PY, "RUN apt-get update && apt-get install -y libdevmapper1.02.1", "USER 1"),
        "DP203",
    )
)

# --------------------------------------------------------------------------------------------
# DP204 debug/dev stage last
# --------------------------------------------------------------------------------------------
add(
    v(
        "dp204-dev",
        L(PY + " AS runtime", "USER 1", "FROM runtime AS dev", "RUN pip install debugpy"),
        "DP204",
        {("DP204", 3)},
    )
)
add(
    v(
        "dp204-uppercase-development",
        L(PY + " AS runtime", "USER 1", "FROM runtime AS Development", "USER 1"),
        "DP204",
        {("DP204", 3)},
    )
)
add(
    v(
        "dp204-debug-suffix",
        L(PY + " AS app", "USER 1", "from app as app_debug", "USER 1"),
        "DP204",
        {("DP204", 3)},
    )
)
add(
    v(
        "dp204-ok-debug-not-last",
        L(
            PY + " AS debug",
            "RUN apt-get update && apt-get install -y vim",
            PY + " AS runtime",
            "USER 1",
        ),
        "DP204",
    )
)
add(
    v(
        "dp204-ok-debian-named-stage",
        L(PY + " AS base", "USER 1", "FROM base AS debian-runtime", "USER 1"),
        "DP204",
    )
)
add(v("dp204-ok-devices-service", L(PY + " AS devices", "USER 1"), "DP204"))

# --------------------------------------------------------------------------------------------
# DP301 the final image runs as root
# --------------------------------------------------------------------------------------------
add(v("dp301-no-user", L(PY, 'CMD ["python"]'), "DP301", {("DP301", 1)}))
add(v("dp301-user-0", L(PY, "USER 0"), "DP301", {("DP301", 2)}))
add(v("dp301-user-root-group", L(PY, "USER root:root"), "DP301", {("DP301", 2)}))
add(v("dp301-lowercase-user", L(PY, "user root"), "DP301", {("DP301", 2)}))
add(
    v(
        "dp301-arg-default-root",
        L(PY, "ARG APP_USER=root", "USER $APP_USER"),
        "DP301",
        {("DP301", 3)},
    )
)
add(v("dp301-env-braces-default", L(PY, "USER ${APP_USER:-root}"), "DP301", {("DP301", 2)}))
add(
    v(
        "dp301-root-after-parent-app",
        L(PY + " AS base", "USER 1000", "FROM base", "USER root", "RUN true"),
        "DP301",
        {("DP301", 4)},
    )
)
add(
    v(
        "dp301-target-root-stage",
        L(PY + " AS build", "USER root", PY + " AS runtime", "USER 1000"),
        "DP301",
        {("DP301", 2)},
        args=("--target", "build"),
    )
)
add(v("dp301-uid-zero-arg", L(PY, "ARG UID=0", "USER ${UID}:${UID}"), "DP301", {("DP301", 3)}))
# negative twins
add(
    v(
        "dp301-ok-inherited-from-parent",
        L(PY + " AS base", "RUN useradd app", "USER app", "FROM base", 'CMD ["python"]'),
        "DP301",
    )
)
add(
    v(
        "dp301-ok-build-arg-overrides",
        L(PY, "ARG APP_USER=root", "USER $APP_USER"),
        "DP301",
        args=("--build-arg", "APP_USER=app"),
    )
)
add(v("dp301-ok-arg-default-app", L(PY, "ARG APP_USER=app", "USER ${APP_USER}"), "DP301"))
add(v("dp301-ok-nonroot-user-root-group", L(PY, "USER 1000:0"), "DP301"))
add(
    v(
        "dp301-ok-target-nonroot",
        L(PY + " AS runtime", "USER 1000", "FROM runtime AS debug", "USER root"),
        "DP301",
        args=("--target", "runtime"),
    )
)

# --------------------------------------------------------------------------------------------
# DP302 no HEALTHCHECK in the final image
# --------------------------------------------------------------------------------------------
add(
    v(
        "dp302-only-in-unrelated-stage",
        L(PY + " AS a", "HEALTHCHECK CMD python -c 1", PY + " AS b", "USER 1"),
        "DP302",
        {("DP302", 3)},
    )
)
add(
    v(
        "dp302-target-without",
        L(PY + " AS a", "USER 1", PY + " AS b", "HEALTHCHECK CMD python -c 1", "USER 1"),
        "DP302",
        {("DP302", 1)},
        args=("--target", "a"),
    )
)
add(
    v(
        "dp302-ok-inherited",
        L(PY + " AS a", "HEALTHCHECK CMD python -c 1", "FROM a", "USER 1"),
        "DP302",
    )
)
add(v("dp302-ok-none", L(PY, "HEALTHCHECK NONE", "USER 1"), "DP302"))
add(v("dp302-ok-lowercase", L(PY, "healthcheck --interval=10s cmd python -c 1", "USER 1"), "DP302"))
add(
    v(
        "dp302-ok-grandparent",
        L(PY + " AS a", "HEALTHCHECK CMD python -c 1", "FROM a AS b", "FROM B AS c", "USER 1"),
        "DP302",
    )
)

# --------------------------------------------------------------------------------------------
# DP303 HEALTHCHECK program missing from the final image
# --------------------------------------------------------------------------------------------
add(
    v(
        "dp303-wget-slim",
        L(PY, "HEALTHCHECK CMD wget -qO- http://localhost:8000/health || exit 1", "USER 1"),
        "DP303",
        {("DP303", 2)},
    )
)
add(
    v(
        "dp303-curl-exec-form",
        L(PY, 'HEALTHCHECK CMD ["curl", "-f", "http://localhost:8000/health"]', "USER 1"),
        "DP303",
        {("DP303", 2)},
    )
)
add(
    v(
        "dp303-curl-abs-path",
        L(PY, "HEALTHCHECK CMD /usr/bin/curl -f http://localhost:8000/ || exit 1", "USER 1"),
        "DP303",
        {("DP303", 2)},
    )
)
add(
    v(
        "dp303-curl-installed-in-unrelated-stage",
        L(
            PY + " AS build",
            "RUN apt-get update && apt-get install -y curl",
            PY,
            "HEALTHCHECK CMD curl -f http://localhost:8000/ || exit 1",
            "USER 1",
        ),
        "DP303",
        {("DP303", 4)},
    )
)
add(
    v(
        "dp303-curl-on-alpine",
        L(
            "FROM python:3.12-alpine",
            "HEALTHCHECK CMD curl -f http://localhost:8000/ || exit 1",
            "USER 1",
        ),
        "DP303",
        {("DP303", 2)},
    )
)
add(
    v(
        "dp303-curl-removed-after-install",
        L(
            PY,
            "RUN apt-get update && apt-get install -y curl",
            "RUN apt-get purge -y curl",
            "HEALTHCHECK CMD curl -f http://localhost:8000/ || exit 1",
            "USER 1",
        ),
        "DP303",
        {("DP303", 4)},
    )
)
# negative twins
add(
    v(
        "dp303-ok-installed-apt-heredoc",
        L(
            PY,
            "RUN <<EOF",
            "apt-get update",
            "apt-get install -y --no-install-recommends curl",
            "EOF",
            "HEALTHCHECK CMD curl -f http://localhost:8000/ || exit 1",
            "USER 1",
        ),
        "DP303",
    )
)
add(
    v(
        "dp303-ok-installed-in-parent",
        L(
            PY + " AS base",
            "RUN apt update && apt install -y curl",
            "FROM base",
            "HEALTHCHECK CMD curl -f http://localhost:8000/ || exit 1",
            "USER 1",
        ),
        "DP303",
    )
)
add(
    v(
        "dp303-ok-wget-busybox-alpine",
        L(
            "FROM python:3.12-alpine",
            "HEALTHCHECK CMD wget -qO- http://localhost:8000/ || exit 1",
            "USER 1",
        ),
        "DP303",
    )
)
add(
    v(
        "dp303-ok-python-urllib",
        L(
            PY,
            "HEALTHCHECK CMD python -c \"import urllib.request as u; u.urlopen('http://localhost:8000/health')\"",
            "USER 1",
        ),
        "DP303",
    )
)
add(
    v(
        "dp303-ok-copied-binary",
        L(
            PY,
            "COPY --from=curlimages/curl:8.8.0 /usr/bin/curl /usr/local/bin/curl",
            "HEALTHCHECK CMD curl -f http://localhost:8000/ || exit 1",
            "USER 1",
        ),
        "DP303",
    )
)
add(
    v(
        "dp303-ok-full-python-image-has-curl",
        L("FROM python:3.12", "HEALTHCHECK CMD curl -f http://localhost:8000/ || exit 1", "USER 1"),
        "DP303",
    )
)

# --------------------------------------------------------------------------------------------
# DP304 HEALTHCHECK port vs server port
# --------------------------------------------------------------------------------------------
HC8080 = "HEALTHCHECK CMD python -c \"import urllib.request as u; u.urlopen('http://localhost:8080/health')\""
HC8000 = HC8080.replace("8080", "8000")
add(
    v(
        "dp304-port-equals",
        L(PY, "USER 1", HC8080, 'CMD ["uvicorn", "app:app", "--host", "0.0.0.0", "--port=8000"]'),
        "DP304",
        {("DP304", 3)},
    )
)
add(
    v(
        "dp304-default-port",
        L(PY, "USER 1", HC8080, 'CMD ["uvicorn", "app:app", "--host", "0.0.0.0"]'),
        "DP304",
        {("DP304", 3)},
    )
)
add(
    v(
        "dp304-gunicorn-bind",
        L(
            PY,
            "USER 1",
            HC8000,
            'CMD ["gunicorn", "-k", "uvicorn.workers.UvicornWorker", "-b", "0.0.0.0:9000", "app:app"]',
        ),
        "DP304",
        {("DP304", 3)},
    )
)
add(
    v(
        "dp304-env-port",
        L(
            PY,
            "ENV PORT=9000",
            "USER 1",
            HC8000,
            'CMD ["sh", "-c", "exec uvicorn app:app --host 0.0.0.0 --port $PORT"]',
        ),
        "DP304",
        {("DP304", 4)},
    )
)
add(
    v(
        "dp304-python-m-uvicorn-curl",
        L(
            PY,
            "RUN apt-get update && apt-get install -y curl",
            "USER 1",
            "HEALTHCHECK CMD curl -fsS http://127.0.0.1:8080/health || exit 1",
            'CMD ["python", "-m", "uvicorn", "app:app", "--port", "8000"]',
        ),
        "DP304",
        {("DP304", 4)},
    )
)
add(
    v(
        "dp304-ok-env-port",
        L(
            PY,
            "ENV PORT=8080",
            "USER 1",
            HC8080,
            'CMD ["sh", "-c", "exec uvicorn app:app --host 0.0.0.0 --port ${PORT}"]',
        ),
        "DP304",
    )
)
add(
    v(
        "dp304-ok-default",
        L(PY, "USER 1", HC8000, 'CMD ["uvicorn", "app:app", "--host", "0.0.0.0"]'),
        "DP304",
    )
)
add(
    v(
        "dp304-ok-gunicorn-bind-equals",
        L(PY, "USER 1", HC8080, 'CMD ["gunicorn", "--bind=0.0.0.0:8080", "app:app"]'),
        "DP304",
    )
)

# --------------------------------------------------------------------------------------------
# DP305 secret-looking ENV/ARG with a literal value
# --------------------------------------------------------------------------------------------
add(
    v(
        "dp305-legacy-env-space",
        L(PY, "ENV AWS_SECRET_ACCESS_KEY wJalrXUtnFEMI/K7MDENG", "USER 1"),
        "DP305",
        {("DP305", 2)},
    )
)
add(v("dp305-lowercase-arg", L(PY, "arg db_password=hunter2", "USER 1"), "DP305", {("DP305", 2)}))
add(
    v(
        "dp305-multi-pair-continued",
        L(PY, "ENV APP_ENV=prod \\", "    OPENAI_API_KEY=sk-abc123", "USER 1"),
        "DP305",
        {("DP305", 2)},
    )
)
add(
    v(
        "dp305-meta-arg",
        L("ARG GITHUB_TOKEN=ghp_abcdef123456", PY, "USER 1"),
        "DP305",
        {("DP305", 1)},
    )
)
add(
    v(
        "dp305-quoted",
        L(PY, 'ENV SECRET_KEY="django-insecure-xyz"', "USER 1"),
        "DP305",
        {("DP305", 2)},
    )
)
add(
    v(
        "dp305-ok-arg-no-default",
        L(PY, "ARG DB_PASSWORD", "ENV DB_PASSWORD=${DB_PASSWORD}", "USER 1"),
        "DP305",
    )
)
add(
    v(
        "dp305-ok-file-pointer",
        L(PY, "ENV DB_PASSWORD_FILE=/run/secrets/db_password", "USER 1"),
        "DP305",
    )
)
add(v("dp305-ok-tokenizers", L(PY, "ENV TOKENIZERS_PARALLELISM=false", "USER 1"), "DP305"))
add(v("dp305-ok-empty", L(PY, 'ENV API_KEY=""', "USER 1"), "DP305"))
add(v("dp305-ok-keyring", L(PY, "ENV PIP_KEYRING_PROVIDER=subprocess", "USER 1"), "DP305"))

# --------------------------------------------------------------------------------------------
# DP306 empty entry in PATH-like variables
# --------------------------------------------------------------------------------------------
add(
    v(
        "dp306-no-braces",
        L(PY, "ENV PYTHONPATH=/app:$PYTHONPATH", "USER 1"),
        "DP306",
        {("DP306", 2)},
    )
)
add(
    v(
        "dp306-legacy-form",
        L(PY, "ENV PYTHONPATH /app:${PYTHONPATH}", "USER 1"),
        "DP306",
        {("DP306", 2)},
    )
)
add(
    v(
        "dp306-leading",
        L(PY, "ENV PYTHONPATH=${PYTHONPATH}:/app", "USER 1"),
        "DP306",
        {("DP306", 2)},
    )
)
add(
    v(
        "dp306-ld-library-path",
        L(PY, 'ENV LD_LIBRARY_PATH="/opt/lib:${LD_LIBRARY_PATH}"', "USER 1"),
        "DP306",
        {("DP306", 2)},
    )
)
add(
    v(
        "dp306-double-colon-path",
        L(PY, "ENV PATH=/opt/venv/bin::/usr/local/bin:/usr/bin:/bin", "USER 1"),
        "DP306",
        {("DP306", 2)},
    )
)
add(
    v(
        "dp306-defined-in-unrelated-stage",
        L(PY + " AS a", "ENV PYTHONPATH=/x", PY, "ENV PYTHONPATH=/app:${PYTHONPATH}", "USER 1"),
        "DP306",
        {("DP306", 4)},
    )
)
add(
    v(
        "dp306-arg-empty-default",
        L(PY, "ARG EXTRA=", "ENV PYTHONPATH=/app:${EXTRA}", "USER 1"),
        "DP306",
        {("DP306", 3)},
    )
)
add(
    v(
        "dp306-ok-plus-idiom",
        L(PY, "ENV PYTHONPATH=/app${PYTHONPATH:+:$PYTHONPATH}", "USER 1"),
        "DP306",
    )
)
add(v("dp306-ok-path", L(PY, 'ENV PATH="/opt/venv/bin:${PATH}"', "USER 1"), "DP306"))
add(
    v(
        "dp306-ok-defined-in-parent",
        L(
            PY + " AS a",
            "ENV PYTHONPATH=/x",
            "FROM a",
            "ENV PYTHONPATH=/app:${PYTHONPATH}",
            "USER 1",
        ),
        "DP306",
    )
)
add(
    v(
        "dp306-ok-build-arg-given",
        L(PY, "ARG EXTRA", "ENV PYTHONPATH=/app:${EXTRA:-/lib}", "USER 1"),
        "DP306",
    )
)

# --------------------------------------------------------------------------------------------
# DP307 server started without exec
# --------------------------------------------------------------------------------------------
add(
    v(
        "dp307-shell-form-cmd",
        L(PY, "USER 1", "CMD uvicorn app:app --host 0.0.0.0"),
        "DP307",
        {("DP307", 3)},
    )
)
add(
    v(
        "dp307-lowercase-entrypoint-shell",
        L(PY, "USER 1", "entrypoint gunicorn -b 0.0.0.0:8000 app:app"),
        "DP307",
        {("DP307", 3)},
    )
)
add(
    v(
        "dp307-sh-c-chain",
        L(
            PY,
            "USER 1",
            'CMD ["sh", "-c", "alembic upgrade head && uvicorn app:app --host 0.0.0.0"]',
        ),
        "DP307",
        {("DP307", 3)},
    )
)
add(
    v(
        "dp307-python-m-uvicorn-shell",
        L(PY, "USER 1", "CMD python -m uvicorn app:app"),
        "DP307",
        {("DP307", 3)},
    )
)
add(
    v(
        "dp307-script-without-exec",
        {
            "Dockerfile": L(
                PY, "COPY entrypoint.sh /entrypoint.sh", "USER 1", 'ENTRYPOINT ["/entrypoint.sh"]'
            ),
            "entrypoint.sh": L(
                "#!/bin/sh", "set -e", "alembic upgrade head", "uvicorn app:app --host 0.0.0.0"
            ),
            IGN: ".git\n",
        },
        "DP307",
        {("DP307", 4)},
    )
)
add(
    v(
        "dp307-ok-exec-form",
        L(PY, "USER 1", 'CMD ["uvicorn", "app:app", "--host", "0.0.0.0"]'),
        "DP307",
    )
)
add(
    v(
        "dp307-ok-shell-form-exec",
        L(PY, "USER 1", "CMD exec uvicorn app:app --host 0.0.0.0"),
        "DP307",
    )
)
add(
    v(
        "dp307-ok-sh-c-exec",
        L(PY, "USER 1", 'CMD ["sh", "-c", "alembic upgrade head && exec uvicorn app:app"]'),
        "DP307",
    )
)
add(
    v(
        "dp307-ok-script-exec-args",
        {
            "Dockerfile": L(
                PY,
                "COPY entrypoint.sh /entrypoint.sh",
                "USER 1",
                'ENTRYPOINT ["/entrypoint.sh"]',
                'CMD ["uvicorn", "app:app"]',
            ),
            "entrypoint.sh": L("#!/bin/sh", "set -e", "alembic upgrade head", 'exec "$@"'),
            IGN: ".git\n",
        },
        "DP307",
    )
)
add(
    v(
        "dp307-ok-tini",
        L(PY, "USER 1", 'ENTRYPOINT ["tini", "--"]', 'CMD ["uvicorn", "app:app"]'),
        "DP307",
    )
)

# --------------------------------------------------------------------------------------------
# DP308 exec form that is not valid JSON
# --------------------------------------------------------------------------------------------
add(v("dp308-single-quotes", L(PY, "USER 1", "CMD ['python', 'app.py']"), "DP308", {("DP308", 3)}))
add(
    v(
        "dp308-trailing-comma",
        L(PY, "USER 1", 'ENTRYPOINT ["python", "app.py",]'),
        "DP308",
        {("DP308", 3)},
    )
)
add(v("dp308-missing-comma", L(PY, "USER 1", 'CMD ["python" "app.py"]'), "DP308", {("DP308", 3)}))
add(
    v(
        "dp308-healthcheck-cmd",
        L(PY, "USER 1", "HEALTHCHECK CMD ['python', '-c', '1']"),
        "DP308",
        {("DP308", 3)},
    )
)
add(
    v(
        "dp308-continued",
        L(PY, "USER 1", "CMD ['uvicorn', \\", "     'app:app']"),
        "DP308",
        {("DP308", 3)},
    )
)
add(v("dp308-ok-bracket-test-in-run", L(PY, "RUN [ -d /app ] || mkdir /app", "USER 1"), "DP308"))
add(
    v(
        "dp308-ok-json-with-brackets-inside",
        L(PY, "USER 1", 'CMD ["python", "-c", "print(\'[x]\')"]'),
        "DP308",
    )
)
add(v("dp308-ok-shell-form-with-brackets", L(PY, "USER 1", "CMD echo [ready]"), "DP308"))

# --------------------------------------------------------------------------------------------
# DP309 HEALTHCHECK options Docker rejects or misreads
# --------------------------------------------------------------------------------------------
add(
    v(
        "dp309-timeout-no-unit",
        L(PY, "HEALTHCHECK --timeout=10 CMD python -c 1", "USER 1"),
        "DP309",
        {("DP309", 2)},
    )
)
add(
    v(
        "dp309-uppercase-unit",
        L(PY, "HEALTHCHECK --interval=30S CMD python -c 1", "USER 1"),
        "DP309",
        {("DP309", 2)},
    )
)
add(
    v(
        "dp309-fraction-no-unit",
        L(PY, "HEALTHCHECK --start-period=1.5 CMD python -c 1", "USER 1"),
        "DP309",
        {("DP309", 2)},
    )
)
add(
    v(
        "dp309-options-after-cmd-at-end",
        L(
            PY,
            "RUN apt-get update && apt-get install -y curl",
            "HEALTHCHECK CMD curl -f http://localhost:8000/ --interval=30s --timeout=3s",
            "USER 1",
        ),
        "DP309",
        {("DP309", 3)},
    )
)
add(
    v(
        "dp309-options-right-after-cmd",
        L(PY, "HEALTHCHECK CMD --interval=30s python -c 1", "USER 1"),
        "DP309",
        {("DP309", 2)},
    )
)
add(
    v(
        "dp309-none-with-options",
        L(PY, "HEALTHCHECK --interval=5s NONE", "USER 1"),
        "DP309",
        {("DP309", 2)},
    )
)
add(
    v(
        "dp309-space-separated-value",
        L(PY, "HEALTHCHECK --interval 30s CMD python -c 1", "USER 1"),
        "DP309",
        {("DP309", 2)},
    )
)
add(
    v(
        "dp309-lowercase-continued",
        L(
            PY,
            "healthcheck --interval=30s \\",
            "    --timeout=5 \\",
            "    CMD python -c 1",
            "USER 1",
        ),
        "DP309",
        {("DP309", 2)},
    )
)
add(
    v(
        "dp309-ok-composite",
        L(
            PY,
            "HEALTHCHECK --interval=1m30s --timeout=500ms --start-period=0s --retries=3 CMD python -c 1",
            "USER 1",
        ),
        "DP309",
    )
)
add(
    v(
        "dp309-ok-start-interval",
        L(PY, "HEALTHCHECK --start-interval=2s --interval=30s CMD python -c 1", "USER 1"),
        "DP309",
    )
)

# --------------------------------------------------------------------------------------------
# DP401 .dockerignore '#' not at column 0
# --------------------------------------------------------------------------------------------
DOK = L(PY, "COPY app.py /app/", "USER 1")
add(
    v(
        "dp401-tab-indented-comment",
        {"Dockerfile": DOK, IGN: L("*.log", "\t# logs", ".git"), "app.py": ""},
        "DP401",
        {("DP401", ".dockerignore:2")},
    )
)
add(
    v(
        "dp401-inline-after-dir",
        {"Dockerfile": DOK, IGN: L("node_modules/ # js deps", ".git"), "app.py": ""},
        "DP401",
        {("DP401", ".dockerignore:1")},
    )
)
add(
    v(
        "dp401-crlf",
        {
            "Dockerfile": DOK,
            IGN: L("# ok", "*.pyc # bytecode", ".git").replace("\n", "\r\n"),
            "app.py": "",
        },
        "DP401",
        {("DP401", ".dockerignore:2")},
    )
)
add(
    v(
        "dp401-bom-first-line-inline",
        {"Dockerfile": DOK, IGN: "\ufeff" + L("*.pyc # bytecode", ".git"), "app.py": ""},
        "DP401",
        {("DP401", ".dockerignore:1")},
    )
)
add(
    v(
        "dp401-ok-bom-comment-col0",
        {"Dockerfile": DOK, IGN: "\ufeff" + L("# comment", ".git"), "app.py": ""},
        "DP401",
    )
)
add(
    v(
        "dp401-ok-comment-no-space",
        {"Dockerfile": DOK, IGN: L("#comment", "#!keep", ".git"), "app.py": ""},
        "DP401",
    )
)
add(
    v(
        "dp401-ok-crlf-comment",
        {"Dockerfile": DOK, IGN: L("# comment", ".git").replace("\n", "\r\n"), "app.py": ""},
        "DP401",
    )
)


# --------------------------------------------------------------------------------------------
# DP402 COPY/ADD source excluded by .dockerignore
# --------------------------------------------------------------------------------------------
def ctx(df: str, ignore: str, *paths: str) -> dict[str, str]:
    files: dict[str, str] = {"Dockerfile": df, IGN: ignore}
    for p in paths:
        files[p] = "x\n"
    return files


add(
    v(
        "dp402-leading-slash",
        ctx(L(PY, "COPY config/ /app/config/", "USER 1"), L("/config"), "config/a.toml"),
        "DP402",
        {("DP402", 2)},
    )
)
add(
    v(
        "dp402-dot-slash",
        ctx(L(PY, "COPY build/app.whl /tmp/", "USER 1"), L("./build"), "build/app.whl"),
        "DP402",
        {("DP402", 2)},
    )
)
add(
    v(
        "dp402-dir-trailing-slash",
        ctx(
            L(PY, "COPY scripts/entrypoint.sh /", "USER 1"), L("scripts/"), "scripts/entrypoint.sh"
        ),
        "DP402",
        {("DP402", 2)},
    )
)
add(
    v(
        "dp402-doublestar",
        ctx(L(PY, "COPY conf/app.ini /etc/", "USER 1"), L("**/*.ini"), "conf/app.ini"),
        "DP402",
        {("DP402", 2)},
    )
)
add(
    v(
        "dp402-later-line-wins",
        ctx(
            L(PY, "COPY requirements.txt .", "USER 1"),
            L("!requirements.txt", "*.txt"),
            "requirements.txt",
        ),
        "DP402",
        {("DP402", 2)},
    )
)
add(
    v(
        "dp402-seed-inline-exception",
        ctx(
            L(PY, "COPY requirements-core.txt .", "USER 1"),
            L("*.txt", "!requirements*.txt  # keep"),
            "requirements-core.txt",
        ),
        "DP402",
        {("DP402", 2)},
    )
)
add(
    v(
        "dp402-glob-matches-only-excluded",
        ctx(L(PY, "COPY *.whl /tmp/", "USER 1"), L("*.whl"), "a.whl", "b.whl"),
        "DP402",
        {("DP402", 2)},
    )
)
add(
    v(
        "dp402-add-lowercase-json",
        ctx(L(PY, 'add ["secrets.toml", "/app/"]', "USER 1"), L("secrets.toml"), "secrets.toml"),
        "DP402",
        {("DP402", 2)},
    )
)
add(
    v(
        "dp402-arg-source",
        ctx(
            L(PY, "ARG REQ=requirements.txt", "COPY ${REQ} .", "USER 1"),
            L("*.txt"),
            "requirements.txt",
        ),
        "DP402",
        {("DP402", 3)},
    )
)
add(
    v(
        "dp402-chown-flag",
        ctx(
            L(PY, "COPY --chown=1:1 --chmod=644 settings.toml /app/", "USER 1"),
            L("*.toml"),
            "settings.toml",
        ),
        "DP402",
        {("DP402", 2)},
    )
)
add(
    v(
        "dp402-multi-source-one-excluded",
        ctx(
            L(PY, "COPY app.py settings.toml /app/", "USER 1"),
            L("*.toml"),
            "app.py",
            "settings.toml",
        ),
        "DP402",
        {("DP402", 2)},
    )
)
add(
    v(
        "dp402-crlf-ignore",
        ctx(
            L(PY, "COPY settings.toml /app/", "USER 1"),
            L("settings.toml").replace("\n", "\r\n"),
            "settings.toml",
        ),
        "DP402",
        {("DP402", 2)},
    )
)
add(
    v(
        "dp402-dockerfile-specific-ignore",
        {
            "build.Dockerfile": L(PY, "COPY settings.toml /app/", "USER 1"),
            "build.Dockerfile.dockerignore": L("*.toml"),
            "settings.toml": "x",
        },
        "DP402",
        {("DP402", 2)},
        dockerfile="build.Dockerfile",
    )
)
# negative twins
add(
    v(
        "dp402-ok-exception-wildcard-in-excluded-dir",
        ctx(
            L(PY, "COPY logs/keep.log /var/log/", "USER 1"),
            L("logs", "!logs/*.log"),
            "logs/keep.log",
        ),
        "DP402",
    )
)
add(
    v(
        "dp402-ok-dir-star-with-exception",
        ctx(
            L(PY, "COPY scripts/entrypoint.sh /", "USER 1"),
            L("scripts/*", "!scripts/entrypoint.sh"),
            "scripts/entrypoint.sh",
            "scripts/dev.sh",
        ),
        "DP402",
    )
)
add(
    v(
        "dp402-ok-copy-from-stage",
        ctx(
            L(
                PY + " AS build",
                "RUN mkdir /dist && touch /dist/x.whl",
                PY,
                "COPY --from=build /dist/x.whl /tmp/",
                "USER 1",
            ),
            L("dist", "*.whl"),
        ),
        "DP402",
    )
)
add(
    v(
        "dp402-ok-heredoc-copy",
        ctx(
            L(
                "# syntax=docker/dockerfile:1",
                PY,
                "COPY <<EOF /app/settings.toml",
                "x = 1",
                "EOF",
                "USER 1",
            ),
            L("*.toml"),
        ),
        "DP402",
    )
)
add(
    v(
        "dp402-ok-exception-doublestar",
        ctx(
            L(PY, "COPY src/pkg/data.txt /app/", "USER 1"),
            L("*.txt", "!**/data.txt"),
            "src/pkg/data.txt",
        ),
        "DP402",
    )
)
add(
    v(
        "dp402-ok-pattern-is-root-anchored",
        ctx(L(PY, "COPY src/config/ /app/config/", "USER 1"), L("config"), "src/config/a.toml"),
        "DP402",
    )
)
add(
    v(
        "dp402-ok-star-only-root-level",
        ctx(L(PY, "COPY src/app.log /app/", "USER 1"), L("*.log"), "src/app.log"),
        "DP402",
    )
)
add(
    v(
        "dp402-ok-dockerfile-specific-ignore-wins",
        {
            "build.Dockerfile": L(PY, "COPY settings.toml /app/", "USER 1"),
            "build.Dockerfile.dockerignore": L(".git"),
            IGN: L("*.toml"),
            "settings.toml": "x",
        },
        "DP402",
        dockerfile="build.Dockerfile",
    )
)

# --------------------------------------------------------------------------------------------
# DP403 whole-context COPY without a .dockerignore
# --------------------------------------------------------------------------------------------
add(
    v(
        "dp403-add-dot",
        {"Dockerfile": L(PY, "ADD . /app", "USER 1"), "app.py": ""},
        "DP403",
        {("DP403", 2)},
    )
)
add(
    v(
        "dp403-dot-slash-json",
        {"Dockerfile": L(PY, 'COPY ["./", "/app/"]', "USER 1"), "app.py": ""},
        "DP403",
        {("DP403", 2)},
    )
)
add(
    v(
        "dp403-lowercase-chown",
        {"Dockerfile": L(PY, "copy --chown=1:1 . .", "USER 1"), "app.py": ""},
        "DP403",
        {("DP403", 2)},
    )
)
add(
    v(
        "dp403-ok-with-ignore",
        {"Dockerfile": L(PY, "COPY . .", "USER 1"), IGN: ".git\n", "app.py": ""},
        "DP403",
    )
)
add(
    v(
        "dp403-ok-subdir",
        {"Dockerfile": L(PY, "COPY src/ /app/", "USER 1"), "src/app.py": ""},
        "DP403",
    )
)
add(
    v(
        "dp403-ok-from-stage",
        {"Dockerfile": L(PY + " AS b", "RUN mkdir /out", PY, "COPY --from=b /out .", "USER 1")},
        "DP403",
    )
)
add(
    v(
        "dp403-ok-dockerfile-specific-ignore",
        {
            "app.Dockerfile": L(PY, "COPY . .", "USER 1"),
            "app.Dockerfile.dockerignore": ".git\n",
            "app.py": "",
        },
        "DP403",
        dockerfile="app.Dockerfile",
    )
)

# --------------------------------------------------------------------------------------------
# DP404 secrets/heavy folders reach the image through COPY .
# --------------------------------------------------------------------------------------------
add(
    v(
        "dp404-env-file",
        ctx(L(PY, "COPY . /app", "USER 1"), L("*.pyc"), ".env", "app.py"),
        "DP404",
        {("DP404", 2)},
    )
)
add(
    v(
        "dp404-venv",
        ctx(L(PY, "COPY . /app", "USER 1"), L("*.pyc"), ".venv/bin/python", "app.py"),
        "DP404",
        {("DP404", 2)},
    )
)
add(
    v(
        "dp404-ssh-key",
        ctx(L(PY, "COPY ./ /app/", "USER 1"), L("*.pyc"), "deploy/id_rsa", "app.py"),
        "DP404",
        {("DP404", 2)},
    )
)
add(
    v(
        "dp404-env-reincluded",
        ctx(
            L(PY, "ADD . /app", "USER 1"),
            L(".env*", "!.env.production"),
            ".env.production",
            "app.py",
        ),
        "DP404",
        {("DP404", 2)},
    )
)
add(
    v(
        "dp404-git-excluded-wrong-depth",
        ctx(L(PY, "COPY . /app", "USER 1"), L("*/.git"), ".git/HEAD", "app.py"),
        "DP404",
        {("DP404", 2)},
    )
)
add(
    v(
        "dp404-ok-env-example",
        ctx(
            L(PY, "COPY . /app", "USER 1"),
            L(".env*", "!.env.example", ".git", ".venv"),
            ".env.example",
            ".env",
            "app.py",
        ),
        "DP404",
    )
)
add(
    v(
        "dp404-ok-doublestar",
        ctx(
            L(PY, "COPY . /app", "USER 1"),
            L("**/.env", "**/.git", "**/node_modules"),
            "web/.env",
            ".git/HEAD",
            "web/node_modules/x.js",
            "app.py",
        ),
        "DP404",
    )
)
add(
    v(
        "dp404-ok-copy-subdir",
        ctx(L(PY, "COPY src /app/src", "USER 1"), L("*.pyc"), ".env", "src/app.py"),
        "DP404",
    )
)

# --------------------------------------------------------------------------------------------
# DP501 app sources not bytecode-compiled
# --------------------------------------------------------------------------------------------
SRC = {IGN: ".git\n", "src/app.py": ""}
add(
    v(
        "dp501-no-compile",
        {"Dockerfile": L(PY, "WORKDIR /app", "COPY src ./src", "USER 1"), **SRC},
        "DP501",
        {("DP501", 3)},
    )
)
add(
    v(
        "dp501-compile-before-last-copy",
        {
            "Dockerfile": L(
                PY,
                "WORKDIR /app",
                "COPY src/app.py ./src/",
                "RUN python -m compileall -q src",
                "COPY src ./src",
                "USER 1",
            ),
            **SRC,
        },
        "DP501",
        {("DP501", 5)},
    )
)
add(
    v(
        "dp501-compile-in-unrelated-stage",
        {
            "Dockerfile": L(
                PY + " AS b",
                "WORKDIR /app",
                "COPY src ./src",
                "RUN python -m compileall src",
                PY,
                "WORKDIR /app",
                "COPY src ./src",
                "USER 1",
            ),
            **SRC,
        },
        "DP501",
        {("DP501", 7)},
    )
)
add(
    v(
        "dp501-ok-python3-compileall-heredoc",
        {
            "Dockerfile": L(
                PY,
                "WORKDIR /app",
                "COPY src ./src",
                "RUN <<EOF",
                "python3 -m compileall -q /app/src",
                "EOF",
                "USER 1",
            ),
            **SRC,
        },
        "DP501",
    )
)
add(
    v(
        "dp501-ok-uv-compile-env",
        {
            "Dockerfile": L(
                PY,
                "ENV UV_COMPILE_BYTECODE=1",
                "WORKDIR /app",
                "COPY . .",
                "RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen",
                "USER 1",
            ),
            **SRC,
            "pyproject.toml": "",
            "uv.lock": "",
        },
        "DP501",
    )
)
add(
    v(
        "dp501-ok-compiled-in-builder-copied",
        {
            "Dockerfile": L(
                PY + " AS b",
                "WORKDIR /app",
                "COPY src ./src",
                "RUN python -m compileall -q src",
                PY,
                "COPY --from=b /app /app",
                "USER 1",
            ),
            **SRC,
        },
        "DP501",
    )
)
add(
    v(
        "dp501-ok-compile-in-parent",
        {
            "Dockerfile": L(
                PY + " AS b",
                "WORKDIR /app",
                "COPY src ./src",
                "RUN python -m compileall -q src",
                "FROM b",
                "USER 1",
            ),
            **SRC,
        },
        "DP501",
    )
)

# --------------------------------------------------------------------------------------------
# DP502 uvicorn/gunicorn options the server does not accept
# --------------------------------------------------------------------------------------------
add(
    v(
        "dp502-python-m-uvicorn-equals",
        L(PY, "USER 1", 'CMD ["python", "-m", "uvicorn", "app:app", "--max-requests=1000"]'),
        "DP502",
        {("DP502", 3)},
    )
)
add(
    v(
        "dp502-shell-form",
        L(PY, "USER 1", "CMD exec uvicorn app:app --max-requests 1000"),
        "DP502",
        {("DP502", 3)},
    )
)
add(
    v(
        "dp502-sh-c",
        L(PY, "USER 1", 'CMD ["sh", "-c", "exec uvicorn app:app --workers 2 --max-requests 500"]'),
        "DP502",
        {("DP502", 3)},
    )
)
add(
    v(
        "dp502-uvicorn-w-short",
        L(PY, "USER 1", 'CMD ["uvicorn", "app:app", "-w", "4"]'),
        "DP502",
        {("DP502", 3)},
    )
)
add(
    v(
        "dp502-gunicorn-limit-concurrency",
        L(
            PY,
            "USER 1",
            'CMD ["gunicorn", "-k", "uvicorn.workers.UvicornWorker", "--limit-concurrency", "100", "app:app"]',
        ),
        "DP502",
        {("DP502", 3)},
    )
)
add(
    v(
        "dp502-entrypoint-script",
        {
            "Dockerfile": L(
                PY,
                "COPY docker-entrypoint.sh /usr/local/bin/",
                "USER 1",
                'ENTRYPOINT ["docker-entrypoint.sh"]',
            ),
            "docker-entrypoint.sh": L(
                "#!/bin/sh",
                "exec uvicorn app:app \\",
                "    --host 0.0.0.0 \\",
                '    --max-requests "${MAX_REQUESTS:-1000}"',
            ),
            IGN: ".git\n",
        },
        "DP502",
        {("DP502", "docker-entrypoint.sh:4")},
    )
)
add(
    v(
        "dp502-entrypoint-cmd-args",
        L(PY, "USER 1", 'ENTRYPOINT ["uvicorn", "app:app"]', 'CMD ["--max-requests", "1000"]'),
        "DP502",
        {("DP502", 4)},
    )
)
add(
    v(
        "dp502-ok-gunicorn-max-requests",
        L(
            PY,
            "USER 1",
            'CMD ["gunicorn", "-k", "uvicorn.workers.UvicornWorker", "--max-requests", "1000", "--max-requests-jitter", "50", "app:app"]',
        ),
        "DP502",
    )
)
add(
    v(
        "dp502-ok-uvicorn-limit-max-requests",
        L(
            PY,
            "USER 1",
            'CMD ["uvicorn", "app:app", "--limit-max-requests", "1000", "--timeout-graceful-shutdown", "10", "--proxy-headers", "--no-access-log"]',
        ),
        "DP502",
    )
)
add(
    v(
        "dp502-ok-app-args-after-double-dash-not-uvicorn",
        L(PY, "USER 1", 'CMD ["python", "manage.py", "--max-requests", "10"]'),
        "DP502",
    )
)

# --------------------------------------------------------------------------------------------
# DP503 PIP_* variables pip does not know
# --------------------------------------------------------------------------------------------
add(v("dp503-arg", L(PY, "ARG PIP_PARALLEL_DOWNLOAD=8", "USER 1"), "DP503", {("DP503", 2)}))
add(
    v(
        "dp503-typo-plural",
        L(PY, "ENV PIP_TRUSTED_HOSTS=pypi.org", "USER 1"),
        "DP503",
        {("DP503", 2)},
    )
)
add(v("dp503-legacy-form", L(PY, "ENV PIP_NO_CACHE 1", "USER 1"), "DP503", {("DP503", 2)}))
add(
    v(
        "dp503-continued-multi",
        L(PY, "ENV PIP_DEFAULT_TIMEOUT=100 \\", "    PIP_EXTRA_INDEX_URLS=https://x", "USER 1"),
        "DP503",
        {("DP503", 3)},
    )
)
add(
    v(
        "dp503-ok-known",
        L(
            PY,
            "ENV PIP_DEFAULT_TIMEOUT=100 PIP_TIMEOUT=60 PIP_ROOT_USER_ACTION=ignore PIP_BREAK_SYSTEM_PACKAGES=1 \\",
            "    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_INDEX_URL=https://x PIP_PROGRESS_BAR=off PIP_NO_COMPILE=1 \\",
            "    PIP_CONFIG_FILE=/etc/pip.conf PIP_NO_INPUT=1 PIP_PREFER_BINARY=1 PIP_USE_FEATURE=truststore",
            "USER 1",
        ),
        "DP503",
    )
)
add(v("dp503-ok-not-pip", L(PY, "ENV PIPELINE_NAME=x PIPX_HOME=/opt/pipx", "USER 1"), "DP503"))

# --------------------------------------------------------------------------------------------
# DP900 what the build rejects (exit 2, one line naming file and line)
# --------------------------------------------------------------------------------------------
add(v("dp900-unknown-instruction", L(PY, "RUNN echo hi", "USER 1"), "DP900", {"2"}, exit=2))
add(v("dp900-instruction-before-from", L("RUN echo hi", PY, "USER 1"), "DP900", {"1"}, exit=2))
add(
    v(
        "dp900-duplicate-stage-case",
        L(PY + " AS build", "RUN true", PY + " AS Build", "USER 1"),
        "DP900",
        {"3"},
        exit=2,
    )
)
add(v("dp900-copy-one-arg", L(PY, "COPY app.py", "USER 1"), "DP900", {"2"}, exit=2))
add(
    v(
        "dp900-mount-unknown-type",
        L(PY, "RUN --mount=type=cach,target=/x true", "USER 1"),
        "DP900",
        {"2"},
        exit=2,
    )
)
add(v("dp900-shell-not-json", L(PY, "SHELL /bin/bash -c", "USER 1"), "DP900", {"2"}, exit=2))
add(
    v("dp900-unterminated-heredoc", L(PY, "RUN <<EOF", "echo hi", "USER 1"), "DP900", {"2"}, exit=2)
)

# --------------------------------------------------------------------------------------------
# DP902 empty continuation line
# --------------------------------------------------------------------------------------------
add(
    v(
        "dp902-whitespace-only-line",
        L(DEB, "RUN echo a && \\", "   ", "    echo b", "USER 1"),
        "DP902",
        {("DP902", 3)},
    )
)
add(
    v(
        "dp902-crlf",
        L(DEB, "RUN echo a && \\", "", "    echo b", "USER 1").replace("\n", "\r\n"),
        "DP902",
        {("DP902", 3)},
    )
)
add(
    v(
        "dp902-backtick-escape",
        L(
            "# escape=`",
            "FROM mcr.microsoft.com/windows/servercore:ltsc2022",
            "RUN echo a `",
            "",
            "    echo b",
            "USER ContainerUser",
        ),
        "DP902",
        {("DP902", 4)},
    )
)
add(
    v(
        "dp902-two-blank",
        L(DEB, "ENV A=1 \\", "", "", "    B=2", "USER 1"),
        "DP902",
        {("DP902", 3), ("DP902", 4)},
    )
)
add(
    v(
        "dp902-ok-comment-line",
        L(DEB, "RUN echo a && \\", "# note", "    echo b", "USER 1"),
        "DP902",
    )
)
add(
    v(
        "dp902-ok-heredoc-blank",
        L(DEB, "RUN <<EOF", "echo a", "", "echo b", "EOF", "USER 1"),
        "DP902",
    )
)
add(
    v(
        "dp902-ok-backslash-path-under-backtick",
        L(
            "# escape=`",
            "FROM mcr.microsoft.com/windows/servercore:ltsc2022",
            "WORKDIR C:\\app\\",
            "",
            "USER ContainerUser",
        ),
        "DP902",
    )
)

# ============================================================================================
# Second batch: subtler clothing
# ============================================================================================
# DP101/DP103 mount targets through variables (BuildKit expands ARG/ENV in --mount since
# dockerfile 1.3; `~` is never expanded, and $HOME is only what ENV/ARG set).
add(
    v(
        "dp101-ok-mount-target-from-arg",
        L(
            DEB,
            NO_CLEAN,
            "ARG APT_CACHE=/var/cache/apt",
            "ARG APT_LIB=/var/lib/apt",
            "RUN --mount=type=cache,target=${APT_CACHE},sharing=locked --mount=type=cache,target=$APT_LIB,sharing=locked \\",
            "    apt-get update && apt-get install -y curl",
            "USER 1",
        ),
        "DP101",
    )
)
add(
    v(
        "dp103-ok-mount-target-from-env",
        L(
            PY,
            "ENV PIP_CACHE=/root/.cache/pip",
            "RUN --mount=type=cache,target=$PIP_CACHE pip install fastapi",
            "USER 1",
        ),
        "DP103",
    )
)
add(
    v(
        "dp103-tilde-target-not-expanded",
        L(PY, "RUN --mount=type=cache,target=~/.cache/pip pip install fastapi", "USER 1"),
        "DP103",
        {("DP103", 2)},
    )
)
add(
    v(
        "dp103-home-not-an-env-var-of-the-build",
        L(PY, "RUN --mount=type=cache,target=$HOME/.cache/pip pip install fastapi", "USER 1"),
        "DP103",
        {("DP103", 2)},
    )
)
add(
    v(
        "dp103-ok-mount-parent-of-cache",
        L(PY, "RUN --mount=type=cache,target=/root/.cache pip install fastapi", "USER 1"),
        "DP103",
    )
)
add(
    v(
        "dp103-ok-venv-pip",
        L(
            PY,
            "RUN --mount=type=cache,target=/root/.cache/pip python -m venv /venv && /venv/bin/pip install fastapi",
            "USER 1",
        ),
        "DP103",
    )
)
add(
    v(
        "dp103-uv-no-cache-env",
        L(
            PY,
            "ENV UV_NO_CACHE=1",
            "RUN --mount=type=cache,target=/root/.cache/uv uv pip install --system fastapi",
            "USER 1",
        ),
        "DP103",
        {("DP103", 3)},
    )
)
add(
    v(
        "dp103-ok-uv-cache-dir-env",
        L(
            PY,
            "ENV UV_CACHE_DIR=/uvc",
            "RUN --mount=type=cache,target=/uvc uv sync --frozen",
            "USER 1",
        ),
        "DP103",
    )
)
add(
    v(
        "dp103-uv-cache-dir-env-mount-at-default",
        L(
            PY,
            "ENV UV_CACHE_DIR=/uvc",
            "RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen",
            "USER 1",
        ),
        "DP103",
        {("DP103", 3)},
    )
)
add(
    v(
        "dp103-heredoc-no-cache-dir-with-mount",
        L(PY, PIPM, "    <<EOF", "pip install --no-cache-dir fastapi", "EOF", "USER 1"),
        "DP103",
        {("DP103", 2)},
    )
)
add(
    v(
        "dp103-sh-c-with-mount-and-flag",
        L(PY, PIPM, "    sh -c 'pip install --no-cache-dir fastapi'", "USER 1"),
        "DP103",
        {("DP103", 2)},
    )
)

# DP102: apt's own binary drops downloaded .debs unless Keep-Downloaded-Packages is set; the
# keep-file alone does not stop docker-clean's Post-Invoke rm.
add(
    v(
        "dp102-apt-binary-without-keep-downloaded",
        L(
            DEB,
            "RUN rm -f /etc/apt/apt.conf.d/docker-clean",
            APT_MOUNTS,
            "    apt update && apt install -y curl",
            "USER 1",
        ),
        "DP102",
        {("DP102", 3)},
    )
)
add(
    v(
        "dp102-ok-apt-get-rm-only",
        L(
            DEB,
            "RUN rm -f /etc/apt/apt.conf.d/docker-clean",
            APT_MOUNTS,
            "    apt-get update && apt-get install -y curl",
            "USER 1",
        ),
        "DP102",
    )
)
add(
    v(
        "dp102-keep-file-but-docker-clean-still-there",
        L(
            DEB,
            "RUN echo 'Binary::apt::APT::Keep-Downloaded-Packages \"true\";' > /etc/apt/apt.conf.d/keep-cache",
            APT_MOUNTS,
            "    apt-get update && apt-get install -y curl",
            "USER 1",
        ),
        "DP102",
        {("DP102", 3)},
    )
)
add(
    v(
        "dp102-ok-parent-stage-case-insensitive",
        L(
            DEB + " AS Base",
            NO_CLEAN,
            "FROM BASE",
            APT_MOUNTS,
            "    apt-get update && apt-get install -y curl",
            "USER 1",
        ),
        "DP102",
    )
)

# DP104: the recommended two-step patterns are not findings.
add(
    v(
        "dp104-ok-no-deps-project-after-copy",
        {
            "Dockerfile": L(
                PY,
                "WORKDIR /app",
                "COPY requirements.txt .",
                "RUN pip install -r requirements.txt",
                "COPY . .",
                "RUN pip install --no-deps .",
                "USER 1",
            ),
            **ID,
            **REQ,
        },
        "DP104",
    )
)
add(
    v(
        "dp104-ok-uv-no-install-project-then-sync",
        {
            "Dockerfile": L(
                PY,
                "WORKDIR /app",
                "COPY pyproject.toml uv.lock ./",
                "RUN uv sync --frozen --no-install-project",
                "COPY . .",
                "RUN uv sync --frozen",
                "USER 1",
            ),
            **ID,
            "pyproject.toml": "",
            "uv.lock": "",
        },
        "DP104",
    )
)
add(
    v(
        "dp104-ok-bind-mount-requirements-before-copy",
        {
            "Dockerfile": L(
                PY,
                "WORKDIR /app",
                "RUN --mount=type=bind,source=requirements.txt,target=/tmp/r.txt pip install -r /tmp/r.txt",
                "COPY . .",
                "USER 1",
            ),
            **ID,
            **REQ,
        },
        "DP104",
    )
)
add(
    v(
        "dp104-bind-mount-install-after-copy",
        {
            "Dockerfile": L(
                PY,
                "WORKDIR /app",
                "COPY . .",
                "RUN --mount=type=bind,source=requirements.txt,target=/tmp/r.txt pip install -r /tmp/r.txt",
                "USER 1",
            ),
            **ID,
            **REQ,
        },
        "DP104",
        {("DP104", 4)},
    )
)
add(
    v(
        "dp104-sh-c-install",
        {
            "Dockerfile": L(
                PY,
                "WORKDIR /app",
                "COPY . .",
                "RUN sh -c 'pip install -r requirements.txt'",
                "USER 1",
            ),
            **ID,
            **REQ,
        },
        "DP104",
        {("DP104", 4)},
    )
)
add(
    v(
        "dp104-stage-ref-uppercase",
        {
            "Dockerfile": L(
                PY + " AS Src",
                "WORKDIR /app",
                "COPY . .",
                "FROM SRC",
                "RUN pip install -r requirements.txt",
                "USER 1",
            ),
            **ID,
            **REQ,
        },
        "DP104",
        {("DP104", 5)},
    )
)

# DP105
add(
    v(
        "dp105-docker-io-labs",
        L("# syntax=docker.io/docker/dockerfile:1.7-labs", PY, "USER 1"),
        "DP105",
        {("DP105", 1)},
    )
)
add(
    v(
        "dp105-bom-crlf",
        ("\ufeff" + L("# syntax=docker/dockerfile:1", PY, "USER 1")).replace("\n", "\r\n"),
        "DP105",
        {("DP105", 1)},
    )
)

# DP202
add(
    v(
        "dp202-rm-tests-after-copy-dot",
        {
            "Dockerfile": L(PY, "WORKDIR /app", "COPY . .", "RUN rm -rf tests docs", "USER 1"),
            IGN: ".git\n",
            "tests/t.py": "",
            "docs/a.md": "",
            "app.py": "",
        },
        "DP202",
        {("DP202", 4)},
    )
)
add(
    v(
        "dp202-heredoc-cleanup-later",
        L(
            DEB,
            "RUN apt-get update && apt-get install -y curl",
            "RUN <<EOF",
            "apt-get clean",
            "rm -rf /var/lib/apt/lists/*",
            "EOF",
            "USER 1",
        ),
        "DP202",
        {("DP202", 3)},
    )
)

# DP203
add(
    v(
        "dp203-ok-purged-same-run",
        L(
            PY,
            "RUN apt-get update && apt-get install -y gcc libpq-dev && pip install psycopg2 && apt-get purge -y --auto-remove gcc libpq-dev && rm -rf /var/lib/apt/lists/*",
            "USER 1",
        ),
        "DP203",
    )
)
add(
    v(
        "dp203-dnf-gcc",
        L("FROM fedora:40", "RUN dnf install -y gcc-c++ python3-devel", "USER 1"),
        "DP203",
        {("DP203", 2)},
    )
)
add(
    v(
        "dp203-apt-python3-dev-lowercase",
        L(DEB, "run apt-get update && apt-get install -y python3-dev", "USER 1"),
        "DP203",
        {("DP203", 2)},
    )
)

# DP204
add(
    v(
        "dp204-target-selects-runtime-is-fine",
        L(PY + " AS runtime", "USER 1", "FROM runtime AS debug", "USER 1"),
        "DP204",
        args=("--target", "runtime"),
    )
)

# DP301
add(v("dp301-ok-stage-ref-uppercase", L(PY + " AS base", "USER 1000", "FROM BASE"), "DP301"))
add(
    v(
        "dp301-target-case-insensitive",
        L(PY + " AS runtime", "USER 0", PY + " AS other", "USER 1000"),
        "DP301",
        {("DP301", 2)},
        args=("--target", "RUNTIME"),
    )
)
add(v("dp301-env-user", L(PY, "ENV RUN_AS=root", "USER $RUN_AS"), "DP301", {("DP301", 3)}))

# DP302
add(
    v(
        "dp302-ok-parent-case",
        L(PY + " AS Base", "HEALTHCHECK CMD python -c 1", "FROM base", "USER 1"),
        "DP302",
    )
)

# DP303
add(
    v(
        "dp303-ok-apk-curl",
        L(
            "FROM python:3.12-alpine",
            "RUN apk add --no-cache curl",
            "HEALTHCHECK CMD curl -f http://localhost:8000/ || exit 1",
            "USER 1",
        ),
        "DP303",
    )
)
add(
    v(
        "dp303-sh-c-curl",
        L(PY, 'HEALTHCHECK CMD ["sh", "-c", "curl -f http://localhost:8000/ || exit 1"]', "USER 1"),
        "DP303",
        {("DP303", 2)},
    )
)
add(
    v(
        "dp303-distroless-curl",
        L(
            "FROM gcr.io/distroless/python3-debian12",
            'HEALTHCHECK CMD ["curl", "-f", "http://localhost:8000/"]',
            "USER 1",
        ),
        "DP303",
        {("DP303", 2)},
    )
)

# DP304
add(
    v(
        "dp304-expose-matches-check-not-server",
        L(PY, "EXPOSE 8080", "USER 1", HC8080, 'CMD ["uvicorn", "app:app", "--host", "0.0.0.0"]'),
        "DP304",
        {("DP304", 4)},
    )
)
add(
    v(
        "dp304-ok-uvicorn-port-env",
        L(
            PY,
            "ENV UVICORN_PORT=8080 UVICORN_HOST=0.0.0.0",
            "USER 1",
            HC8080,
            'CMD ["uvicorn", "app:app"]',
        ),
        "DP304",
    )
)
add(
    v(
        "dp304-ok-gunicorn-port-env",
        L(
            PY,
            "ENV PORT=8080",
            "USER 1",
            HC8080,
            'CMD ["gunicorn", "-k", "uvicorn.workers.UvicornWorker", "app:app"]',
        ),
        "DP304",
    )
)
add(
    v(
        "dp304-ok-gunicorn-cmd-args-env",
        L(
            PY,
            'ENV GUNICORN_CMD_ARGS="--bind=0.0.0.0:8080 --workers=2"',
            "USER 1",
            HC8080,
            'CMD ["gunicorn", "app:app"]',
        ),
        "DP304",
    )
)
add(
    v(
        "dp304-arg-port-build-arg",
        L(
            PY,
            "ARG PORT=8000",
            "ENV PORT=${PORT}",
            "USER 1",
            HC8080,
            'CMD ["sh", "-c", "exec uvicorn app:app --port $PORT"]',
        ),
        "DP304",
        args=("--build-arg", "PORT=8080"),
    )
)

# DP305
add(
    v(
        "dp305-hf-token",
        L(PY, "ENV HF_TOKEN=hf_abcdefghijklmnop", "USER 1"),
        "DP305",
        {("DP305", 2)},
    )
)
add(
    v(
        "dp305-ok-from-arg-braces",
        L(PY, "ARG SECRET_KEY", "ENV SECRET_KEY=$SECRET_KEY", "USER 1"),
        "DP305",
    )
)

# DP306
add(
    v(
        "dp306-colon-dash-empty-default",
        L(PY, "ENV PYTHONPATH=/app:${X:-}", "USER 1"),
        "DP306",
        {("DP306", 2)},
    )
)
add(v("dp306-trailing-colon-path", L(PY, "ENV PATH=$PATH:", "USER 1"), "DP306", {("DP306", 2)}))
add(
    v(
        "dp306-arg-without-default",
        L(PY, "ARG PYTHONPATH", "ENV PYTHONPATH=/app:$PYTHONPATH", "USER 1"),
        "DP306",
        {("DP306", 3)},
    )
)
add(
    v(
        "dp306-ok-arg-given-by-build-arg",
        L(PY, "ARG PYTHONPATH", "ENV PYTHONPATH=/app:$PYTHONPATH", "USER 1"),
        "DP306",
        args=("--build-arg", "PYTHONPATH=/lib"),
    )
)
add(
    v(
        "dp306-ok-inherited-from-parent-uppercase-ref",
        L(
            PY + " AS Base",
            "ENV PYTHONPATH=/x",
            "FROM BASE",
            "ENV PYTHONPATH=/app:${PYTHONPATH}",
            "USER 1",
        ),
        "DP306",
    )
)

# DP307 scripts launched in other ways
ENTRY_NOEXEC = L("#!/bin/sh", "set -e", "python -m uvicorn app:app --host 0.0.0.0")
add(
    v(
        "dp307-relative-script-in-workdir",
        {
            "Dockerfile": L(PY, "WORKDIR /app", "COPY start.sh .", "USER 1", 'CMD ["./start.sh"]'),
            "start.sh": ENTRY_NOEXEC,
            IGN: ".git\n",
        },
        "DP307",
        {("DP307", 5)},
    )
)
add(
    v(
        "dp307-sh-script-arg",
        {
            "Dockerfile": L(PY, "COPY start.sh /start.sh", "USER 1", 'CMD ["sh", "/start.sh"]'),
            "start.sh": ENTRY_NOEXEC,
            IGN: ".git\n",
        },
        "DP307",
        {("DP307", 4)},
    )
)
add(
    v(
        "dp307-script-copied-with-dot-dir",
        {
            "Dockerfile": L(
                PY, "COPY scripts/ /usr/local/bin/", "USER 1", 'ENTRYPOINT ["start.sh"]'
            ),
            "scripts/start.sh": ENTRY_NOEXEC,
            IGN: ".git\n",
        },
        "DP307",
        {("DP307", 4)},
    )
)
add(
    v(
        "dp307-script-crlf",
        {
            "Dockerfile": L(PY, "COPY start.sh /start.sh", "USER 1", 'ENTRYPOINT ["/start.sh"]'),
            "start.sh": ENTRY_NOEXEC.replace("\n", "\r\n"),
            IGN: ".git\n",
        },
        "DP307",
        {("DP307", 4)},
    )
)
add(
    v(
        "dp307-ok-script-exec-continued",
        {
            "Dockerfile": L(PY, "COPY start.sh /start.sh", "USER 1", 'ENTRYPOINT ["/start.sh"]'),
            "start.sh": L("#!/bin/sh", "exec python -m uvicorn app:app \\", "    --host 0.0.0.0"),
            IGN: ".git\n",
        },
        "DP307",
    )
)
add(
    v(
        "dp307-heredoc-script-without-exec",
        L(
            "# syntax=docker/dockerfile:1",
            PY,
            "COPY --chmod=755 <<EOF /start.sh",
            "#!/bin/sh",
            "uvicorn app:app --host 0.0.0.0",
            "EOF",
            "USER 1",
            'ENTRYPOINT ["/start.sh"]',
        ),
        "DP307",
        {("DP307", 8)},
    )
)

# DP308
add(
    v(
        "dp308-smart-quotes",
        L(PY, "USER 1", "CMD [\u201cpython\u201d, \u201capp.py\u201d]"),
        "DP308",
        {("DP308", 3)},
    )
)
add(v("dp308-ok-json-continued", L(PY, "USER 1", 'CMD ["uvicorn", \\', '     "app:app"]'), "DP308"))

# DP401
add(
    v(
        "dp401-ok-emacs-lock-pattern",
        {"Dockerfile": DOK, IGN: L(".#*", ".git"), "app.py": ""},
        "DP401",
    )
)

# DP402
add(
    v(
        "dp402-glob-seed-requirements",
        ctx(
            L(PY, "COPY requirements*.txt ./", "USER 1"),
            L("*.txt", "!requirements*.txt  # keep"),
            "requirements-core.txt",
            "requirements-ai.txt",
        ),
        "DP402",
        {("DP402", 2)},
    )
)
add(
    v(
        "dp402-one-level-star-dir",
        ctx(L(PY, "COPY a/b.txt /", "USER 1"), L("*/*.txt"), "a/b.txt"),
        "DP402",
        {("DP402", 2)},
    )
)
add(
    v(
        "dp402-context-flag",
        {
            "docker/Dockerfile": L(PY, "COPY settings.toml /app/", "USER 1"),
            IGN: L("*.toml"),
            "settings.toml": "x",
        },
        "DP402",
        {("DP402", 2)},
        args=("--context", "{tmp}"),
        dockerfile="docker/Dockerfile",
    )
)
add(
    v(
        "dp402-ok-context-flag-ignore-at-root",
        {
            "docker/Dockerfile": L(PY, "COPY settings.toml /app/", "USER 1"),
            "docker/.dockerignore": L("*.toml"),
            IGN: L(".git"),
            "settings.toml": "x",
        },
        "DP402",
        args=("--context", "{tmp}"),
        dockerfile="docker/Dockerfile",
    )
)
add(
    v(
        "dp402-ok-exception-reincludes-dir",
        ctx(L(PY, "COPY src/pkg/mod.py /app/", "USER 1"), L("*", "!src"), "src/pkg/mod.py"),
        "DP402",
    )
)
add(
    v(
        "dp402-add-url-not-context",
        ctx(L(PY, "ADD https://example.com/x.tar.gz /tmp/", "USER 1"), L("*")),
        "DP402",
    )
)

# DP403
add(
    v(
        "dp403-context-flag-no-ignore-at-root",
        {
            "docker/Dockerfile": L(PY, "COPY . /app", "USER 1"),
            "docker/.dockerignore": L(".git"),
            "app.py": "",
        },
        "DP403",
        {("DP403", 2)},
        args=("--context", "{tmp}"),
        dockerfile="docker/Dockerfile",
    )
)

# DP404
add(
    v(
        "dp404-env-in-subdir-root-anchored-pattern",
        ctx(L(PY, "COPY . /app", "USER 1"), L(".env", ".git"), "config/.env", "app.py"),
        "DP404",
        {("DP404", 2)},
    )
)
add(
    v(
        "dp404-pem-key",
        ctx(L(PY, "COPY . /app", "USER 1"), L(".git"), "certs/server.pem", "app.py"),
        "DP404",
        {("DP404", 2)},
    )
)
add(
    v(
        "dp404-node-modules-nested",
        ctx(
            L(PY, "COPY . /app", "USER 1"),
            L("node_modules", ".git"),
            "web/node_modules/x.js",
            "app.py",
        ),
        "DP404",
        {("DP404", 2)},
    )
)

# DP501
add(
    v(
        "dp501-ok-uv-compile-flag",
        {
            "Dockerfile": L(
                PY,
                "WORKDIR /app",
                "COPY . .",
                "RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --compile-bytecode",
                "USER 1",
            ),
            **SRC,
            "pyproject.toml": "",
            "uv.lock": "",
        },
        "DP501",
    )
)
add(
    v(
        "dp501-ok-uv-compile-env-in-parent",
        {
            "Dockerfile": L(
                PY + " AS base",
                "ENV UV_COMPILE_BYTECODE=1",
                "FROM base",
                "WORKDIR /app",
                "COPY . .",
                "RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen",
                "USER 1",
            ),
            **SRC,
            "pyproject.toml": "",
            "uv.lock": "",
        },
        "DP501",
    )
)
add(
    v(
        "dp501-ok-python3.13-compileall",
        {
            "Dockerfile": L(
                PY, "WORKDIR /app", "COPY src ./src", "RUN python3.13 -m compileall -q .", "USER 1"
            ),
            **SRC,
        },
        "DP501",
    )
)

# DP502
add(
    v(
        "dp502-option-before-app",
        L(PY, "USER 1", 'CMD ["uvicorn", "--max-requests", "1000", "app:app"]'),
        "DP502",
        {("DP502", 3)},
    )
)
add(
    v(
        "dp502-gunicorn-loop",
        L(
            PY,
            "USER 1",
            'CMD ["gunicorn", "-k", "uvicorn.workers.UvicornWorker", "--loop", "uvloop", "app:app"]',
        ),
        "DP502",
        {("DP502", 3)},
    )
)
add(
    v(
        "dp502-script-via-sh",
        {
            "Dockerfile": L(PY, "COPY run.sh /run.sh", "USER 1", 'CMD ["sh", "/run.sh"]'),
            "run.sh": L("#!/bin/sh", "exec python -m uvicorn app:app --max-requests 100"),
            IGN: ".git\n",
        },
        "DP502",
        {("DP502", "run.sh:2")},
    )
)
add(
    v(
        "dp502-heredoc-script",
        L(
            "# syntax=docker/dockerfile:1",
            PY,
            "COPY --chmod=755 <<EOF /start.sh",
            "#!/bin/sh",
            "exec uvicorn app:app --max-requests 100",
            "EOF",
            "USER 1",
            'ENTRYPOINT ["/start.sh"]',
        ),
        "DP502",
        {("DP502", 5)},
    )
)
add(
    v(
        "dp502-lowercase-cmd-continued",
        L(
            PY,
            "USER 1",
            "cmd uvicorn app:app \\",
            "    --host 0.0.0.0 \\",
            "    --max-requests 1000",
        ),
        "DP502",
        {("DP502", 5)},
    )
)

# DP503
# pip registers --require-venv as an alias of --require-virtualenv, so PIP_REQUIRE_VENV is read.
add(v("dp503-ok-require-venv-alias", L(PY, "ENV PIP_REQUIRE_VENV=1", "USER 1"), "DP503"))
add(
    v(
        "dp503-ok-more-known",
        L(
            PY,
            "ENV PIP_EXISTS_ACTION=w PIP_REQUIRE_HASHES=1 PIP_UPGRADE_STRATEGY=eager PIP_FIND_LINKS=/w PIP_USE_PEP517=1 PIP_CACHE_DIR=/c PIP_REQUIRE_VIRTUALENV=0 PIP_NO_BUILD_ISOLATION=0",
            "USER 1",
        ),
        "DP503",
    )
)

# DP900
add(v("dp900-env-without-value", L(PY, "ENV FOO", "USER 1"), "DP900", {"2"}, exit=2))
add(v("dp900-bad-stage-name", L(PY + " AS 1st", "USER 1"), "DP900", {"1"}, exit=2))
add(
    v(
        "dp900-unknown-copy-flag",
        L(PY, "COPY --chwon=1:1 a.py /app/", "USER 1"),
        "DP900",
        {"2"},
        exit=2,
    )
)
add(
    v(
        "dp900-mount-unknown-key",
        L(PY, "RUN --mount=type=cache,target=/x,foo=bar true", "USER 1"),
        "DP900",
        {"2"},
        exit=2,
    )
)
add(
    v(
        "dp900-run-unknown-flag",
        L(PY, "RUN --mout=type=cache,target=/x true", "USER 1"),
        "DP900",
        {"2"},
        exit=2,
    )
)

# ============================================================================================
# Third batch
# ============================================================================================
add(
    v(
        "dp101-aptitude-quiet",
        L("FROM ubuntu:24.04", "RUN apt-get -qq update && aptitude install -y curl", "USER 1"),
        "DP101",
        {("DP101", 2)},
    )
)
add(
    v(
        "dp101-bash-shell-if-block-heredoc",
        L(
            DEB,
            'SHELL ["/bin/bash", "-o", "pipefail", "-c"]',
            "RUN <<EOF",
            "if [ ! -x /usr/bin/curl ]; then",
            "  apt-get update && apt-get install -y curl",
            "fi",
            "EOF",
            "USER 1",
        ),
        "DP101",
        {("DP101", 3)},
    )
)

add(
    v(
        "dp203-arg-package-list",
        L(
            PY,
            'ARG BUILD_DEPS="gcc libpq-dev"',
            "RUN apt-get update && apt-get install -y $BUILD_DEPS",
            "USER 1",
        ),
        "DP203",
        {("DP203", 3)},
    )
)
add(
    v(
        "dp203-ok-arg-package-list-purged",
        L(
            PY,
            'ARG BUILD_DEPS="gcc libpq-dev"',
            "RUN apt-get update && apt-get install -y $BUILD_DEPS && pip install psycopg2 && apt-get purge -y --auto-remove $BUILD_DEPS",
            "USER 1",
        ),
        "DP203",
    )
)
add(
    v(
        "dp303-ok-arg-package-list",
        L(
            PY,
            'ARG PKGS="curl ca-certificates"',
            "RUN apt-get update && apt-get install -y ${PKGS}",
            "HEALTHCHECK CMD curl -f http://localhost:8000/ || exit 1",
            "USER 1",
        ),
        "DP303",
    )
)

add(
    v(
        "dp301-root-inherited-from-parent",
        L(PY + " AS base", "USER root", "FROM base", 'CMD ["python"]'),
        "DP301",
        {("DP301", 2)},
    )
)
add(v("dp301-ok-default-uid", L(PY, "USER ${UID:-1000}"), "DP301"))
add(
    v(
        "dp302-ok-parent-check-child-none",
        L(
            PY + " AS base",
            "HEALTHCHECK CMD python -c 1",
            "FROM base",
            "HEALTHCHECK NONE",
            "USER 1",
        ),
        "DP302",
    )
)

add(
    v(
        "dp304-ok-healthcheck-port-from-env",
        L(
            PY,
            "ENV PORT=8000",
            "RUN apt-get update && apt-get install -y curl",
            "USER 1",
            "HEALTHCHECK CMD curl -f http://localhost:${PORT}/health || exit 1",
            'CMD ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"]',
        ),
        "DP304",
    )
)
add(
    v(
        "dp304-healthcheck-port-from-env-mismatch",
        L(
            PY,
            "ENV PORT=8080",
            "RUN apt-get update && apt-get install -y curl",
            "USER 1",
            "HEALTHCHECK CMD curl -f http://localhost:$PORT/health || exit 1",
            'CMD ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"]',
        ),
        "DP304",
        {("DP304", 5)},
    )
)

add(
    v(
        "dp402-dot-slash-source",
        ctx(L(PY, "COPY ./requirements.txt .", "USER 1"), L("requirements.txt")),
        "DP402",
        {("DP402", 2)},
    )
)
add(
    v(
        "dp402-absolute-source-in-context",
        ctx(L(PY, "COPY /requirements.txt /app/", "USER 1"), L("*.txt"), "requirements.txt"),
        "DP402",
        {("DP402", 2)},
    )
)
add(
    v(
        "dp402-ok-dir-partially-excluded",
        ctx(
            L(PY, "COPY config/ /app/config/", "USER 1"),
            L("config/*.local.toml"),
            "config/app.toml",
            "config/dev.local.toml",
        ),
        "DP402",
    )
)

add(
    v(
        "dp404-ok-allowlist-style",
        ctx(
            L(PY, "COPY . /app", "USER 1"),
            L("*", "!src", "!requirements.txt"),
            ".env",
            ".git/HEAD",
            "src/app.py",
            "requirements.txt",
        ),
        "DP404",
    )
)

add(
    v(
        "dp501-compileall-wrong-dir",
        {
            "Dockerfile": L(
                PY,
                "WORKDIR /app",
                "COPY src ./src",
                "RUN python -m compileall -q /usr/local/lib/python3.12",
                "USER 1",
            ),
            **SRC,
        },
        "DP501",
        {("DP501", 3)},
    )
)

add(
    v(
        "dp502-shell-form-no-exec",
        L(PY, "USER 1", "CMD uvicorn app:app --max-requests 1000"),
        "DP502",
        {("DP502", 3)},
    )
)
add(
    v(
        "dp502-gunicorn-limit-max-requests",
        L(
            PY,
            "USER 1",
            'CMD ["python", "-m", "gunicorn", "--limit-max-requests", "100", "app:app"]',
        ),
        "DP502",
        {("DP502", 3)},
    )
)

add(
    v(
        "dp900-ok-platform-buildplatform",
        L("FROM --platform=$BUILDPLATFORM python:3.12 AS build", "RUN true", PY, "USER 1"),
        "DP900",
    )
)
add(
    v(
        "dp900-ok-valid-mount-keys",
        L(
            PY + " AS build",
            "RUN mkdir /x",
            PY,
            "RUN --mount=type=cache,id=pip,target=/root/.cache/pip,sharing=locked,mode=0755,uid=1000,gid=1000 --mount=type=bind,from=build,source=/x,target=/y,rw true",
            "USER 1",
        ),
        "DP900",
    )
)
add(
    v(
        "dp900-ok-copy-link-chmod",
        {
            "Dockerfile": L(PY, "COPY --link --chmod=755 --chown=1:1 a.sh /a.sh", "USER 1"),
            "a.sh": "",
            IGN: ".git\n",
        },
        "DP900",
    )
)
add(
    v(
        "dp900-ok-misc-instructions",
        L(
            PY,
            "MAINTAINER me",
            "STOPSIGNAL SIGTERM",
            "EXPOSE 8000/udp 9000",
            'VOLUME ["/data"]',
            "LABEL a=b",
            "ONBUILD COPY . /app",
            "USER 1",
        ),
        "DP900",
    )
)
# A meta ARG (before FROM) is not visible inside a stage unless re-declared there.
add(
    v(
        "dp306-meta-arg-not-redeclared",
        L("ARG PYTHONPATH=/opt/lib", PY, "ENV PYTHONPATH=/app:$PYTHONPATH", "USER 1"),
        "DP306",
        {("DP306", 3)},
    )
)
add(
    v(
        "dp306-ok-meta-arg-redeclared",
        L(
            "ARG PYTHONPATH=/opt/lib",
            PY,
            "ARG PYTHONPATH",
            "ENV PYTHONPATH=/app:$PYTHONPATH",
            "USER 1",
        ),
        "DP306",
    )
)
add(
    v(
        "dp301-meta-arg-not-redeclared-empty-user",
        L("ARG APP_USER=app", PY, "USER $APP_USER"),
        "DP301",
        {("DP301", 3)},
    )
)
add(
    v(
        "dp301-ok-meta-arg-redeclared",
        L("ARG APP_USER=app", PY, "ARG APP_USER", "USER $APP_USER"),
        "DP301",
    )
)
add(
    v(
        "dp106-uv-pip-prefix",
        {
            "Dockerfile": L(
                PY + " AS core",
                "COPY requirements-core.txt .",
                "RUN uv pip install --prefix /core -r requirements-core.txt",
                PY + " AS ai",
                "COPY requirements-ai.txt .",
                "RUN uv pip install --prefix /ai -r requirements-ai.txt",
                PY,
                "COPY --from=core /core /usr/local",
                "COPY --from=ai /ai /usr/local",
                "USER 1",
            ),
            **GROUPS,
        },
        "DP106",
        {("DP106", 8)},
    )
)
add(
    v(
        "dp104-editable-install-after-copy",
        {
            "Dockerfile": L(PY, "WORKDIR /app", "COPY . .", "RUN pip install -e .", "USER 1"),
            **ID,
            "pyproject.toml": "",
        },
        "DP104",
        {("DP104", 4)},
    )
)


# --------------------------------------------------------------------------------------------


def _materialise(files: dict[str, str | bytes], into: Path) -> None:
    for name, content in files.items():
        path = into / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode()
        path.write_bytes(content)


def run(row: V, tmp_path: Path, capsys) -> tuple[int, list[dict], str]:
    _materialise(row.files, tmp_path)
    args = [a.replace("{tmp}", str(tmp_path)) for a in row.args]
    argv = ["check", "--format", "json", "--no-config", "--failure-threshold", "none", *args]
    argv.append(str(tmp_path / row.dockerfile))
    capsys.readouterr()
    rc = main(argv)
    out, err = capsys.readouterr()
    findings = json.loads(out)["findings"] if rc != 2 and out.strip() else []
    return rc, findings, err


def located(f: dict, dockerfile: str) -> tuple[str, int | str]:
    name = Path(f["file"]).name
    return (f["rule"], f["line"] if name == Path(dockerfile).name else f"{name}:{f['line']}")


def _params() -> list:
    out = []
    for row in ROWS:
        marks = [pytest.mark.xfail(strict=True, reason=row.xfail)] if row.xfail else []
        out.append(pytest.param(row, id=row.id, marks=marks))
    return out


@pytest.mark.parametrize("row", _params())
def test_clothing(row: V, tmp_path: Path, capsys) -> None:
    rc, findings, err = run(row, tmp_path, capsys)
    assert "Traceback" not in err and "internal error" not in err, err
    if row.exit == 2:
        assert rc == 2, f"exit {rc}, findings {[located(f, row.dockerfile) for f in findings]}"
        assert len(err.strip().splitlines()) == 1, err
        assert row.dockerfile in err, err
        for fragment in row.expect:
            assert f":{fragment}" in err, err
        return
    assert rc in (0, 1), err
    got = {located(f, row.dockerfile) for f in findings if f["rule"] in row.rules}
    assert got == set(row.expect), [f["message"] for f in findings if f["rule"] in row.rules]
    present = {f["rule"] for f in findings} & set(row.absent)
    assert not present, [f["message"] for f in findings if f["rule"] in present]


def test_ids_unique() -> None:
    ids = [r.id for r in ROWS]
    assert len(ids) == len(set(ids))
