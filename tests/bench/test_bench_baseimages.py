from __future__ import annotations

import pytest

from bench.baseimages import (
    StandIn,
    _debian_uri,
    from_images,
    stand_in_for,
    syntax_directive,
)


def test_from_images_skips_stages_scratch_and_duplicates() -> None:
    text = (
        "ARG PY=3.13\n"
        "FROM python:${PY}-slim AS base\n"
        "FROM base AS deps\n"
        "FROM --platform=linux/amd64 debian:12 AS tools\n"
        "FROM scratch AS empty\n"
        "FROM BASE\n"
        "FROM python:3.13-slim\n"
    )
    assert from_images(text) == ["python:3.13-slim", "debian:12"]


def test_from_images_with_default_expansion_and_continuation() -> None:
    text = "ARG IMG\nFROM ${IMG:-python:3.11-slim} \\\n  AS b\n# FROM commented:1\nRUN x\n"
    assert from_images(text) == ["python:3.11-slim"]


def test_syntax_directive_only_in_the_header() -> None:
    assert syntax_directive("# syntax=docker/dockerfile:1.7\nFROM x\n") == "docker/dockerfile:1.7"
    assert syntax_directive("# escape=`\n#syntax = a/b\nFROM x\n") == "a/b"
    assert syntax_directive("FROM x\n# syntax=docker/dockerfile:1\n") is None
    assert syntax_directive("# a comment\n# syntax=docker/dockerfile:1\n") is None


@pytest.mark.parametrize(
    ("ref", "recipe"),
    [
        ("python:3.13-slim", StandIn("python:3.13-slim", "trixie", "3.13")),
        ("python:3.13.5-slim-trixie", StandIn("python:3.13.5-slim-trixie", "trixie", "3.13")),
        (
            "docker.io/library/python:3.11-slim",
            StandIn("docker.io/library/python:3.11-slim", "bookworm", "3.11"),
        ),
        ("debian:12", StandIn("debian:12", "bookworm", None)),
        ("debian:bookworm-slim", StandIn("debian:bookworm-slim", "bookworm", None)),
        ("debian:trixie", StandIn("debian:trixie", "trixie", None)),
        ("python:3.13-slim-bookworm", None),  # Debian 12 does not ship 3.13
        ("python:3.12-slim", None),
        ("python:3.13", None),  # the full image is not what a slim stand-in is
        ("alpine:3.20", None),
    ],
)
def test_stand_in_recipes(ref: str, recipe: StandIn | None) -> None:
    assert stand_in_for(ref) == recipe


def test_recipe_key_changes_with_release_and_python() -> None:
    a = StandIn("python:3.13-slim", "trixie", "3.13")
    assert a.key == StandIn("python:3.13-slim-trixie", "trixie", "3.13").key
    assert a.key != StandIn("debian:trixie", "trixie", None).key


def test_debian_uri_from_deb822_and_one_line_sources() -> None:
    deb822 = (
        "Types: deb\n# http://snapshot.debian.org/archive/debian/20250520T000000Z\n"
        "URIs: http://deb.debian.org/debian\nSuites: bookworm\n"
    )
    assert _debian_uri(deb822) == "http://deb.debian.org/debian"
    one_line = "deb [arch=amd64] http://mirror.example/debian/ bookworm main\n"
    assert _debian_uri(one_line) == "http://mirror.example/debian"
    assert _debian_uri("deb https://packages.cloud.google.com/apt cloud-sdk main\n") is None
