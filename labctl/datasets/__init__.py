"""MNIST and Fashion-MNIST: find, verify and load the original IDX files.

Names load on first use, so that naming a task does not import torch.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "catalog": ["TASKS", "TaskSpec"],
    "errors": ["DatasetError"],
    "loader": ["DatasetFetcher", "TaskData", "default_cache_dir", "load_task"],
})
