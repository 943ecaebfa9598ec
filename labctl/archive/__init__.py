"""Run archives: one HDF5 file per run, layout in ``labctl.archive.schema``.

Names load on first use, so that the command line starts without importing h5py.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "errors": ["ArchiveError"],
    "reader": ["Archive"],
    "writer": ["ArchiveWriter"],
})
