from __future__ import annotations

from pathlib import Path

import pytest

from bench import config
from bench.errors import BenchError

ROOT = Path(__file__).resolve().parents[2]


def test_repository_config_lists_the_backend_variants() -> None:
    cfg = config.load(ROOT)
    assert [v.name for v in cfg.variants] == ["optimized", "baseline", "seedlayout"]
    assert (cfg.primary, cfg.baseline, cfg.candidate) == ("optimized", "baseline", "optimized")
    opt = cfg.variant("optimized")
    assert opt.dockerfile == ROOT / "backend/Dockerfile"
    assert opt.context == ROOT / "backend"
    assert opt.compose == ROOT / "backend/docker-compose.dev.yml"
    assert opt.service == "backend-prod"
    assert opt.source_file == ROOT / "backend/src/main.py"
    assert opt.deps_file == ROOT / "backend/requirements-app.txt"
    assert opt.health == "/health"


def test_defaults(tmp_path: Path) -> None:
    (tmp_path / "svc/src/pkg").mkdir(parents=True)
    (tmp_path / "svc/src/pkg/__init__.py").write_text("")
    (tmp_path / "svc/src/pkg/zz.py").write_text("")
    (tmp_path / "svc/src/app.py").write_text("")
    section = {
        "variants": [
            {
                "name": "one",
                "dockerfile": "svc/Dockerfile",
                "env": {"WORKERS": 2},
                "target": "runtime",
            }
        ]
    }
    cfg = config.parse(tmp_path, section)
    v = cfg.variants[0]
    assert v.context == tmp_path / "svc"
    assert v.source_file == tmp_path / "svc/src/app.py"
    assert v.deps_file is None  # no requirements-app.txt there
    assert v.env == (("WORKERS", "2"),)
    assert v.target == "runtime"
    assert (cfg.primary, cfg.baseline, cfg.candidate) == ("one", None, None)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({}, "lists no variants"),
        ({"variants": [{"name": "a"}]}, "needs a name and a dockerfile"),
        ({"variants": [{"name": "a", "dockerfile": "D"}] * 2}, "variant names repeat"),
        ({"variants": [{"name": "a", "dockerfile": "D"}], "primary": "b"}, "unknown variant 'b'"),
        ({"variants": [{"name": "a", "dockerfile": "D"}], "compare": ["a"]}, "compare must be"),
    ],
)
def test_errors(tmp_path: Path, section: dict, message: str) -> None:
    with pytest.raises(BenchError, match=message):
        config.parse(tmp_path, section)


def test_unknown_variant_name() -> None:
    with pytest.raises(
        BenchError, match="no variant 'nope' \\(have optimized, baseline, seedlayout\\)"
    ):
        config.load(ROOT).variant("nope")
