"""Shell command lines split into simple commands, for rules that look at what gets run.

RUN scripts, shell-form CMD/ENTRYPOINT and entrypoint scripts are all POSIX sh. This is not a
shell: it is enough of sh's word rules to find each simple command's program and arguments, with
the offsets of every word so a rule can point at the line of one option:

- quotes and backslashes are removed from words (`"--port"` is `--port`); `$VAR`, `${...}`,
  `$(...)` and backticks are kept as written and mark the word as dynamic (its value is only
  known at run time);
- commands are separated by newlines, `;`, `&`, `&&`, `||`, `|`, `(`, `)`; `\\` + newline joins
  lines; `#` starts a comment at the start of a word;
- redirections (`>file`, `2>&1`, `<in`) are dropped from the words; heredoc bodies (`<<EOF`) are
  skipped, so text written into a file is not taken for commands;
- reserved words (`if`, `then`, `do`, `!`, `{` ...) before a command are skipped, and `for` /
  `case` headers are not commands;
- leading `NAME=value` assignments are kept apart from the words.

`unwrap` then removes launchers that run another program with its arguments unchanged (`exec`,
`sudo`, `env`, `tini --`, `gosu user`, `uv run` ...), and `python_invocation` recognises
`python -m module` / `python -c code` in any spelling of the interpreter.
"""

from __future__ import annotations

import bisect
import posixpath
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rules.model import Dockerfile, Instruction

_NAME_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_RESERVED_PREFIX = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "}"})
_RESERVED_ALONE = frozenset({"fi", "done", "esac", "}", "{", "then", "else", "do", ";;"})
_HEADER_WORDS = frozenset({"for", "case", "select", "function"})
_PYTHON = re.compile(r"^(python|pypy)(\d+(\.\d+)?)?([dmu]*)?$")


@dataclass(frozen=True)
class Word:
    text: str  # quotes and escapes removed; `$...` kept as written
    raw: str  # the source text of the word
    start: int  # offset of the word in the source text
    end: int
    dynamic: bool = False  # contains an expansion the shell does at run time

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Command:
    """One simple command: `NAME=value ... program arg ...`."""

    words: tuple[Word, ...]
    assignments: tuple[tuple[str, Word], ...] = ()  # (NAME, the whole `NAME=value` word)

    @property
    def argv(self) -> tuple[str, ...]:
        return tuple(w.text for w in self.words)

    @property
    def program(self) -> str:
        """The program's base name (`/opt/venv/bin/uvicorn` -> `uvicorn`), or ""."""
        if not self.words:
            return ""
        return self.words[0].text.rsplit("/", 1)[-1]

    def assigned(self, name: str) -> str | None:
        for key, word in self.assignments:
            if key == name:
                return word.text.partition("=")[2]
        return None


# ------------------------------------------------------------------------------ tokenizing

_OP_CHARS = "&|;()"


class _Tokenizer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.items: list[Word | str] = []  # words, and separators as plain strings
        self.heredocs: list[tuple[str, bool]] = []  # delimiters waiting for the next newline

    def run(self) -> list[Word | str]:
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch == "\\" and text.startswith("\n", self.pos + 1):
                self.pos += 2  # line continuation
            elif ch in " \t\r":
                self.pos += 1
            elif ch == "\n":
                self.pos += 1
                self.items.append("\n")
                self._skip_heredoc_bodies()
            elif ch == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end == -1 else end
            elif ch in _OP_CHARS:
                two = text[self.pos : self.pos + 2]
                op = two if two in ("&&", "||", ";;") else ch
                if op == "&" and text.startswith(">", self.pos + 1):
                    self._redirect()  # `&>file`
                    continue
                self.pos += len(op)
                self.items.append(op)
            elif ch in "<>":
                self._redirect()
            else:
                word = self._word()
                if word is not None:
                    self.items.append(word)
        return self.items

    def _skip_heredoc_bodies(self) -> None:
        text = self.text
        while self.heredocs:
            delim, strip_tabs = self.heredocs.pop(0)
            while self.pos < len(text):
                end = text.find("\n", self.pos)
                line_end = len(text) if end == -1 else end
                line = text[self.pos : line_end]
                self.pos = line_end + 1 if end != -1 else len(text)
                if (line.lstrip("\t") if strip_tabs else line) == delim:
                    break

    def _redirect(self) -> None:
        """Consume a redirection operator and its target (not a word of the command)."""
        text = self.text
        m = re.match(r"&>>?|<<-|<<<|<<|<>|<&|>&|>>|>\||<|>", text[self.pos :])
        assert m is not None
        op = m.group(0)
        self.pos += len(op)
        while self.pos < len(text) and text[self.pos] in " \t":
            self.pos += 1
        target = self._word()
        if op in ("<<", "<<-") and target is not None:
            self.heredocs.append((target.text, op == "<<-"))

    def _word(self) -> Word | None:
        text = self.text
        start = self.pos
        out: list[str] = []
        dynamic = False
        while self.pos < len(text):
            ch = text[self.pos]
            if ch in " \t\r\n" or ch in _OP_CHARS:
                break
            if ch in "<>":
                if out and "".join(out).isdigit() and start == self.pos - len(out):
                    # `2>&1`: the digits are the redirected descriptor, not a word.
                    self._redirect()
                    return None
                break
            if ch == "\\":
                nxt = text[self.pos + 1 : self.pos + 2]
                self.pos += 2
                if nxt != "\n":
                    out.append(nxt)
            elif ch == "'":
                end = text.find("'", self.pos + 1)
                end = len(text) if end == -1 else end
                out.append(text[self.pos + 1 : end])
                self.pos = end + 1
            elif ch == '"':
                self.pos += 1
                dynamic |= self._double_quoted(out)
            elif ch == "$" or ch == "`":
                out.append(self._expansion())
                dynamic = True
            else:
                out.append(ch)
                self.pos += 1
        if self.pos == start:
            return None
        return Word("".join(out), text[start : self.pos], start, self.pos, dynamic)

    def _double_quoted(self, out: list[str]) -> bool:
        text = self.text
        dynamic = False
        while self.pos < len(text):
            ch = text[self.pos]
            if ch == '"':
                self.pos += 1
                break
            if ch == "\\" and text[self.pos + 1 : self.pos + 2] in ('"', "\\", "$", "`", "\n"):
                if text[self.pos + 1] != "\n":
                    out.append(text[self.pos + 1])
                self.pos += 2
            elif ch == "$" or ch == "`":
                out.append(self._expansion())
                dynamic = True
            else:
                out.append(ch)
                self.pos += 1
        return dynamic

    def _expansion(self) -> str:
        """`$NAME`, `${...}`, `$(...)`, `$((...))` or a backtick command, kept as written."""
        text = self.text
        start = self.pos
        if text[start] == "`":
            end = start + 1
            while end < len(text) and text[end] != "`":
                end += 2 if text[end] == "\\" else 1
            self.pos = min(end + 1, len(text))
            return text[start : self.pos]
        nxt = text[start + 1 : start + 2]
        if nxt in ("{", "("):
            close = "}" if nxt == "{" else ")"
            depth = 0
            i = start + 1
            quote = ""
            while i < len(text):
                c = text[i]
                if quote:
                    if c == quote:
                        quote = ""
                    elif c == "\\" and quote == '"':
                        i += 1
                elif c in "'\"":
                    quote = c
                elif c == "\\":
                    i += 1
                elif c == nxt:
                    depth += 1
                elif c == close:
                    depth -= 1
                    if depth == 0:
                        break
                i += 1
            self.pos = min(i + 1, len(text))
            return text[start : self.pos]
        m = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])?", text[start:])
        assert m is not None
        self.pos = start + len(m.group(0))
        return m.group(0)


def tokenize(text: str) -> list[Word | str]:
    """Words and separators (`\\n`, `;`, `&&`, `||`, `|`, `&`, `(`, `)`, `;;`)."""
    return _Tokenizer(text).run()


def split_commands(text: str) -> list[Command]:
    """The simple commands of a shell script, in order (see the module docs)."""
    commands: list[Command] = []
    current: list[Word] = []

    def flush() -> None:
        if current:
            cmd = _make_command(current)
            if cmd is not None:
                commands.append(cmd)
            current.clear()

    for item in tokenize(text):
        if isinstance(item, str):
            flush()
        else:
            current.append(item)
    flush()
    return commands


def _make_command(words: list[Word]) -> Command | None:
    i = 0
    while i < len(words) and words[i].raw in _RESERVED_PREFIX:
        i += 1
    if i < len(words) and words[i].raw in _HEADER_WORDS:
        return None
    rest = words[i:]
    if len(rest) == 1 and rest[0].raw in _RESERVED_ALONE:
        return None
    assignments = []
    j = 0
    while j < len(rest) and _NAME_ASSIGN.match(rest[j].raw):
        assignments.append((rest[j].raw.split("=", 1)[0], rest[j]))
        j += 1
    if not rest:
        return None
    return Command(tuple(rest[j:]), tuple(assignments))


# ------------------------------------------------------------------------------ launchers

# Launchers that run the rest of the command line as a program: name -> options taking a value.
_LAUNCHERS: dict[str, frozenset[str]] = {
    "exec": frozenset({"-a"}),
    "command": frozenset(),
    "nohup": frozenset(),
    "time": frozenset({"-f", "-o"}),
    "nice": frozenset({"-n"}),
    "sudo": frozenset({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T"}),
    "env": frozenset({"-u", "-C", "-S", "--unset", "--chdir", "--split-string"}),
    "tini": frozenset({"-p", "-e", "-l"}),
    "dumb-init": frozenset({"-r", "--rewrite"}),
    "catatonit": frozenset(),
    "setsid": frozenset(),
    "stdbuf": frozenset({"-i", "-o", "-e"}),
    "timeout": frozenset({"-s", "-k", "--signal", "--kill-after"}),
    "ddtrace-run": frozenset(),
    "opentelemetry-instrument": frozenset(),  # its own options all take a value; see below
}
# Launchers that take one positional argument (a user) before the program.
_USER_LAUNCHERS = frozenset({"gosu", "su-exec", "chpst"})
# `<tool> run [options] program ...`: options that take a value.
_RUNNERS: dict[str, frozenset[str]] = {
    "uv": frozenset(
        {
            "--with",
            "--with-editable",
            "--with-requirements",
            "--python",
            "-p",
            "--env-file",
            "--package",
            "--extra",
            "--group",
            "--only-group",
            "--no-group",
            "--index",
            "--default-index",
            "--index-url",
            "--extra-index-url",
            "--directory",
            "--project",
            "--cache-dir",
            "--config-file",
        }
    ),
    "poetry": frozenset({"--directory", "-C", "--project", "-P"}),
    "pipenv": frozenset(),
    "pdm": frozenset({"-p", "--project"}),
    "hatch": frozenset({"-e", "--env"}),
    "rye": frozenset(),
    "newrelic-admin": frozenset(),
}


def unwrap(cmd: Command) -> Command:
    """The program a launcher line really runs, with its arguments (and env's assignments)."""
    words = list(cmd.words)
    assignments = list(cmd.assignments)
    for _ in range(8):  # `exec sudo -E env X=1 tini -- uvicorn`: a few levels at most
        if not words:
            break
        name = words[0].text.rsplit("/", 1)[-1]
        if name in _LAUNCHERS:
            takes_value = _LAUNCHERS[name]
            i = 1
            while i < len(words) and words[i].text.startswith("-"):
                opt = words[i].text
                i += 1
                if opt == "--":
                    break
                if name == "opentelemetry-instrument" or opt in takes_value:
                    i += 1
            if name == "env":
                while i < len(words) and _NAME_ASSIGN.match(words[i].text):
                    assignments.append((words[i].text.split("=", 1)[0], words[i]))
                    i += 1
            words = words[i:]
        elif name in _USER_LAUNCHERS:
            words = words[2:]
        elif name in _RUNNERS and len(words) > 1 and words[1].text in ("run", "run-program"):
            takes_value = _RUNNERS[name]
            i = 2
            while i < len(words) and words[i].text.startswith("-"):
                opt = words[i].text
                i += 1
                if opt == "--":
                    break
                if opt in takes_value:
                    i += 1
            words = words[i:]
        else:
            break
    return replace(cmd, words=tuple(words), assignments=tuple(assignments))


def commands_of(text: str) -> list[Command]:
    """`split_commands` with every command unwrapped."""
    return [unwrap(c) for c in split_commands(text)]


def words_of(args: tuple[str, ...] | list[str]) -> tuple[Word, ...]:
    """Exec-form arguments as words (offsets are argument indexes; nothing is dynamic)."""
    return tuple(Word(a, a, i, i + 1, False) for i, a in enumerate(args))


def exec_command(args: tuple[str, ...] | list[str]) -> Command:
    """An exec-form argument list (`["uvicorn", "app:app"]`) as a command, unwrapped."""
    return unwrap(Command(words_of(args)))


# ------------------------------------------------------------------------------ python


def is_python(program: str) -> bool:
    """`python`, `python3`, `python3.12`, `pypy3`, `/opt/venv/bin/python` ..."""
    return _PYTHON.match(program.rsplit("/", 1)[-1]) is not None


# Interpreter options that take a value (`-X dev`, `-W ignore`).
_PY_VALUE_OPTS = frozenset("XW")


@dataclass(frozen=True)
class PythonCall:
    kind: str  # "module" (-m), "code" (-c), "script" or "" (interactive / stdin)
    target: str  # the module name, the code, or the script path
    args: tuple[Word, ...]  # the arguments after it
    options: tuple[str, ...]  # interpreter options before it (`-OO`, `-B`)


def python_invocation(cmd: Command) -> PythonCall | None:
    """What `python [options] (-m mod | -c code | script) args` runs; None if not python."""
    if not cmd.words or not is_python(cmd.program):
        return None
    words = cmd.words
    options: list[str] = []
    i = 1
    while i < len(words):
        text = words[i].text
        if text == "--" or not text.startswith("-") or text == "-":
            break
        if text.startswith("--"):  # --version, --help, -X style long options take no value
            options.append(text)
            i += 1
            continue
        # Short options combine (`-Bm pip`, `-OO`, `-mcompileall`); `-m`/`-c` end the cluster.
        for k, ch in enumerate(text[1:], start=1):
            if ch in "mc":
                kind = "module" if ch == "m" else "code"
                attached = text[k + 1 :]
                if k > 1:
                    options.append(text[:k])  # `-OOm`: the cluster's options before `m`
                if attached:
                    return PythonCall(kind, attached, words[i + 1 :], tuple(options))
                if i + 1 < len(words):
                    return PythonCall(kind, words[i + 1].text, words[i + 2 :], tuple(options))
                return None
            if ch in _PY_VALUE_OPTS:
                if not text[k + 1 :]:
                    i += 1  # the value is the next word
                break
        options.append(text)
        i += 1
    if i < len(words) and words[i].text == "--":
        i += 1
    if i < len(words):
        return PythonCall("script", words[i].text, words[i + 1 :], tuple(options))
    return PythonCall("", "", (), tuple(options))


# ------------------------------------------------------------------------------ positions


class LineIndex:
    """Offsets in a text to 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)


# ------------------------------------------------------------------------------ RUN scripts
# (added for the image-size and runtime rules: DP201-DP204, DP303)

SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh"})


def shell_c_script(argv: tuple[str, ...] | list[str]) -> str | None:
    """The script of `sh -c 'script'` / `bash -ec "..."`, or None when argv is not that form."""
    if not argv or argv[0].rsplit("/", 1)[-1] not in SHELLS:
        return None
    i = 1
    while i < len(argv):
        opt = argv[i]
        if not opt.startswith("-") or opt in ("-", "--"):
            return None
        if not opt.startswith("--") and "c" in opt[1:]:
            return argv[i + 1] if i + 1 < len(argv) else None
        i += 2 if opt in ("-o", "+o") else 1
    return None


def is_windows_shell(shell: tuple[str, ...]) -> bool:
    """cmd.exe / PowerShell: their scripts are not sh, so sh analysis must not apply."""
    prog = shell[0].replace("\\", "/").rsplit("/", 1)[-1].lower() if shell else ""
    return prog.removesuffix(".exe") in ("cmd", "powershell", "pwsh")


def run_scripts(df: Dockerfile, instr: Instruction) -> list[str]:
    """The sh scripts a RUN executes: its command line, and heredoc bodies fed to a shell.

    `RUN <<EOF` and `RUN bash <<EOF` run the body as a script; the body of `RUN cat <<EOF > f`
    or `RUN python3 <<EOF` is data, not shell. Exec form is taken as the command it names
    (`sh -c` opened). Windows shells (SHELL ["cmd", "/S", "/C"]) are not analysed.
    """
    if instr.keyword != "RUN":
        return []
    if instr.json_args is not None:
        script = shell_c_script(instr.json_args)
        if script is not None:
            return [script]
        return [" ".join(_sh_quote(a) for a in instr.json_args)]
    if is_windows_shell(df.shell_at(instr)):
        return []
    scripts = [instr.value]
    if instr.heredocs:
        first = next(iter(commands_of(instr.value)), None)
        runs_body = first is None or first.program in SHELLS
        for heredoc in instr.heredocs:
            body = heredoc.text
            shebang = body.split("\n", 1)[0] if body.startswith("#!") else ""
            if shebang and not re.search(r"\b(ba|da|a|z|k)?sh\b", shebang):
                continue  # `#!/usr/bin/env python3`: a program in another language
            if runs_body:
                scripts.append(body)
    return scripts


def _sh_quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"


def run_commands(df: Dockerfile, instr: Instruction) -> list[Command]:
    """Every simple command a RUN executes, unwrapped, with `sh -c '...'` opened one level."""
    out: list[Command] = []
    for script in run_scripts(df, instr):
        for cmd in commands_of(script):
            inner = shell_c_script(cmd.argv)
            out.extend(commands_of(inner) if inner is not None else [cmd])
    return out


# ------------------------------------------------------------------------------ package managers


@dataclass(frozen=True)
class PackageOp:
    manager: str  # "apt" (apt-get, apt, aptitude) | "apk" | "yum" (yum, dnf, microdnf) | "pip"
    action: str  # "install", "remove", "autoremove", "update", "upgrade", "clean", ...
    packages: tuple[str, ...]  # names, lower case, versions/arch/extras stripped
    options: tuple[str, ...]
    virtual: str | None = None  # apk add --virtual NAME


_APT_PROGRAMS = frozenset({"apt-get", "apt", "aptitude"})
_YUM_PROGRAMS = frozenset({"yum", "dnf", "microdnf", "tdnf"})
_PIP_PROGRAM = re.compile(r"^pip(\d+(\.\d+)?)?$")
_OP_VALUE_OPTS = {
    "apt": frozenset({"-o", "-c", "-t", "--option", "--config-file", "--target-release"}),
    "apk": frozenset(
        {"-t", "--virtual", "-X", "--repository", "-p", "--root", "--arch", "--cache-dir"}
        | {"--keys-dir", "--repositories-file"}
    ),
    "yum": frozenset({"-x", "--exclude", "--installroot", "-c", "--config", "--releasever"}),
    "pip": frozenset(
        {"-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-t", "--target"}
        | {"--prefix", "--root", "-i", "--index-url", "--extra-index-url", "-f", "--find-links"}
        | {"--trusted-host", "--cache-dir", "--src", "--upgrade-strategy", "--platform"}
        | {"--python-version", "--implementation", "--abi", "--progress-bar", "--log"}
        | {"--proxy", "--timeout", "--retries", "--exists-action", "-C", "--config-settings"}
        | {"--global-option", "--no-binary", "--only-binary", "--report", "--python", "--cert"}
        | {"--client-cert", "-d", "--dest"}
    ),
}
_OP_ACTIONS = {
    "apt": {
        "install": "install",
        "reinstall": "install",
        "remove": "remove",
        "purge": "remove",
        "autoremove": "autoremove",
        "autopurge": "autoremove",
        "update": "update",
        "upgrade": "upgrade",
        "dist-upgrade": "upgrade",
        "full-upgrade": "upgrade",
        "clean": "clean",
        "autoclean": "clean",
    },
    "apk": {"add": "install", "del": "remove", "update": "update", "upgrade": "upgrade"},
    "yum": {
        "install": "install",
        "groupinstall": "install",
        "reinstall": "install",
        "remove": "remove",
        "erase": "remove",
        "autoremove": "autoremove",
        "update": "upgrade",
        "upgrade": "upgrade",
        "makecache": "update",
        "clean": "clean",
    },
    "pip": {"install": "install", "uninstall": "remove", "download": "download"},
}


def package_op(cmd: Command) -> PackageOp | None:
    """What a package-manager command does (give it an unwrapped command), or None."""
    argv = cmd.argv
    prog = cmd.program
    if prog in _APT_PROGRAMS:
        return _package_op("apt", argv[1:])
    if prog == "apk":
        return _package_op("apk", argv[1:])
    if prog in _YUM_PROGRAMS:
        return _package_op("yum", argv[1:])
    if _PIP_PROGRAM.match(prog):
        return _package_op("pip", argv[1:])
    if prog == "uv" and argv[1:2] == ("pip",):
        return _package_op("pip", argv[2:])
    call = python_invocation(cmd)
    if call is not None and call.kind == "module" and call.target == "pip":
        return _package_op("pip", tuple(w.text for w in call.args))
    return None


def _package_op(manager: str, words: tuple[str, ...]) -> PackageOp | None:
    value_opts = _OP_VALUE_OPTS[manager]
    action = ""
    packages: list[str] = []
    options: list[str] = []
    virtual = None
    i = 0
    while i < len(words):
        word = words[i]
        if word.startswith("-") and word != "-":
            options.append(word)
            if word in value_opts and i + 1 < len(words):
                if manager == "apk" and word in ("-t", "--virtual"):
                    virtual = words[i + 1]
                options.append(words[i + 1])
                i += 1
        elif not action:
            action = _OP_ACTIONS[manager].get(word.lower(), word.lower())
        else:
            name = _package_name(manager, word)
            if name:
                packages.append(name)
        i += 1
    if not action:
        return None
    return PackageOp(manager, action, tuple(packages), tuple(options), virtual)


def _package_name(manager: str, spec: str) -> str:
    if manager == "pip":
        if spec.startswith((".", "/", "git+", "http:", "https:", "file:")) or spec.endswith(
            (".whl", ".tar.gz", ".zip")
        ):
            return ""
        return re.split(r"[\[<>=!~;@ ]", spec, maxsplit=1)[0].lower().replace("_", "-")
    if manager == "apt":
        return re.split(r"[=/]", spec, maxsplit=1)[0].split(":", 1)[0].lower()
    if manager == "apk":
        return re.split(r"[=<>~]", spec, maxsplit=1)[0].lower()
    return spec.lower()


# ------------------------------------------------------------------------------ paths


def workdir_before(df: Dockerfile, instr: Instruction) -> str:
    """The working directory an instruction runs in: WORKDIRs before it in its lineage."""
    stage = df.stage_of(instr)
    cwd = "/"
    if stage is None:
        return cwd
    for i in df.lineage_instructions(stage):
        if i is instr:
            break
        if i.keyword == "WORKDIR" and i.args:
            cwd = resolve_path(i.args[0], cwd)
    return cwd


def resolve_path(path: str, cwd: str) -> str:
    """Absolute and normalised (no trailing `/`); `~` is root's home, as in a root RUN."""
    if path == "~" or path.startswith("~/"):
        path = "/root" + path[1:]
    if not path.startswith("/"):
        path = posixpath.join(cwd or "/", path)
    norm = posixpath.normpath(path)
    return "/" + norm.lstrip("/")


def is_under(path: str, parent: str) -> bool:
    """`path` is `parent` or inside it (both absolute and normalised)."""
    return parent == "/" or path == parent or path.startswith(parent + "/")
