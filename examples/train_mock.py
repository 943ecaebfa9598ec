"""Train the metaplastic network on MNIST then Fashion-MNIST, its weights on the simulated chip.

A reduced run by default (a small hidden layer, a slice of each training set) that shows the
continual-learning matrix in a few minutes; `--hidden 1024,512 --epochs 5 --limit 0` is the
paper's protocol.

    python examples/train_mock.py [--hidden 64] [--epochs 1] [--limit 2000]
"""

from __future__ import annotations

import argparse

import labctl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", default="64", help="hidden widths, comma-separated")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--limit", type=int, default=2000, help="0: every training sample")
    args = parser.parse_args()
    result = labctl.train(backend="mock", hidden=[int(h) for h in args.hidden.split(",")],
                          epochs=args.epochs, limit=args.limit or None)
    tasks = result.config.tasks
    print("test accuracy after each task")
    print(f"{'after':<15}" + "".join(f"{t:>15}" for t in tasks))
    for trained, row in zip(tasks, result.after_task, strict=True):
        print(f"{trained:<15}" + "".join(f"{a:>15.2%}" for a in row))
    print(f"level changes per epoch: {list(result.level_changes)}")


if __name__ == "__main__":
    main()
