"""## What it does
Finds an ENV or ARG whose name says it holds a secret and whose value is written in the
Dockerfile: names ending in PASSWORD, PASSWD, PASS, PASSPHRASE, SECRET, TOKEN, APIKEY,
CREDENTIALS, PAT, `_PWD`, or KEY after API/ACCESS/SECRET/PRIVATE/CLIENT/SIGNING/ENCRYPTION/...
(`API_KEY`, `AWS_SECRET_ACCESS_KEY`, `SECRET_KEY_BASE`, `dbPassword`, `PGPASSWORD`,
`MYSQL_PWD`, `GITHUB_PAT`); and any value that is a URL with a password in it
(`DATABASE_URL=postgres://app:s3cret@db/app`), whatever the name.

Not reported, to keep false positives out:
- names where the secret word is not last: `TOKEN_URL`, `PASSWORD_FILE`, `SECRETS_DIR`,
  `AWS_ACCESS_KEY_ID`, `JWT_TOKEN_TTL`; and key names that are public (`GPG_KEY` is a fingerprint);
- values taken from a variable (`ENV API_TOKEN=${API_TOKEN}`), empty values and `ARG NAME`
  without a default;
- file paths (`GOOGLE_APPLICATION_CREDENTIALS=/run/secrets/gcp.json`), booleans and numbers
  0/1, and obvious placeholders (`changeme`, `<token>`, `your-api-key-here`, `xxx`, `***`):
  they leak nothing. A placeholder that is also a working default password is a different
  problem (weak defaults), not a leaked secret.

## Why is this bad?
ENV values are stored in the image config: anyone who can pull the image reads them with
`docker inspect`, and every container and child process gets them. ARG defaults are in the
Dockerfile, hence in version control, and a RUN that uses them records the value in the image
history. Rotating the secret then means rebuilding and re-pushing every image that has it.

## Example
```dockerfile
FROM python:3.13-slim
ARG PIP_INDEX_TOKEN=glpat-12345
ENV DATABASE_URL=postgresql://app:s3cret@db:5432/app \\
    SECRET_KEY=8f2c4e6a
```

## Use instead
```dockerfile
FROM python:3.13-slim
# Build-time secret: mounted for one RUN, never stored in a layer.
RUN --mount=type=secret,id=pip_index_token,env=PIP_INDEX_TOKEN \\
    pip install --index-url "https://__token__:${PIP_INDEX_TOKEN}@pypi.example.com/simple" app
# Run-time secrets come from the environment (docker run -e, compose secrets, Kubernetes).
ENV DATABASE_URL_FILE=/run/secrets/database_url
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rules.base import CheckContext, Rule, Severity, Violation
from rules.model import KeyValue

RULE = Rule(
    id="DP305",
    name="secret-in-env",
    title="A secret-looking ENV or ARG is given a literal value",
    severity=Severity.ERROR,
    fix="Pass the secret at run time (environment, orchestrator secrets) or, for the build, with "
    "`RUN --mount=type=secret`; never write it into the Dockerfile",
)

_SECRET_WORDS = frozenset(
    {"PASSWORD", "PASSWD", "PASS", "PASSPHRASE", "SECRET", "SECRETS", "TOKEN", "APIKEY"}
    | {"CREDENTIALS", "CREDENTIAL", "CREDS", "PRIVATEKEY", "SECRETKEY", "ACCESSKEY", "PAT"}
)
# `<qualifier>_KEY` is a secret; a bare `KEY` or `GPG_KEY` is not.
_KEY_QUALIFIERS = frozenset(
    {"API", "ACCESS", "SECRET", "PRIVATE", "ENCRYPTION", "SIGNING", "MASTER", "AUTH", "CLIENT"}
    | {"APP", "LICENSE", "SESSION", "JWT", "HMAC", "SSH", "DEPLOY", "ADMIN", "WEBHOOK"}
)
# Trailing words that still name the secret itself (`SECRET_KEY_BASE`, `API_TOKEN_VALUE`).
_VALUE_SUFFIXES = frozenset({"VALUE", "STRING", "BASE"})
# Compiled on first use by re's cache: only files with a secret-named ENV or ARG need it.
_PLACEHOLDER = (
    r"(?i)^(x+|\*+|\.+|-+|_+|<[^>]*>|\{\{.*\}\}|\[[^\]]*\]|your[-_ ].*|.*[-_ ]here"
    r"|change[-_ ]?(me|it|this)|replace[-_ ]?(me|this)?|placeholder|dummy|example|todo|tbd"
    r"|none|null|nil|undefined|true|false|yes|no|on|off|0|1)$"
)
_URL_PASSWORD = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:([^/\s@]+)@")


def name_words(name: str) -> list[str]:
    """`AWS_SECRET_ACCESS_KEY` -> AWS SECRET ACCESS KEY; `dbPassword` -> DB PASSWORD."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return [w.upper() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def is_secret_name(name: str) -> bool:
    words = name_words(name)
    while len(words) > 1 and words[-1] in _VALUE_SUFFIXES:
        words = words[:-1]
    if not words:
        return False
    last = words[-1]
    if last in _SECRET_WORDS:
        return True
    # Run-together names: PGPASSWORD, CLIENTSECRET, APITOKEN; MYSQL_PWD (a lone PWD is the
    # shell's working directory).
    if last.endswith(("PASSWORD", "PASSWD", "SECRET", "TOKEN", "APIKEY")):
        return True
    if last == "PWD" and len(words) > 1:
        return True
    return last == "KEY" and len(words) > 1 and words[-2] in _KEY_QUALIFIERS


_FALLBACK = re.compile(r"^\$\{\w+:?-([^${}]+)\}$")


def _literal(kv: KeyValue) -> str | None:
    """The value as written, when it is a literal worth reporting."""
    if kv.raw is None or kv.value is None:
        return None
    raw = kv.raw.strip("'\"")
    if "$" in raw:
        # `${SECRET_KEY:-dev-secret}`: the fallback is what the image gets without the variable.
        m = _FALLBACK.match(raw)
        if m is None or kv.value != m.group(1):
            return None
    value = kv.value.strip()
    if not value or re.match(_PLACEHOLDER, value):
        return None
    if value.startswith(("/", "./", "../", "~/", "file:")):
        return None  # a path to where the secret is, not the secret
    return value


def check(ctx: CheckContext) -> Iterator[Violation]:
    for instr in ctx.dockerfile.instructions:
        if instr.keyword not in ("ENV", "ARG"):
            continue
        for kv in instr.pairs:
            message = _message(instr.keyword, kv)
            if message:
                yield Violation(line=instr.line, end_line=instr.end_line, message=message)


def _message(keyword: str, kv: KeyValue) -> str | None:
    where = (
        "it is stored in the image config, readable by anyone who can pull the image "
        "(docker inspect)"
        if keyword == "ENV"
        else "the default is in the Dockerfile, and in the image history once a RUN uses it"
    )
    if kv.raw is not None and "$" not in (kv.raw.split("@", 1)[0]):
        m = _URL_PASSWORD.match(kv.value or "")
        if m and not re.match(_PLACEHOLDER, m.group(1)):
            return f"{keyword} {kv.key} is a URL with a password in it: {where}"
    if not is_secret_name(kv.key):
        return None
    value = _literal(kv)
    if value is None:
        return None
    return f"{keyword} {kv.key} is given a literal value ({_masked(value)}): {where}"


def _masked(value: str) -> str:
    # Never repeat a secret in full in a report that may end up in CI logs.
    if len(value) <= 6:
        return "***"
    return f"{value[:2]}{'*' * min(8, len(value) - 2)}"
