"""Metaplastic quantized-network training with the weights held in a WeightStore."""

from labctl.learning.backends import BACKENDS, make_weight_store
from labctl.learning.config import TrainConfig
from labctl.learning.memory import MemoryModel
from labctl.learning.optimizer import MetaplasticAdam, MetaVariant
from labctl.learning.quantizer import LevelGrid
from labctl.learning.store import SoftwareStore, WeightStore, WriteStats
from labctl.learning.trainer import EpochRecord, Trainer, TrainResult, train

__all__ = [
    "BACKENDS",
    "EpochRecord",
    "LevelGrid",
    "MemoryModel",
    "MetaVariant",
    "MetaplasticAdam",
    "SoftwareStore",
    "TrainConfig",
    "TrainResult",
    "Trainer",
    "WeightStore",
    "WriteStats",
    "make_weight_store",
    "train",
]
