"""Feature-extraction benchmark on a GTZAN-sized workload (run by hand; not part of CI).

1 000 clips x 30 s of the synthetic genre set are rendered once to WAV files (like GTZAN on
disk), then timed through :func:`mgr_utils.cache.extract`: loading alone, the bare STFT (the
floor), log-mel, log-mel + LBP zones, the GLCM maps, the whole set (log-mel + LBP + GLCM in one
pass, written to the cache) cold, and the same call again from the cache. Peak memory is the
largest resident set of this process and of its worker processes (``getrusage``).

Targets (2-core machine): whole set <= 60 s; cached re-run <= 5 s; peak memory <= 4 GB;
log-mel <= 3x the bare STFT time.

Command (the thread comparison is optional; it justifies loky as the default backend)::

    .venv/bin/python benchmarks/bench_features.py --compare-threads

Output on the development machine (2 CPU cores, 23 GB RAM, shared with other jobs: note the load
averages; the WAVs were rendered fresh, in ``/tmp/mgr_bench``)::

    cores: 2   n_jobs: -1   workload: 1000 clips x 30 s   load average at start: 2.27
    render synthetic audio to WAV :    82.0 s  (1.32 GB on disk; nan = reused from an earlier run)
    warm-up (workers, imports)    :     3.4 s
    load WAV only                 :     1.6 s    616.2 clips/s   (hits 0, misses 1000)
    load + bare STFT (floor)      :    11.4 s     87.9 clips/s   (hits 0, misses 1000)
    load + log-mel                :    15.8 s     63.4 clips/s   (hits 0, misses 1000)
    load + log-mel + LBP zones    :    29.8 s     33.6 clips/s   (hits 0, misses 1000)
    load + GLCM maps              :     7.3 s    136.7 clips/s   (hits 0, misses 1000)
    WHOLE SET cold (-> cache)     :    31.8 s     31.4 clips/s   (hits 0, misses 1000)
    WHOLE SET cached re-run       :     0.7 s   1400.8 clips/s   (hits 1000, misses 0)
    WHOLE SET threads, no cache   :    46.8 s     21.4 clips/s   (hits 0, misses 1000)
    WHOLE SET loky, no cache      :    34.3 s     29.2 clips/s   (hits 0, misses 1000)
    features held in memory       :     722 MB (whole set, all clips)
    peak RSS main / largest worker: 2.30 GB / 0.27 GB  (bound main + 2 workers: 2.84 GB)
    peak RSS main up to the cached re-run (before any thread comparison): 1.58 GB
    log-mel / bare STFT (minus load): 1.45x   incl. load: 1.39x
    load average at end (1 min): 4.04  (other jobs on the machine inflate every time)
    targets:
      [PASS] whole set 31.8 s <= 60 s
      [PASS] cached re-run 0.7 s <= 5 s
      [PASS] peak memory 2.84 GB <= 4 GB
      [PASS] log-mel 15.8 s <= 3 x STFT 11.4 s

An earlier run of the same workload on a quieter machine (load average 1.5 at the start) measured:
render 53.4 s; load 1.1 s; bare STFT 7.9 s; log-mel 9.9 s; log-mel + LBP 16.8 s; GLCM 3.9 s; whole set
cold 19.0 s; cached re-run 0.7 s; threads 33.6 s vs loky 23.2 s (no cache).

Design notes: one STFT feeds the log-mel image and its LBP zones
(:func:`mgr_utils.features.texture_features`); the mel filterbank is memoised; everything is float32;
workers load their own clip (memory stays flat: the main process holds only the results); a cache entry
is one uncompressed ``.npz`` per clip, read in the main process without starting any worker.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mgr_utils import features as F  # noqa: E402
from mgr_utils.cache import extract  # noqa: E402
from mgr_utils.datasets import Clip, ClipSet, load_synthetic  # noqa: E402

# Feature functions that return a tiny summary, so timing a feature does not also mean holding
# 1 000 full spectrograms in memory (the whole-set run below does keep them, as a user would).


def load_only(y, sr):
    return np.float32(y.shape[0])


def bare_stft(y, sr):
    return np.float32(F.stft_magnitude(y, n_fft=2048, hop_length=512).shape[1])


def logmel_only(y, sr):
    return np.float32(F.log_mel(y, sr).shape[1])


def logmel_lbp(y, sr):
    return F.lbp_zone_histograms(F.log_mel(y, sr))


def glcm_only(y, sr):
    return F.glcm_maps_per_segment(y, sr)


def _render_one(clip, path):
    import soundfile as sf

    sf.write(str(path), clip.load(), clip.sr, subtype="PCM_16")


def render_wavs(
    n_per_genre: int, duration: float, wav_dir: Path, n_jobs: int
) -> tuple[ClipSet, float]:
    """Render the synthetic set to 16-bit WAV files once (reused by later runs); return it as file clips."""
    from joblib import Parallel, delayed

    synth = load_synthetic(n_per_genre=n_per_genre, duration=duration)
    wav_dir.mkdir(parents=True, exist_ok=True)
    todo = [
        (c, wav_dir / f"{c.clip_id}.wav")
        for c in synth
        if not (wav_dir / f"{c.clip_id}.wav").exists()
    ]
    t = time.perf_counter()
    if todo:
        Parallel(n_jobs=n_jobs)(delayed(_render_one)(c, p) for c, p in todo)
    seconds = time.perf_counter() - t
    clips = [
        Clip(c.clip_id, c.genre, path=wav_dir / f"{c.clip_id}.wav", sr=c.sr)
        for c in synth
    ]
    return ClipSet(clips, "synthetic-wav"), seconds if todo else float("nan")


def peak_rss_gb() -> tuple[float, float]:
    """Peak resident set (GB) of this process and of the largest finished child (Linux: ru_maxrss in KiB)."""
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return self_kb / 2**20, child_kb / 2**20


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n-per-genre", type=int, default=100)
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument(
        "--workdir", default=os.path.join(tempfile.gettempdir(), "mgr_bench")
    )
    ap.add_argument("--n-jobs", type=int, default=-1)
    ap.add_argument(
        "--compare-threads",
        action="store_true",
        help="also time the whole set with joblib's threading backend",
    )
    args = ap.parse_args(argv)

    workdir = Path(args.workdir)
    n_cpu = os.cpu_count()
    print(
        f"cores: {n_cpu}   n_jobs: {args.n_jobs}   workload: {10 * args.n_per_genre} clips x {args.duration:g} s   "
        f"load average at start: {os.getloadavg()[0]:.2f}"
    )
    clips, t_render = render_wavs(
        args.n_per_genre, args.duration, workdir / "wav", args.n_jobs
    )
    n = len(clips)
    size_gb = sum(c.path.stat().st_size for c in clips) / 1e9
    print(
        f"render synthetic audio to WAV : {t_render:7.1f} s  ({size_gb:.2f} GB on disk; nan = reused from an earlier run)"
    )

    rows = []

    def run(label, fn, **kw):
        r = extract(clips, fn, {}, n_jobs=args.n_jobs, progress=False, **kw)
        assert len(r.kept) == n, r.skipped
        rows.append((label, r.seconds))
        print(
            f"{label:30s}: {r.seconds:7.1f} s  {n / r.seconds:7.1f} clips/s   (hits {r.hits}, misses {r.misses})"
        )
        return r

    # Warm up: worker start-up and the imports (librosa, skimage) are paid once per session, in
    # the workers (loky) and in this process (threads), before anything is timed.
    # Every timed function runs once per worker first, so no measurement pays a first-call cost.
    t = time.perf_counter()
    for fn in (
        load_only,
        bare_stft,
        logmel_only,
        logmel_lbp,
        glcm_only,
        F.texture_features,
    ):
        extract(clips[:8], fn, {}, n_jobs=args.n_jobs, progress=False, use_cache=False)
    F.texture_features(clips[0].load(), clips[0].sr)
    print(f"warm-up (workers, imports)    : {time.perf_counter() - t:7.1f} s")
    t_load = run("load WAV only", load_only, use_cache=False).seconds
    t_stft = run("load + bare STFT (floor)", bare_stft, use_cache=False).seconds
    t_mel = run("load + log-mel", logmel_only, use_cache=False).seconds
    run("load + log-mel + LBP zones", logmel_lbp, use_cache=False)
    run("load + GLCM maps", glcm_only, use_cache=False)

    cache_dir = workdir / "cache"
    shutil.rmtree(cache_dir, ignore_errors=True)
    cold = run("WHOLE SET cold (-> cache)", F.texture_features, cache_dir=cache_dir)
    feats_mb = sum(sum(a.nbytes for a in d.values()) for d in cold.features) / 1e6
    del cold
    warm = run("WHOLE SET cached re-run", F.texture_features, cache_dir=cache_dir)
    del warm
    main_gb_extract = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    if args.compare_threads:
        run(
            "WHOLE SET threads, no cache",
            F.texture_features,
            use_cache=False,
            backend="threading",
        )
        run(
            "WHOLE SET loky, no cache",
            F.texture_features,
            use_cache=False,
            backend="loky",
        )

    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(
        wait=True
    )  # reap the workers so their peak RSS is counted
    self_gb, child_gb = peak_rss_gb()
    n_workers = n_cpu if args.n_jobs < 0 else args.n_jobs
    peak = self_gb + n_workers * child_gb
    times = dict(rows)
    t_whole, t_cached = (
        times["WHOLE SET cold (-> cache)"],
        times["WHOLE SET cached re-run"],
    )
    print(f"features held in memory       : {feats_mb:7.0f} MB (whole set, all clips)")
    print(
        f"peak RSS main / largest worker: {self_gb:.2f} GB / {child_gb:.2f} GB  "
        f"(bound main + {n_workers} workers: {peak:.2f} GB)"
    )
    print(
        f"peak RSS main up to the cached re-run (before any thread comparison): {main_gb_extract:.2f} GB"
    )
    ratio = (t_mel - t_load) / max(1e-9, t_stft - t_load)
    print(
        f"log-mel / bare STFT (minus load): {ratio:.2f}x   incl. load: {t_mel / t_stft:.2f}x"
    )
    print(
        f"load average at end (1 min): {os.getloadavg()[0]:.2f}  (other jobs on the machine inflate every time)"
    )
    print("targets:")
    for ok, text in [
        (t_whole <= 60, f"whole set {t_whole:.1f} s <= 60 s"),
        (t_cached <= 5, f"cached re-run {t_cached:.1f} s <= 5 s"),
        (peak <= 4, f"peak memory {peak:.2f} GB <= 4 GB"),
        (t_mel <= 3 * t_stft, f"log-mel {t_mel:.1f} s <= 3 x STFT {t_stft:.1f} s"),
    ]:
        print(f"  [{'PASS' if ok else 'FAIL'}] {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
