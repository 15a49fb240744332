"""A dress rehearsal of the full run on a GTZAN-shaped synthetic folder; prints time and memory per chapter.

No GTZAN is needed: the synthetic generator writes 10 x 100 clips of 30 s with GTZAN's names and layout
(and an unreadable jazz.00054), so the full-run parameters (notebooks/full_params.yaml: the
fault-filtered split, whole clips, the papers' sizes) run at GTZAN's scale, with the epochs capped so
that the run finishes in an afternoon. What it measures is what a user with real GTZAN will meet:
feature extraction of 1,000 clips, memory of whole-clip inputs, caches, training steps at full size.

    .venv/bin/python benchmarks/full_run_rehearsal.py --data /work/gtzan-like --max-epochs 2 \
        [--splits DIR]   # the six split lists from a local folder, on a machine without internet
        [-p NOTEBOOK.KEY=VALUE ...]   # e.g. a smaller sample-level CNN: -p 07_raw_audio.SAMPLE_CHANNELS=[...]

It prints one line per chapter (execution time from the build's manifest, peak memory of the kernel
and of its worker processes from the chapter's results record) and a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mgr_utils.results import record_path  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data",
        type=Path,
        required=True,
        help="GTZAN-shaped folder (written if absent)",
    )
    parser.add_argument("--build-dir", type=Path, default=ROOT / "_build" / "rehearsal")
    parser.add_argument("--max-epochs", type=int, default=2)
    parser.add_argument(
        "--splits",
        type=Path,
        help="copy the split lists from this folder (no internet)",
    )
    parser.add_argument(
        "--only", action="append", help="chapters to run (default: all)"
    )
    parser.add_argument(
        "-p",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="passed to the build, e.g. -p 07_raw_audio.SAMPLE_EPOCHS=1",
    )
    args = parser.parse_args()
    py = sys.executable
    if not (args.data / "genres").is_dir():
        subprocess.run(
            [py, "-m", "mgr_utils.datasets", "gtzan-like", str(args.data)], check=True
        )
    if args.splits:
        subprocess.run(
            [py, "-m", "mgr_utils.download", "splits", "--from", str(args.splits)],
            check=True,
        )
    cmd = [
        py,
        "-m",
        "bookbuild",
        "build",
        "--params",
        str(ROOT / "notebooks" / "full_params.yaml"),
        "--build-dir",
        str(args.build_dir),
        "-p",
        f"DATA_DIR={args.data}",
        "--max-epochs",
        str(args.max_epochs),
    ]
    for only in args.only or []:
        cmd += ["--only", only]
    for pair in args.overrides:
        cmd += ["-p", pair]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT)
    total = time.perf_counter() - t0
    manifest = json.loads((args.build_dir / "executed" / "manifest.json").read_text())
    rows = [
        "| chapter | time (2-core CPU) | peak memory: kernel | worker processes |",
        "|---|---|---|---|",
    ]
    for name, entry in manifest.items():
        stem = Path(name).stem
        dataset = entry.get("parameters", {}).get("DATASET", "gtzan")
        record = record_path(stem, dataset, args.build_dir / "results")
        run = json.loads(record.read_text()).get("run", {}) if record.exists() else {}
        memory = run.get("peak_memory_mb", {})
        line = (
            f"| {stem} | {entry['seconds'] / 60:.1f} min | {memory.get('kernel', 0) / 1024:.1f} GB | "
            f"{memory.get('workers', 0) / 1024:.1f} GB |"
        )
        rows.append(line)
        print(
            f"{stem}: {entry['seconds']:.0f} s; peak memory kernel {memory.get('kernel', 0):.0f} MB, "
            f"workers {memory.get('workers', 0):.0f} MB"
        )
    print(f"total: {total / 60:.1f} min (epochs capped at {args.max_epochs})")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
