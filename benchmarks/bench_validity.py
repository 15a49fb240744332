"""What each step of chapter 12 costs, per clip, on the fast build's networks (run by hand).

Times one synthetic clip of ``--seconds`` (10 s: the fast build; 30 s: GTZAN) through every
irrelevant transformation, the horse family's design and one filter, each network's NumPy
prediction (features + one Keras call), and the adversary on the three networks it attacks
(Costa's CNN at the fast build's size, Dieleman's mel and raw networks with 1 s segments):
the first clip (tracing the compiled step) and the next clips (per step), untrained weights.
The weights do not change the cost of a step; they change how many steps a flip takes.

Command::

    nice -n 10 .venv/bin/python benchmarks/bench_validity.py --seconds 10

Output on the development machine (2 CPU cores shared with other jobs, load average about 6,
so every time here is inflated), 10 s clips (``--clips 4``) | 30 s clips (``--clips 3``)::

    20 Hz high-pass          10.9 | 13.9 ms     tempo +6 %      60.1 | 183.2 ms
    low/high shelf ±3 dB      1.5 |  4.3 ms     pitch +1 st     70.9 | 246.5 ms
    gain ±6 dB                0.1 |  0.1 ms     pink noise      26.3 |  45.6 ms
    MP3 at 128 kbit/s       153.2 | 504.4 ms
    horse: design 16 filters 0.02 s; one filter on one clip 15.9 | 32.7 ms
    one clip's prediction:   Costa (32 maps, dense 128) 32.3 | 59.8 ms,
                             Dieleman mel 18.5 | 29.7 ms, Dieleman raw 7.7 | 9.6 ms
    section 1, 13 transformations x 3 networks: 7.0 s for 4 clips | 10.5 s for 3 clips
    section 2, 16 filters x 3 networks:          6.9 s for 4 clips (horse_test: each clip
      filtered once for all systems; 11.2 s when each system filtered its own copies)
    adversary, first clip (tracing) | then per step, with the round trip:
                             Costa 2.19 s, 110 ms | 5.78 s, 416 ms
                             mel   1.75 s,  83 ms | 2.61 s, 147 ms
                             raw   1.01 s,  28 ms | 1.01 s,  49 ms
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

SR = 22050


def timed(fn, repeat: int = 3) -> float:
    """Median wall time of ``fn()`` over ``repeat`` calls, in seconds."""
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return float(np.median(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clips", type=int, default=4, help="clips for the attack")
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()

    from mgr_utils import validity as v
    from mgr_utils.datasets import load_synthetic
    from mgr_utils.features import costa_patches, mel_frames, waveform_segments
    from mgr_utils.models.costa import costa_cnn
    from mgr_utils.models.dieleman2014 import dieleman_cnn
    from mgr_utils.training import configure_tensorflow

    print(f"threads: {configure_tensorflow()}   load average: {os.getloadavg()[0]:.2f}")
    clips = load_synthetic(n_per_genre=1, duration=args.seconds, seed=0)
    audio = [c.load() for c in clips][: max(args.clips, 1)]
    y = audio[0]
    print(f"clip: {args.seconds:g} s at {SR} Hz")

    print("\n-- irrelevant transformations (median of 3, one clip)")
    for t in v.transformations():
        t(y, SR)  # warm-up (imports, caches)
        print(f"  {t.label:34s} {1000 * timed(lambda t=t: t(y, SR)):8.1f} ms")

    print("\n-- the horse test")
    t0 = time.perf_counter()
    F = v.horse_filters()
    print(f"  design 16 filters                  {time.perf_counter() - t0:8.2f} s")
    print(
        f"  one filter on one clip             {1000 * timed(lambda: F.apply(y, 0)):8.1f} ms"
    )

    nets = {
        "Costa CNN (32 maps, dense 128)": (
            costa_cnn((256, 16, 1), filters=32, dense_units=128, seed=0),
            costa_patches,
            {},
            "magnitude",
        ),
        "Dieleman mel": (
            dieleman_cnn((86, 32), "mel", seed=0),
            mel_frames,
            {"n_samples": 22016, "stride": 256, "n_mels": 32},
            "magnitude",
        ),
        "Dieleman raw": (
            dieleman_cnn((22016, 1), "raw", seed=0),
            waveform_segments,
            {"n_samples": 22016},
            "waveform",
        ),
    }
    print("\n-- one clip's prediction: NumPy features + one Keras call")
    predicts = {}
    for name, (model, fn, params, _) in nets.items():

        def predict(y, sr, model=model, fn=fn, params=params):
            return np.asarray(model(fn(y, sr, **params), training=False)).mean(axis=0)

        predict(y, SR)
        predicts[name] = predict
        print(f"  {name:34s} {1000 * timed(lambda p=predict: p(y, SR)):8.1f} ms")

    n = len(audio)
    labels = [c.label for c in clips][:n]
    print(f"\n-- section 1 end to end: {n} clips x 13 transformations x 3 networks")
    t0 = time.perf_counter()
    m = v.measure_transformations(predicts, audio, labels, SR)
    total = time.perf_counter() - t0
    transform = sum(m["seconds"].values())
    print(
        f"  {total:6.1f} s in all: transforming {transform:.1f} s, "
        f"predicting {total - transform:.1f} s"
    )
    print(f"\n-- section 2 end to end: {n} clips x 16 filters x 3 networks")
    t0 = time.perf_counter()
    v.horse_test(predicts, audio, labels, SR, F)
    print(f"  {time.perf_counter() - t0:6.1f} s")

    print(f"\n-- the adversary: {args.steps} steps at 40 dB, no early stop")
    settings = v.AttackSettings(snr_dbs=(40.0,), steps=args.steps, stop_probability=1.0)
    for name, (model, fn, params, domain) in nets.items():
        system = v.tf_system(model, fn, params, SR)
        predict = predicts[name]
        per_step = []
        for i, z in enumerate(audio):
            label = int(np.argmax(predict(z, SR)))
            t0 = time.perf_counter()
            r = v.attack_clip(
                z, SR, label, predict, system, domain=domain, settings=settings
            )
            dt = time.perf_counter() - t0
            steps = max(1, r["levels"][0]["steps"])
            if i == 0:
                first = dt
            else:
                per_step.append(dt / steps)
        print(
            f"  {name:34s} first clip (tracing) {first:6.2f} s; then "
            f"{1000 * np.median(per_step):6.1f} ms per step (incl. the round trip)"
        )
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
