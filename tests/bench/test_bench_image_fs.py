"""Replaying layers like overlayfs: wasted bytes and duplicate distributions (pure functions).

The same analysis runs on real images in tests/integration/test_bench_engine.py.
"""

from __future__ import annotations

import io
import tarfile

from bench.image import Entry, LayerFiles, apply_layers, canonical_name, distributions, read_layer
from bench.metrics import Distribution


def layer(*entries: tuple[str, int] | str) -> LayerFiles:
    out = []
    for e in entries:
        if isinstance(e, str):
            out.append(Entry(e.rstrip("/"), 0, e.endswith("/")))
        else:
            out.append(Entry(e[0], e[1], False))
    return LayerFiles(tuple(out))


def test_deleted_file_is_wasted() -> None:
    report = apply_layers([layer("app/", ("app/big", 1000), ("app/keep", 5)), layer("app/.wh.big")])
    assert report.wasted_bytes == 1000
    assert report.final_files == {"app/keep"}


def test_overwritten_file_wastes_the_lower_copy() -> None:
    report = apply_layers([layer(("etc/passwd", 900)), layer(("etc/passwd", 950))])
    assert report.wasted_bytes == 900
    assert report.final_files == {"etc/passwd"}


def test_whiteout_of_a_directory_wastes_its_tree() -> None:
    report = apply_layers(
        [
            layer(
                "root/.cache/",
                ("root/.cache/pip/a.whl", 300),
                ("root/.cache/pip/b.whl", 200),
                ("root/keep", 1),
            ),
            layer("root/.wh..cache"),
        ]
    )
    assert report.wasted_bytes == 500
    assert report.final_files == {"root/keep"}


def test_opaque_directory_hides_lower_contents_but_not_its_own() -> None:
    report = apply_layers(
        [
            layer(("var/lib/apt/lists/x", 40), ("var/lib/apt/lists/y", 60)),
            layer(
                "var/lib/apt/lists/", "var/lib/apt/lists/.wh..wh..opq", ("var/lib/apt/lists/z", 7)
            ),
        ]
    )
    assert report.wasted_bytes == 100
    assert report.final_files == {"var/lib/apt/lists/z"}


def test_file_replacing_a_directory_and_directory_replacing_a_file() -> None:
    report = apply_layers(
        [
            layer(("a/b/c", 10), ("a/b/d", 20), ("x", 3)),
            layer(("a/b", 4), "x/", ("x/y", 1)),
        ]
    )
    assert report.wasted_bytes == 33
    assert report.final_files == {"a/b", "x/y"}


def test_same_file_added_three_times() -> None:
    report = apply_layers([layer(("f", 1)), layer(("f", 2)), layer(("f", 4))])
    assert report.wasted_bytes == 3


def test_nothing_wasted_when_layers_only_add() -> None:
    assert apply_layers([layer(("a", 1)), layer(("b", 2))]).wasted_bytes == 0


def test_distributions_in_two_places_or_two_versions() -> None:
    paths = [
        "usr/local/lib/python3.13/site-packages/pip-25.1.1.dist-info/METADATA",
        "opt/venv/lib/python3.13/site-packages/pip-25.1.1.dist-info/METADATA",
        "usr/local/lib/python3.13/site-packages/pydantic-2.5.0.dist-info/METADATA",
        "usr/local/lib/python3.13/site-packages/pydantic-2.4.2.dist-info/METADATA",
        "usr/local/lib/python3.13/site-packages/Typing_Extensions-4.9.0.dist-info/METADATA",
        "usr/local/lib/python3.13/site-packages/fastapi-0.110.0.dist-info/RECORD",
        "usr/local/lib/python3.13/site-packages/fastapi-0.110.0.dist-info/METADATA",
        "usr/lib/python3/dist-packages/typing_extensions-4.9.0.egg-info/PKG-INFO",
        "usr/local/lib/python3.13/site-packages/setuptools/_vendor/packaging-24.2.dist-info/METADATA",
        "usr/local/lib/python3.13/site-packages/packaging-24.2.dist-info/METADATA",
        "usr/lib/python3/dist-packages/six-1.16.0.egg-info",
        "usr/local/lib/python3.13/site-packages/six-1.16.0.dist-info/METADATA",
    ]
    assert distributions(paths) == (
        Distribution(
            "pip",
            ("25.1.1",),
            ("/opt/venv/lib/python3.13/site-packages", "/usr/local/lib/python3.13/site-packages"),
        ),
        Distribution("pydantic", ("2.4.2", "2.5.0"), ("/usr/local/lib/python3.13/site-packages",)),
        Distribution(
            "six",
            ("1.16.0",),
            ("/usr/lib/python3/dist-packages", "/usr/local/lib/python3.13/site-packages"),
        ),
        Distribution(
            "typing-extensions",
            ("4.9.0",),
            ("/usr/lib/python3/dist-packages", "/usr/local/lib/python3.13/site-packages"),
        ),
    )


def test_canonical_name() -> None:
    assert canonical_name("Typing_Extensions") == "typing-extensions"
    assert canonical_name("zope.interface") == "zope-interface"
    assert canonical_name("a__b--c") == "a-b-c"


def test_read_layer_from_a_real_tar() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        d = tarfile.TarInfo("./usr/")
        d.type = tarfile.DIRTYPE
        tar.addfile(d)
        f = tarfile.TarInfo("./usr/x")
        f.size = 3
        tar.addfile(f, io.BytesIO(b"abc"))
        s = tarfile.TarInfo("usr/link")
        s.type = tarfile.SYMTYPE
        s.linkname = "x"
        tar.addfile(s)
    buf.seek(0)
    with tarfile.open(fileobj=buf, mode="r|") as tar:
        files = read_layer(tar)
    assert files.entries == (
        Entry("usr", 0, True),
        Entry("usr/x", 3, False),
        Entry("usr/link", 0, False),
    )
