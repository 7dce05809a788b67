"""## What it does
Finds Python package installs that run without an *effective* BuildKit cache mount:

- pip in any spelling (`pip`, `pip3`, `pip3.13`, `/opt/venv/bin/pip`, `python -m pip`,
  `python3 -m pip`), for `install`, `wheel` and `download`; uv (`uv pip install`, `uv pip sync`,
  `uv sync`, `uv add`, `uv tool install`); poetry (`poetry install`, `add`, `sync`, `update`);
- with **no cache mount**, or a cache mount at **a folder the installer does not use**, or one it
  **cannot write**, or one **defeated** by disabling the cache.

Which folder is used is worked out the way the tools do it: `--cache-dir`, then `PIP_CACHE_DIR`
(`UV_CACHE_DIR`, `POETRY_CACHE_DIR`), then `$XDG_CACHE_HOME/pip` (`uv`, `pypoetry`), then
`$HOME/.cache/pip`. `HOME` comes from ENV, or from the user the RUN runs as: the last USER of the
stage's lineage (`FROM <stage>` included, variables resolved), `/root` for root, and for other
users the home that `useradd`/`adduser` gave them (default `/home/<name>`). BuildKit creates cache
mounts owned by root with mode 0755 unless `uid=`/`mode=` say otherwise, so a non-root user cannot
write there and pip disables its cache with a warning.

The cache is disabled by `--no-cache-dir` (or an abbreviation pip accepts, like `--no-cache`), by
`PIP_NO_CACHE_DIR` set to **any** value, including `0`, `false` and `off` (pip's option callback
disables the cache for every valid value "for backwards compatibility"; see pypa/pip#5385 and the
comment in `pip/_internal/cli/cmdoptions.py`; only an empty value leaves the cache on), in ENV or
ARG anywhere in the stage's lineage, exported in the RUN or given inline; by `--no-cache`/`-n` or a
true `UV_NO_CACHE` for uv; by `--no-cache` for poetry. Installs that download nothing
(`--no-index`, `--offline`) are not flagged.

`--no-cache-dir` without a mount is flagged too: it is hadolint's DL3042 advice and it does keep
the cache out of the layer, but every rebuild then downloads everything again. A cache mount also
keeps the cache out of the layer and keeps the downloads between builds.

## Why is this bad?
The dependency layer is rebuilt whenever a requirements file changes (and on every CI build
without a layer cache). Without a working cache all packages are downloaded again: the seed
measured 3m30 without and 1m20 with the cache. A mount at the wrong folder, or one pip may not
use, costs the same as none, and looks like it works.

## Example
```dockerfile
FROM python:3.13-slim
ENV PIP_NO_CACHE_DIR=0
COPY requirements.txt .
RUN --mount=type=cache,target=/root/.cache/pip \\
    pip install --no-cache-dir -r requirements.txt
USER app
RUN --mount=type=cache,target=/root/.cache/pip pip install --user httpx
```

## Use instead
```dockerfile
FROM python:3.13-slim
COPY requirements.txt .
RUN --mount=type=cache,target=/root/.cache/pip \\
    pip install -r requirements.txt
```
(and install as root, or give the non-root user's own folder with `uid=`).
"""

# No `from __future__ import annotations`: NamedTuple field types stay objects (rules/base.py).

import re
from collections.abc import Iterator, Mapping
from typing import NamedTuple

from rules.base import CheckContext, Edit, Rule, Severity, Violation
from rules.commands import (
    Command,
    Installer,
    env_setter,
    installer,
    is_root_user,
    is_under,
    prepend_run_flags,
    resolve_path,
    run_commands,
    user_before,
    workdir_before,
)
from rules.model import Dockerfile, Instruction, Mount
from rules.shell import expand

RULE = Rule(
    id="DP103",
    name="pip-without-cache-mount",
    title="pip/uv/poetry install without an effective cache mount",
    severity=Severity.WARNING,
    fix="Add `--mount=type=cache,target=/root/.cache/pip` (the installing user's cache folder) "
    "and drop `--no-cache-dir` / PIP_NO_CACHE_DIR",
    fixable=True,
)

# tool -> (cache folder variable, folder under XDG_CACHE_HOME / ~/.cache)
_CACHE_VARS = {"pip": ("PIP_CACHE_DIR", "pip"), "uv": ("UV_CACHE_DIR", "uv")}
_CACHE_VARS["poetry"] = ("POETRY_CACHE_DIR", "pypoetry")
_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_USERADD_VALUE_OPTS = frozenset(
    {"-b", "-c", "-d", "-e", "-f", "-g", "-G", "-k", "-K", "-p", "-s", "-u", "-R", "-P", "-Z"}
    | {"--base-dir", "--comment", "--home-dir", "--expiredate", "--inactive", "--gid"}
    | {"--groups", "--skel", "--key", "--password", "--shell", "--uid", "--root", "--prefix"}
    | {"--home", "--ingroup", "--gecos", "--firstuid", "--lastuid", "--conf", "-h"}
)


# NamedTuples and a __slots__ class, not dataclasses: start-up time, see rules/base.py.
class RunUser(NamedTuple):
    name: str  # as written in USER (group stripped)
    root: bool
    uid: int | None  # when known
    home: str | None  # None when it cannot be known
    where: str  # "root (no USER)" / "USER app (line 12)"


class Finding:
    """What the installs of one RUN add up to (filled in by _analyse)."""

    __slots__ = ("add_mounts", "drop_tokens", "editable", "fixes", "problems")

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.fixes: list[str] = []
        self.add_mounts: dict[str, str] = {}  # target -> flag
        self.drop_tokens: set[str] = set()
        self.editable = True


def _users_created(df: Dockerfile, instr: Instruction) -> list[tuple[str, int | None, str]]:
    """(name, uid, home) of users made by useradd/adduser in RUNs before `instr`."""
    stage = df.stage_of(instr)
    out: list[tuple[str, int | None, str]] = []
    if stage is None:
        return out
    for i in df.lineage_instructions(stage):
        if i is instr:
            break
        if i.keyword != "RUN":
            continue
        for cmd in run_commands(df, i):
            if cmd.program not in ("useradd", "adduser"):
                continue
            args = cmd.argv[1:]
            names, opts = [], {}
            k = 0
            while k < len(args):
                a = args[k]
                if a.startswith("-"):
                    key, eq, val = a.partition("=")
                    if eq:
                        opts[key] = val
                    elif a in _USERADD_VALUE_OPTS and k + 1 < len(args):
                        opts[a] = args[k + 1]
                        k += 1
                    else:
                        opts[a] = ""
                else:
                    names.append(a)
                k += 1
            if not names:
                continue
            name = names[0]
            uid_text = opts.get("-u") or opts.get("--uid") or ""
            uid = int(uid_text) if uid_text.isdigit() else None
            home = opts.get("-d") or opts.get("--home-dir") or opts.get("--home")
            if cmd.program == "adduser" and home is None:
                home = opts.get("-h")
            if home is None:
                if cmd.program == "adduser" and "--system" in opts:
                    home = "/nonexistent"  # Debian's adduser gives system users no home
                else:
                    home = f"{opts.get('-b') or opts.get('--base-dir') or '/home'}/{name}"
            out.append((name, uid, home))
    return out


def run_user(df: Dockerfile, instr: Instruction) -> RunUser:
    user, where = user_before(df, instr)
    name = user.split(":", 1)[0].strip()
    shown = f"USER at line {where.line}" if where is not None else "no USER"
    if is_root_user(user):
        return RunUser(name or "root", True, 0, "/root", shown)
    uid = int(name) if name.isdigit() else None
    home = None
    for made, made_uid, made_home in _users_created(df, instr):
        if made == name or (uid is not None and made_uid == uid):
            home = made_home
            uid = made_uid if made_uid is not None else uid
    if home is None and name.isdigit():
        home = "/"  # a uid with no passwd entry: Docker sets HOME=/
    return RunUser(name, False, uid, home, shown)


def _run_env(commands: list[Command], k: int, base: Mapping[str, str]) -> dict[str, str]:
    """Variables the k-th command sees: ENV/ARG, `export`s before it, its inline assignments."""
    env = dict(base)
    for cmd in commands[:k]:
        if cmd.program == "export":
            for word in cmd.argv[1:]:
                key, eq, value = word.partition("=")
                if eq:
                    env[key] = expand(value, env).value
        elif cmd.program == "unset":
            for word in cmd.argv[1:]:
                env.pop(word, None)
    for key, word in commands[k].assignments:
        env[key] = expand(word.text.partition("=")[2], env).value
    return env


def _mount_targets(instr: Instruction, cwd: str) -> list[tuple[Mount, str]]:
    out = []
    for m in instr.mounts:
        if m.type != "cache":
            continue
        target = expand(m.target, instr.env).value
        if target.startswith("~"):
            # BuildKit expands ARG/ENV in --mount, never `~` (moby/buildkit#2406):
            # `target=~/.cache/pip` is a folder named "~" under the WORKDIR.
            target = (cwd or "/").rstrip("/") + "/" + target
        out.append((m, resolve_path(target, cwd)))
    return out


def cache_folder(inst: Installer, env: Mapping[str, str], user: RunUser) -> str | None:
    """The folder the installer caches in; None when it depends on an unknown HOME."""
    var, sub = _CACHE_VARS[inst.tool]
    home = env.get("HOME") or user.home
    scope = dict(env)
    if home:
        scope["HOME"] = home
    explicit = inst.values("--cache-dir")
    value = explicit[-1] if explicit else env.get(var)
    if value:
        if value.startswith("~"):
            value = (home or "") + value[1:] if home else ""
        value = expand(value, scope).value
        return resolve_path(value, "/") if value.startswith("/") else None
    xdg = env.get("XDG_CACHE_HOME", "")
    if xdg.startswith("/"):
        return resolve_path(f"{xdg}/{sub}", "/")
    if home:
        return resolve_path(f"{home}/.cache/{sub}", "/")
    return None


def _writable(mount: Mount, user: RunUser) -> bool:
    if user.root:
        return True
    uid = mount.get("uid")
    if uid is not None:
        return user.uid is None or not uid.isdigit() or int(uid) == user.uid
    mode = mount.get("mode") or ""
    try:
        bits = int(mode, 8)
    except ValueError:
        return False
    return bool(bits & 0o002) or (mount.get("gid") is not None and bool(bits & 0o020))


class Cause(NamedTuple):
    """Something that switches the install's cache off."""

    kind: str  # "flag" | "inline" | "env" (ENV/ARG) | "export"
    text: str  # `--no-cache-dir`, `PIP_NO_CACHE_DIR=1`
    where: str  # "", "given inline", "ENV at line 22, stage builder-core", "exported in the RUN"
    token: str = ""  # what to delete from the RUN's text to undo it (flag / inline)

    def __str__(self) -> str:
        return f"`{self.text}`" + (f" ({self.where})" if self.where else "")


def _disabled_by(
    inst: Installer, cmd: Command, env: Mapping[str, str], df: Dockerfile, instr: Instruction
) -> list[Cause]:
    out: list[Cause] = []
    if inst.tool == "pip":
        # optparse accepts any unambiguous prefix: `--no-cache` is `--no-cache-dir` to pip.
        out += [
            Cause("flag", a, "", a)
            for a in inst.args
            if len(a) >= len("--no-ca") and "--no-cache-dir".startswith(a)
        ]
        # pip disables the cache for every valid value, 0 and false included (pypa/pip#5385).
        if env.get("PIP_NO_CACHE_DIR"):
            out.append(_env_cause("PIP_NO_CACHE_DIR", env["PIP_NO_CACHE_DIR"], cmd, df, instr))
    elif inst.tool == "uv":
        out += [Cause("flag", a, "", a) for a in inst.args if a in ("--no-cache", "-n")]
        if env.get("UV_NO_CACHE", "").lower() in _TRUE:
            out.append(_env_cause("UV_NO_CACHE", env["UV_NO_CACHE"], cmd, df, instr))
    else:
        out += [Cause("flag", a, "", a) for a in inst.args if a == "--no-cache"]
    return out


def _env_cause(key: str, value: str, cmd: Command, df: Dockerfile, instr: Instruction) -> Cause:
    text = f"{key}={value}"
    if cmd.assigned(key) is not None:
        return Cause("inline", text, "given inline", f"{key}={cmd.assigned(key)}")
    setter = env_setter(df, instr, key)
    if setter is not None and instr.env.get(key) == value:
        stage = df.stage_of(setter)
        label = stage.label() if stage is not None else "?"
        return Cause("env", text, f"{setter.keyword} at line {setter.line}, stage {label}")
    return Cause("export", text, "exported in this RUN")


def _offline(inst: Installer, env: Mapping[str, str]) -> bool:
    if inst.flag("--no-index", "--offline"):
        return True
    if inst.tool == "pip" and env.get("PIP_NO_INDEX", "").lower() in _TRUE:
        return True
    return inst.tool == "uv" and env.get("UV_OFFLINE", "").lower() in _TRUE


def _describe(inst: Installer) -> str:
    return f"{inst.tool} {inst.sub}" if inst.tool != "pip" else f"pip {inst.sub}"


def _analyse(
    df: Dockerfile,
    instr: Instruction,
    commands: list[Command],
    k: int,
    inst: Installer,
    user: RunUser,
    mounts: list[tuple[Mount, str]],
    out: Finding,
) -> None:
    cmd = commands[k]
    env = _run_env(commands, k, instr.env)
    if _offline(inst, env):
        return
    what = _describe(inst)
    folder = cache_folder(inst, env, user)
    sub = _CACHE_VARS[inst.tool][1]
    if folder is not None:
        matching = [(m, t) for m, t in mounts if is_under(folder, t) or is_under(t, folder)]
        matching = [(m, t) for m, t in matching if t != "/"]
    else:
        # HOME unknown (a named non-root user): any ~/.cache folder outside /root may be right.
        matching = [
            (m, t)
            for m, t in mounts
            if not is_under(t, "/root") and (t.endswith("/.cache") or t.endswith(f"/.cache/{sub}"))
        ]
    causes = _disabled_by(inst, cmd, env, df, instr)
    runs_as = "root" if user.root else f"user {user.name} ({user.where})"
    uses = folder if folder is not None else f"~{user.name}/.cache/{sub}"
    why_any = (
        " (pip turns its cache off for any value of PIP_NO_CACHE_DIR, even 0 or false)"
        if any(c.text.startswith("PIP_NO_CACHE_DIR") for c in causes)
        else ""
    )

    if not mounts:
        text = (
            f"`{what}` runs without a cache mount: every rebuild of this layer downloads every "
            "package again"
        )
        if causes:
            text += (
                f"; {' and '.join(map(str, causes))} keeps the cache out of the layer, but so "
                f"does a cache mount at {uses}, which also keeps the downloads between builds"
            )
        out.problems.append(text)
    elif not matching:
        where = ", ".join(t for _, t in mounts)
        text = (
            f"the cache mount at {where} is not where `{what}` caches: it runs as {runs_as} "
            f"and uses {uses}"
        )
        if causes:
            text += f", and {' and '.join(map(str, causes))} turns its cache off{why_any}"
        out.problems.append(text)
    else:
        mount, target = matching[0]
        if causes:
            out.problems.append(
                f"the {inst.tool} cache mount at {target} is defeated by "
                f"{' and '.join(map(str, causes))}: {inst.tool} never reads or writes it"
                f"{why_any}"
            )
        if not _writable(mount, user):
            out.problems.append(
                f"the cache mount at {target} belongs to root (BuildKit's default uid=0, mode "
                f"0755) but `{what}` runs as {runs_as}: it cannot write there and works "
                "without its cache"
            )
            uid = f"uid={user.uid}" if user.uid is not None else f"uid=<uid of {user.name}>"
            out.fixes.append(f"add `{uid}` to the mount at {target}")
            out.editable = False

    for cause in causes:
        _undo(cause, inst, commands, out)
    if matching:
        return
    if folder is None:
        out.fixes.append(
            f"mount a cache at {user.name}'s ~/.cache/{sub} with `uid=` (set HOME or "
            f"{_CACHE_VARS[inst.tool][0]} so that the folder is known)"
        )
        out.editable = False
        return
    flag = f"--mount=type=cache,target={folder}"
    if not user.root:
        if user.uid is None:
            out.fixes.append(f"add `{flag},uid=<uid of {user.name}>`")
            out.editable = False
            return
        flag += f",uid={user.uid}"
    out.add_mounts[folder] = flag
    out.fixes.append(f"add `{flag}`")


def _undo(cause: Cause, inst: Installer, commands: list[Command], out: Finding) -> None:
    if cause.kind == "flag":
        out.fixes.append(f"drop `{cause.token}`")
        # uv's `-n` is too short to find safely in the text, and apk also has `--no-cache`.
        if cause.token == "-n" or (
            inst.tool != "pip" and any(c.program == "apk" for c in commands)
        ):
            out.editable = False
        else:
            out.drop_tokens.add(cause.token)
    elif cause.kind == "inline":
        out.drop_tokens.add(cause.token)
        out.fixes.append(f"drop the inline `{cause.token}`")
    else:
        key = cause.text.split("=", 1)[0]
        instead = (
            "set it to an empty value (0 and false disable the cache too)"
            if key == "PIP_NO_CACHE_DIR"
            else "set it to false"
        )
        out.fixes.append(f"remove {key} ({cause.where}) or {instead}")
        out.editable = False


def _without(text: str, token: str) -> str:
    """`text` with the word `token` removed, with one of the blanks around it."""
    pattern = re.compile(r"(^[ \t]*|[ \t]+)" + re.escape(token) + r"(?=[ \t]|$)([ \t]*)")

    def keep(m: re.Match[str]) -> str:
        before, after = m.group(1), m.group(2)
        if m.start() == 0:
            return before  # keep the indentation, drop the blanks after the token
        return after if m.end() < len(text) else ""

    return pattern.sub(keep, text)


def _edits(df: Dockerfile, instr: Instruction, result: Finding) -> tuple[Edit, ...]:
    """One Edit over the RUN's changed lines: mounts after `RUN`, disabling tokens removed."""
    if not result.editable or not (result.add_mounts or result.drop_tokens):
        return ()
    first, last = instr.line, instr.end_line
    original = list(df.lines[first - 1 : last])
    lines = list(original)
    body_lines = {n for h in instr.heredocs for n in range(h.line, h.end_line + 1)}
    for token in sorted(result.drop_tokens, key=len, reverse=True):
        for k, text in enumerate(lines):
            if text is None:
                continue
            number = first + k
            escape = "\\" if number in body_lines else df.escape
            new = _without(text, token)
            if new == text:
                continue
            lines[k] = new
            if new.strip() in ("", escape) and number != first:
                continued = new.rstrip().endswith(escape)
                lines[k] = None  # type: ignore[call-overload]
                if not continued:
                    # The instruction ended here: end it on the previous line instead.
                    j = k - 1
                    while j >= 0 and (lines[j] is None or lines[j].lstrip().startswith("#")):
                        j -= 1
                    if j >= 0:
                        lines[j] = re.sub(r"[ \t]*" + re.escape(escape) + r"[ \t]*$", "", lines[j])
    kept = [ln for ln in lines if ln is not None]
    if result.add_mounts:
        head = prepend_run_flags(kept[0], sorted(result.add_mounts.values()), df.escape)
        if head is None:
            return ()
        kept[0:1] = head
    if kept == original:
        return ()
    return (Edit(first, last, tuple(kept)),)


def check(ctx: CheckContext) -> Iterator[Violation]:
    df = ctx.dockerfile
    for stage in df.stages:
        for instr in stage.instructions:
            if instr.keyword != "RUN":
                continue
            commands = run_commands(df, instr)
            found = [(k, inst) for k, c in enumerate(commands) if (inst := installer(c))]
            if not found:
                continue
            user = run_user(df, instr)
            mounts = _mount_targets(instr, workdir_before(df, instr))
            result = Finding()
            for k, inst in found:
                _analyse(df, instr, commands, k, inst, user, mounts, result)
            if not result.problems:
                continue
            yield Violation(
                line=instr.line,
                end_line=instr.end_line,
                message="; ".join(dict.fromkeys(result.problems)),
                fix=_sentence("; ".join(dict.fromkeys(result.fixes))) or None,
                edits=_edits(df, instr, result),
            )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
