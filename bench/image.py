"""Image analysis with the docker SDK: size, real layers, waste, duplicate Python distributions.

The layer count is the number of filesystem layers (`RootFS.Layers`), not `docker history` lines
(most of those are metadata-only). Per-layer sizes come from the engine's history, matched to layers
through the image config's `empty_layer` flags. Waste and distributions need the files themselves,
so the image is streamed through `docker save` (`image.save()`) and every layer tar is read once,
without writing the image to disk.
"""

from __future__ import annotations

import io
import json
import posixpath
import re
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.metrics import Distribution, ImageMetrics, Layer

if TYPE_CHECKING:
    import docker

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
SMALL = 4 * 1024 * 1024
_DIST_DIR = re.compile(r"(?P<name>[^/]+?)-(?P<version>[^-/]+?)(?:-py\d[\d.]*)?\.(dist|egg)-info$")


@dataclass(frozen=True)
class Entry:
    """A tar member of one layer, reduced to what the analysis needs."""

    path: str  # normalised, no leading "./" or "/"
    size: int
    is_dir: bool


@dataclass(frozen=True)
class LayerFiles:
    entries: tuple[Entry, ...]


def _norm(name: str) -> str:
    return posixpath.normpath("/" + name).lstrip("/")


def read_layer(tar: tarfile.TarFile) -> LayerFiles:
    """Members of a layer tar in stream mode (contents are skipped, never extracted)."""
    entries = []
    for member in tar:
        path = _norm(member.name)
        if not path or path == ".":
            continue
        entries.append(
            Entry(path=path, size=member.size if member.isreg() else 0, is_dir=member.isdir())
        )
    return LayerFiles(tuple(entries))


@dataclass(frozen=True)
class FilesystemReport:
    wasted_bytes: int
    final_files: frozenset[str]


def apply_layers(layers: Iterable[LayerFiles]) -> FilesystemReport:
    """Replay layers like overlayfs and count bytes that no longer show in the final filesystem.

    A file's bytes are wasted when a later layer deletes it (a whiteout, or an opaque directory)
    or replaces it (any new entry at the same path: a rewrite, even a chmod, copies the file up).
    """
    files: dict[str, int] = {}  # path -> size of the visible version
    # Number of files below each directory, so "is there a tree here?" is a lookup, not a scan.
    below: dict[str, int] = {}
    wasted = 0

    def ancestors(path: str) -> Iterator[str]:
        while "/" in path:
            path = path.rsplit("/", 1)[0]
            yield path

    def add(path: str, size: int) -> None:
        if path not in files:
            for parent in ancestors(path):
                below[parent] = below.get(parent, 0) + 1
        files[path] = size

    def pop(path: str) -> int:
        for parent in ancestors(path):
            below[parent] -= 1
        return files.pop(path)

    def drop_tree(prefix: str) -> int:
        lost = pop(prefix) if prefix in files else 0
        if below.get(prefix):
            under = prefix + "/"
            for path in [p for p in files if p.startswith(under)]:
                lost += pop(path)
        return lost

    for layer in layers:
        # Opaque markers and whiteouts hide lower layers only, so apply them before the layer's
        # own files (the tar may list them in any order relative to its siblings).
        for entry in layer.entries:
            parent, base = posixpath.split(entry.path)
            if base == OPAQUE:
                if parent:
                    wasted += drop_tree(parent)
                else:
                    wasted += sum(files.values())
                    files.clear()
                    below.clear()
            elif base.startswith(WHITEOUT):
                wasted += drop_tree(posixpath.join(parent, base[len(WHITEOUT) :]))
        for entry in layer.entries:
            base = posixpath.basename(entry.path)
            if base.startswith(WHITEOUT):
                continue
            if entry.is_dir:
                # A directory replacing a file hides it; a directory over a directory merges.
                if entry.path in files:
                    wasted += pop(entry.path)
                continue
            if entry.path in files:
                wasted += files[entry.path]
            elif below.get(entry.path):
                wasted += drop_tree(entry.path)  # a file replacing a directory hides its tree
            add(entry.path, entry.size)
    return FilesystemReport(wasted_bytes=wasted, final_files=frozenset(files))


def canonical_name(name: str) -> str:
    """PEP 503 normalisation: runs of -, _ and . become one -, lowercased."""
    return re.sub(r"[-_.]+", "-", name).lower()


def distributions(paths: Iterable[str]) -> tuple[Distribution, ...]:
    """Distributions installed more than once (several locations) or in several versions."""
    found: dict[str, dict[tuple[str, str], None]] = {}
    for path in paths:
        parent, base = posixpath.split(path)
        if base in ("METADATA", "PKG-INFO"):
            location, meta_dir = posixpath.split(parent)
        elif base.endswith(".egg-info"):  # a single-file egg-info (distutils installs)
            location, meta_dir = parent, base
        else:
            continue
        if "/_vendor" in "/" + location:
            continue  # copies vendored inside another package (setuptools, pip) are private
        m = _DIST_DIR.match(meta_dir)
        if m is None:
            continue
        key = canonical_name(m.group("name"))
        found.setdefault(key, {})[(m.group("version"), "/" + location)] = None
    result = []
    for name in sorted(found):
        installs = list(found[name])
        versions = tuple(sorted({v for v, _ in installs}))
        locations = tuple(sorted({loc for _, loc in installs}))
        if len(installs) > 1:
            result.append(Distribution(name=name, versions=versions, locations=locations))
    return tuple(result)


class _ChunkReader(io.RawIOBase):
    """A file object over the SDK's `image.save()` chunk generator, for tarfile's stream mode."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


@dataclass(frozen=True)
class SavedImage:
    config: dict[str, object]
    layers: tuple[LayerFiles, ...]  # bottom to top


def read_saved(chunks: Iterator[bytes]) -> SavedImage:
    """Read a `docker save` stream: the config and each layer's entries, in layer order."""
    by_name: dict[str, LayerFiles] = {}
    blobs: dict[str, bytes] = {}
    aliases: dict[str, str] = {}
    manifest: list[dict[str, object]] = []
    stream = io.BufferedReader(_ChunkReader(chunks), buffer_size=1 << 20)
    with tarfile.open(fileobj=stream, mode="r|") as outer:
        for member in outer:
            name = _norm(member.name)
            if member.issym():
                # Newer engines store a layer shared by two images once and link the other.
                aliases[name] = _norm(posixpath.join(posixpath.dirname(name), member.linkname))
                continue
            handle = outer.extractfile(member) if member.isreg() else None
            if handle is None:
                continue
            if name == "manifest.json":
                manifest = json.load(handle)
            elif member.size <= SMALL:
                # Small blobs may be the config (no .json suffix in the OCI layout) or a layer.
                data = handle.read()
                blobs[name] = data
                layer = _layer_from_bytes(data)
                if layer is not None:
                    by_name[name] = layer
            else:
                # Layers are tars (docker 20.10: <id>/layer.tar; newer: blobs/sha256/<digest>).
                with tarfile.open(fileobj=handle, mode="r|") as inner:
                    by_name[name] = read_layer(inner)
    if not manifest:
        raise ValueError("docker save stream has no manifest.json")
    entry = manifest[0]
    config_name = _norm(str(entry["Config"]))
    config = json.loads(blobs[config_name]) if blobs.get(config_name) else {}
    layer_names = [_norm(str(x)) for x in entry["Layers"]]  # type: ignore[attr-defined]
    return SavedImage(config=config, layers=tuple(by_name[aliases.get(n, n)] for n in layer_names))


def _layer_from_bytes(data: bytes) -> LayerFiles | None:
    if data[:1] in (b"{", b"["):
        return None  # JSON: a config, manifest or index
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            return read_layer(tar)
    except tarfile.TarError:
        return None


def layer_table(config: dict[str, object], history: list[dict[str, object]]) -> tuple[Layer, ...]:
    """Per-layer size and instruction: engine history (newest first) paired with the config's
    history (oldest first, `empty_layer` marks metadata-only steps)."""
    steps = config.get("history") or []
    assert isinstance(steps, list)
    api = list(reversed(history))
    layers = []
    for i, step in enumerate(steps):
        if step.get("empty_layer"):
            continue
        # An imported base layer has no instruction, only the import's comment.
        created_by = str(step.get("created_by") or step.get("comment") or "")
        size = int(api[i].get("Size", 0)) if i < len(api) else 0  # type: ignore[call-overload]
        layers.append(Layer(created_by=_clean_created_by(created_by), size_bytes=size))
    return tuple(layers)


def _clean_created_by(text: str) -> str:
    # BuildKit records RUN as "RUN /bin/sh -c ... # buildkit"; the legacy builder as
    # "/bin/sh -c #(nop) ..." for metadata. Keep the instruction readable.
    text = text.removesuffix(" # buildkit").strip()
    return text.replace("/bin/sh -c #(nop) ", "").strip()


def analyse(client: docker.DockerClient, image_ref: str) -> ImageMetrics:
    image = client.images.get(image_ref)
    attrs = image.attrs
    rootfs_layers = list(attrs.get("RootFS", {}).get("Layers", []) or [])
    saved = read_saved(image.save(chunk_size=1 << 20, named=False))
    history = image.history()
    layers = layer_table(saved.config, history)
    report = apply_layers(saved.layers)
    return ImageMetrics(
        image_id=str(image.id),
        size_bytes=int(attrs["Size"]),
        layer_count=len(rootfs_layers),
        layers=layers,
        wasted_bytes=report.wasted_bytes,
        duplicate_distributions=distributions(report.final_files),
    )
