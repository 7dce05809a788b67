"""The seed's claims: verdicts from A/B runs, and the B variants generated from a Dockerfile."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import claims, targets
from bench.claims import VariantError, judge
from bench.metrics import ClaimResult, Metrics, VariantMetrics, check_targets, to_json
from bench.progress import Step
from bench.stats import summarize
from rules.model import parse_dockerfile

BACKEND = Path(__file__).resolve().parents[2] / "backend" / "Dockerfile"

# --------------------------------------------------------------------------------------------
# verdicts


def test_confirmed_when_the_ranges_do_not_overlap() -> None:
    j = judge(with_feature=[10.0, 11.0, 12.0], without_feature=[30.0, 33.0, 36.0])
    assert j.verdict == "confirmed"
    assert j.ratio == pytest.approx(3.0)
    assert j.spread == pytest.approx((30.0 / 12.0, 36.0 / 10.0))


def test_inconclusive_when_the_ranges_overlap() -> None:
    j = judge(with_feature=[10.0, 12.0, 14.0], without_feature=[13.0, 15.0, 17.0])
    assert j.verdict == "inconclusive"
    assert j.ratio == pytest.approx(1.25)
    lo, hi = j.spread
    assert lo < 1 < hi


def test_not_confirmed_when_the_opposite_is_steady() -> None:
    j = judge(with_feature=[20.0, 21.0], without_feature=[10.0, 11.0])
    assert j.verdict == "not confirmed"
    assert j.ratio == pytest.approx(10.5 / 20.5)
    assert j.why == "the opposite of the claim"


def test_not_confirmed_when_the_difference_is_steady_but_small() -> None:
    for a, b in (([100.0, 100.5], [102.0, 102.5]), ([21.5], [20.8])):
        j = judge(with_feature=a, without_feature=b)
        assert j.verdict == "not confirmed"
        assert j.why == "a difference under 5%: no real effect"


def test_identical_exact_values_are_no_effect() -> None:
    j = judge(with_feature=[4096], without_feature=[4096])
    assert (j.verdict, j.ratio, j.spread) == ("not confirmed", 1.0, (1.0, 1.0))


def test_throughput_ratio_is_a_over_b() -> None:
    j = judge(
        with_feature=[1300.0, 1400.0], without_feature=[1000.0, 1050.0], higher_is_better=True
    )
    assert j.verdict == "confirmed"
    assert j.ratio == pytest.approx(1350.0 / 1025.0)
    assert j.spread == pytest.approx((1300.0 / 1050.0, 1400.0 / 1000.0))


def test_nothing_to_compare_is_not_measurable() -> None:
    assert judge([], [1.0]).verdict == "not measurable here"
    assert judge([0.0], [1.0]).verdict == "not measurable here"


def test_result_sentence_says_how_many_times_and_what_the_seed_claims() -> None:
    r = claims.result(claims.claim("apt_cache"), [10.0, 11.0, 12.0], [30.0, 33.0, 36.0], "How.")
    assert r.verdict == "confirmed"
    assert r.detail == (
        "33.0 s without vs 11.0 s with the apt cache mounts (medians of 3 and 3 runs): "
        "3.00× faster with the apt cache mounts. How. The seed claims apt-get 50 s → 15 s (3.3×)."
    )
    slow = claims.result(claims.claim("compileall"), [2.0], [1.5], "How.")
    assert slow.detail.startswith(
        "1.50 s without vs 2.00 s with bytecode compiled at build time (one run each, so no "
        "spread: run without --quick for one): 1.33× slower with bytecode compiled at build "
        "time — the opposite of the claim."
    )


# --------------------------------------------------------------------------------------------
# B variants

SAMPLE = """\
FROM python:3.13-slim AS deps
COPY requirements-core.txt /tmp/req/
RUN --mount=type=cache,target=/root/.cache/pip,sharing=locked \\
    pip install -r /tmp/req/requirements-core.txt
COPY requirements-app.txt /tmp/req/
RUN --mount=type=cache,target=/root/.cache/pip --mount=type=bind,source=wheels,target=/w \\
    python -m pip install --find-links /w -r /tmp/req/requirements-app.txt

FROM deps AS app
COPY src ./src
RUN python -m compileall -q src

FROM app AS debug
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\
    # a comment inside the continuation
    --mount=type=cache,target=/var/lib/apt,sharing=locked \\
    apt-get update && apt-get install -y --no-install-recommends procps
"""


def test_pip_cache_mounts_dropped_exactly() -> None:
    assert claims.without_cache_mounts(SAMPLE, "pip") == SAMPLE.replace(
        "RUN --mount=type=cache,target=/root/.cache/pip,sharing=locked \\\n"
        "    pip install -r /tmp/req/requirements-core.txt\n",
        "RUN pip install -r /tmp/req/requirements-core.txt\n",
    ).replace(
        "RUN --mount=type=cache,target=/root/.cache/pip --mount=type=bind,",
        "RUN --mount=type=bind,",
    )


def test_apt_cache_mounts_dropped_and_layer_cache_busted_exactly() -> None:
    a = claims.with_cache_bust(SAMPLE, "apt")
    assert a == SAMPLE.replace(
        "FROM app AS debug\n", "FROM app AS debug\nARG DOCKPERF_CACHE_BUST\n"
    )
    b = claims.without_cache_mounts(a, "apt")
    assert b.endswith(
        "FROM app AS debug\n"
        "ARG DOCKPERF_CACHE_BUST\n"
        "RUN \\\n"
        "    # a comment inside the continuation\n"
        "    apt-get update && apt-get install -y --no-install-recommends procps\n"
    )
    df = parse_dockerfile(b.encode(), "Dockerfile")
    assert df.instructions[-1].flags == ()
    assert df.instructions[-1].value == (
        "apt-get update && apt-get install -y --no-install-recommends procps"
    )


def test_compileall_removed_exactly() -> None:
    assert claims.without_compileall(SAMPLE) == SAMPLE.replace(
        "RUN python -m compileall -q src\n", "# dockperf claim variant: compileall removed\n"
    )


def test_dependency_files_copied_once_exactly() -> None:
    assert claims.dependency_files_copied_once(SAMPLE) == SAMPLE.replace(
        "COPY requirements-core.txt /tmp/req/\n",
        "COPY requirements-core.txt requirements-app.txt /tmp/req/\n",
    ).replace(
        "COPY requirements-app.txt /tmp/req/\n",
        "# dockperf claim variant: copied with the first group\n",
    )


def test_backend_variants_switch_off_one_thing_each() -> None:
    text = BACKEND.read_text()
    original = parse_dockerfile(text.encode(), "Dockerfile")
    for kind in ("pip", "apt"):
        b = parse_dockerfile(claims.without_cache_mounts(text, kind).encode(), "Dockerfile")
        assert [i.value for i in b.instructions] == [i.value for i in original.instructions]
        assert claims.cached_runs(b, kind) == []
        other = "apt" if kind == "pip" else "pip"
        assert len(claims.cached_runs(b, other)) == len(claims.cached_runs(original, other))
    no_compile = claims.without_compileall(text)
    assert "compileall" not in "".join(
        i.value for i in parse_dockerfile(no_compile.encode(), "D").instructions
    )
    once = parse_dockerfile(claims.dependency_files_copied_once(text).encode(), "D")
    assert [c.args for c in claims.dependency_copies(once)] == [
        (
            "requirements-core.txt",
            "requirements-ai.txt",
            "requirements-app.txt",
            "/tmp/requirements/",
        )
    ]


@pytest.mark.parametrize(
    ("text", "make", "message"),
    [
        (
            "FROM x\nRUN pip install -r r.txt\n",
            lambda t: claims.without_cache_mounts(t, "pip"),
            "no pip install with a cache mount",
        ),
        (
            "FROM x\nRUN pip install . && python -m compileall src\n",
            claims.without_compileall,
            "compileall runs with other commands in one RUN",
        ),
        (
            "FROM x\nCOPY r.txt /r/\nRUN pip install -r /r/r.txt\n",
            claims.dependency_files_copied_once,
            "already copied in one step",
        ),
    ],
)
def test_nothing_to_switch_off_alone_is_a_variant_error(text, make, message) -> None:
    with pytest.raises(VariantError, match=message):
        make(text)


def test_steps_are_found_by_their_order_among_the_stage_runs() -> None:
    a = claims.with_cache_bust(SAMPLE, "pip")
    keys = claims.step_keys(a, lambda df: claims.cached_runs(df, "pip"))
    assert keys == {("deps", 1), ("deps", 2)}
    # As BuildKit 0.8 numbers them: FROM 1, COPY 2, RUN 3, COPY 4, RUN 5 (ARGs not counted).
    steps = [
        Step(
            9, "deps", 3, "RUN --mount=type=cache,target=/root/.cache/pip pip install", 3.5, "done"
        ),
        Step(7, "deps", 2, "COPY requirements-core.txt /tmp/req/", 0.0, "cached"),
        Step(
            10,
            "deps",
            5,
            "RUN --mount=type=cache,target=/root/.cache/pip python -m pip",
            1.25,
            "done",
        ),
        Step(11, "app", 2, "RUN python -m compileall -q src", 0.5, "done"),
    ]
    assert claims.steps_seconds(steps, keys) == 4.75
    cached = [*steps[:2], Step(10, "deps", 5, "RUN python -m pip install", 0.0, "cached")]
    with pytest.raises(claims.BenchError, match="layer cache was not busted"):
        claims.steps_seconds(cached, keys)
    with pytest.raises(claims.BenchError, match="expected 2 measured steps"):
        claims.steps_seconds(steps[:2], keys)


def test_transferred_bytes_from_progress() -> None:
    lines = [
        "#5 [internal] load build context\n",
        "#5 transferring context: 32.77kB 0.0s\n",
        "#5 transferring context: 52.1MB 0.5s done\n",
        "#5 DONE 0.6s\n",
    ]
    assert claims.transferred_bytes(lines) == 52_100_000
    assert claims.transferred_bytes(["#5 transferring context: 2B done"]) == 2
    assert claims.transferred_bytes(["#1 transferring dockerfile: 4.4kB"]) is None


# --------------------------------------------------------------------------------------------
# reports and targets


def _claim_result() -> ClaimResult:
    return ClaimResult(
        key="pip_cache",
        claim="pip cache mount",
        metric="pip install steps, layer cache busted (s)",
        claimed="3 min 30 s → 1 min 20 s (2.6×)",
        with_feature=summarize([20.0, 21.0]),
        without_feature=summarize([50.0, 52.0]),
        ratio=51.0 / 20.5,
        spread=(50.0 / 21.0, 52.0 / 20.0),
        verdict="confirmed",
        detail="51.0 s without vs 20.5 s with.",
    )


def test_claims_in_metrics_json_and_bench_md() -> None:
    from bench.markdown import render

    empty = VariantMetrics("optimized", "Dockerfile", None)
    bare = Metrics("t", None, (empty,), "optimized", None, check_targets(empty))
    assert "claims" not in to_json(bare)
    m = Metrics("t", None, (empty,), "optimized", None, check_targets(empty), (_claim_result(),))
    (entry,) = to_json(m)["claims"]
    assert entry["claim"] == "pip cache mount"
    assert entry["spread"] == [pytest.approx(50 / 21), 2.6]
    assert entry["with"]["runs"] == [20.0, 21.0]
    assert entry["verdict"] == "confirmed"
    text = render(m)
    assert (
        "| pip cache mount | 3 min 30 s → 1 min 20 s (2.6×) | 2.49× | 2.38–2.60× | ✅ confirmed |"
        in text
    )
    assert "- **pip cache mount**: 51.0 s without vs 20.5 s with." in text


def test_one_definition_of_targets_for_metrics_and_gate(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.dockperf.gate]\nimage-mb = 300\nstartup-seconds = 2.5\n")
    config = targets.load_config(pyproject)
    assert [t.expected for t in config.targets] == [
        "< 180 s",
        "< 300 MB",
        "< 2.5 s (warn < 4 s)",
        "< 512 MiB",
    ]
    from bench import gate
    from bench.metrics import ImageMetrics, _variant

    v = VariantMetrics("x", "Dockerfile", None, image=ImageMetrics("i", 400 * 10**6, 3, (), 0, ()))
    ours = {t.metric: t.status for t in check_targets(v, config.targets)}
    theirs = {c.metric: c.status for c in gate.evaluate(config, _variant(v))}
    assert ours["image_size_bytes"] == theirs["image_size_bytes"] == "fail"
    assert [t.seed_key for t in config.targets] == [t.metric for t in check_targets(v)]


def test_downloads_counted_in_the_measured_steps_only() -> None:
    lines = [
        "#12 [deps-core 2/2] RUN pip install -r core.txt\n",
        "#12 1.20 Downloading fastapi-0.115.0-py3-none-any.whl (95 kB)\n",
        "#12 1.90 Downloading numpy-2.1.0-cp313-cp313-manylinux.whl (16.3 MB)\n",
        "#12 2.10 Using cached pydantic-2.9.2-py3-none-any.whl (434 kB)\n",
        "#13 0.40 Downloading other-1.0.whl (1.0 MB)\n",
        "#20 3.05 Fetched 3349 kB in 0s (66.0 MB/s)\n",
    ]
    assert claims.downloaded(lines, [12], "pip") == 95_000 + 16_300_000
    assert claims.downloaded(lines, [20], "apt") == 3_349_000
    assert claims.downloaded(lines, [12], "apt") == 0


def test_one_run_each_shows_no_spread() -> None:
    one = ClaimResult(
        "apt_cache", "apt cache mount", "s", "apt-get 50 s → 15 s (3.3×)",
        summarize([2.1]), summarize([2.7]), 2.7 / 2.1, (2.7 / 2.1, 2.7 / 2.1), "confirmed", "d",
    )  # fmt: skip
    table = claims.render_markdown([one])
    assert (
        "| apt cache mount | apt-get 50 s → 15 s (3.3×) | 1.29× | – (1 run each) | ✅ confirmed |"
        in table
    )


def test_a_warm_mount_that_saves_no_download_is_not_in_use() -> None:
    assert claims.cache_in_use(231_000, 13_549_000)  # apt here
    assert not claims.cache_in_use(76_800_000, 76_800_000)  # pip through a proxy without caching
    assert claims.cache_in_use(0, 0)  # nothing to download either way: nothing to judge by
