"""BuildKit's word processing: quote removal and `$VAR` expansion, as its shell lexer does it.

BuildKit expands variables in FROM, ENV, ARG, COPY, ADD, USER, WORKDIR, EXPOSE, LABEL, VOLUME and
STOPSIGNAL (not in RUN, CMD or ENTRYPOINT, which the shell runs later). dockerfile-parse only knows
`$VAR` and `${VAR}` (containerbuildsystem/dockerfile-parse#122), so `${V:-x}` came out as
`:-x}`; this lexer implements the forms BuildKit documents: `${V:-x}`, `${V-x}`, `${V:+x}`,
`${V+x}`, `${V:?msg}` and `${V?msg}`.
"""

# No `from __future__ import annotations`: NamedTuple field types stay objects (rules/base.py).

from collections.abc import Mapping, Sequence
from typing import NamedTuple


class Expansion(NamedTuple):  # a NamedTuple, not a dataclass: see rules/base.py
    value: str
    # Variables referenced without a value and without a default: the build sees "".
    undefined: Sequence[str] = ()


def _is_name_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class _Lexer:
    def __init__(self, text: str, env: Mapping[str, str], escape: str) -> None:
        self.text = text
        self.pos = 0
        self.env = env
        self.escape = escape
        self.undefined: list[str] = []

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self) -> str:
        ch = self.peek()
        self.pos += 1
        return ch

    def word(self, stop: str = "", *, remove_quotes: bool = True) -> str:
        """Process until end of text or an unquoted character in `stop` (not consumed)."""
        out: list[str] = []
        while self.pos < len(self.text):
            ch = self.peek()
            if ch in stop and ch:
                break
            if ch == self.escape:
                self.take()
                nxt = self.take()
                out.append(nxt if remove_quotes else ch + nxt)
            elif ch == "'" and remove_quotes:
                self.take()
                while self.pos < len(self.text) and self.peek() != "'":
                    out.append(self.take())
                self.take()
            elif ch == '"' and remove_quotes:
                self.take()
                out.append(self._double_quoted())
            elif ch == "$":
                out.append(self._variable())
            else:
                out.append(self.take())
        return "".join(out)

    def _double_quoted(self) -> str:
        out: list[str] = []
        while self.pos < len(self.text):
            ch = self.peek()
            if ch == '"':
                self.take()
                break
            if ch == self.escape:
                self.take()
                nxt = self.take()
                # Inside double quotes the escape only escapes ", $ and itself.
                out.append(nxt if nxt in ('"', "$", self.escape) else ch + nxt)
            elif ch == "$":
                out.append(self._variable())
            else:
                out.append(self.take())
        return "".join(out)

    def _lookup(self, name: str) -> str | None:
        return self.env.get(name)

    def _variable(self) -> str:
        self.take()  # $
        ch = self.peek()
        if ch == "{":
            self.take()
            name = self._name()
            if not name:
                # `${}` or `${1}`: BuildKit rejects it; keep the text for the caller to see.
                return "${"
            op = ""
            if (
                self.peek() == ":"
                and self.pos + 1 < len(self.text)
                and self.text[self.pos + 1] in "-+?"
            ):
                op = self.take() + self.take()
            elif self.peek() in ("-", "+", "?"):
                op = self.take()
            word = ""
            if op:
                word = self._nested_word()
            elif self.peek() == "}":
                pass
            else:
                # Pattern forms (`#`, `%`, `/`): keep the raw value; rules don't depend on them.
                self._nested_word()
            if self.peek() == "}":
                self.take()
            value = self._lookup(name)
            return self._apply(name, value, op, word)
        name = self._name()
        if not name:
            return "$"
        value = self._lookup(name)
        if value is None:
            self.undefined.append(name)
            return ""
        return value

    def _nested_word(self) -> str:
        """The word inside `${V:-word}`, itself expanded, up to the matching `}`."""
        sub = _Lexer(self.text, self.env, self.escape)
        sub.pos = self.pos
        out = sub.word(stop="}")
        self.pos = sub.pos
        self.undefined.extend(sub.undefined)
        return out

    def _name(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and _is_name_char(self.text[self.pos]):
            self.pos += 1
        return self.text[start : self.pos]

    def _apply(self, name: str, value: str | None, op: str, word: str) -> str:
        if op == ":-":
            return value if value else word
        if op == "-":
            return value if value is not None else word
        if op == ":+":
            return word if value else ""
        if op == "+":
            return word if value is not None else ""
        if op in (":?", "?"):
            if value is None or (op == ":?" and not value):
                self.undefined.append(name)
                return ""
            return value
        if value is None:
            self.undefined.append(name)
            return ""
        return value


def expand(
    text: str, env: Mapping[str, str], escape: str = "\\", *, remove_quotes: bool = True
) -> Expansion:
    """Expand variables in one word the way BuildKit does (quotes removed by default)."""
    lexer = _Lexer(text, env, escape)
    value = lexer.word(remove_quotes=remove_quotes)
    return Expansion(value, lexer.undefined)


def split_words(text: str, escape: str = "\\") -> list[str]:
    """Split on unquoted whitespace, keeping quotes and escapes (BuildKit's parseWords)."""
    words: list[str] = []
    current: list[str] = []
    quote = ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            current.append(ch)
            if ch == escape and quote == '"' and i + 1 < len(text):
                current.append(text[i + 1])
                i += 1
            elif ch == quote:
                quote = ""
        elif ch.isspace():
            if current:
                words.append("".join(current))
                current = []
        else:
            current.append(ch)
            if ch == escape and i + 1 < len(text):
                current.append(text[i + 1])
                i += 1
            elif ch in ("'", '"'):
                quote = ch
        i += 1
    if current:
        words.append("".join(current))
    return words
