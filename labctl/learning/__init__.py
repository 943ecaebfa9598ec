"""Metaplastic quantized-network training with the weights held in a WeightStore.

Names load on first use, so that the command line and the configuration do not import torch.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "backends": ["BACKENDS", "make_weight_store"],
    "config": ["TrainConfig"],
    "memory": ["MemoryModel"],
    "optimizer": ["MetaplasticAdam"],
    "options": ["LrSchedule", "MetaVariant"],
    "quantizer": ["LevelGrid"],
    "store": ["SoftwareStore", "WeightStore", "WriteStats"],
    "trainer": ["EpochRecord", "TrainResult", "Trainer", "train"],
})
