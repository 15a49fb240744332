"""Which cell of a chapter needs the memory: resident memory of the kernel (and its workers) per cell.

The dress rehearsal (``full_run_rehearsal.py``) gives one peak per chapter; this runs one chapter with
the same parameters (a params file, ``-p`` overrides and the epoch cap of the build) and samples the
resident memory of the kernel process and its children every 0.2 s, so the cell that sets the peak, and
what each cell leaves behind, can be read off:

    .venv/bin/python benchmarks/cell_memory.py notebooks/07_raw_audio.ipynb \
        --params notebooks/full_params.yaml -p DATA_DIR=/work/gtzan-like --max-epochs 1 \
        -p 07_raw_audio.SAMPLE_CHANNELS=[16,16,32,32,32,32,32,32,64]

It prints, per code cell (as it goes, then all again): the peak during the cell and the memory after
it (kernel; kernel + workers), the time, and the cell's first line. Nothing is written to the book's
build folder.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from nbclient import NotebookClient
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bookbuild.execute import KERNEL_NAME, kernel_environment, plan_parameters  # noqa: E402
from bookbuild.params import apply_overrides, load_params, parse_overrides  # noqa: E402


class Sampler(threading.Thread):
    """Samples the resident memory of a process tree; ``peak`` is reset per cell."""

    def __init__(self, interval: float = 0.2):
        super().__init__(daemon=True)
        self.interval, self.pid, self.stop = interval, None, False
        self.peak = self.peak_tree = self.now = self.now_tree = 0.0

    def reset(self) -> None:
        self.peak, self.peak_tree = self.now, self.now_tree

    def run(self) -> None:
        while not self.stop:
            if self.pid is not None:
                try:
                    kernel = psutil.Process(self.pid)
                    own = kernel.memory_info().rss
                    tree = own + sum(
                        c.memory_info().rss for c in kernel.children(recursive=True)
                    )
                except psutil.Error:
                    own = tree = 0
                self.now, self.now_tree = own / 2**20, tree / 2**20
                self.peak, self.peak_tree = (
                    max(self.peak, self.now),
                    max(self.peak_tree, self.now_tree),
                )
            time.sleep(self.interval)


HEADER = f"{'cell':>4} {'peak':>8} {'after':>8} {'peak+w':>8} {'after+w':>8} {'time':>7}  first line (MB; +w: with workers)"


def _row(i, peak, now, peak_tree, now_tree, seconds, first) -> str:
    return f"{i:4d} {peak:8.0f} {now:8.0f} {peak_tree:8.0f} {now_tree:8.0f} {seconds:6.1f}s  {first}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument(
        "--params", type=Path, default=ROOT / "notebooks" / "fast_params.yaml"
    )
    parser.add_argument("--max-epochs", type=int)
    parser.add_argument(
        "-p", dest="overrides", action="append", default=[], metavar="KEY=VALUE"
    )
    args = parser.parse_args()
    notebook = args.notebook.resolve()
    params = apply_overrides(load_params(args.params), parse_overrides(args.overrides))
    chosen = plan_parameters(ROOT, [notebook], params, args.max_epochs)[notebook]
    nb = parameterize_notebook(load_notebook_node(str(notebook)), chosen)

    sampler, rows, started = Sampler(), [], {}

    def on_start(cell, cell_index):
        sampler.reset()
        started["t"] = time.perf_counter()

    def on_executed(cell, cell_index, execute_reply):
        time.sleep(2 * sampler.interval)  # one more sample after the cell
        first = next((line for line in cell.source.splitlines() if line.strip()), "")
        rows.append(
            (
                cell_index,
                sampler.peak,
                sampler.now,
                sampler.peak_tree,
                sampler.now_tree,
                time.perf_counter() - started["t"],
                first[:70],
            )
        )
        print(_row(*rows[-1]), flush=True)

    client = NotebookClient(
        nb,
        kernel_name=KERNEL_NAME,
        timeout=None,
        resources={"metadata": {"path": str(notebook.parent)}},
        on_cell_execute=on_start,
        on_cell_executed=on_executed,
    )
    print(HEADER, flush=True)
    with (
        tempfile.TemporaryDirectory() as tmp,
        kernel_environment(ROOT, Path(tmp), Path(tmp) / "deps.json"),
    ):
        sampler.start()
        with client.setup_kernel():
            sampler.pid = client.km.provisioner.process.pid
            for index, cell in enumerate(client.nb.cells):
                client.execute_cell(cell, index)
        sampler.stop = True
    print(HEADER)
    for row in rows:
        print(_row(*row))
    top = max(rows, key=lambda r: r[3])
    print(
        f"peak: cell {top[0]}, {top[3] / 1024:.1f} GB with workers ({top[1] / 1024:.1f} GB kernel): {top[6]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
