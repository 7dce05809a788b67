"""Base images: use the local one, else pull it, else build a local stand-in.

No registry is reachable on the machines this project runs on, so for the images our Dockerfiles
use we can make a faithful local copy: `debootstrap` the Debian release that ships the wanted
Python, shape it like the official `python:X.Y-slim` image, and `docker import` it under the same
tag. The rootfs tarball is cached so the stand-in is built once per machine.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bench.errors import BenchError
from bench.shell import log, run

Source = Literal["local", "pulled", "stand-in"]

STAND_IN_LABEL = "org.dockperf.stand-in"
PULL_TIMEOUT = 180.0
DEBOOTSTRAP_TIMEOUT = 900.0
# Bump when the recipe changes, so cached tarballs of an older recipe are not reused.
RECIPE_VERSION = 3

# The Debian release whose python3 is this version (the official images build Python from source
# on the current Debian; Debian's own build is the closest we can get offline).
PYTHON_RELEASES: dict[str, str] = {"3.13": "trixie", "3.11": "bookworm", "3.9": "bullseye"}
DEBIAN_ALIASES: dict[str, str] = {
    "13": "trixie",
    "trixie": "trixie",
    "12": "bookworm",
    "bookworm": "bookworm",
    "11": "bullseye",
    "bullseye": "bullseye",
}

# What the official images' runtime needs beside Python (the python:*-slim Dockerfile installs
# ca-certificates, netbase and tzdata).
PYTHON_PACKAGES = ("python3", "python3-venv", "ca-certificates", "netbase", "tzdata")

HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
_CERT_RE = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)

# Same effect as the official Debian images' apt configuration: no .deb or pkgcache kept after
# install, no translations, gzipped indexes, and documentation never unpacked (the slim variants).
_APT_DOCKER_CLEAN = """\
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
"""  # noqa: E501
_APT_NO_LANGUAGES = 'Acquire::Languages "none";\n'
_APT_GZIP_INDEXES = 'Acquire::GzipIndexes "true";\n'
_APT_NO_RECOMMENDS = 'APT::AutoRemove::SuggestsImportant "false";\n'
_DPKG_SLIM = """\
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
"""


@dataclass(frozen=True)
class BaseImage:
    ref: str
    source: Source


@dataclass(frozen=True)
class StandIn:
    """How to make a local copy of `ref`: a Debian release, with or without Python."""

    ref: str
    release: str
    python: str | None

    @property
    def key(self) -> str:
        text = f"{RECIPE_VERSION}:{self.release}:{self.python}:{','.join(self.packages)}"
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    @property
    def packages(self) -> tuple[str, ...]:
        return PYTHON_PACKAGES if self.python else ()


def stand_in_for(ref: str) -> StandIn | None:
    """The stand-in recipe for an image reference, or None when we cannot make one."""
    name, _, tag = ref.partition(":")
    name = name.removeprefix("docker.io/").removeprefix("library/")
    tag = tag or "latest"
    if name == "python":
        m = re.fullmatch(r"(\d+\.\d+)(?:\.\d+)?-slim(?:-(\w+))?", tag)
        if not m:
            return None
        version, release = m.group(1), m.group(2)
        expected = PYTHON_RELEASES.get(version)
        if expected is None or (release is not None and release != expected):
            return None
        return StandIn(ref=ref, release=expected, python=version)
    if name == "debian":
        release = DEBIAN_ALIASES.get(tag.removesuffix("-slim"))
        return StandIn(ref=ref, release=release, python=None) if release else None
    return None


def from_images(dockerfile: str) -> list[str]:
    """External images named by FROM lines, in order, without stage aliases or `scratch`.

    Global ARGs (before the first FROM) are substituted with their defaults, which is what BuildKit
    does when no --build-arg overrides them.
    """
    args: dict[str, str] = {}
    stages: set[str] = set()
    images: list[str] = []
    seen_from = False
    for line in _logical_lines(dockerfile):
        words = line.split()
        if not words:
            continue
        keyword = words[0].upper()
        if keyword == "ARG" and not seen_from:
            for word in words[1:]:
                key, _, value = word.partition("=")
                args[key] = value.strip("\"'")
        elif keyword == "FROM":
            seen_from = True
            rest = [w for w in words[1:] if not w.startswith("--")]
            if not rest:
                continue
            image = _expand(rest[0], args)
            if len(rest) >= 3 and rest[1].upper() == "AS":
                stages.add(rest[2].lower())
            if image.lower() in stages or image == "scratch" or image in images:
                continue
            images.append(image)
    # A later stage named like an image we listed earlier cannot be an image reference.
    return [image for image in images if image.lower() not in stages or ":" in image]


def syntax_directive(dockerfile: str) -> str | None:
    """The `# syntax=` frontend image, if the Dockerfile names one (parser directives only)."""
    for line in dockerfile.splitlines():
        m = re.fullmatch(r"#\s*(\w+)\s*=\s*(\S+)\s*", line)
        if not m:
            break
        if m.group(1).lower() == "syntax":
            return m.group(2)
    return None


def _logical_lines(text: str) -> Iterable[str]:
    current = ""
    for raw in text.lstrip("\ufeff").splitlines():
        stripped = raw.strip()
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        yield current + stripped
        current = ""
    if current:
        yield current


def _expand(word: str, args: dict[str, str]) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(3)
        default = m.group(2)
        value = args.get(name, "")
        return value if value or default is None else default

    return re.sub(r"\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)", repl, word)


# --------------------------------------------------------------------------------------------
# ensuring images


def ensure(refs: Iterable[str], docker: list[str], env: dict[str, str]) -> list[BaseImage]:
    """Make every ref available locally; say where each one came from."""
    result = []
    for ref in refs:
        result.append(ensure_one(ref, docker, env))
    return result


def ensure_one(ref: str, docker: list[str], env: dict[str, str]) -> BaseImage:
    inspected = run(
        [*docker, "image", "inspect", "--format", "{{json .Config.Labels}}", ref],
        timeout=60,
        env=env,
        check=False,
    )
    if inspected.returncode == 0:
        label = STAND_IN_LABEL in inspected.stdout
        return BaseImage(ref, "stand-in" if label else "local")
    log.info("pulling %s", ref)
    pulled = run([*docker, "pull", ref], timeout=PULL_TIMEOUT, env=env, check=False)
    if pulled.returncode == 0:
        return BaseImage(ref, "pulled")
    recipe = stand_in_for(ref)
    reason = pulled.tail(1)
    if recipe is None:
        raise BenchError(
            f"base image {ref} is not available locally and cannot be pulled ({reason}); "
            "bench can make stand-ins only for python:X.Y-slim (3.9, 3.11, 3.13) and debian "
            "bookworm/trixie: load the image yourself (`docker load`) and re-run"
        )
    log.warning("cannot pull %s (%s); building a local stand-in", ref, reason)
    build_stand_in(recipe, docker, env)
    return BaseImage(ref, "stand-in")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dockperf" / "stand-ins"


def build_stand_in(recipe: StandIn, docker: list[str], env: dict[str, str]) -> None:
    """Import the stand-in for recipe.ref, building (and caching) its rootfs when needed."""
    flavour = f"py{recipe.python}" if recipe.python else "base"
    tarball = cache_dir() / f"{recipe.release}-{flavour}-{recipe.key}.tar.gz"
    if tarball.exists():
        log.info("using cached stand-in rootfs %s", tarball)
    else:
        _build_rootfs_tarball(recipe, tarball)
    changes = _image_changes(recipe, tarball)
    argv = [*docker, "import"]
    for change in changes:
        argv += ["--change", change]
    argv += [
        "--message",
        f"dockperf stand-in for {recipe.ref}: debootstrap {recipe.release}",
        str(tarball),
        recipe.ref,
    ]
    log.info("importing %s as %s", tarball.name, recipe.ref)
    run(argv, timeout=300, env=env)


def _image_changes(recipe: StandIn, tarball: Path) -> list[str]:
    meta = _read_meta(tarball)
    changes = [
        "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
        "ENV LANG=C.UTF-8",
        f"LABEL {STAND_IN_LABEL}=true",
        f'LABEL {STAND_IN_LABEL}.source="debootstrap --variant=minbase {recipe.release}"',
        f"LABEL {STAND_IN_LABEL}.recipe={recipe.key}",
    ]
    if recipe.python:
        changes += [
            f"ENV PYTHON_VERSION={meta.get('python_version', recipe.python)}",
            'CMD ["python3"]',
        ]
    else:
        changes.append('CMD ["bash"]')
    return changes


def _read_meta(tarball: Path) -> dict[str, str]:
    meta_path = tarball.with_suffix("").with_suffix(".meta")
    meta: dict[str, str] = {}
    if meta_path.exists():
        for line in meta_path.read_text().splitlines():
            key, _, value = line.partition("=")
            meta[key] = value
    return meta


def _require_root_tools() -> None:
    if os.geteuid() != 0:
        raise BenchError(
            "building a stand-in base image needs root (debootstrap, chroot); "
            "run as root or load the base image yourself"
        )
    if shutil.which("debootstrap") is None:
        raise BenchError(
            "debootstrap is not installed: `apt-get install -y debootstrap` "
            "(or run `python -m bench engine`, which installs it)"
        )


def _build_rootfs_tarball(recipe: StandIn, tarball: Path) -> None:
    _require_root_tools()
    mirror, proxy_env = debian_mirror()
    tarball.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dockperf-rootfs-", dir="/var/tmp") as tmp:
        root = Path(tmp) / "rootfs"
        argv = ["debootstrap", "--variant=minbase"]
        if recipe.packages:
            argv.append("--include=" + ",".join(recipe.packages))
        argv += [recipe.release, str(root), mirror]
        log.info(
            "debootstrap %s from %s for %s (about a minute)", recipe.release, mirror, recipe.ref
        )
        run(argv, timeout=DEBOOTSTRAP_TIMEOUT, env=proxy_env)
        _configure_apt(root, recipe.release, mirror)
        _trust_host_cas(root)
        python_version = _make_python_like_official(root) if recipe.python else ""
        _strip(root)
        partial = tarball.with_name(tarball.name + ".partial")
        log.info("packing %s", tarball)
        run(["tar", "-C", str(root), "--numeric-owner", "-czf", str(partial), "."], timeout=600)
        meta = tarball.with_suffix("").with_suffix(".meta")
        meta.write_text(f"python_version={python_version}\nrelease={recipe.release}\n")
        partial.replace(tarball)


def debian_mirror() -> tuple[str, dict[str, str]]:
    """The Debian mirror this host's apt uses, and the proxy settings apt uses to reach it."""
    mirror = "http://deb.debian.org/debian"
    candidates: list[Path] = [Path("/etc/apt/sources.list")]
    sources_d = Path("/etc/apt/sources.list.d")
    if sources_d.is_dir():
        candidates += sorted(sources_d.iterdir())
    for path in candidates:
        try:
            text = path.read_text()
        except OSError:
            continue
        found = _debian_uri(text)
        if found:
            mirror = found
            break
    env: dict[str, str] = {}
    dump = (
        run(["apt-config", "dump"], timeout=30, check=False) if shutil.which("apt-config") else None
    )
    if dump is not None:
        for line in dump.stdout.splitlines():
            m = re.fullmatch(r'Acquire::(https?)::Proxy "(.+)";', line.strip())
            if m and m.group(2) not in ("", "DIRECT", "false"):
                env[f"{m.group(1)}_proxy"] = m.group(2)
    return mirror, env


def _debian_uri(text: str) -> str | None:
    for line in text.splitlines():
        line = line.strip()
        m = re.match(r"deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+", line)
        uri = m.group(1) if m else None
        if uri is None:
            m = re.match(r"URIs:\s*(\S+)", line)
            uri = m.group(1) if m else None
        if uri and uri.rstrip("/").endswith("/debian"):
            return uri.rstrip("/")
    return None


def _configure_apt(root: Path, release: str, mirror: str) -> None:
    confd = root / "etc/apt/apt.conf.d"
    (confd / "docker-clean").write_text(_APT_DOCKER_CLEAN)
    (confd / "docker-no-languages").write_text(_APT_NO_LANGUAGES)
    (confd / "docker-gzip-indexes").write_text(_APT_GZIP_INDEXES)
    (confd / "docker-autoremove-suggests").write_text(_APT_NO_RECOMMENDS)
    dpkg_d = root / "etc/dpkg/dpkg.cfg.d"
    dpkg_d.mkdir(parents=True, exist_ok=True)
    (dpkg_d / "docker").write_text(_DPKG_SLIM)
    # The official images use deb822 sources with the updates and security suites.
    (root / "etc/apt/sources.list").unlink(missing_ok=True)
    security = mirror.removesuffix("/debian") + "/debian-security"
    (root / "etc/apt/sources.list.d/debian.sources").write_text(
        f"Types: deb\nURIs: {mirror}\nSuites: {release} {release}-updates\nComponents: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
        f"Types: deb\nURIs: {security}\nSuites: {release}-security\nComponents: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    )


def _trust_host_cas(root: Path) -> None:
    """Add the host's CAs that Debian's bundle lacks (PyPI is reached through a TLS proxy).

    They go to /usr/local/share/ca-certificates, so a later `update-ca-certificates` in a build
    (e.g. after installing ca-certificates) keeps them.
    """
    if not HOST_CA_BUNDLE.exists():
        return
    image_bundle = root / "etc/ssl/certs/ca-certificates.crt"
    have = set(_CERT_RE.findall(image_bundle.read_text())) if image_bundle.exists() else set()
    extra = [c for c in _CERT_RE.findall(HOST_CA_BUNDLE.read_text()) if c not in have]
    if not extra:
        return
    target = root / "usr/local/share/ca-certificates"
    target.mkdir(parents=True, exist_ok=True)
    for i, cert in enumerate(extra):
        (target / f"dockperf-host-{i:03d}.crt").write_text(cert + "\n")
    if (root / "usr/sbin/update-ca-certificates").exists():
        run(["chroot", str(root), "update-ca-certificates", "--fresh"], timeout=120)
    else:
        # No ca-certificates package (plain debian stand-in): ship the host bundle as is.
        image_bundle.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(HOST_CA_BUNDLE, image_bundle)
    log.info("stand-in trusts %d CA certificate(s) from the host bundle", len(extra))


def _make_python_like_official(root: Path) -> str:
    """python and pip in /usr/local/bin; `pip install --prefix=X` -> X/lib/pythonX.Y/site-packages.

    Debian's python installs `--prefix` into X/local/lib/pythonX.Y/dist-packages unless it runs
    from a virtual environment; a venv at /usr/local behaves like the official image.
    """
    run(["chroot", str(root), "/usr/bin/python3", "-m", "venv", "/usr/local"], timeout=300)
    for name in ("activate", "activate.csh", "activate.fish", "Activate.ps1"):
        (root / "usr/local/bin" / name).unlink(missing_ok=True)
    probe = run(
        [
            "chroot",
            str(root),
            "/usr/local/bin/python",
            "-c",
            "import platform, sysconfig; print(platform.python_version());"
            "print(sysconfig.get_paths(vars={'base': '/X', 'platbase': '/X'})['purelib'])",
        ],
        timeout=60,
    )
    version, purelib = probe.stdout.split()
    major_minor = ".".join(version.split(".")[:2])
    if purelib != f"/X/lib/python{major_minor}/site-packages":
        raise BenchError(
            f"stand-in python would install --prefix into {purelib}, not like the official image"
        )
    return version


def _strip(root: Path) -> None:
    """Remove what the official slim images do not ship, so sizes are comparable."""
    for pattern in (
        "usr/share/man/*",
        "usr/share/info/*",
        "usr/share/locale/*",
        "usr/share/lintian/*",
        "var/lib/apt/lists/*",
        "var/cache/apt/*.bin",
        "var/cache/apt/archives/*.deb",
        "var/cache/debconf/*-old",
        "var/lib/dpkg/*-old",
        "var/log/*.log",
        "var/log/apt/*",
        "tmp/*",
        "var/tmp/*",
    ):
        for path in root.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
    # Copyright files stay, like the official images (licences must ship with the binaries).
    for path in sorted((root / "usr/share/doc").glob("**/*"), reverse=True):
        if path.name == "copyright" or (path.is_dir() and any(path.iterdir())):
            continue
        if path.is_dir() and not path.is_symlink():
            path.rmdir()
        else:
            path.unlink()
