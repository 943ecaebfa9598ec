"""Whatever tables a spec holds, planning it either succeeds or is one ConfigError."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import ConfigError
from labctl.sweep import plan_sweep, spec_from

OPTIONS = {"train": ["seed", "meta", "lr", "epochs", "hidden", "tasks", "levels", "limit",
                     "backend", "lr-warmup"],
           "program": ["seed", "levels", "rows", "cols", "g_min", "g_max", "tolerance", "wait",
                       "backend", "mode"]}
WRONG = st.sampled_from(["speed", "out", ""])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 300), st.floats(-10, 1e3),
                    st.just(float("nan")), st.text(max_size=12),
                    st.sampled_from(["mnist", "pmnist:2", "mock", "software", "0:4", "64"]))
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3))


def tables(command: str) -> st.SearchStrategy[dict]:
    names = st.one_of(*[st.sampled_from(OPTIONS[command])] * 6, WRONG)
    axes = st.dictionaries(names, st.lists(VALUES, min_size=1, max_size=3), min_size=1,
                           max_size=3)
    return st.fixed_dictionaries({"command": st.just(command), "grid": axes},
                                 optional={"options": st.dictionaries(names, VALUES, max_size=2),
                                           "zip": st.lists(axes, max_size=1)})


TABLES = st.sampled_from(sorted(OPTIONS)).flatmap(tables)


@settings(max_examples=300, deadline=None)
@given(TABLES)
def test_any_spec_is_a_plan_or_one_config_error(tables: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            plan = plan_sweep(spec_from(tables), Path(tmp))
        except ConfigError as err:
            assert str(err) and "\n" not in str(err)
            return
        assert plan.runs and all(r.archive.parent == Path(tmp).resolve() / "runs"
                                 for r in plan.runs)
