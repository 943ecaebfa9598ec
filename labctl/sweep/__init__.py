"""Sweeps: many runs of one command over a grid of options, as tasks on dask.distributed,
with an index of their key figures (``DIR/sweep.h5``) and statistics over seeds."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "spec": ["SweepSpec", "load_spec", "spec_from"],
    "plan": ["SweepPlan", "RunPlan", "plan_sweep"],
    "runner": ["SweepState", "run_sweep"],
})
