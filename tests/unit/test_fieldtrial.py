"""The held-out field-trial sets are large enough and every sample is labelled.

The scores over them (which run gpg on signed samples) are in
tests/integration/test_fieldtrial.py.
"""

from __future__ import annotations

import json

import pytest
from fieldtrial_score import SETS, TrialSet, samples

from abusebox.core.models import CATEGORIES, VERDICTS


@pytest.fixture(params=sorted(SETS))
def trial(request: pytest.FixtureRequest) -> TrialSet:
    return SETS[request.param]


def test_the_set_is_large_and_labelled(trial: TrialSet) -> None:
    paths = samples(trial.folder)
    assert len(paths) >= trial.min_samples
    for path in paths:
        expected = json.loads(path.with_suffix(".expected.json").read_text())
        assert expected["verdict"] in VERDICTS, path.name
        assert expected["category"] is None or expected["category"] in CATEGORIES, path.name
        if expected["verdict"] == "report":
            assert expected["sources"], f"{path.name}: a report names at least one source"
            assert expected["category"] is not None, path.name
        for source in expected["sources"]:
            assert source["time"] is None or source["time"].endswith("Z"), path.name
    assert not [
        p for p in trial.folder.glob("*.expected.json") if not p.with_name(p.name[:-14] + ".eml").exists()
    ]
