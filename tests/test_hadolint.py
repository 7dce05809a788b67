"""The hadolint adapter with the real bundled hadolint: what is kept, what is dropped, and why.

Each test compares exact (rule, line) sets. Our own findings, where a test needs them, are given
as Finding values (the rules that make them are tested on their own fixtures).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from rules import hadolint
from rules.base import Finding, Severity
from rules.model import parse_dockerfile


def ours(rule: str, line: int, end_line: int | None = None, file: str = "") -> Finding:
    return Finding(rule, rule.lower(), Severity.WARNING, file, line, 1, end_line or line, "", "")


def run(tmp_path: Path, text: str, found: tuple[Finding, ...] = (), name: str = "Dockerfile"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n") if text.startswith("\n") else text)
    df = parse_dockerfile(path.read_bytes(), str(path))
    mine = [f if f.file else ours(f.rule, f.line, f.end_line, str(path)) for f in found]
    kept, dropped, notes = hadolint.check_file(str(path), df, mine)
    assert all(f.source == "hadolint" and f.file == str(path) for f in kept)
    assert all(set(d) >= {"rule", "line", "message", "reason"} and d["reason"] for d in dropped)
    return (
        {(f.rule, f.line) for f in kept},
        {(d["rule"], d["line"]) for d in dropped},
        notes,
        {(d["rule"], d["line"]): d["reason"] for d in dropped},
    )


def test_the_bundled_binary_is_found() -> None:
    exe = hadolint.find_hadolint()
    assert exe is not None
    assert Path(exe).read_bytes()[:4] == b"\x7fELF" or exe.endswith(".exe")


# --------------------------------------------------------------------------- handed cases


def test_stage_names_compare_case_insensitively(tmp_path: Path) -> None:
    kept, dropped, notes, why = run(
        tmp_path,
        """
        FROM golang:1.22 AS Builder
        RUN go version > /version.txt
        FROM builder AS tester
        RUN cat /version.txt
        FROM alpine:3.20
        COPY --from=builder /version.txt /version.txt
        USER 10001
        """,
    )
    assert kept == set()
    assert dropped == {("DL3006", 3), ("DL3022", 6)}
    assert "Builder" in why["DL3006", 3] and "Builder" in why["DL3022", 6]
    assert notes == []


def test_other_spellings_of_stage_names(tmp_path: Path) -> None:
    kept, dropped, _, _ = run(
        tmp_path,
        """
        ARG SRC=BUILD
        FROM python:3.12-slim AS Build
        WORKDIR /app
        FROM BUILD AS Dev
        COPY a.txt .
        FROM dev
        COPY b.txt ./
        FROM alpine:3.20
        COPY --from=${SRC} /app /app
        COPY --from=later /x /x
        COPY --from=nginx:1.27 /etc/nginx /etc/nginx
        FROM alpine:3.20 AS later
        USER 10001
        """,
    )
    # FROM BUILD / FROM dev are stages, and the WORKDIR is inherited through them.
    assert dropped == {("DL3006", 4), ("DL3045", 5), ("DL3006", 6), ("DL3045", 7)}
    # BuildKit does not expand --from (moby/buildkit#1167), and a stage defined later is not
    # "previously defined": hadolint is right on both.
    assert kept == {("DL3022", 9), ("DL3022", 10)}


def test_user_root_in_a_build_stage(tmp_path: Path) -> None:
    kept, dropped, _, why = run(
        tmp_path,
        """
        FROM debian:12 AS build
        USER root
        RUN echo built > /out.txt
        FROM debian:12 AS runtime
        RUN useradd -l -u 10001 app
        COPY --from=build /out.txt /out.txt
        USER 10001
        """,
    )
    assert kept == set()
    assert dropped == {("DL3002", 2), ("DL3066", 2)}
    assert "not built from" in why["DL3002", 2]


def test_user_rules_follow_the_final_lineage(tmp_path: Path) -> None:
    text = """
        FROM debian:12 AS base
        USER root
        FROM base AS runtime
        RUN useradd -l -u 10001 app
        USER app
        FROM debian:12 AS debug
        USER 0:0
        FROM runtime
        """
    kept, dropped, _, why = run(tmp_path, text)
    # line 2 is replaced by USER app (line 5) in the final lineage; line 7 is in another stage.
    assert dropped == {("DL3002", 2), ("DL3066", 2), ("DL3002", 7)}
    assert "line 5" in why["DL3002", 2]
    # The final image's user is named, not numeric: that advice stands.
    assert kept == {("DL3066", 5)}


def test_final_user_root_is_reported_once(tmp_path: Path) -> None:
    text = """
        FROM debian:12 AS build
        FROM debian:12
        USER 0:0
        """
    kept, dropped, _, _ = run(tmp_path, text)
    assert kept == {("DL3002", 3)}
    assert dropped == set()
    kept, dropped, _, why = run(tmp_path, text, (ours("DP301", 3),))
    assert kept == set()
    assert dropped == {("DL3002", 3)}
    assert "DP301" in why["DL3002", 3]


def test_windows_escape_directive_runs_cmd(tmp_path: Path) -> None:
    kept, dropped, _, why = run(
        tmp_path,
        """
        # escape=`
        FROM mcr.microsoft.com/windows/servercore:ltsc2022
        WORKDIR C:\\app\\
        COPY tools\\ C:\\app\\tools\\
        RUN move .\\tools\\tool.exe .\\tool.exe
        """,
    )
    assert kept == set()
    assert dropped == {("SC1012", 5)}
    assert "cmd" in why["SC1012", 5]


def test_windows_base_without_escape_directive(tmp_path: Path) -> None:
    kept, dropped, _, _ = run(
        tmp_path,
        """
        FROM mcr.microsoft.com/windows/nanoserver:ltsc2022
        RUN dir C:\\\\tools & echo %PATH% | findstr x
        """,
    )
    assert kept == set()
    assert dropped == {("DL4006", 2)}


def test_healthcheck_duration_without_unit(tmp_path: Path) -> None:
    kept, dropped, notes, _ = run(
        tmp_path,
        """
        FROM nginx:1.27
        RUN apt-get update
        HEALTHCHECK --interval=30 --timeout=5s \\
          CMD curl -fsS http://localhost/ || exit 1
        USER 101
        """,
    )
    # hadolint dies on --interval=30; its other findings come from a corrected copy.
    assert dropped == {("DL1000", 3)}
    assert kept == {("DL3009", 2), ("DL3025", 3)}
    assert len(notes) == 1
    assert "hadolint could not parse" in notes[0] and "Dockerfile:3:26" in notes[0]
    assert "our own findings are kept" in notes[0]


def test_heredoc_run(tmp_path: Path) -> None:
    kept, dropped, notes, _ = run(
        tmp_path,
        """
        # syntax=docker/dockerfile:1
        FROM alpine:3.20
        RUN <<EOF
        apk add --no-cache curl
        echo ready > /ready
        EOF

        CMD ["cat", "/ready"]
        """,
    )
    assert kept == {("DL3018", 3)}
    assert dropped == set()
    assert notes == []


# --------------------------------------------------------------------------- the shell


def test_heredoc_shebang_and_reader_select_the_language(tmp_path: Path) -> None:
    kept, dropped, _, why = run(
        tmp_path,
        """
        FROM python:3.12-slim
        RUN <<EOF python3
        import sys
        print(sys.argv)
        EOF

        RUN <<EOF
        #!/bin/bash
        set -euo pipefail
        curl -fsS http://localhost/ | tar xz
        [[ -f /x ]] && source /etc/profile
        EOF

        RUN <<EOF
        #!/usr/bin/env python3
        import os
        print(int(os.environ.get("X", "0")) | 1)
        EOF

        RUN <<EOF
        curl -fsS http://localhost/ | tar xz
        EOF

        USER 10001
        """,
    )
    assert dropped == {("SC1072", 2), ("DL4006", 7), ("SC3046", 7)}
    assert "python3" in why["SC1072", 2]
    # No shebang: the body runs in /bin/sh, where the pipe's failure is lost.
    assert kept == {("DL4006", 20)}


def test_heredoc_read_by_a_complex_command_line_counts_as_shell(tmp_path: Path) -> None:
    kept, dropped, _, _ = run(
        tmp_path,
        """
        FROM debian:12
        RUN <<EOF bash && echo finished
        curl -fsS https://example.com/x.tgz | tar xz
        EOF

        USER 10001
        """,
    )
    assert ("DL4006", 2) in kept
    assert dropped == set()


def test_inherited_shell(tmp_path: Path) -> None:
    kept, dropped, _, why = run(
        tmp_path,
        """
        FROM debian:12 AS base
        SHELL ["/bin/bash", "-o", "pipefail", "-c"]
        FROM base AS Build
        RUN curl -fsS https://example.com/x.tgz | tar xz
        FROM build
        RUN curl -fsS https://example.com/y.tgz | tar xz && source /etc/profile
        FROM mcr.microsoft.com/powershell:lts-debian-12 AS ps
        SHELL ["pwsh", "-NoProfile", "-Command"]
        FROM ps
        RUN Get-ChildItem $env:TEMP | Select-Object Name
        USER 10001
        """,
    )
    assert kept == set()
    assert dropped == {
        ("DL4006", 4),
        ("DL3006", 5),
        ("DL4006", 6),
        ("SC3046", 6),
        ("DL4006", 10),
    }
    assert "inherited from stage base" in why["DL4006", 4]
    assert "pwsh" in why["DL4006", 10]


def test_shell_rules_stay_where_sh_runs(tmp_path: Path) -> None:
    kept, dropped, _, _ = run(
        tmp_path,
        """
        FROM debian:12 AS base
        SHELL ["/bin/bash", "-c"]
        FROM base
        RUN curl -fsS https://example.com/x.tgz | tar xz && echo $HOME
        FROM debian:12
        RUN curl -fsS https://example.com/x.tgz | tar xz && echo $HOME
        USER 10001
        """,
    )
    # bash without pipefail still loses the pipe's failure; SC2086 holds in bash too.
    assert kept == {("DL4006", 4), ("SC2086", 4), ("DL4006", 6), ("SC2086", 6)}
    assert dropped == set()


# --------------------------------------------------------------------------- caches


def test_pip_cache_mount(tmp_path: Path) -> None:
    text = """
        FROM python:3.12-slim
        ENV PIP_CACHE_DIR=/var/cache/pip-dl
        RUN --mount=type=cache,target=/root/.cache pip install -r requirements.txt
        RUN --mount=type=cache,target=/var/cache/pip-dl python -m pip install -r requirements.txt
        RUN --mount=type=cache,target=/var/cache/apt pip3 install -r requirements.txt
        RUN pip install \\
            -r requirements.txt
        USER 10001
        """
    kept, dropped, _, why = run(tmp_path, text)
    assert dropped == {("DL3042", 3), ("DL3042", 4)}
    assert "defeat" in why["DL3042", 3]
    assert kept == {("DL3042", 5), ("DL3042", 6)}
    # Where our DP103 asks for a cache mount, hadolint's opposite advice goes.
    kept, dropped, _, why = run(tmp_path, text, (ours("DP103", 5), ours("DP103", 6, 7)))
    assert kept == set()
    assert dropped == {("DL3042", 3), ("DL3042", 4), ("DL3042", 5), ("DL3042", 6)}
    assert why["DL3042", 6] == "repeats our DP103 at line 6"


def test_apt_lists_in_a_cache_mount(tmp_path: Path) -> None:
    text = """
        FROM debian:12
        RUN --mount=type=cache,target=/var/lib/apt,sharing=locked \\
            apt-get update && apt-get install -y --no-install-recommends curl=8.*
        RUN apt-get update && apt-get install -y --no-install-recommends git=1:2.*
        USER 10001
        """
    kept, dropped, _, _ = run(tmp_path, text)
    assert dropped == {("DL3009", 2)}
    assert kept == {("DL3009", 4)}
    kept, dropped, _, _ = run(tmp_path, text, (ours("DP101", 4),))
    assert dropped == {("DL3009", 2), ("DL3009", 4)}
    assert kept == set()


def test_other_duplicates(tmp_path: Path) -> None:
    text = """
        FROM python:3.12-slim
        ENV API_TOKEN=abc123
        USER 10001
        CMD python -m app
        """
    kept, _, _, _ = run(tmp_path, text)
    assert kept == {("DL3064", 2), ("DL3025", 4)}
    kept, dropped, _, _ = run(tmp_path, text, (ours("DP305", 2), ours("DP307", 4)))
    assert kept == set()
    assert dropped == {("DL3064", 2), ("DL3025", 4)}


# --------------------------------------------------------------------------- parse failures


def test_heredoc_followed_by_a_comment_keeps_line_numbers(tmp_path: Path) -> None:
    kept, dropped, notes, _ = run(
        tmp_path,
        """
        FROM debian:12 AS dev
        RUN <<EOF
        apt-get update
        apt-get install -y --no-install-recommends git
        EOF
        # a comment right after the terminator: hadolint's parser stops here
        RUN cd /tmp && echo $HOME
        USER 10001
        """,
    )
    assert dropped == {("DL1000", 6)}
    assert kept == {("DL3008", 2), ("DL3009", 2), ("DL3003", 7), ("SC2086", 7)}
    assert "a blank line added after 1 heredoc terminator" in notes[0]


def test_what_hadolint_cannot_read_is_commented_out(tmp_path: Path) -> None:
    chomped = "RUN <<-EOF\n\tapt-get update\n\tapt-get install -y curl\n\tEOF\n"
    kept, dropped, notes, _ = run(
        tmp_path,
        "FROM debian:12\n"
        "RUN <<A <<B\necho a\nA\necho b\nB\n" + chomped + "# after a terminator\n"
        'HEALTHCHECK --interval=1m30s --timeout=500ms CMD ["true"]\n'
        "RUN cd /tmp && echo $HOME\n"
        "USER 10001\n",
    )
    assert dropped == {("DL1000", 5)}
    assert kept == {
        ("DL3008", 7),
        ("DL3015", 7),
        ("DL3009", 7),
        ("DL3003", 13),
        ("SC2086", 13),
    }
    (note,) = notes
    assert "lines 2-6 commented out" in note and "`<<-` heredoc de-indented" in note


def test_unreadable_file_gives_a_note_and_no_hadolint_findings(tmp_path: Path) -> None:
    # Valid for BuildKit; language-docker cannot read several heredocs in one instruction, and
    # past MAX_HIDDEN such instructions the adapter gives up rather than hide half the file.
    twice = "RUN <<A <<B\necho a\nA\necho b\nB\n"
    kept, dropped, notes, _ = run(
        tmp_path, "FROM debian:12\n" + twice * (hadolint.MAX_HIDDEN + 1) + "RUN echo $HOME\n"
    )
    assert kept == set()
    assert dropped == {("DL1000", 5)}
    (note,) = notes
    assert "hadolint could not parse" in note and "our own findings are kept" in note
    assert "not available" in note


def test_engine_keeps_our_findings_when_hadolint_cannot_parse(tmp_path: Path, capsys) -> None:
    cli = pytest.importorskip("rules.cli")
    path = tmp_path / "Dockerfile"
    path.write_text(
        "FROM python:3.12-slim\n"
        "RUN <<A <<B\necho a\nA\necho b\nB\n"
        "RUN echo $HOME\n"
        "# dockperf ignore=DP302\n"
        'HEALTHCHECK CMD ["true"]\n'
    )
    code = cli.main(["check", "--hadolint", "--no-config", "--format", "json", str(path)])
    report = json.loads(capsys.readouterr().out)
    assert code in (0, 1)
    rules_found = {(f["rule"], f["source"]) for f in report["findings"]}
    assert ("SC2086", "hadolint") in rules_found
    # The final image runs as root: ours says so (hadolint has no USER at all to complain about).
    assert ("DP301", "dockperf") in rules_found
    assert any("hadolint could not parse" in n for n in report["notes"])
    assert {d["rule"] for d in report["dropped_hadolint"]} == {"DL1000"}


# --------------------------------------------------------------------------- robustness


def test_missing_hadolint_is_a_note(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(hadolint, "find_hadolint", lambda: None)
    kept, dropped, notes, _ = run(tmp_path, "FROM debian\n")
    assert (kept, dropped) == (set(), set())
    assert "not found" in notes[0]


def test_crashing_hadolint_is_a_note(tmp_path: Path, monkeypatch) -> None:
    fake = tmp_path / "hadolint"
    fake.write_text("#!/bin/sh\necho 'segmentation fault' >&2\nexit 139\n")
    fake.chmod(0o755)
    monkeypatch.setattr(hadolint, "find_hadolint", lambda: str(fake))
    kept, dropped, notes, _ = run(tmp_path, "FROM debian\n")
    assert (kept, dropped) == (set(), set())
    assert "hadolint failed (exit 139: segmentation fault)" in notes[0]


def test_user_config_and_environment_do_not_change_results(tmp_path: Path, monkeypatch) -> None:
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    (home / ".config" / "hadolint.yaml").write_text("ignored: [DL3006]\n")
    (tmp_path / ".hadolint.yaml").write_text("format: tty\nignored: [DL3006]\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("HADOLINT_IGNORE", "DL3006")
    monkeypatch.setenv("HADOLINT_FORMAT", "tty")
    monkeypatch.chdir(tmp_path)
    kept, _, notes, _ = run(tmp_path, "FROM debian\nUSER 10001\n")
    assert kept == {("DL3006", 1)}
    assert notes == []
