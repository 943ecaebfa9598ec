"""Program a 16 x 16 region to 8 conductance levels, then read it back and look at it.

    python examples/program_and_read.py                          # the simulated chip
    python examples/program_and_read.py --setup bench.toml       # a bench (or mock-server)
"""

from __future__ import annotations

import argparse

import labctl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup", help="bench setup TOML (default: the simulated chip)")
    parser.add_argument("--levels", type=int, default=8)
    args = parser.parse_args()
    backend = "chip" if args.setup else "mock"
    with labctl.open_bench(backend, args.setup, seed=1) as bench:
        programmed = labctl.program(bench, levels=args.levels, rows="0:16", cols="0:16",
                                    wait=10.0)
        look = labctl.read(bench, rows="0:16", cols="0:16")
    print(f"{programmed.cells} cells, success {programmed.success_rate:.1%}, "
          f"{programmed.pulses_mean:.1f} pulses per cell")
    for delay, error in programmed.readback_error.items():
        print(f"  read-back error {delay:g} s after programming: {error:.2%}")
    for level in programmed.per_level:
        print(f"  level {level.level}: target {level.target * 1e6:6.1f} µS, "
              f"reached {level.g_mean * 1e6:6.1f} µS ± {level.g_sigma * 1e6:.2f} µS")
    print(f"read: median {look.g_median * 1e6:.1f} µS over {look.conductance.size} cells")
    print(f"archives: {programmed.archive}, {look.archive}")


if __name__ == "__main__":
    main()
