"""Why a stage decided something: one ``Reason`` per fact a handler may need to read.

A reason names the stage that gave it (``triage``, ``extract``, ``parse``, ``desk``
...), the rule or parser behind it, the score it added (triage rule hits only) and the
sentence shown to the desk. Reasons are stored as JSON objects and read back as values:
nothing decides anything from a reason's text.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_KEYS = frozenset({"stage", "rule", "score", "text", "detail"})


@dataclass(frozen=True)
class Reason:
    """One explained decision. ``score`` is what a triage rule added to the total (weighted)."""

    stage: str
    rule: str | None
    score: float | None
    text: str
    detail: str | None = None  # longer text kept for the record, e.g. a traceback

    def __post_init__(self) -> None:
        if not isinstance(self.stage, str) or not self.stage.strip():
            raise ValueError(f"a reason needs a stage, not {self.stage!r}")
        if self.rule is not None and (not isinstance(self.rule, str) or not self.rule.strip()):
            raise ValueError(f"a reason's rule is a name or None, not {self.rule!r}")
        if not isinstance(self.text, str) or not self.text:
            raise ValueError(f"a reason needs a text, not {self.text!r}")
        if self.detail is not None and not isinstance(self.detail, str):
            raise ValueError(f"a reason's detail is text or None, not {self.detail!r}")
        if self.score is not None:
            if isinstance(self.score, bool) or not isinstance(self.score, (int, float)):
                raise ValueError(f"a reason's score is a number or None, not {self.score!r}")
            if not math.isfinite(self.score):
                raise ValueError(f"a reason's score must be finite, not {self.score!r}")
            object.__setattr__(self, "score", float(self.score))

    def display(self) -> str:
        """The line the CLI and the web UI show: a scored rule hit ends in ``[rule +1.5]``."""
        if self.rule is None or self.score is None:
            return self.text
        sign = f"{self.score:+.1f}" if self.score else "±0"
        return f"{self.text} [{self.rule} {sign}]"

    def __str__(self) -> str:
        return self.display()

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "rule": self.rule,
            "score": self.score,
            "text": self.text,
            "detail": self.detail,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reason:
        """The reason ``to_json`` gave; refuse anything else (a string, unknown keys)."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a stored reason is a JSON object, not {type(data).__name__}")
        unknown = set(data) - _KEYS
        if unknown:
            raise ValueError(f"unknown reason keys: {', '.join(sorted(unknown))}")
        if "stage" not in data or "text" not in data:
            raise ValueError("a stored reason needs a stage and a text")
        return cls(data["stage"], data.get("rule"), data.get("score"), data["text"], data.get("detail"))


def reasons_to_json(reasons: Iterable[Reason]) -> list[dict[str, Any]]:
    return [r.to_json() for r in reasons]


def reasons_from_json(data: Iterable[Mapping[str, Any]] | None) -> list[Reason]:
    return [Reason.from_json(item) for item in data or ()]
