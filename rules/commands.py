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

# No `from __future__ import annotations`: NamedTuple field types stay objects (rules/base.py).

import bisect
import posixpath
import re
from fnmatch import fnmatchcase
from functools import cache
from typing import NamedTuple

from rules.model import Dockerfile, Instruction

_NAME_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_RESERVED_PREFIX = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "}"})
_RESERVED_ALONE = frozenset({"fi", "done", "esac", "}", "{", "then", "else", "do", ";;"})
_HEADER_WORDS = frozenset({"for", "case", "select", "function"})
_PYTHON = re.compile(r"^(python|pypy)(\d+(\.\d+)?)?([dmu]*)?$")


class Word(NamedTuple):  # NamedTuples, not dataclasses: see rules/base.py
    text: str  # quotes and escapes removed; `$...` kept as written
    raw: str  # the source text of the word
    start: int  # offset of the word in the source text
    end: int
    dynamic: bool = False  # contains an expansion the shell does at run time

    def __str__(self) -> str:
        return self.text


class Command(NamedTuple):
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
    # `xargs apt-get install -y < packages.txt` runs apt-get (added for DP101).
    "xargs": frozenset({"-I", "-n", "-P", "-L", "-d", "-a", "-E", "-s"}),
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


def _skip_options(
    words: list[Word], i: int, takes_value: frozenset[str], every: bool = False
) -> int:
    """Index of the first word after a launcher's options (and a `--` that ends them)."""
    while i < len(words) and words[i].text.startswith("-"):
        opt = words[i].text
        i += 1
        if opt == "--":
            break
        if every or opt in takes_value:
            i += 1
    return i


def unwrap(cmd: Command) -> Command:
    """The program a launcher line really runs, with its arguments (and env's assignments)."""
    words = list(cmd.words)
    assignments = list(cmd.assignments)
    for _ in range(8):  # `exec sudo -E env X=1 tini -- uvicorn`: a few levels at most
        if not words:
            break
        name = words[0].text.rsplit("/", 1)[-1]
        if name in _LAUNCHERS:
            # opentelemetry-instrument's options all take a value.
            every = name == "opentelemetry-instrument"
            i = _skip_options(words, 1, _LAUNCHERS[name], every)
            if name in ("env", "sudo"):
                # `sudo VAR=value cmd` passes VAR like `env` does.
                while i < len(words) and _NAME_ASSIGN.match(words[i].text):
                    assignments.append((words[i].text.split("=", 1)[0], words[i]))
                    i += 1
            words = words[i:]
        elif name in _USER_LAUNCHERS:
            words = words[2:]
        elif name in _RUNNERS and len(words) > 1 and words[1].text in ("run", "run-program"):
            words = words[_skip_options(words, 2, _RUNNERS[name]) :]
        else:
            break
    return cmd._replace(words=tuple(words), assignments=tuple(assignments))


_COMMANDS_CACHE: dict[str, tuple[Command, ...]] = {}


def commands_of(text: str) -> list[Command]:
    """`split_commands` with every command unwrapped."""
    # Memoised: a dozen rules ask for the commands of the same RUN, and tokenising is most of a
    # check's time (Commands are frozen, so sharing them is safe; the list is a fresh copy).
    cached = _COMMANDS_CACHE.get(text)
    if cached is None:
        if len(_COMMANDS_CACHE) > 4096:
            _COMMANDS_CACHE.clear()
        cached = _COMMANDS_CACHE[text] = tuple(unwrap(c) for c in split_commands(text))
    return list(cached)


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


class PythonCall(NamedTuple):
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
    """Every simple command a RUN executes, unwrapped, with `sh -c '...'` opened one level.

    `$VAR` words that ARG/ENV define are replaced by their build-time value, split into words
    when unquoted as the shell's field splitting would: `apt-get install -y $BUILD_DEPS` installs
    the packages the ARG lists.
    """
    # Memoised per instruction: a dozen rules ask for the same RUN (Instruction hashes by identity).
    cached = _RUN_COMMANDS_CACHE.get(instr)
    if cached is not None:
        return cached
    out: list[Command] = []
    for script in run_scripts(df, instr):
        for cmd in commands_of(script):
            inner = shell_c_script(cmd.argv)
            out.extend(commands_of(inner) if inner is not None else [cmd])
    out = [with_build_values(cmd, instr.env) for cmd in out]
    if len(_RUN_COMMANDS_CACHE) > 4096:
        _RUN_COMMANDS_CACHE.clear()
    _RUN_COMMANDS_CACHE[instr] = out
    return out


_RUN_COMMANDS_CACHE: dict[Instruction, list[Command]] = {}


def with_build_values(cmd: Command, env) -> Command:
    """The command with `$VAR` words of ARG/ENV replaced by their values (see run_commands)."""
    if not any(w.dynamic for w in cmd.words):
        return cmd
    words: list[Word] = []
    changed = False
    for w in cmd.words:
        value = word_value(w, env) if w.dynamic else None
        if value is None:
            words.append(w)
            continue
        changed = True
        if '"' in w.raw or "'" in w.raw:
            words.append(Word(value, w.raw, w.start, w.end))
        else:
            words.extend(Word(part, w.raw, w.start, w.end) for part in value.split())
    return Command(tuple(words), cmd.assignments) if changed else cmd


# ------------------------------------------------------------------------------ package managers


class PackageOp(NamedTuple):
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
    # Memoised: many rules ask about the same commands (Command and PackageOp are frozen).
    try:
        return _PACKAGE_OP_CACHE[cmd]
    except KeyError:
        pass
    if len(_PACKAGE_OP_CACHE) > 8192:
        _PACKAGE_OP_CACHE.clear()
    op = _PACKAGE_OP_CACHE[cmd] = _package_op_uncached(cmd)
    return op


_PACKAGE_OP_CACHE: dict[Command, PackageOp | None] = {}


def _package_op_uncached(cmd: Command) -> PackageOp | None:
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


# ------------------------------------------------------------------------------ build caches
# (added for the build-cache rules DP101-DP106: apt cache mounts, pip/uv/poetry installs)

APT_CACHE = "/var/cache/apt"  # downloaded .debs (archives/) and pkgcache
APT_STATE = "/var/lib/apt"  # package lists (lists/)
# apt actions that download packages into /var/cache/apt/archives (package_op's names).
APT_DOWNLOAD_ACTIONS = frozenset({"install", "upgrade", "build-dep", "satisfy", "safe-upgrade"})


def apt_mount_role(target: str) -> str | None:
    """`cache` or `lists` when a cache mount at `target` holds apt's downloads or its lists.

    A mount at a subfolder (`/var/cache/apt/archives`, `/var/lib/apt/lists`) holds what matters;
    `/var/cache` covers apt's cache too. `/var/lib` is not accepted: it would hide dpkg's status.
    """
    if is_under(target, APT_CACHE) or target == "/var/cache":
        return "cache"
    if is_under(target, APT_STATE):
        return "lists"
    return None


def is_apt_download(cmd: Command) -> bool:
    op = package_op(cmd)
    return op is not None and op.manager == "apt" and op.action in APT_DOWNLOAD_ACTIONS


def is_apt_update(cmd: Command) -> bool:
    op = package_op(cmd)
    return op is not None and op.manager == "apt" and op.action == "update"


# Official images built on Debian or Ubuntu (unless the tag names another OS). They inherit
# /etc/apt/apt.conf.d/docker-clean from the debian and ubuntu images.
_DEBIAN_IMAGES = frozenset(
    {"debian", "ubuntu", "python", "pypy", "node", "buildpack-deps", "golang", "ruby", "rust"}
    | {"php", "perl", "gcc", "openjdk", "eclipse-temurin", "haskell", "julia", "r-base"}
    | {"elixir", "erlang", "clojure", "maven", "gradle", "tomcat", "httpd", "nginx", "swift"}
)
_DEBIAN_TAG_WORDS = frozenset(
    {"debian", "ubuntu", "bookworm", "bullseye", "buster", "stretch", "trixie", "forky"}
    | {"jammy", "noble", "focal", "bionic", "xenial", "plucky", "oracular", "questing"}
)
_NOT_APT_WORDS = frozenset(
    {"alpine", "windowsservercore", "nanoserver", "ubi", "ubi8", "ubi9", "ubi10", "distroless"}
    | {"wolfi", "chainguard", "busybox", "scratch", "fedora", "centos", "rockylinux", "musl"}
    | {"almalinux", "amazonlinux", "al2", "al2023", "oraclelinux", "opensuse", "archlinux"}
)


def image_name(ref: str) -> tuple[str, str]:
    """(repository without registry and `library/`, tag) of an image reference, lower case."""
    ref = ref.strip().lower().split("@", 1)[0]
    repo, tag = ref, ""
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        tag = last.split(":", 1)[1]
        repo = ref[: len(ref) - len(tag) - 1]
    parts = repo.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    if len(parts) > 1 and parts[0] == "library":
        parts = parts[1:]
    return "/".join(parts), tag


def apt_base(ref: str) -> bool | None:
    """True: a Debian/Ubuntu-family image (with docker-clean); False: not apt-based (alpine,
    distroless, RPM, scratch); None: unknown (a private or variable base)."""
    repo, tag = image_name(ref)
    text = f"{repo}:{tag}"
    if repo == "scratch" or _has_word(text, _NOT_APT_WORDS):
        return False
    if repo in _DEBIAN_IMAGES or _has_word(text, _DEBIAN_TAG_WORDS):
        return True
    return None


def _has_word(text: str, words: frozenset[str]) -> bool:
    return _word_pattern(words).search(text) is not None


@cache
def _word_pattern(words: frozenset[str]) -> re.Pattern[str]:
    # One regex per word list, compiled on first use (one per word cost ~1 ms of every check).
    # Words may run into digits (`ubuntu22.04`, `ubi9`) but not into letters (`ubi` in `ubuntu`).
    alternatives = "|".join(re.escape(w) for w in sorted(words))
    return re.compile(rf"(?<![a-z])(?:{alternatives})(?![a-z])")


def root_base(df: Dockerfile, stage_index: int) -> str:
    """The external image a stage is ultimately built FROM (following FROM <stage>)."""
    return df.lineage(df.stages[stage_index])[0].base


def user_before(df: Dockerfile, instr: Instruction) -> tuple[str, Instruction | None]:
    """The user a RUN runs as (`root` when no USER came before it in the lineage), and the USER
    instruction that set it."""
    stage = df.stage_of(instr)
    user, where = "root", None
    if stage is None:
        return user, where
    for i in df.lineage_instructions(stage):
        if i is instr:
            break
        if i.keyword == "USER" and i.args:
            user, where = i.args[0], i
    return user, where


def is_root_user(user: str) -> bool:
    return user.split(":", 1)[0].strip() in ("", "root", "0")


def env_setter(df: Dockerfile, instr: Instruction, key: str) -> Instruction | None:
    """The ENV or ARG before `instr` in its stage lineage that last set `key` (or None)."""
    stage = df.stage_of(instr)
    found = None
    if stage is None:
        return None
    for i in df.lineage_instructions(stage):
        if i is instr:
            break
        if i.keyword in ("ENV", "ARG") and any(kv.key == key for kv in i.pairs):
            found = i
    return found


# `pip install` options that take a value; every other non-option word is a requirement.
PIP_VALUE_OPTS = _OP_VALUE_OPTS["pip"] | frozenset(
    {"--group", "--root-user-action", "-w", "--wheel-dir", "--use-feature", "--keyring-provider"}
    | {"--use-deprecated", "--exists-action", "--log-file", "--build-constraint", "--override"}
    # uv's spellings
    | {"-p", "--index", "--default-index", "--extra", "--only-group", "--no-group", "--package"}
    | {"-P", "--upgrade-package", "--directory", "--project", "--resolution", "--prerelease"}
    | {"--index-strategy", "--link-mode", "--exclude-newer", "--reinstall-package", "-o"}
    | {"--output-file", "--with", "--constraints", "--requirements", "--overrides"}
)
_PIP_GENERAL_VALUE_OPTS = frozenset(
    {"--cache-dir", "--log", "--log-file", "--proxy", "--retries", "--timeout", "--cert"}
    | {"--exists-action", "--trusted-host", "--client-cert", "--python", "--use-feature"}
    | {"--use-deprecated", "--keyring-provider", "--resume-retries"}
)
_UV_GENERAL_VALUE_OPTS = frozenset(
    {"--cache-dir", "--directory", "--project", "--config-file", "--color", "--python", "-p"}
)
_POETRY_GENERAL_VALUE_OPTS = frozenset({"--directory", "-C", "--project", "-P"})


class Installer(NamedTuple):
    """A Python package install: pip (`pip`, `pip3.13`, `python -m pip`), uv or poetry."""

    tool: str  # "pip" | "uv" | "poetry"
    sub: str  # "install", "wheel", "download"; uv: "pip install", "pip sync", "sync", "add"...
    args: tuple[str, ...]  # options and arguments, general options (before the subcommand) too
    exe: str  # the program as written: `pip`, `/opt/venv/bin/python`, `uv`
    command: Command

    @property
    def positional(self) -> list[str]:
        out: list[str] = []
        skip = False
        for a in self.args:
            if skip:
                skip = False
            elif a.startswith("-") and a != "-":
                skip = a in PIP_VALUE_OPTS
            else:
                out.append(a)
        return out

    def values(self, *names: str) -> list[str]:
        """Values of an option given as `--opt v`, `--opt=v`, `-o v` or `-ov`."""
        out: list[str] = []
        args = self.args
        i = 0
        while i < len(args):
            a = args[i]
            for name in names:
                if a == name and i + 1 < len(args):
                    out.append(args[i + 1])
                    i += 1
                    break
                if name.startswith("--") and a.startswith(name + "="):
                    out.append(a[len(name) + 1 :])
                    break
                if len(name) == 2 and not a.startswith("--") and a.startswith(name) and a != name:
                    out.append(a[2:])
                    break
            i += 1
        return out

    def flag(self, *names: str) -> bool:
        return any(a in names for a in self.args)

    @property
    def requirement_files(self) -> list[str]:
        return self.values("-r", "--requirement", "--requirements")

    @property
    def constraint_files(self) -> list[str]:
        return self.values("-c", "--constraint", "--constraints")


def installer(cmd: Command) -> Installer | None:
    """The Python install a command makes (give it an unwrapped command), or None."""
    argv = cmd.argv
    prog = cmd.program
    rest: list[str] | None = None
    if _PIP_PROGRAM.match(prog):
        rest = list(argv[1:])
    else:
        call = python_invocation(cmd)
        if call is not None and call.kind == "module" and call.target == "pip":
            rest = [w.text for w in call.args]
    if rest is not None:
        general: list[str] = []
        while rest and rest[0].startswith("-"):
            general.append(rest.pop(0))
            if general[-1] in _PIP_GENERAL_VALUE_OPTS and rest:
                general.append(rest.pop(0))
        if rest and rest[0] in ("install", "wheel", "download"):
            return Installer("pip", rest[0], tuple(general + rest[1:]), argv[0], cmd)
        return None
    if prog in ("uv", "poetry"):
        values = _UV_GENERAL_VALUE_OPTS if prog == "uv" else _POETRY_GENERAL_VALUE_OPTS
        rest = list(argv[1:])
        general = []
        while rest and rest[0].startswith("-"):
            general.append(rest.pop(0))
            if general[-1] in values and rest:
                general.append(rest.pop(0))
        if not rest:
            return None
        if prog == "uv" and rest[0] in ("pip", "tool") and len(rest) > 1:
            if (rest[0], rest[1]) in (("pip", "install"), ("pip", "sync"), ("tool", "install")):
                sub = f"{rest[0]} {rest[1]}"
                return Installer("uv", sub, tuple(general + rest[2:]), argv[0], cmd)
            return None
        subs = ("sync", "add") if prog == "uv" else ("install", "add", "sync", "update")
        if rest[0] in subs:
            return Installer(prog, rest[0], tuple(general + rest[1:]), argv[0], cmd)
    return None


# ------------------------------------------------------------------------------ the final image
# (added for the runtime rules DP201-DP204, DP301-DP307: what the image runs and contains)

_WINDOWS_BASE = re.compile(r"windows|nanoserver|servercore|ltsc20\d\d", re.IGNORECASE)


def is_windows_stage(df: Dockerfile, stage_index: int) -> bool:
    """A Windows image: Linux users, signals, sh and `:`-separated paths do not apply."""
    if _WINDOWS_BASE.search(root_base(df, stage_index)) or df.escape == "`":
        return True
    shell = None
    for i in df.lineage_instructions(df.stages[stage_index]):
        if i.keyword == "SHELL" and i.json_args:
            shell = i.json_args
    return shell is not None and is_windows_shell(shell)


def runtime_env(df: Dockerfile, stage_index: int) -> dict[str, str]:
    """The environment a container of this stage starts with: ENV only (ARG is build-time)."""
    from rules.model import DEFAULT_PATH

    # Docker gives a container this PATH when no ENV sets one.
    env: dict[str, str] = {"PATH": DEFAULT_PATH}
    for i in df.lineage_instructions(df.stages[stage_index]):
        if i.keyword == "ENV":
            for kv in i.pairs:
                env[kv.key] = kv.value or ""
    return env


def launch_instructions(
    df: Dockerfile, stage_index: int
) -> tuple[Instruction | None, Instruction | None]:
    """The ENTRYPOINT and CMD the image starts with.

    ENTRYPOINT resets a CMD inherited from the base (here: from an earlier stage), unless CMD is
    set again in the same stage, as BuildKit's dispatcher does.
    """
    entrypoint = cmd = None
    for stage in df.lineage(df.stages[stage_index]):
        cmd_in_stage = False
        for i in stage.instructions:
            if i.keyword == "CMD":
                cmd, cmd_in_stage = i, True
            elif i.keyword == "ENTRYPOINT":
                entrypoint = i
                if not cmd_in_stage:
                    cmd = None
    return entrypoint, cmd


class CopyTarget(NamedTuple):
    """Where one source of a COPY/ADD lands in the image."""

    source: str  # as written, expanded ("" for a heredoc)
    path: str  # absolute path in the image
    contents: bool  # True: the source is a directory whose contents were copied into `path`
    from_context: bool  # from the build context (not --from, not a URL, not a heredoc)


_GLOB = re.compile(r"[*?\[]")


def copy_targets(df: Dockerfile, instr: Instruction, context_files=None) -> list[CopyTarget]:
    """The paths a COPY/ADD writes. A directory source copies its contents, not itself, so
    `COPY src /app/` fills /app while `COPY src ./src` makes /app/src. Whether a bare source
    (`COPY lib /app/`) is a directory is looked up in `context_files` when given."""
    if instr.keyword not in ("COPY", "ADD") or not instr.args:
        return []
    cwd = workdir_before(df, instr)
    args = instr.args
    dest = args[-1]
    sources = list(args[:-1])
    heredoc_names = {h.name for h in instr.heredocs}
    if instr.heredocs and not sources:
        sources, dest = list(args), args[-1]
    dest_abs = resolve_path(dest, cwd)
    into_dir = (
        dest.endswith(("/", "/."))
        or dest in (".", "..")
        or len(sources) > 1
        or any(_GLOB.search(s) for s in sources)
    )
    from_stage = instr.has_flag("from")
    out: list[CopyTarget] = []
    for src in sources:
        name = src.lstrip("0123456789<-").strip("'\"")
        if src.startswith("<<") and name in heredoc_names:
            path = posixpath.join(dest_abs, name) if into_dir else dest_abs
            out.append(CopyTarget("", path, False, False))
            continue
        if "://" in src or src.startswith("git@"):
            base = posixpath.basename(src.split("?", 1)[0].rstrip("/")) or "index.html"
            path = posixpath.join(dest_abs, base) if into_dir else dest_abs
            out.append(CopyTarget(src, path, False, False))
            continue
        clean = posixpath.normpath(src)
        is_dir = src.endswith(("/", "/.")) or clean in (".", "/")
        if not is_dir and not from_stage and context_files is not None and not _GLOB.search(src):
            rel = clean.lstrip("/")
            is_dir = any(f.startswith(rel + "/") for f in context_files)
        if is_dir:
            out.append(CopyTarget(src, dest_abs, True, not from_stage))
        else:
            path = posixpath.join(dest_abs, posixpath.basename(clean)) if into_dir else dest_abs
            out.append(CopyTarget(src, path, False, not from_stage))
    return out


# Programs that run a long-lived service: the process `docker stop` must reach.
SERVER_PROGRAMS = frozenset(
    {"uvicorn", "gunicorn", "hypercorn", "daphne", "granian", "waitress-serve", "uwsgi"}
    | {"flask", "fastapi", "celery", "streamlit", "node", "nodejs", "npm", "yarn", "pnpm"}
    | {"java", "dotnet", "nginx", "httpd", "apache2-foreground", "php-fpm", "puma", "rails"}
    | {"caddy", "deno", "bun"}
)


def server_name(cmd: Command) -> str | None:
    """The service an unwrapped command starts (`uvicorn`, `python -m gunicorn` -> `gunicorn`,
    `python app.py` -> `python`), or None for an ordinary command."""
    prog = cmd.program
    if prog in SERVER_PROGRAMS:
        return prog
    call = python_invocation(cmd)
    if call is None or call.kind not in ("module", "script"):
        return None
    if call.kind == "module":
        return call.target.split(".", 1)[0] if call.target != "http.server" else call.target
    return "python"


def prepend_run_flags(text: str, flags: list[str], escape: str = "\\") -> list[str] | None:
    """A RUN's first line rewritten with `flags` right after the keyword (for autofixes):
    `RUN --mount=... \\` then the old command on the next line, indented; a heredoc opener
    stays on the RUN's line. None when the line does not start with RUN."""
    m = re.match(r"^(\s*)(run)([ \t]+|$)", text, re.IGNORECASE)
    if m is None:
        return None
    indent, keyword = m.group(1), m.group(2)
    rest = text[m.end() :]
    joined = " ".join(flags)
    if "<<" in rest:
        return [f"{indent}{keyword} {joined} {rest}"]
    if not rest.strip() or rest.strip() == escape:
        return [f"{indent}{keyword} {joined} {escape}"]
    return [f"{indent}{keyword} {joined} {escape}", f"{indent}    {rest}"]


# ------------------------------------------------------------------------------ container start
# (added for DP304 and DP307: the commands ENTRYPOINT/CMD start, through entrypoint scripts)


class Launched(NamedTuple):
    """A command the container runs at start."""

    command: Command  # unwrapped (`exec gosu app uvicorn ...` -> `uvicorn ...`)
    instr: Instruction  # the ENTRYPOINT or CMD it comes from
    script: str | None  # the context-relative path of the script it is in, if any
    line: int  # its 1-based line in that script (0 when it is not in a script file)
    in_shell: bool  # a shell runs it (shell form, `sh -c`, a script), not Docker directly
    execd: bool  # the shell replaces itself with it (`exec ...`)
    background: bool  # started with `&`
    script_text: str = ""  # the text of the shell script it is in (shell form, sh -c, a file)


def final_workdir(df: Dockerfile, stage_index: int) -> str:
    """The WORKDIR a container of this stage starts in."""
    cwd = "/"
    for i in df.lineage_instructions(df.stages[stage_index]):
        if i.keyword == "WORKDIR" and i.args:
            cwd = resolve_path(i.args[0], cwd)
    return cwd


def script_for(
    df: Dockerfile, stage_index: int, program: str, texts: dict[str, str]
) -> tuple[str, str, int] | None:
    """The script that `program` is in the image: (name, text, line offset). A context file a
    COPY put there, when its text was read (CheckContext.context_texts; the name is its path,
    the offset 0), or a heredoc written by `COPY <<EOF /path` (the offset turns the heredoc's
    lines into the Dockerfile's). A bare name is looked up on the PATH."""
    if not program or "$" in program:
        return None
    if "/" in program:
        candidates = [resolve_path(program, final_workdir(df, stage_index))]
    else:
        path = runtime_env(df, stage_index).get("PATH", "")
        candidates = [posixpath.join(d, program) for d in path.split(":") if d.startswith("/")]
    copies = [
        i for i in df.lineage_instructions(df.stages[stage_index]) if i.keyword in ("COPY", "ADD")
    ]
    for instr in reversed(copies):  # the last COPY to a path wins
        targets = copy_targets(df, instr)
        heredoc_targets = [t for t in targets if t.source == ""]
        if len(heredoc_targets) == len(instr.heredocs):
            for target, heredoc in zip(heredoc_targets, instr.heredocs, strict=True):
                if target.path in candidates:
                    name = f"the heredoc {target.path}"
                    return name, heredoc.text, heredoc.line - 1
        for target in targets:
            if not target.from_context:
                continue
            source = posixpath.normpath("/" + target.source).lstrip("/")
            for cand in candidates:
                rels = []
                if target.path == cand and not target.contents:
                    rels.append(source)
                # A directory source copies its contents (`COPY scripts /usr/local/bin/`).
                parent = target.path if target.contents else posixpath.dirname(target.path)
                if is_under(cand, parent) and cand != parent:
                    inner = posixpath.relpath(cand, parent)
                    rels.append(inner if source in ("", ".") else f"{source}/{inner}")
                for rel in rels:
                    if rel in texts:
                        return rel, texts[rel], 0
    return None


def launched_commands(df: Dockerfile, stage_index: int, texts: dict[str, str]) -> list[Launched]:
    """The commands a container of this stage runs at start, in order: ENTRYPOINT + CMD (exec
    or shell form), `sh -c` scripts, and entrypoint scripts copied from the context, where
    `"$@"` stands for CMD."""
    entrypoint, cmd = launch_instructions(df, stage_index)

    def argv_of(instr: Instruction) -> list[str]:
        if instr.json_args is not None:
            return list(instr.json_args)
        return [*df.shell_at(instr), instr.value]

    cmd_argv = argv_of(cmd) if cmd is not None else []
    if entrypoint is not None:
        argv = argv_of(entrypoint)
        if entrypoint.json_args is not None:
            return _launch(df, stage_index, texts, argv, cmd_argv, entrypoint, cmd, 0)
        return _launch(df, stage_index, texts, argv, [], entrypoint, None, 0)
    if cmd is None:
        return []
    return _launch(df, stage_index, texts, cmd_argv, [], cmd, None, 0)


def _launch(
    df: Dockerfile,
    stage_index: int,
    texts: dict[str, str],
    argv: list[str],
    rest: list[str],
    origin: Instruction,
    rest_origin: Instruction | None,
    depth: int,
) -> list[Launched]:
    """What `argv` (followed by `rest`, the CMD) runs."""
    full = argv + rest
    if not full or depth > 4:
        return []
    cmd = exec_command(full)
    if not cmd.words:
        return []
    script = shell_c_script(cmd.argv)
    if script is not None:
        return _script(df, stage_index, texts, script, None, [], origin, None, depth)
    words = cmd.argv
    path, args = words[0], list(words[1:])
    if cmd.program in SHELLS:
        k = 1
        while k < len(words) and words[k].startswith("-"):
            k += 1
        if k < len(words):
            path, args = words[k], list(words[k + 1 :])
    found = script_for(df, stage_index, path, texts)
    if found is not None:
        rel, text, offset = found
        # The script's "$@" are the words after it: from the ENTRYPOINT, then the CMD.
        n_rest = len(rest)
        args_origin = rest_origin if n_rest and len(args) == n_rest else origin
        return _script(df, stage_index, texts, text, rel, args, origin, args_origin, depth, offset)
    from_cmd = rest_origin is not None and not argv
    return [Launched(cmd, rest_origin if from_cmd else origin, None, 0, False, True, False)]


def _script(
    df: Dockerfile,
    stage_index: int,
    texts: dict[str, str],
    text: str,
    rel: str | None,
    args: list[str],
    origin: Instruction,
    args_origin: Instruction | None,
    depth: int,
    offset: int = 0,
) -> list[Launched]:
    index = LineIndex(text)
    out: list[Launched] = []
    for raw in split_commands(text):
        execd = bool(raw.words) and raw.words[0].text == "exec"
        cmd = unwrap(raw)
        if not cmd.words:
            continue
        background = _backgrounded(text, raw)
        line = index.line(raw.words[0].start) + offset if rel is not None else 0
        if cmd.words[0].text in ("$@", "${@}", "$*", "${*}"):
            inner = _launch(
                df, stage_index, texts, args, [], args_origin or origin, None, depth + 1
            )
            for launched in inner:
                if execd and not background:
                    out.append(launched)
                else:
                    # The script's shell stays the parent: the script is what to fix.
                    out.append(
                        launched._replace(
                            instr=origin,
                            script=rel,
                            line=line,
                            script_text=text,
                            in_shell=True,
                            execd=False,
                            background=background,
                        )
                    )
            continue
        out.append(Launched(cmd, origin, rel, line, True, execd, background, text))
    return out


def _backgrounded(text: str, cmd: Command) -> bool:
    """The command ends with a single `&` (not `&&`), after any redirections."""
    pos = cmd.words[-1].end
    end = text.find("\n", pos)
    rest = text[pos : len(text) if end == -1 else end]
    rest = _REDIRECTIONS.sub("", rest).lstrip()
    return rest.startswith("&") and not rest.startswith("&&")


_REDIRECTIONS = re.compile(r"^(\s*(\d*[<>]{1,2}&?|&>>?)\s*[^\s;&|]*)*")


# ------------------------------------------------------------------------------ what layers add
# (added for DP201 and DP202: the paths an instruction writes into its layer, when they can be
# known from the instruction alone)

# Folders every base image already has: a RUN that unpacks "into /usr/local" says nothing
# about which files below them it wrote.
SYSTEM_DIRS = frozenset(
    {"/", "/bin", "/etc", "/home", "/lib", "/lib64", "/opt", "/root", "/run", "/sbin", "/srv"}
    | {"/tmp", "/usr", "/usr/bin", "/usr/lib", "/usr/local", "/usr/local/bin", "/usr/local/lib"}
    | {"/usr/local/share", "/usr/share", "/usr/src", "/var", "/var/cache", "/var/lib"}
    | {"/var/log", "/var/tmp", "/var/www"}
)


class Added(NamedTuple):
    """A path an instruction's layer adds."""

    path: str  # absolute and normalised; may hold glob characters (`COPY *.txt /app/`)
    instr: Instruction
    how: str  # "COPY", "curl -o", "apt-get update", "python -m venv" ...
    directory: bool  # may be a directory whose contents the layer holds
    copy: CopyTarget | None = None  # for COPY/ADD


def run_mount_targets(df: Dockerfile, instr: Instruction) -> list[str]:
    """Where a RUN mounts something (cache, tmpfs, bind, secret): not written to its layer."""
    cwd = workdir_before(df, instr)
    return [resolve_path(m.target, cwd) for m in instr.mounts if m.target]


def added_by(df: Dockerfile, instr: Instruction, context_files=None) -> list[Added]:
    """What an instruction's layer adds: COPY/ADD destinations, and for RUN the paths its
    commands are known to create (downloads, clones, venvs, install prefixes, package-manager
    lists and caches), except under the RUN's own mounts."""
    # Memoised per instruction and context: DP201 and DP202 both walk the whole lineage.
    key = (id(instr), id(context_files))
    cached = _ADDED_CACHE.get(key)
    if cached is not None and cached[0] is instr:
        return list(cached[1])
    if len(_ADDED_CACHE) > 4096:
        _ADDED_CACHE.clear()
    found = _added_by(df, instr, context_files)
    _ADDED_CACHE[key] = (instr, tuple(found))
    return found


_ADDED_CACHE: dict[tuple[int, int], tuple[Instruction, tuple[Added, ...]]] = {}


def _added_by(df: Dockerfile, instr: Instruction, context_files=None) -> list[Added]:
    if instr.keyword in ("COPY", "ADD"):
        return [
            Added(t.path, instr, instr.keyword, t.source != "" and "://" not in t.source, t)
            for t in copy_targets(df, instr, context_files)
        ]
    if instr.keyword != "RUN":
        return []
    cwd = workdir_before(df, instr)
    mounts = run_mount_targets(df, instr)
    user, _ = user_before(df, instr)
    out: list[Added] = []
    for cmd in run_commands(df, instr):
        # Cleanup later in the same RUN keeps the files out of the layer.
        for deletion in deletions_of(cmd, cwd, instr.env, user):
            out = [a for a in out if not removes_added(deletion, a.path)]
        for path, how, directory in _created(cmd, cwd, instr.env, user):
            if not any(is_under(path, m) for m in mounts):
                out.append(Added(path, instr, how, directory))
    return out


def word_value(word: Word, env) -> str | None:
    """A word's value at build time (ARG/ENV expanded), or None when it depends on the shell."""
    if not word.dynamic:
        return word.text
    if "$(" in word.text or "`" in word.text:
        return None
    from rules.shell import expand

    exp = expand(word.text, env)
    return None if exp.undefined else exp.value


def _created(cmd: Command, cwd: str, env, user: str) -> list[tuple[str, str, bool]]:
    prog = cmd.program
    vals = [word_value(w, env) for w in cmd.words]
    if any(v is None for v in vals[:1]):
        return []
    args = [v if v is not None else "" for v in vals[1:]]
    home = "/root" if is_root_user(user) else None
    out: list[tuple[str, str, bool]] = []

    def add(path: str, how: str, directory: bool) -> None:
        if path and "$" not in path:
            out.append((resolve_path(path, cwd), how, directory))

    if prog == "curl":
        outdir = (_opt_values(args, "--output-dir") or [cwd])[-1]
        for value in _opt_values(args, "-o", "--output"):
            if value != "-":
                add(posixpath.join(outdir, value), "curl -o", False)
        if any(a in ("-O", "--remote-name", "--remote-name-all") or _short(a, "O") for a in args):
            for url in (a for a in args if "://" in a):
                add(posixpath.join(outdir, _url_name(url)), "curl -O", False)
    elif prog == "wget":
        outputs = _opt_values(args, "-O", "--output-document")
        if outputs:
            for value in outputs:
                if value != "-":
                    add(value, "wget -O", False)
        else:
            prefix = (_opt_values(args, "-P", "--directory-prefix") or [cwd])[-1]
            for url in (a for a in args if "://" in a):
                add(posixpath.join(prefix, _url_name(url)), "wget", False)
    elif prog == "git" and "clone" in args:
        rest = args[args.index("clone") + 1 :]
        positional = _positional(
            rest, {"-b", "--branch", "--depth", "-c", "--config", "-o", "--origin", "-j"}
        )
        if positional:
            name = positional[1] if len(positional) > 1 else _url_name(positional[0])
            add(name.removesuffix(".git"), "git clone", True)
    elif prog in ("virtualenv", "uv") or python_invocation(cmd) is not None:
        call = python_invocation(cmd)
        if call is not None and call.kind == "module" and call.target in ("venv", "virtualenv"):
            positional = _positional([w.text for w in call.args], {"--prompt"})
            if positional:
                add(positional[-1], f"python -m {call.target}", True)
        elif prog == "virtualenv":
            positional = _positional(args, {"-p", "--python", "--prompt"})
            if positional:
                add(positional[-1], "virtualenv", True)
        elif prog == "uv" and args[:1] == ["venv"]:
            positional = _positional(args[1:], {"-p", "--python", "--prompt"})
            add(positional[0] if positional else ".venv", "uv venv", True)
    elif prog in ("tar", "unzip", "bsdtar"):
        dests = _opt_values(args, "-C", "--directory") if prog != "unzip" else []
        dests += _opt_values(args, "-d") if prog == "unzip" else []
        for dest in dests:
            if resolve_path(dest, cwd) not in SYSTEM_DIRS:
                add(dest, prog, True)
    elif prog in ("npm", "yarn", "pnpm") and args[:1] in (["install"], ["ci"], ["i"], []):
        add("node_modules", f"{prog} install", True)
        if home and prog == "npm" and "--cache" not in args:
            add(f"{home}/.npm", "npm install (cache)", True)
    inst = installer(cmd)
    if inst is not None and inst.tool == "pip" and inst.sub == "install":
        for value in inst.values("-t", "--target", "--prefix", "--root"):
            add(value, "pip install", True)
        no_cache = inst.flag("--no-cache-dir") or _truthy(env.get("PIP_NO_CACHE_DIR", ""))
        cache = (inst.values("--cache-dir") or [env.get("PIP_CACHE_DIR", "")])[-1]
        if not no_cache and (cache or home):
            add(cache or f"{home}/.cache/pip", "pip install (cache)", True)
    op = package_op(cmd)
    if op is not None and op.manager == "apt":
        if op.action == "update":
            add("/var/lib/apt/lists", "apt-get update", True)
            add("/var/cache/apt", "apt-get update", True)
        elif op.action in ("install", "upgrade"):
            add("/var/cache/apt", f"apt-get {op.action}", True)
    elif op is not None and op.manager == "apk" and op.action in ("install", "update", "upgrade"):
        if "--no-cache" not in op.options:
            add("/var/cache/apk", f"apk {op.action}", True)
    elif op is not None and op.manager == "yum" and op.action in ("install", "update", "upgrade"):
        for folder in ("/var/cache/yum", "/var/cache/dnf"):
            add(folder, f"{prog} {op.action}", True)
    return out


def _truthy(value: str) -> bool:
    # pip reads PIP_NO_CACHE_DIR through strtobool: "0", "false", "no", "off" are false.
    return value.strip().lower() not in ("", "0", "false", "no", "off")


def _short(arg: str, letter: str) -> bool:
    """A short-option cluster holding `letter` (`-fsSLO`)."""
    return arg.startswith("-") and not arg.startswith("--") and letter in arg[1:]


def _opt_values(args: list[str], *names: str) -> list[str]:
    out = []
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                out.append(args[i + 1])
            elif name.startswith("--") and arg.startswith(name + "="):
                out.append(arg[len(name) + 1 :])
            elif (
                # a cluster ending in the option letter: `-fsSLo file`, `-xzf x.tgz`
                len(name) == 2
                and len(arg) > 2
                and arg.startswith("-")
                and not arg.startswith("--")
                and arg.endswith(name[1])
                and i + 1 < len(args)
            ):
                out.append(args[i + 1])
    return out


def _positional(args: list[str], value_opts: set[str]) -> list[str]:
    out = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg.startswith("-") and arg != "-":
            skip = arg in value_opts
        else:
            out.append(arg)
    return out


def _url_name(url: str) -> str:
    path = url.split("://", 1)[-1].split("?", 1)[0].split("#", 1)[0]
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return name if "/" in path.rstrip("/") else "index.html"


def copy_brings(files, copy: CopyTarget, path: str, names: tuple[str, ...] = ()) -> bool | None:
    """Whether a COPY from the build context put files at or under `path` (an absolute path at
    or below `copy.path`, globs allowed), optionally only files or folders named like `names`.
    None when the context cannot tell: no context, a glob source, a source not in it."""
    if not copy.from_context or files is None or _GLOB.search(copy.source):
        return None
    from rules.sources import glob_matches

    source = posixpath.normpath("/" + copy.source).lstrip("/")
    prefix = source + "/" if source else ""
    copied = [f for f in files if not source or f == source or f.startswith(prefix)]
    if not copied:
        return None  # the source is not in the context: the build fails first (DP402)
    rel = "" if path == copy.path else path[len(copy.path) + 1 :]
    pattern = posixpath.join(source, rel) if rel else source
    for f in copied:
        if pattern and not glob_matches(pattern, f):
            continue
        if not names:
            return True
        below = f[len(pattern) + 1 :].split("/") if pattern else f.split("/")
        if any(fnmatchcase(part, n) for part in below for n in names):
            return True
    return False


class Deletion(NamedTuple):
    """A path a command deletes."""

    path: str  # absolute; may hold glob characters (`/var/lib/apt/lists/*`)
    names: tuple[str, ...]  # `find -name` patterns: only matching files below `path`
    command: str  # the command, shortened, for messages


def deletions_of(cmd: Command, cwd: str, env, user: str) -> list[Deletion]:
    """What an (unwrapped) command deletes: `rm`, `find ... -delete`/`-exec rm`, `pip cache
    purge`, `apt-get clean`, `yum/dnf clean`, `apk cache clean`. Words that depend on the shell
    (`$(mktemp -d)`, unset variables) are left out."""
    prog = cmd.program
    values = [word_value(w, env) for w in cmd.words[1:]]
    text = " ".join(cmd.argv)
    shown = text if len(text) <= 60 else text[:57] + "..."
    home = "/root" if is_root_user(user) else None
    out: list[Deletion] = []
    if prog in ("rm", "rmdir"):
        operands_only = False
        for value in values:
            if value is None:
                continue
            if not operands_only and value == "--":
                operands_only = True
            elif operands_only or not value.startswith("-"):
                out.append(Deletion(resolve_path(value, cwd), (), shown))
    elif prog == "find":
        args = [v or "" for v in values]
        starts = []
        for arg in args:
            if arg.startswith(("-", "(", "!")):
                break
            starts.append(arg)
        deletes = "-delete" in args or any(
            a in ("-exec", "-execdir") and i + 1 < len(args) and args[i + 1] in ("rm", "/bin/rm")
            for i, a in enumerate(args)
        )
        if deletes:
            names = tuple(
                args[i + 1]
                for i, a in enumerate(args)
                if a in ("-name", "-iname") and i + 1 < len(args)
            )
            for start in starts or ["."]:
                if start:
                    out.append(Deletion(resolve_path(start, cwd), names, shown))
    elif _PIP_PROGRAM.match(prog) and values[:2] in (["cache", "purge"], ["cache", "remove"]):
        if home:
            out.append(Deletion(f"{home}/.cache/pip/*", (), shown))
    elif prog == "apk" and values[:2] == ["cache", "clean"]:
        out.append(Deletion("/var/cache/apk/*", (), shown))
    else:
        op = package_op(cmd)
        if op is not None and op.action == "clean":
            folders = {"apt": ["/var/cache/apt/*"], "yum": ["/var/cache/yum/*", "/var/cache/dnf/*"]}
            out.extend(Deletion(f, (), shown) for f in folders.get(op.manager, []))
    return [d for d in out if d.path != "/"]


def removes_added(deletion: Deletion, path: str) -> bool:
    """The deletion takes away everything at `path`: it names it, a folder above it, or all of
    its contents (`rm -rf /var/lib/apt/lists/*` empties /var/lib/apt/lists)."""
    from rules.sources import glob_matches

    if deletion.names:
        return False
    pattern = deletion.path
    if pattern.endswith("/*") and pattern[:-2] == path:
        return True
    return glob_matches(pattern.lstrip("/"), path.lstrip("/"))
