"""labctl: drive a 1T1R HfO2 RRAM test chip, or its simulation, from program to training.

The names below are the library's public API (see ``labctl.api``); they load on first use,
so that importing labctl (and starting the command line) does not import torch.
"""

from importlib.metadata import PackageNotFoundError, version

import lazy_loader

try:
    __version__ = version("labctl")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "api": ["LevelFigures", "ProgramReport", "ReadReport", "SweepReport", "evaluate",
            "open_bench", "program", "read", "run_sweep", "train"],
    "evaluation": ["ReadBack"],
    "archive": ["Archive", "ArchiveError"],
    "characterize": ["DisturbReport", "EnduranceReport", "IVReport", "RetentionReport",
                     "disturb", "endurance", "iv", "retention"],
    "archive.analysis": ["open_archive", "open_sweep"],
    "learning.config": ["TrainConfig"],
    "learning.trainer": ["TrainResult"],
    "region": ["Region"],
})
