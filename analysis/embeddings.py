"""Word embeddings for the concern screen, from the model shipped inside ``wordllama``.

The ``wordllama`` wheel carries its 256-dimension token embeddings and its
tokenizer, so nothing is downloaded at run time. Its loader looks for the
tokenizer under a folder name the wheel does not use, so the model is loaded
from a cache folder of our own whose ``tokenizers/`` and ``weights/`` point at
the package's copies (the package folder itself may be read-only).

Pure functions and one lazily loaded, thread-safe model per process; no Flask.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["EmbeddingModel", "EmbeddingUnavailable", "load_model", "shared_model"]

DIMENSIONS = 256
# Token windows: an answer longer than this is also read as overlapping
# windows, so one worrying sentence in a long answer is not averaged away.
WINDOW_TOKENS = 14
WINDOW_STRIDE = 7
# Beyond this many tokens the rest of an answer is not embedded (the rules
# still read all of it). About 3,000 characters of English.
MAX_TOKENS = 768


@dataclass(frozen=True)
class EmbeddingModel:
    """Token embeddings and tokenizer of the shipped model."""

    tokenizer: object
    vectors: np.ndarray  # (vocabulary, DIMENSIONS), float32
    version: str

    def tokens(self, text: str) -> np.ndarray:
        """Token ids of ``text`` (at most ``MAX_TOKENS``)."""
        ids = np.asarray(self.tokenizer.encode(text, add_special_tokens=False).ids[:MAX_TOKENS], dtype=np.int64)
        return np.clip(ids, 0, self.vectors.shape[0] - 1, out=ids)

    def embed(self, texts: list[str]) -> np.ndarray:
        """One unit-length vector per text: the mean of its token vectors.

        An empty text gets a zero vector.
        """
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        encoded = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        for row, encoding in enumerate(encoded):
            ids = np.clip(np.asarray(encoding.ids[:MAX_TOKENS], dtype=np.int64), 0, self.vectors.shape[0] - 1)
            if len(ids):
                out[row] = self.vectors[ids].sum(axis=0)
        return _unit_rows(out)

    def windows(self, text: str) -> np.ndarray:
        """Unit vectors of the whole ``text`` and of its overlapping token windows.

        Returns an array of shape (windows, DIMENSIONS); empty when the text has
        no tokens.
        """
        ids = self.tokens(text)
        count = len(ids)
        if count == 0:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        token_vectors = self.vectors[ids]
        if count <= WINDOW_TOKENS:
            return _unit_rows(token_vectors.sum(axis=0, keepdims=True))
        # Each row of ``pick`` selects the tokens of one window (the first row:
        # all of them); one matrix product then sums every window at once.
        ends = np.minimum(np.arange(WINDOW_TOKENS, count + WINDOW_STRIDE, WINDOW_STRIDE), count)
        pick = np.zeros((len(ends) + 1, count), dtype=np.float32)
        pick[0] = 1.0
        for row, end in enumerate(ends, start=1):
            pick[row, end - WINDOW_TOKENS:end] = 1.0
        pooled = np.einsum("ij,jk->ik", pick, token_vectors)  # no BLAS threads: see concern_bank._product
        return _unit_rows(pooled)


class EmbeddingUnavailable(RuntimeError):
    """The embedding model could not be loaded; the message says why."""


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    """``matrix`` with each row scaled to unit length (zero rows stay zero), in place."""
    norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix))[:, None]
    norms[norms == 0] = 1.0
    matrix /= norms
    return matrix


def load_model(cache_dir: str | Path | None = None) -> EmbeddingModel:
    """Load the 256-dimension model shipped in the ``wordllama`` wheel (about 0.2 s).

    ``cache_dir`` is a writable folder for the loader's links to the package's
    files; by default one in the system's temporary folder. Raises :class:`EmbeddingUnavailable`
    when the package or its files are missing; nothing is ever downloaded.
    """
    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError as problem:  # pragma: no cover - a declared dependency
        raise EmbeddingUnavailable(f"the wordllama package is not installed ({problem})") from None
    package = Path(wordllama.__file__).parent
    folder = Path(cache_dir) if cache_dir is not None else _default_cache_dir(package)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("tokenizers", "weights"):
            _link(folder / name, package / name)
    except OSError as problem:
        raise EmbeddingUnavailable(f"cannot prepare the model folder {folder} ({problem.strerror})") from None
    try:
        loaded = WordLlama.load(cache_dir=folder, disable_download=True, dim=DIMENSIONS)
    except Exception as problem:  # the loader raises several kinds
        raise EmbeddingUnavailable(f"the wordllama model could not be loaded ({problem})") from None
    tokenizer = loaded.tokenizer
    tokenizer.no_padding()
    tokenizer.no_truncation()
    version = f"wordllama-{getattr(wordllama, '__version__', 'unknown')}-l2_supercat_{DIMENSIONS}"
    return EmbeddingModel(tokenizer=tokenizer, vectors=np.ascontiguousarray(loaded.embedding, dtype=np.float32),
                          version=version)


def _default_cache_dir(package: Path) -> Path:
    """A folder in the system's temporary folder for this user and this installation of
    the package, reused by every process."""
    user = os.getuid() if hasattr(os, "getuid") else "user"
    installation = hashlib.sha256(str(package).encode()).hexdigest()[:10]
    return Path(tempfile.gettempdir()) / f"neglect-feedback-wordllama-{user}-{installation}"


def _link(link: Path, target: Path) -> None:
    """Make ``link`` point at ``target``, replacing a link left by another installation."""
    if link.is_symlink() and Path(os.readlink(link)) != target:
        link.unlink()
    if not link.exists():
        try:
            link.symlink_to(target, target_is_directory=True)
        except FileExistsError:  # another process made it first
            pass


_lock = threading.Lock()
_shared: dict[str, EmbeddingModel] = {}


def shared_model(cache_dir: str | Path | None = None) -> EmbeddingModel:
    """The process's one model, loaded on first use (thread-safe)."""
    model = _shared.get("model")
    if model is None:
        with _lock:
            model = _shared.get("model")
            if model is None:
                model = _shared["model"] = load_model(cache_dir)
    return model
