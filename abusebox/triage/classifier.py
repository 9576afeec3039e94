"""A small multinomial naive Bayes over the desk's own decisions.

Why not scikit-learn (MultinomialNB + HashingVectorizer)? The trained state has to
travel to every analysis process after each reclassification: a hashed model is a
dense array per class (2**18 features x classes x 8 bytes, megabytes), while the
desk's decisions number in the hundreds and touch a few tens of thousands of
n-grams, which a sparse dict holds in far less. NumPy/SciPy/scikit-learn would
add ~150 MB of dependencies and a slow import in every worker for one signal
among twenty. A dict-based model can also name the tokens that drove its
verdict, which the reason shown to the desk needs. The mathematics is the same
(Laplace-smoothed multinomial NB, log space, binary term presence per document).

Tokens: ASCII words, and character bigrams of CJK runs, so Japanese needs no word
segmenter (the usual approach for unsegmented scripts).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_TOKENS_PER_DOC = 3000
MAX_VOCABULARY = 50_000
_WORD = re.compile(r"[a-z][a-z0-9'$-]{1,24}")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def tokens(text: str) -> set[str]:
    """Distinct tokens of an already normalised (NFKC, lower-case) text, bounded."""
    out: set[str] = set()
    for match in _WORD.finditer(text):
        out.add(match.group())
        if len(out) >= MAX_TOKENS_PER_DOC:
            return out
    for match in _CJK_RUN.finditer(text):
        run = match.group()
        if len(run) == 1:
            out.add(run)
        for i in range(len(run) - 1):
            out.add(run[i : i + 2])
        if len(out) >= MAX_TOKENS_PER_DOC:
            break
    return out


@dataclass
class NaiveBayes:
    """Class -> document count and token -> per-class document counts."""

    classes: tuple[str, ...] = ()
    doc_counts: dict[str, int] = field(default_factory=dict)
    token_counts: dict[str, dict[str, int]] = field(default_factory=dict)  # token -> class -> n
    class_totals: dict[str, int] = field(default_factory=dict)  # sum of token counts per class

    @classmethod
    def train(cls, examples: Iterable[tuple[set[str], str]]) -> NaiveBayes:
        docs: Counter[str] = Counter()
        counts: dict[str, Counter[str]] = {}
        for toks, label in examples:
            docs[label] += 1
            for tok in toks:
                counts.setdefault(tok, Counter())[label] += 1
        if len(counts) > MAX_VOCABULARY:  # keep the most frequent tokens: bounded state
            keep = sorted(counts, key=lambda t: -sum(counts[t].values()))[:MAX_VOCABULARY]
            counts = {t: counts[t] for t in keep}
        totals: Counter[str] = Counter()
        for per_class in counts.values():
            totals.update(per_class)
        return cls(
            classes=tuple(sorted(docs)),
            doc_counts=dict(docs),
            token_counts={t: dict(c) for t, c in counts.items()},
            class_totals=dict(totals),
        )

    @property
    def examples(self) -> int:
        return sum(self.doc_counts.values())

    def _log_likelihoods(self, toks: set[str]) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
        vocab = len(self.token_counts) + 1
        total_docs = self.examples
        scores: dict[str, float] = {}
        contributions: dict[str, dict[str, float]] = {}
        for label in self.classes:
            denominator = math.log(self.class_totals.get(label, 0) + vocab)
            score = math.log(self.doc_counts[label] / total_docs)
            contrib: dict[str, float] = {}
            for tok in toks:
                per_class = self.token_counts.get(tok)
                if per_class is None:
                    continue  # unseen everywhere: the same factor for every class
                value = math.log(per_class.get(label, 0) + 1) - denominator
                contrib[tok] = value
                score += value
            scores[label] = score
            contributions[label] = contrib
        return scores, contributions

    def predict(self, toks: set[str]) -> dict[str, float]:
        """Posterior probability per class."""
        scores, _ = self._log_likelihoods(toks)
        top = max(scores.values())
        exp = {k: math.exp(v - top) for k, v in scores.items()}
        norm = sum(exp.values())
        return {k: v / norm for k, v in exp.items()}

    def explain(self, toks: set[str], label: str, other: str, n: int = 4) -> list[str]:
        """Tokens that most favour ``label`` over ``other``."""
        _, contrib = self._log_likelihoods(toks)
        mine, theirs = contrib.get(label, {}), contrib.get(other, {})
        ranked = sorted(mine, key=lambda t: theirs.get(t, 0.0) - mine[t])
        return [t for t in ranked[:n] if mine[t] > theirs.get(t, 0.0)]
