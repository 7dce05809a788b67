"""## What it does
Finds what the build itself refuses after the file has parsed: an instruction flag the
instruction does not have (`RUN --chown`), a `--mount` type BuildKit does not know, a stage that
copies from itself or stages that copy from each other in a circle, a `--from` stage index out of
range, a `--target` that names no stage, and stage names used twice.

The engine turns this rule's violations into an input error: `dockerfile-rules check` prints one
line naming the file and the line and exits 2, like `docker build` would fail.

## Why is this bad?
The build fails at once ("unknown flag: chown", "unsupported mount type", "circular dependency
detected on stage", "target stage ... could not be found"), often only in CI, after the change
was reviewed. Two stages with one name are undefined behaviour in BuildKit: `COPY --from=name`
and `FROM name` silently pick one of them, and the classic builder rejects the file.

## Example
```dockerfile
FROM python:3.13-slim AS build
RUN --chown=app:app pip install --prefix=/install -r requirements.txt
RUN --mount=type=volume,target=/root/.cache/pip pip install httpx

FROM python:3.13-slim AS build
COPY --from=build /install /usr/local
```

## Use instead
```dockerfile
FROM python:3.13-slim AS build
RUN --mount=type=cache,target=/root/.cache/pip \\
    pip install --prefix=/install -r requirements.txt

FROM python:3.13-slim AS runtime
COPY --from=build --chown=app:app /install /usr/local
```
"""

from __future__ import annotations

from collections.abc import Iterator

from rules.base import CheckContext, Rule, Severity, Violation
from rules.model import Dockerfile, Instruction
from rules.shell import expand

RULE = Rule(
    id="DP900",
    name="build-rejects",
    title="The build would reject this Dockerfile",
    severity=Severity.ERROR,
    fix="Correct the instruction so that BuildKit accepts it",
)

# The flags each instruction declares in BuildKit's instructions/parse.go; any other `--name`
# is "unknown flag". Labs-only flags that the stable frontend also accepts today are included
# (COPY --parents/--exclude, ADD --exclude/--unpack, RUN --device, ARG --required) so that a valid
# file is never refused.
FLAGS: dict[str, frozenset[str]] = {
    "FROM": frozenset({"platform"}),
    "RUN": frozenset({"mount", "network", "security", "device"}),
    "COPY": frozenset({"from", "chown", "chmod", "link", "parents", "exclude"}),
    "ADD": frozenset({"chown", "chmod", "link", "keep-git-dir", "checksum", "exclude", "unpack"}),
    "HEALTHCHECK": frozenset({"interval", "timeout", "start-period", "start-interval", "retries"}),
    "ARG": frozenset({"required"}),
}
# STOPSIGNAL is the one instruction whose parser never looks at flags.
NO_FLAG_CHECK = frozenset({"STOPSIGNAL"})
MOUNT_TYPES = frozenset({"bind", "cache", "tmpfs", "secret", "ssh"})


def check(ctx: CheckContext) -> Iterator[Violation]:
    df = ctx.dockerfile
    yield from _duplicate_stages(df)
    for instr in df.instructions:
        yield from _unknown_flags(instr)
        if instr.keyword == "RUN":
            yield from _mount_types(instr)
    yield from _cycles(df)
    if ctx.target and df.stage_by_name(ctx.target) is None:
        names = ", ".join(s.display_name for s in df.stages if s.display_name) or "none"
        yield Violation(
            line=0,
            message=f"target stage {ctx.target!r} could not be found (stages: {names})",
        )


def _duplicate_stages(df: Dockerfile) -> Iterator[Violation]:
    first: dict[str, int] = {}
    for stage in df.stages:
        if stage.name is None:
            continue
        if stage.name in first:
            yield Violation(
                line=stage.line,
                message=f"duplicate stage name {stage.display_name!r} (first defined on line "
                f"{first[stage.name]}; names compare case-insensitively): which stage "
                "`--from` and `FROM` pick is undefined",
            )
        else:
            first[stage.name] = stage.line


def _flag_name(flag: str) -> str:
    return flag[2:].split("=", 1)[0]


def _unknown_flags(instr: Instruction) -> Iterator[Violation]:
    if instr.keyword in NO_FLAG_CHECK or not instr.flags:
        return
    if instr.keyword == "HEALTHCHECK" and instr.value.split(" ", 1)[0].upper() == "NONE":
        return  # BuildKit does not parse flags of HEALTHCHECK NONE (DP309's concern)
    allowed = FLAGS.get(instr.keyword, frozenset())
    for flag in instr.flags:
        name = _flag_name(flag)
        if name not in allowed:
            known = ", ".join(f"--{n}" for n in sorted(allowed)) or "none"
            yield Violation(
                line=instr.line,
                end_line=instr.end_line,
                message=f'{instr.keyword} has no flag --{name} (BuildKit: "unknown flag: '
                f'{name}"); its flags: {known}',
            )


# The keys BuildKit's --mount parser accepts (instructions/commands_runmount.go); any other key
# fails the build with "unexpected key 'k' in 'k=v'". The model has already mapped the aliases
# dst/destination -> target, src -> source and ro -> readonly.
MOUNT_KEYS = frozenset(
    {"type", "from", "source", "target", "readonly", "readwrite", "rw", "required", "id"}
    | {"sharing", "mode", "uid", "gid", "size", "env"}
)


def _mount_types(instr: Instruction) -> Iterator[Violation]:
    for mount in instr.mounts:
        if mount.type not in MOUNT_TYPES:
            yield Violation(
                line=instr.line,
                end_line=instr.end_line,
                message=f"unsupported mount type {mount.type!r} in RUN --mount (BuildKit knows "
                "bind, cache, tmpfs, secret, ssh)",
            )
        for key, value in mount.options:
            if key not in MOUNT_KEYS:
                yield Violation(
                    line=instr.line,
                    end_line=instr.end_line,
                    message=f"unexpected key {key!r} in RUN --mount ({key}={value}): BuildKit "
                    "fails the build; its keys are " + ", ".join(sorted(MOUNT_KEYS)),
                )


def _from_refs(instr: Instruction) -> list[str]:
    refs = []
    if instr.keyword == "COPY":
        refs.extend(instr.flag_values("from"))
    if instr.keyword == "RUN":
        refs.extend(m.get("from") for m in instr.mounts if m.get("from"))
    out = []
    for ref in refs:
        exp = expand(ref, instr.env)
        if not exp.undefined and exp.value:
            out.append(exp.value)
    return out


def _cycles(df: Dockerfile) -> Iterator[Violation]:
    """COPY --from / RUN --mount from= edges between stages; BuildKit fails on a cycle.

    A reference to a stage defined later is accepted by BuildKit (moby/buildkit#532) as long
    as no cycle results, so only cycles and indexes out of range are errors.
    """
    edges: dict[int, list[tuple[int, Instruction]]] = {s.index: [] for s in df.stages}
    for instr in df.instructions:
        if instr.stage < 0:
            continue
        for ref in _from_refs(instr):
            if ref.isdigit():
                index = int(ref)
                if index >= len(df.stages):
                    yield Violation(
                        line=instr.line,
                        end_line=instr.end_line,
                        message=f"--from={ref}: there is no stage {index} "
                        f"(stages are numbered 0 to {len(df.stages) - 1})",
                    )
                    continue
                edges[instr.stage].append((index, instr))
                continue
            stage = _stage_named(df, ref)
            if stage is not None:
                edges[instr.stage].append((stage.index, instr))
    reported: set[int] = set()
    for start in edges:
        path = _find_cycle(edges, start)
        if path is None:
            continue
        instr = path[0]
        if instr.line in reported:
            continue
        reported.add(instr.line)
        stage = df.stages[start]
        if len(path) == 1 and instr.stage == start and _targets(edges, instr) == start:
            message = f"stage {stage.label()!r} copies from itself: circular dependency"
        else:
            lines = ", ".join(str(i.line) for i in path)
            message = f"circular dependency between stages through lines {lines}"
        yield Violation(line=instr.line, end_line=instr.end_line, message=message)


def _stage_named(df: Dockerfile, name: str):
    # Only names: a number is an index, handled by the caller.
    low = name.lower()
    found = None
    for stage in df.stages:
        if stage.name == low:
            found = stage  # BuildKit's map keeps the last stage of a duplicated name
    return found


def _targets(edges: dict[int, list[tuple[int, Instruction]]], instr: Instruction) -> int | None:
    for target, via in edges[instr.stage]:
        if via is instr:
            return target
    return None


def _find_cycle(
    edges: dict[int, list[tuple[int, Instruction]]], start: int
) -> list[Instruction] | None:
    """The instructions of a cycle through `start`, or None."""
    stack: list[tuple[int, list[Instruction]]] = [(start, [])]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        for target, instr in edges.get(node, []):
            if target == start:
                return [*path, instr]
            if target not in seen:
                seen.add(target)
                stack.append((target, [*path, instr]))
    return None
