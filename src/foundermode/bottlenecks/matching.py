"""Does this blocker report talk about the same thing as one we already have?

Two matchers share one interface (``build_index``, ``similarity``,
``threshold_for``):

* ``lexical`` (the default, pure Python): TF-IDF cosine over stemmed words,
  blended with TF-IDF cosine over character n-grams taken inside words. Words
  carry the meaning; the n-grams forgive typos, inflections and compounds that
  the light stemmer misses ("deploy"/"deployment", "k8s-node"/"node"). The
  first line (a title, or the whole of a one-line report) is scored again on
  its own and weighs ``TITLE_WEIGHT`` of the score: people name the problem
  first and explain after, and two explanations differ more than two names.
* ``semantic`` (``foundermode[semantic]``): sentence embeddings, see
  ``semantic.py``.

IDF comes from the documents at hand, never from a shipped third-party corpus:
an index uses its own reports, and ``foundermode eval grouping`` uses every text
of the pairs file (labels unused). ``similarity(a, b)`` with nothing else to go
on uses the two texts as the collection: a term both share gets a lower weight
than one only one of them has, exactly as in a two-report index, so its scores
sit on the same scale and take the same threshold (on the dev pairs the
max-F1 threshold is 0.095 with two texts and 0.093 with all 1,098).

Scores are in [0, 1]; ``threshold_for(kind)`` is the score at or above which two
reports are taken to be about the same thing.
"""
from __future__ import annotations

import heapq
import math
import re
from array import array
from collections import Counter
from typing import Hashable, Iterable, Protocol
from .semantic import SemanticIndex, pair_scores as semantic_pair_scores, similarity as semantic_similarity

# Chosen by `python bench/bench_grouping.py` on the training split of the dev
# pairs only (max F1; the held-out split never chose anything), with the
# held-out figures in docs/benchmarks.md. Re-run it when the features below
# change: the scale of the scores moves with them.
DEFAULT_THRESHOLD = 0.0865
SEMANTIC_THRESHOLD = 0.400
_THRESHOLDS = {"lexical": DEFAULT_THRESHOLD, "semantic": SEMANTIC_THRESHOLD}
KINDS = tuple(_THRESHOLDS)
# Between "clearly the same" (the threshold) and "clearly different" (this share
# of it) a report opens its own bottleneck and the leader is told it may be the
# same as its best match, with a merge one click away. Chosen on the training
# split as the highest cut still catching 95% of the duplicates (lexical).
MAYBE_FACTOR = 0.43

# Share of the word cosine in the lexical score (the rest is the n-gram cosine).
WORD_WEIGHT = 0.5
# Share of the first line's own score (bench/bench_grouping.py, training split).
TITLE_WEIGHT = 0.2
NGRAM_SIZES = (3, 4, 5)
# Candidates a query looks at closely, per feature family (see LexicalIndex.query).
POOL = 300

# Words that say when, for how long or how often, never what is in the way: "drops every hour"
# and "the queue is an hour long" share nothing about the blocker. They are not content words
# (so no score, no shared word, no n-grams). The list was fixed before measuring; on the
# training split (bench/bench_grouping.py) it leaves F1 and the tuned threshold unchanged,
# while adding "time"/"times" or "second"/"seconds" (often the subject: time zones, a second
# monitor) lowered it.
TIME_WORDS = frozenset(
    """minute minutes hour hours day days week weeks month months year years today yesterday tomorrow tonight
    always sometimes often frequently occasionally recently lately forever daily hourly weekly monthly""".split()
)

STOP_WORDS = TIME_WORDS | frozenset(
    """a about above after again against all am an and any are aren as at be because been before being below
    between both but by can cannot could couldn did didn do does doesn doing don down during each else etc even
    ever every few for from further get gets got had hadn has hasn have haven having he her here hers herself him
    himself his how however i if in into is isn it its itself just let lets like ll me might more most much must
    mustn my myself need no nor not now of off on once only or other ought our ours ourselves out over own please
    re same shall shan she should shouldn so some still such than that the their theirs them themselves then there
    these they this those though through thus to too under until up upon us ve very via was wasn we were weren what
    when where whether which while who whom why will with within without won would wouldn yet you your yours
    yourself yourselves hi hello thanks thank also one two s t d m""".split()
)

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Lower-cased runs of letters and digits; punctuation, ``_`` and ``-`` split words."""
    return _TOKEN.findall(text.lower())


def stem(word: str) -> str:
    """A deliberately light suffix stripper: consistent rather than linguistic.

    It only needs to map the forms people actually alternate between in a
    report ("jobs"/"job", "failing"/"failed"/"fails") onto one key; the n-gram
    features catch what it misses.
    """
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""), ("ly", "")):
        if word.endswith(suffix):
            base = word[: -len(suffix)] + keep
            # "status", "analysis", "access" keep their s; "gpus", "cpus" lose it.
            if suffix == "s" and (word.endswith(("ss", "is")) or (word.endswith("us") and len(word) > 4)):
                return word
            if suffix == "es" and not base.endswith(("ch", "sh", "x", "z", "ss")):
                base = word[:-1]  # "releases" -> "release", "crashes" -> "crash"
            if len(base) < 3:
                return word
            if suffix in ("ing", "ed") and len(base) > 3 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]  # "running" -> "run", "stopped" -> "stop"
            return base
    return word


def word_terms(text: str) -> list[str]:
    return [stem(t) for t in tokens(text) if t not in STOP_WORDS and (len(t) > 1 or t.isdigit())]


def shared_words(a: str, b: str) -> int:
    """How many content words (stems, stop words out) two texts have in common."""
    return len(set(word_terms(a)) & set(word_terms(b)))


def char_ngrams(text: str, sizes: Iterable[int] = NGRAM_SIZES) -> list[str]:
    """n-grams inside each (non stop) word, padded so prefixes and suffixes are features of their own."""
    grams: list[str] = []
    for word in tokens(text):
        if word in STOP_WORDS:
            continue
        padded = f"<{word}>"
        for n in sizes:
            grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


def _sublinear(counts: Counter) -> dict[str, float]:
    # A word repeated five times in one report is not five times the evidence.
    return {term: 1.0 + math.log(count) for term, count in counts.items()}


def featurize(text: str) -> tuple[dict[str, float], dict[str, float]]:
    """(word weights, n-gram weights) before IDF."""
    return _sublinear(Counter(word_terms(text))), _sublinear(Counter(char_ngrams(text)))


def headline(text: str) -> str:
    """The first non-blank line: a report's title, or all of a one-line report."""
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def _cosine(a: dict[str, float], b: dict[str, float], idf=None) -> float:
    if not a or not b:
        return 0.0
    if idf is not None:
        a = {t: w * idf(t) for t, w in a.items()}
        b = {t: w * idf(t) for t, w in b.items()}
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    dot = sum(w * large.get(t, 0.0) for t, w in small.items())
    if dot <= 0.0:
        return 0.0
    norm = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return min(1.0, dot / norm)


def blend(word_cosine: float, ngram_cosine: float) -> float:
    return WORD_WEIGHT * word_cosine + (1.0 - WORD_WEIGHT) * ngram_cosine


def combine(parts: tuple[float, float, float, float], title_weight: float | None = None) -> float:
    """The lexical score from its four cosines (words, n-grams; first line's words, n-grams)."""
    weight = TITLE_WEIGHT if title_weight is None else title_weight
    return (1.0 - weight) * blend(parts[0], parts[1]) + weight * blend(parts[2], parts[3])


class MatchIndex(Protocol):
    """What the bottleneck engine needs: keep open reports, find the nearest ones."""

    kind: str

    def add(self, key: Hashable, text: str) -> None: ...
    def add_many(self, items: Iterable[tuple[Hashable, str]]) -> None: ...
    def remove(self, key: Hashable) -> None: ...
    def __len__(self) -> int: ...
    def __contains__(self, key: Hashable) -> bool: ...
    def query(self, text: str, k: int = 5) -> list[tuple[Hashable, float]]: ...
    def similarity(self, a: str, b: str) -> float: ...
    def shared_words(self, text: str, keys: Iterable[Hashable]) -> dict[Hashable, int]: ...


class _Space:
    """An inverted index over one family of features (words, or n-grams).

    Postings and documents are compact arrays, not lists or dicts: 10,000
    reports cost about 110 MB of memory, and the garbage collector, which walks
    every list and dict in the process, has a hundred thousand fewer to walk.
    """

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.df: list[int] = []
        self.postings: list[array] = []
        self.fids: dict[int, array] = {}
        self.weights: dict[int, array] = {}
        # Norms move with IDF, which moves with every add. They only rank
        # candidates (final scores use exact norms), so they are refreshed all
        # at once when the collection size has drifted 10% since the last
        # refresh, instead of on every query; a new document's norm is exact
        # when it is added.
        self.norms: dict[int, float] = {}
        self.norms_at = 0

    def idf_of(self, fid: int | None) -> float:
        # Smoothed IDF, as scikit-learn's TfidfVectorizer(smooth_idf=True): never
        # zero, and defined for a query term no document has.
        df = self.df[fid] if fid is not None else 0
        return math.log((1 + len(self.fids)) / (1 + df)) + 1.0

    def add(self, doc: int, weights: dict[str, float]) -> None:
        fids = array("l")
        values = array("d")
        for term, weight in weights.items():
            fid = self.ids.get(term)
            if fid is None:
                fid = self.ids[term] = len(self.df)
                self.df.append(0)
                self.postings.append(array("l"))
            self.df[fid] += 1
            self.postings[fid].append(doc)
            fids.append(fid)
            values.append(weight)
        self.fids[doc] = fids
        self.weights[doc] = values
        self.norms[doc] = self.exact_norm(doc)

    def remove(self, doc: int) -> None:
        fids = self.fids.pop(doc)
        del self.weights[doc]
        for fid in fids:
            self.df[fid] -= 1
            self.postings[fid].remove(doc)
        del self.norms[doc]

    def exact_norm(self, doc: int) -> float:
        fids, values = self.fids[doc], self.weights[doc]
        total, df, log = 1 + len(self.fids), self.df, math.log
        return math.sqrt(sum((w * (log(total / (1 + df[f])) + 1.0)) ** 2 for f, w in zip(fids, values))) or 1.0

    def refresh_norms(self) -> None:
        size = len(self.fids)
        if abs(size - self.norms_at) * 10 <= size:
            return
        total, log = 1 + size, math.log
        idf = [log(total / (1 + d)) + 1.0 for d in self.df]
        for doc, fids in self.fids.items():
            values = self.weights[doc]
            self.norms[doc] = math.sqrt(sum((w * idf[f]) ** 2 for f, w in zip(fids, values))) or 1.0
        self.norms_at = size

    def query_vector(self, weights: dict[str, float]) -> tuple[dict[int, float], float]:
        """Query weights times IDF times IDF again (the document side's), and the query norm.

        Folding the document side's IDF into the query lets a dot product read
        a document's raw weights with no IDF computed per feature.
        """
        vector: dict[int, float] = {}
        squares = 0.0
        for term, weight in weights.items():
            fid = self.ids.get(term)
            if fid is not None and self.df[fid] == 0:
                fid = None
            idf = self.idf_of(fid)
            squares += (weight * idf) ** 2
            if fid is not None:
                vector[fid] = weight * idf * idf
        return vector, math.sqrt(squares)

    def accumulate(self, vector: dict[int, float], cap: int, keep: int = 8) -> dict[int, float]:
        """Approximate dot products through the postings of the query's rarer features.

        Features in more than ``cap`` documents add little to a TF-IDF score but
        most of the work; they are skipped here and counted exactly when the
        candidates are rescored. The ``keep`` rarest features always count, so a
        query made only of common words still finds candidates. Each document's
        own weight is taken as 1 (most terms occur once in a short report).
        """
        scores: dict[int, float] = {}
        df = self.df
        for rank, fid in enumerate(sorted(vector, key=df.__getitem__)):
            if rank >= keep and df[fid] > cap:
                break
            contribution = vector[fid]
            get = scores.get
            for doc in self.postings[fid]:
                scores[doc] = get(doc, 0.0) + contribution
        return scores

    def dot(self, doc: int, vector: dict[int, float]) -> float:
        fids, values = self.fids[doc], self.weights[doc]
        get = vector.get
        return sum(w * get(f, 0.0) for f, w in zip(fids, values))

    def cosine(self, doc: int, vector: dict[int, float], qnorm: float, exact: bool = True) -> float:
        if not qnorm:
            return 0.0
        dot = self.dot(doc, vector)
        if dot <= 0.0:
            return 0.0
        return min(1.0, dot / (qnorm * (self.exact_norm(doc) if exact else self.norms[doc])))


class LexicalIndex:
    """TF-IDF (words + character n-grams, of the whole report and of its first line) over the reports it holds, incrementally kept."""

    kind = "lexical"

    def __init__(self, title_weight: float | None = None) -> None:
        # whole text: words, n-grams; first line: words, n-grams
        self._spaces = (_Space(), _Space(), _Space(), _Space())
        self._words, self._grams = self._spaces[0], self._spaces[1]
        self._doc_of: dict[Hashable, int] = {}
        self._key_of: dict[int, Hashable] = {}
        self._next = 0
        self.title_weight = TITLE_WEIGHT if title_weight is None else title_weight

    def __len__(self) -> int:
        return len(self._doc_of)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._doc_of

    @staticmethod
    def _features(text: str) -> tuple[dict[str, float], ...]:
        return (*featurize(text), *featurize(headline(text)))

    def add(self, key: Hashable, text: str) -> None:
        """Index ``text`` under ``key``; adding a key again replaces its text."""
        if key in self._doc_of:
            self.remove(key)
        doc = self._next
        self._next += 1
        for space, weights in zip(self._spaces, self._features(text)):
            space.add(doc, weights)
        self._doc_of[key] = doc
        self._key_of[doc] = key

    def add_many(self, items: Iterable[tuple[Hashable, str]]) -> None:
        for key, text in items:
            self.add(key, text)

    def remove(self, key: Hashable) -> None:
        doc = self._doc_of.pop(key)
        del self._key_of[doc]
        for space in self._spaces:
            space.remove(doc)

    def discard(self, key: Hashable) -> None:
        if key in self._doc_of:
            self.remove(key)

    def _score(self, doc: int, vectors, exact: bool = True) -> float:
        return combine(tuple(space.cosine(doc, vec, norm, exact=exact) for space, (vec, norm) in zip(self._spaces, vectors)), self.title_weight)

    def query(self, text: str, k: int = 5) -> list[tuple[Hashable, float]]:
        """The ``k`` indexed reports most similar to ``text``, best first, scores in [0, 1]."""
        if k <= 0 or not self._doc_of:
            return []
        vectors = [space.query_vector(weights) for space, weights in zip(self._spaces, self._features(text))]
        if not any(norm for _, norm in vectors):
            return []
        for space in self._spaces:
            space.refresh_norms()
        cap = max(64, len(self._doc_of) // 20)
        dots = [space.accumulate(vec, cap) for space, (vec, _) in zip(self._spaces, vectors)]
        # Rank candidates by the approximate score, rescore the best of them
        # with every feature (cached norms), then give the final few exact norms.
        # Thousands of documents share some n-gram with a query; the few hundred
        # with the largest raw dot products in any space hold the answer.
        pool: set[int] = set()
        for found in dots:
            pool.update(heapq.nlargest(POOL, found, key=found.__getitem__))

        def approximate(doc: int) -> float:
            return combine(tuple(found.get(doc, 0.0) / ((norm or 1.0) * space.norms[doc]) for found, space, (_, norm) in zip(dots, self._spaces, vectors)),
                           self.title_weight)

        approx = {doc: approximate(doc) for doc in pool}
        shortlist = heapq.nlargest(max(4 * k, 40), approx, key=approx.__getitem__)
        rescored = {doc: self._score(doc, vectors, exact=False) for doc in shortlist}
        finalists = heapq.nlargest(2 * k, rescored, key=rescored.__getitem__)
        exact = [(self._score(doc, vectors), doc) for doc in finalists]
        best = heapq.nlargest(k, exact, key=lambda pair: (pair[0], -pair[1]))
        return [(self._key_of[doc], score) for score, doc in best if score > 0.0]

    def shared_words(self, text: str, keys: Iterable[Hashable]) -> dict[Hashable, int]:
        """For each indexed key, how many content words its report shares with ``text`` (``shared_words``),
        read from the word features the index already holds."""
        space = self._words
        wanted = {space.ids[t] for t in set(word_terms(text)) if t in space.ids}
        return {key: sum(1 for f in space.fids[self._doc_of[key]] if f in wanted) for key in keys if key in self._doc_of}

    def score_all(self, text: str) -> list[tuple[Hashable, float]]:
        """Every indexed report's exact score, best first: what ``query`` approximates, at full cost."""
        vectors = [space.query_vector(weights) for space, weights in zip(self._spaces, self._features(text))]
        scored = [(self._key_of[doc], self._score(doc, vectors)) for doc in self._key_of]
        return sorted(scored, key=lambda pair: -pair[1])

    def parts(self, a: str, b: str) -> tuple[float, float, float, float]:
        """The four cosines of a pair with this index's IDF: words, n-grams, first line's words, its n-grams."""
        return tuple(_cosine(fa, fb, self._idf(space)) for space, fa, fb in zip(self._spaces, self._features(a), self._features(b)))

    def similarity(self, a: str, b: str) -> float:
        """Pairwise score with this index's IDF (what a query would see)."""
        return combine(self.parts(a, b), self.title_weight)

    @staticmethod
    def _idf(space: _Space):
        def idf(term: str) -> float:
            return space.idf_of(space.ids.get(term))

        return idf


def _pair_idf(a: dict[str, float], b: dict[str, float]):
    # Smoothed IDF with the two texts as the whole collection (N = 2).
    shared = math.log(3 / 3) + 1.0
    single = math.log(3 / 2) + 1.0

    def idf(term: str) -> float:
        return shared if term in a and term in b else single

    return idf


def lexical_similarity(a: str, b: str, idf: str = "pair") -> float:
    """Lexical score for two texts with no index around them.

    ``idf="pair"`` (default) weighs terms as a two-report index would, so the
    shipped threshold applies; ``idf="flat"`` is plain TF cosine.
    """
    fa = (*featurize(a), *featurize(headline(a)))
    fb = (*featurize(b), *featurize(headline(b)))
    if idf == "flat":
        return combine(tuple(_cosine(x, y) for x, y in zip(fa, fb)))
    return combine(tuple(_cosine(x, y, _pair_idf(x, y)) for x, y in zip(fa, fb)))


def _check_kind(kind: str) -> None:
    if kind not in _THRESHOLDS:
        raise ValueError(f"unknown matcher {kind!r}; choose one of {', '.join(KINDS)}")


def build_index(kind: str = "lexical") -> MatchIndex:
    _check_kind(kind)
    if kind == "semantic":
        return SemanticIndex()
    return LexicalIndex()


def similarity(a: str, b: str, kind: str = "lexical") -> float:
    """How alike two reports are, in [0, 1], with no collection for context."""
    _check_kind(kind)
    if kind == "semantic":
        return semantic_similarity(a, b)
    return lexical_similarity(a, b)


def threshold_for(kind: str) -> float:
    _check_kind(kind)
    return _THRESHOLDS[kind]


def maybe_threshold(threshold: float) -> float:
    """Below ``threshold`` but at least this: maybe the same, for a leader to decide."""
    return threshold * MAYBE_FACTOR


# -- resources ------------------------------------------------------------------


def _phrase(text: str) -> tuple[str, ...]:
    return tuple(stem(t) for t in tokens(text))


def detect_resource(text: str, resources: dict[str, list[str]]) -> str | None:
    """The resource whose name, an alias or a keyword appears in ``text``.

    Matching is on whole words, case-insensitive, with the stemmer's plural and
    tense tolerance ("GPUs" finds "gpu"); multi-word phrases must appear in
    order. When several match, the longest phrase wins ("staging database"
    beats "database"), then the earliest resource in the mapping.
    """
    words = _phrase(text)
    if not words:
        return None
    # Every contiguous run of up to the longest phrase's length, once.
    phrases = {name: [p for p in (_phrase(s) for s in [name, *(aliases or [])]) if p] for name, aliases in resources.items()}
    longest = max((len(p) for ps in phrases.values() for p in ps), default=0)
    present = {words[i : i + n] for n in range(1, longest + 1) for i in range(len(words) - n + 1)}
    best: tuple[int, int, int] | None = None
    winner = None
    for order, (name, candidates) in enumerate(phrases.items()):
        for phrase in candidates:
            if phrase in present:
                rank = (len(phrase), sum(map(len, phrase)), -order)
                if best is None or rank > best:
                    best, winner = rank, name
    return winner


# -- evaluation -------------------------------------------------------------------
# Pure functions over (score, label) lists, so `foundermode eval grouping`, the
# tests and the benchmarks all compute the figures the same way.


def confusion(scores: list[float], labels: list[bool], threshold: float) -> dict[str, int]:
    tp = fp = fn = tn = 0
    for score, label in zip(scores, labels):
        predicted = score >= threshold
        if predicted and label:
            tp += 1
        elif predicted:
            fp += 1
        elif label:
            fn += 1
        else:
            tn += 1
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn}


def precision_recall_f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    # 0 rather than undefined when nothing is predicted or nothing is positive.
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return precision, recall, f1


def roc_auc(scores: list[float], labels: list[bool]) -> float:
    """Probability that a random duplicate outscores a random non-duplicate (ties count half).

    The Mann-Whitney form of the area under the ROC curve, with average ranks for ties.
    """
    positives = sum(1 for label in labels if label)
    negatives = len(labels) - positives
    if not positives or not negatives:
        raise ValueError("ROC-AUC needs at least one positive and one negative pair")
    order = sorted(range(len(scores)), key=scores.__getitem__)
    rank_sum = 0.0
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        average_rank = (i + j) / 2 + 1
        rank_sum += average_rank * sum(1 for t in order[i : j + 1] if labels[t])
        i = j + 1
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def best_threshold(scores: list[float], labels: list[bool]) -> float:
    """The threshold with the highest F1 on these pairs.

    Candidates are midpoints between consecutive distinct scores (so the cut
    does not sit on a training example); among equal F1s the highest threshold
    wins, preferring fewer false merges.
    """
    ranked = sorted(zip(scores, labels), key=lambda pair: -pair[0])
    positives = sum(1 for label in labels if label)
    if not ranked or not positives:
        return 1.0
    best_f1, best = -1.0, ranked[0][0]
    tp = fp = 0
    for i, (score, label) in enumerate(ranked):
        tp += label
        fp += not label
        following = ranked[i + 1][0] if i + 1 < len(ranked) else None
        if following is not None and following == score:
            continue  # a threshold cannot split tied scores
        f1 = 2 * tp / (tp + fp + positives)
        if f1 > best_f1:
            best_f1 = f1
            best = (score + following) / 2 if following is not None else score / 2
    return best


def stratified_folds(labels: list[bool], folds: int, seed: int = 0) -> list[list[int]]:
    """Indices split into ``folds`` parts with the same share of duplicates in each."""
    import random

    rng = random.Random(seed)
    parts: list[list[int]] = [[] for _ in range(folds)]
    for value in (True, False):
        members = [i for i, label in enumerate(labels) if bool(label) is value]
        rng.shuffle(members)
        for position, index in enumerate(members):
            parts[position % folds].append(index)
    return [sorted(part) for part in parts]


def metrics_at(scores: list[float], labels: list[bool], threshold: float) -> dict:
    counts = confusion(scores, labels, threshold)
    precision, recall, f1 = precision_recall_f1(counts["tp"], counts["fp"], counts["fn"])
    return {"threshold": threshold, "precision": precision, "recall": recall, "f1": f1, **counts}


def evaluate(
    scores: list[float],
    labels: list[bool],
    folds: int = 5,
    seed: int = 0,
    groups: list[str] | None = None,
    sources: list[str] | None = None,
) -> dict:
    """In-sample and cross-validated figures for one matcher's scores.

    * in_sample: the threshold chosen on all pairs and the figures on those same
      pairs (optimistic; this threshold is the one the matcher ships with).
    * cross_validated: for each of ``folds`` stratified folds, the threshold is
      chosen on the other folds and applied to this one; the held-out
      predictions are pooled into one confusion matrix.
    * by_group (when ``groups`` names a project per pair): each group is scored
      with the threshold chosen on the other groups, i.e. on another project.
    * by_source (when ``sources`` labels each pair, e.g. how it was sampled):
      the share of each source's pairs called duplicates at the in-sample
      threshold, which is recall for a source of duplicates ("textually
      dissimilar" ones are the hard case) and the false-merge rate for a source
      of non-duplicates.
    """
    labels = [bool(label) for label in labels]
    result: dict = {
        "pairs": len(labels),
        "duplicates": sum(labels),
        "roc_auc": roc_auc(scores, labels),
        "threshold_rule": "max F1 (midpoint between scores, highest on ties)",
    }
    threshold = best_threshold(scores, labels)
    result["in_sample"] = metrics_at(scores, labels, threshold)

    pooled = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    fold_rows = []
    for number, held_out in enumerate(stratified_folds(labels, folds, seed)):
        held = set(held_out)
        train = [i for i in range(len(labels)) if i not in held]
        cut = best_threshold([scores[i] for i in train], [labels[i] for i in train])
        row = metrics_at([scores[i] for i in held_out], [labels[i] for i in held_out], cut)
        row["roc_auc"] = roc_auc([scores[i] for i in held_out], [labels[i] for i in held_out])
        fold_rows.append({"fold": number, **row})
        for key in pooled:
            pooled[key] += row[key]
    precision, recall, f1 = precision_recall_f1(pooled["tp"], pooled["fp"], pooled["fn"])
    f1s = [row["f1"] for row in fold_rows]
    mean = sum(f1s) / len(f1s)
    result["cross_validated"] = {
        "folds": folds,
        "seed": seed,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "f1_fold_mean": mean,
        "f1_fold_std": (sum((x - mean) ** 2 for x in f1s) / len(f1s)) ** 0.5,
        "thresholds": [row["threshold"] for row in fold_rows],
        **pooled,
    }
    result["folds"] = fold_rows

    if groups is not None and len(set(groups)) > 1:
        by_group = []
        for group in sorted(set(groups)):
            inside = [i for i, g in enumerate(groups) if g == group]
            outside = [i for i, g in enumerate(groups) if g != group]
            cut = best_threshold([scores[i] for i in outside], [labels[i] for i in outside])
            g_scores, g_labels = [scores[i] for i in inside], [labels[i] for i in inside]
            row = {"group": group, "pairs": len(inside), **metrics_at(g_scores, g_labels, cut)}
            row["roc_auc"] = roc_auc(g_scores, g_labels) if 0 < sum(g_labels) < len(g_labels) else None
            by_group.append(row)
        result["by_group"] = by_group
    if sources is not None:
        result["by_source"] = [
            {
                "source": source,
                "pairs": len(members),
                "duplicates": sum(labels[i] for i in members),
                "called_duplicate": sum(scores[i] >= threshold for i in members) / len(members),
                "mean_score": sum(scores[i] for i in members) / len(members),
            }
            for source in sorted(set(sources))
            for members in [[i for i, s in enumerate(sources) if s == source]]
        ]
    return result


def pair_scores(pairs: list[tuple[str, str]], kind: str = "lexical", idf: str = "corpus") -> list[float]:
    """Scores for labelled pairs as the matcher would give them in use.

    For ``lexical`` with ``idf="corpus"``, IDF comes from every distinct text of
    the pairs (no labels), as an index of open reports gives it in production;
    ``idf="pair"`` scores each pair on its own (``similarity``), ``"flat"``
    without IDF.
    """
    _check_kind(kind)
    if kind == "semantic":
        return semantic_pair_scores(pairs)
    if idf in ("pair", "flat"):
        return [lexical_similarity(a, b, idf) for a, b in pairs]
    if idf != "corpus":
        raise ValueError("idf must be 'corpus', 'pair' or 'flat'")
    index = LexicalIndex()
    for number, text in enumerate(dict.fromkeys(t for pair in pairs for t in pair)):
        index.add(number, text)
    return [index.similarity(a, b) for a, b in pairs]


def held_out_split(pairs: list[tuple[str, str]], share: int = 30) -> list[bool]:
    """For each pair, whether it is in the held-out split (about ``share`` percent).

    Pairs that share a text are connected; a whole connected group goes to one
    side, chosen by a hash of its first text, so no text the tuning saw is
    scored as held out, and the split is the same on every machine and run.
    """
    import hashlib

    parent: dict[str, str] = {}

    def root(text: str) -> str:
        parent.setdefault(text, text)
        while parent[text] != text:
            parent[text] = parent[parent[text]]
            text = parent[text]
        return text

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[ra] = rb
    first: dict[str, str] = {}
    for a, _ in pairs:
        first.setdefault(root(a), a)
    return [int(hashlib.sha256(first[root(a)].encode("utf-8")).hexdigest(), 16) % 100 < share for a, _ in pairs]


def threshold_for_recall(scores: list[float], labels: list[bool], recall: float) -> float:
    """The highest cut (midpoint between scores) that still calls ``recall`` of the duplicates duplicates."""
    positives = sorted((s for s, label in zip(scores, labels) if label), reverse=True)
    if not positives:
        return 0.0
    needed = max(1, math.ceil(recall * len(positives)))
    cut = positives[needed - 1]
    below = [s for s in scores if s < cut]
    return (cut + max(below)) / 2 if below else cut
