"""Training-step time and memory of the paper-size sample-level CNN (Lee et al. 2017) on this machine.

Chapter 7's full run trains the 3^9 model (59,049 samples, nine blocks of 128-512 channels) on
GTZAN's fault-filtered training side. That is too slow to rehearse end to end on a CPU, so this
script measures what one epoch costs instead: it builds the model exactly as the chapter does
(:func:`mgr_utils.models.lee.sample_cnn`), times ``--steps`` training steps on random batches of
``--batch-size`` segments after one warm-up step (graph tracing) and one prediction batch (after a
first, traced one), and multiplies by chapter 7's segment counts on the filtered split: training
segments every 2 s of the 442 readable training clips (14 per 30 s clip), validation and test
segments every 1 s of 197 + 290 clips (28 per clip). Peak memory is the resident set of this
process (``getrusage``). Run by hand; not part of CI::

    .venv/bin/python benchmarks/bench_sample_cnn.py [--steps 5] [--channels 128,128,256,...]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SR = 22050
CLIPS = {"train": 442, "eval": 197 + 290}  # the fault-filtered split without jazz.00054
HOP_SECONDS = {"train": 2, "eval": 1}  # chapter 7's hops between sample-level segments
CLIP_SAMPLES = 30 * SR


def segments_per_clip(n_samples: int, hop_seconds: int) -> int:
    """Segments of ``n_samples`` every ``hop_seconds`` in a 30 s clip."""
    return (CLIP_SAMPLES - n_samples) // (hop_seconds * SR) + 1


def main() -> int:
    from mgr_utils.models.lee import LEE_CHANNELS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--steps",
        type=int,
        default=5,
        help="timed training steps (after one warm-up step)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=32,
        help="segments per step (chapter 7: BATCH_SIZE)",
    )
    parser.add_argument(
        "--channels",
        default=",".join(map(str, LEE_CHANNELS)),
        help="channels per block, comma-separated (default: the paper's)",
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=40,
        help="epochs of the full run (chapter 7: SAMPLE_EPOCHS)",
    )
    parser.add_argument(
        "--predict-batch",
        type=int,
        default=32,
        help="segments per prediction batch (chapter 7 predicts BATCH_SIZE at a time; "
        "256 is training.predict_segments' default)",
    )
    args = parser.parse_args()
    if args.steps < 1 or args.batch_size < 1:
        parser.error("--steps and --batch-size must be at least 1")

    import numpy as np

    from mgr_utils.models.lee import sample_cnn
    from mgr_utils.training import compile_model

    channels = tuple(int(c) for c in args.channels.split(","))
    n_samples = 3 ** (len(channels) + 1)
    model = sample_cnn(
        n_samples,
        first_filters=channels[0],
        channels=channels,
        last_filters=channels[-1],
        seed=0,
    )
    compile_model(model, lr=1e-3)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.batch_size, n_samples, 1), dtype=np.float32) * 0.1
    y = rng.integers(0, 10, args.batch_size)
    t0 = time.perf_counter()
    model.train_on_batch(x, y)
    warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(args.steps):
        model.train_on_batch(x, y)
    per_step = (time.perf_counter() - t0) / args.steps
    peak_train_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    from mgr_utils.training import predict_segments

    xp = rng.standard_normal((args.predict_batch, n_samples, 1), dtype=np.float32) * 0.1
    predict_segments(
        model, xp, batch_size=args.predict_batch
    )  # traces the prediction graph
    t0 = time.perf_counter()
    predict_segments(model, xp, batch_size=args.predict_batch)
    per_segment = (time.perf_counter() - t0) / args.predict_batch
    segments = CLIPS["train"] * segments_per_clip(n_samples, HOP_SECONDS["train"])
    eval_segments = CLIPS["eval"] * segments_per_clip(n_samples, HOP_SECONDS["eval"])
    steps_per_epoch = -(-segments // args.batch_size)
    epoch_seconds = steps_per_epoch * per_step
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"cores: {os.cpu_count()}   model: {len(channels)} blocks, channels {channels}, {n_samples} samples, "
        f"{model.count_params():,} weights"
    )
    print(f"warm-up step (tracing): {warm:.1f} s")
    print(
        f"training step, batch {args.batch_size}: {per_step:.2f} s (mean of {args.steps})"
    )
    print(
        f"prediction, batch {args.predict_batch}: {per_segment * 1000:.0f} ms per segment"
    )
    print(
        f"one epoch on the filtered split: {segments} segments = {steps_per_epoch} steps = {epoch_seconds / 60:.0f} min"
    )
    print(
        f"scoring validation and test once: {eval_segments} segments = {eval_segments * per_segment / 60:.0f} min"
    )
    print(
        f"{args.epochs} epochs and the scoring: {(args.epochs * epoch_seconds + eval_segments * per_segment) / 3600:.1f} h"
    )
    print(
        f"peak memory (this process): {peak_train_mb / 1024:.2f} GB while training, "
        f"{peak_mb / 1024:.2f} GB after the prediction"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
