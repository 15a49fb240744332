"""Chapter 1's figures: how fast the synthetic set renders, and how hard it is for a baseline.

Run by hand (not in CI), from the repository root:

    .venv/bin/python benchmarks/bench_synthetic.py

It reports (1) the wall time to render 100 synthetic clips of 10 s (one process, as a notebook
does), and (2) the clip accuracy of the descriptor-statistics + SVM baseline of chapter 1
(MFCC mean/std and spectral descriptors, RBF SVM) on a seeded stratified split of 200 synthetic
clips (20 per genre, 10 s), for several seeds of the split.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from mgr_utils import GENRES
from mgr_utils.classical import descriptor_svm
from mgr_utils.datasets import load_synthetic
from mgr_utils.evaluation import clip_metrics
from mgr_utils.features import descriptors
from mgr_utils.splits import stratified_split


def time_rendering(n_clips: int = 100, duration: float = 10.0) -> float:
    """Seconds to render ``n_clips`` clips of ``duration`` s in this process."""
    clips = load_synthetic(
        n_per_genre=n_clips // len(GENRES), duration=duration, seed=0
    )
    start = time.perf_counter()
    for clip in clips:
        clip.load()
    return time.perf_counter() - start


def baseline_accuracy(
    n_per_genre: int = 20, duration: float = 10.0, seeds=(0, 1, 2, 3, 4)
) -> list[float]:
    """Clip accuracy of descriptor + SVM on a seeded 60/20/20 split, once per seed."""
    clips = load_synthetic(n_per_genre=n_per_genre, duration=duration, seed=0)
    X = np.stack([descriptors(y, sr=c.sr) for c, y in clips.iter_audio()])
    row = {cid: i for i, cid in enumerate(clips.ids)}
    accs = []
    for seed in seeds:
        train, _, test = stratified_split(clips, seed=seed)
        model = descriptor_svm(seed=seed).fit(
            X[[row[i] for i in train.ids]], train.labels
        )
        accs.append(
            clip_metrics(test.labels, model.predict(X[[row[i] for i in test.ids]]))[
                "accuracy"
            ]
        )
    return accs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    seconds = time_rendering()
    print(
        f"render 100 synthetic clips x 10 s: {seconds:.1f} s ({100 / seconds:.1f} clips/s, one process)"
    )
    accs = baseline_accuracy()
    print(
        "descriptor + SVM on 200 synthetic clips (20/genre, 10 s), stratified 60/20/20 split, "
        f"seeds 0-4: clip accuracy {', '.join(f'{a:.1%}' for a in accs)}; "
        f"mean {np.mean(accs):.1%} (chance 10 %)"
    )


if __name__ == "__main__":
    main()
