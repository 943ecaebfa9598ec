"""MNIST and Fashion-MNIST: find, verify and load the original IDX files."""

from labctl.datasets.catalog import TASKS, TaskSpec
from labctl.datasets.errors import DatasetError
from labctl.datasets.loader import DatasetFetcher, TaskData, default_cache_dir, load_task

__all__ = [
    "TASKS",
    "DatasetError",
    "DatasetFetcher",
    "TaskData",
    "TaskSpec",
    "default_cache_dir",
    "load_task",
]
