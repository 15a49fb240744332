"""One-time set-up work, done by ``make setup`` so that no chapter pays for it.

A fresh environment compiles librosa's numba kernels on their first call (and caches them in
``site-packages``), and matplotlib builds its font list on first use (cached in the user's cache
folder). Both cost tens of seconds once, per environment; a chapter's measured time should be
the chapter's own work. This calls each such code path once on a second of noise.
"""

from __future__ import annotations

import time


def main() -> None:
    """Warm up librosa's numba caches and matplotlib's font cache; print how long it took."""
    t0 = time.perf_counter()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.font_manager  # noqa: F401  (builds the font list once)
    import matplotlib.pyplot as plt
    import numpy as np

    import librosa

    sr = 22050
    y = np.random.default_rng(0).standard_normal(sr).astype(np.float32) * 0.1
    S = np.abs(librosa.stft(y=y, n_fft=2048, hop_length=512))
    librosa.istft(librosa.stft(y=y, n_fft=512, hop_length=256), hop_length=256)
    librosa.griffinlim(S=S, n_iter=2, hop_length=512, n_fft=2048)
    librosa.feature.inverse.mel_to_audio(
        M=librosa.feature.melspectrogram(S=S**2, sr=sr), sr=sr, n_iter=2
    )
    onset = librosa.onset.onset_strength(y=y, sr=sr)
    librosa.feature.tempo(onset_envelope=onset, sr=sr)
    librosa.beat.beat_track(onset_envelope=onset, sr=sr)
    librosa.feature.zero_crossing_rate(y=y)
    librosa.feature.chroma_stft(S=S, sr=sr)
    librosa.feature.mfcc(y=y, sr=sr)
    librosa.effects.hpss(y)
    librosa.util.peak_pick(
        onset, pre_max=3, post_max=3, pre_avg=3, post_avg=3, delta=0.1, wait=1
    )
    fig, ax = plt.subplots()
    ax.set_title("warm-up")
    fig.canvas.draw()
    plt.close(fig)
    print(
        f"warm-up: librosa's numba kernels and matplotlib's font cache ready in {time.perf_counter() - t0:.1f} s"
    )


if __name__ == "__main__":
    main()
