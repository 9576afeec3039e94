"""The compiled-readers benchmark reads the analyze benchmark's report."""

from __future__ import annotations

import contextlib
import io

from benchmarks import analyze, compiled
from benchmarks.stages import STAGES, MailCost


def test_it_reads_every_stage_mean_from_the_analyze_report() -> None:
    costs = [
        MailCost({"parse": 0.25, "pgp": 0.05, "extract": 1.0, "triage": 0.2}, False, "a"),
        MailCost({"parse": 0.75, "pgp": 0.15, "extract": 3.0, "triage": 0.4}, False, "b"),
    ]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        analyze.print_report(costs, 1, "CPU")
    means = dict(compiled._STAGE.findall(out.getvalue()))
    expected = {"parse": "0.500", "pgp": "0.100", "extract": "2.000", "triage": "0.300", "analysis": "2.900"}
    assert means == expected
    assert set(STAGES) <= set(means)


def test_it_compiles_modules_that_exist() -> None:
    assert all((compiled.REPO / path).is_file() for path in compiled.COMPILED)
