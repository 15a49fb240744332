"""Is it listening to the genre? Irrelevant changes, the "horse" test and adversarial examples.

Chapters 1-11 ask how often a system is right; this module asks whether it is right for the
right reason, with the three tools of Sturm and colleagues (appendix *What each paper did*):

* **irrelevant transformations** (:data:`TRANSFORMATIONS`): changes no listener would call a
  change of genre (a 20 Hz high-pass, gentle shelves, ±6 % tempo, ±1 semitone, ±6 dB, pink noise
  at 30 dB SNR, an MP3 round trip), applied to every test clip; per system, the accuracy before
  and after, the share of changed answers and the exact McNemar test of before against after
  (:func:`measure_transformations`);
* **the horse test** (:func:`horse_filters`, :func:`horse_test`, :func:`horse_range`): a
  fixed family of gentle filters drawn in advance; for each clip the filter that makes the
  system right and the one that makes it wrong: how far the accuracy moves when only irrelevant
  filtering is chosen;
* **adversarial examples** after Kereliuk, Sturm & Larsen (:func:`attack_clips`): a projected
  gradient on a clip's STFT magnitude (or, for a raw-waveform network, on its samples) toward a
  wrong class, inside an L2 ball of the audio noise set by a target SNR; the feature path of each
  network is rebuilt in TensorFlow (:data:`TF_FEATURES`, tested equal to the book's NumPy
  features); a flip counts only if the resynthesised audio, run through the system's own NumPy
  features, is classified differently (:func:`attack_clip`); then the "defences"
  (:func:`defend`).

A *system* here is any callable ``predict(y, sr) -> class probabilities`` of one clip (the saved
systems of ``mgr_utils.predict`` give such callables); the adversary also needs the system's
TensorFlow path (:func:`tf_system`). The results, sentences and tables of the chapter and the
robustness table of chapter 10 come from :func:`validity_record` and the functions after it.

TensorFlow is imported only by the functions that need it.

Notebook: ``12_validity.ipynb``.
"""

from __future__ import annotations

import functools
import io
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mgr_utils import SR
from mgr_utils.comparison import ALPHA, format_p, mcnemar

Predict = Callable[[np.ndarray, int], np.ndarray]
"""A system: one clip's audio ``y`` at ``sr`` Hz to its class probabilities ``(n_classes,)``."""


def _check_audio(y: np.ndarray, sr: int) -> np.ndarray:
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"expected mono audio of shape (n,), got shape {y.shape}")
    if not isinstance(sr, (int, np.integer)) or sr <= 0:
        raise ValueError(f"sr must be a positive whole number of Hz, got {sr!r}")
    return y


def snr_db(y: np.ndarray, y_changed: np.ndarray) -> float:
    """SNR of ``y_changed`` against ``y`` in dB: ``20 log10(||y|| / ||y_changed - y||)``.

    ``inf`` when the two are equal. Both must have the same length.

    Notebook: ``12_validity.ipynb``.
    """
    y = np.asarray(y, dtype=np.float64)
    noise = np.asarray(y_changed, dtype=np.float64) - y
    if y.shape != noise.shape:
        raise ValueError(f"lengths differ: {y.shape} and {np.shape(y_changed)}")
    n = np.linalg.norm(noise)
    return float("inf") if n == 0 else float(20 * np.log10(np.linalg.norm(y) / n))


# ============================================================================================
# 1. Irrelevant transformations
# ============================================================================================

HIGHPASS_HZ = 20.0
"""Cut-off of the high-pass: below it lies what Rodríguez-Algarra et al. found scattering-based
systems using on GTZAN ([secondary]: the abstract); nothing a listener hears as music."""

LOWPASS_HZ = 4000.0
"""Cut-off of the low-pass "defence" against adversarial examples (a few kHz; ours)."""

LOW_SHELF_HZ = 200.0
"""Corner of the gentle low shelf (a bass tone control; ours)."""

HIGH_SHELF_HZ = 5000.0
"""Corner of the gentle high shelf (a treble tone control; ours)."""

PINK_SNR_DB = 30.0
"""Signal-to-noise ratio of the added pink noise."""

MP3_BITRATE_KBPS = 128
"""Constant bit rate of the MP3 round trip."""


def butterworth(
    y: np.ndarray, sr: int, cutoff_hz: float, btype: str, order: int = 4
) -> np.ndarray:
    """``y`` through a Butterworth filter run forward and backward (zero phase, no delay).

    ``scipy.signal.butter`` (second-order sections) and ``sosfiltfilt``. Running the filter twice
    squares its magnitude response: a 4th-order design has 8th-order slopes and -6 dB (not -3 dB)
    at the cut-off. The signal is extended by odd reflection over three periods of the cut-off
    (at most the whole clip) so the ends do not ring.

    Notebook: ``12_validity.ipynb``.

    Args:
        y: Mono audio.
        sr: Sample rate in Hz.
        cutoff_hz: Cut-off frequency in Hz, below ``sr / 2``.
        btype: ``"highpass"`` or ``"lowpass"``.
        order: Order of the design (of each of the two passes).

    Returns:
        float32, the length of ``y``.

    Raises:
        ValueError: A cut-off outside ``(0, sr / 2)`` or an unknown ``btype``.
    """
    from scipy.signal import butter, sosfiltfilt

    y = _check_audio(y, sr)
    if not 0 < cutoff_hz < sr / 2:
        raise ValueError(f"cutoff_hz must lie in (0, {sr / 2:g}) Hz, got {cutoff_hz}")
    if btype not in ("highpass", "lowpass"):
        raise ValueError(f"btype must be 'highpass' or 'lowpass', got {btype!r}")
    sos = butter(int(order), float(cutoff_hz), btype=btype, fs=sr, output="sos")
    padlen = min(y.size - 1, int(3 * sr / cutoff_hz))
    return sosfiltfilt(sos, y.astype(np.float64), padlen=padlen).astype(np.float32)


def highpass(
    y: np.ndarray, sr: int, cutoff_hz: float = HIGHPASS_HZ, order: int = 4
) -> np.ndarray:
    """A zero-phase Butterworth high-pass (:func:`butterworth`); default 20 Hz, 4th order.

    Notebook: ``12_validity.ipynb``.
    """
    return butterworth(y, sr, cutoff_hz, "highpass", order)


def lowpass(
    y: np.ndarray, sr: int, cutoff_hz: float = LOWPASS_HZ, order: int = 4
) -> np.ndarray:
    """A zero-phase Butterworth low-pass (:func:`butterworth`); default 4 kHz, 4th order.

    Notebook: ``12_validity.ipynb``.
    """
    return butterworth(y, sr, cutoff_hz, "lowpass", order)


def shelf_sos(sr: int, f0: float, gain_db: float, kind: str = "low") -> np.ndarray:
    """A shelving biquad from Bristow-Johnson's *Audio EQ Cookbook*, as one second-order section.

    The cookbook's low and high shelf with shelf slope ``S = 1`` (the steepest slope without a
    bump): ``A = 10^(gain_db / 40)``, ``w0 = 2 pi f0 / sr``, ``alpha = sin(w0) / 2 * sqrt(2)``.
    The low shelf's gain is ``gain_db`` at 0 Hz, the high shelf's at ``sr / 2``; both give half
    of it (in dB) at ``f0`` and 0 dB far on the other side.

    Notebook: ``12_validity.ipynb``.

    Args:
        sr: Sample rate in Hz.
        f0: Corner (mid-point) frequency in Hz, in ``(0, sr / 2)``.
        gain_db: Gain of the shelf band in dB (negative: a cut).
        kind: ``"low"`` or ``"high"``.

    Returns:
        ``(1, 6)`` array ``[b0, b1, b2, 1, a1, a2]`` for ``scipy.signal.sosfilt``.

    Raises:
        ValueError: ``f0`` outside ``(0, sr / 2)`` or an unknown ``kind``.
    """
    if not 0 < f0 < sr / 2:
        raise ValueError(f"f0 must lie in (0, {sr / 2:g}) Hz, got {f0}")
    if kind not in ("low", "high"):
        raise ValueError(f"kind must be 'low' or 'high', got {kind!r}")
    A = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * f0 / sr
    cos_w0, alpha = np.cos(w0), np.sin(w0) / 2 * np.sqrt(2.0)
    k = 2 * np.sqrt(A) * alpha
    s = (
        1.0 if kind == "low" else -1.0
    )  # the high shelf flips the signs of the cos terms
    b0 = A * ((A + 1) - s * (A - 1) * cos_w0 + k)
    b1 = s * 2 * A * ((A - 1) - s * (A + 1) * cos_w0)
    b2 = A * ((A + 1) - s * (A - 1) * cos_w0 - k)
    a0 = (A + 1) + s * (A - 1) * cos_w0 + k
    a1 = -s * 2 * ((A - 1) + s * (A + 1) * cos_w0)
    a2 = (A + 1) + s * (A - 1) * cos_w0 - k
    return np.array([[b0, b1, b2, a0, a1, a2]]) / a0


def shelf(
    y: np.ndarray, sr: int, gain_db: float, f0: float | None = None, kind: str = "low"
) -> np.ndarray:
    """``y`` through a cookbook shelf (:func:`shelf_sos`), run once (causal, minimum phase).

    Run once, so that the gain is the design's (forward and backward would double it in dB).

    Notebook: ``12_validity.ipynb``.

    Args:
        y: Mono audio.
        sr: Sample rate in Hz.
        gain_db: Shelf gain in dB.
        f0: Corner in Hz (``None``: :data:`LOW_SHELF_HZ` or :data:`HIGH_SHELF_HZ`).
        kind: ``"low"`` or ``"high"``.
    """
    from scipy.signal import sosfilt

    y = _check_audio(y, sr)
    f0 = (LOW_SHELF_HZ if kind == "low" else HIGH_SHELF_HZ) if f0 is None else f0
    sos = shelf_sos(sr, f0, gain_db, kind)
    return sosfilt(sos, y.astype(np.float64)).astype(np.float32)


def time_stretch(y: np.ndarray, sr: int, percent: float) -> np.ndarray:
    """Change the tempo by ``percent`` and keep the pitch (librosa's phase vocoder).

    ``librosa.effects.time_stretch`` with ``rate = 1 + percent / 100``: +6 % plays 6 % faster, so
    the clip gets shorter by that factor (``round(n / rate)`` samples).

    Notebook: ``12_validity.ipynb``.

    Raises:
        ValueError: ``percent`` at or below -100.
    """
    import librosa

    y = _check_audio(y, sr)
    rate = 1.0 + percent / 100.0
    if rate <= 0:
        raise ValueError(f"percent must be above -100, got {percent}")
    return librosa.effects.time_stretch(y, rate=rate).astype(np.float32)


def pitch_shift(y: np.ndarray, sr: int, n_steps: float) -> np.ndarray:
    """Shift the pitch by ``n_steps`` semitones and keep the tempo and length (librosa).

    ``librosa.effects.pitch_shift`` (a time stretch, then resampling): every frequency is
    multiplied by ``2 ** (n_steps / 12)``.

    Notebook: ``12_validity.ipynb``.
    """
    import librosa

    y = _check_audio(y, sr)
    return librosa.effects.pitch_shift(y, sr=sr, n_steps=float(n_steps)).astype(
        np.float32
    )


def gain(y: np.ndarray, sr: int, db: float) -> np.ndarray:
    """``y`` scaled by ``10 ** (db / 20)`` (no clipping: the systems read floats).

    Notebook: ``12_validity.ipynb``.
    """
    y = _check_audio(y, sr)
    return (y * np.float32(10 ** (db / 20))).astype(np.float32)


def pink_noise(n: int, seed: int = 0) -> np.ndarray:
    """``n`` samples of Gaussian pink noise (power density ``1 / f``), unit RMS, seeded.

    White Gaussian noise (NumPy's generator, ``seed``) with its spectrum divided by ``sqrt(f)``
    (NumPy's real FFT) and the 0 Hz bin removed: the power falls by 3 dB per octave.

    Notebook: ``12_validity.ipynb``.

    Raises:
        ValueError: ``n`` below 2.
    """
    if n < 2:
        raise ValueError(f"pink noise needs at least 2 samples, got {n}")
    rng = np.random.default_rng(seed)
    W = np.fft.rfft(rng.standard_normal(int(n)))
    f = np.fft.rfftfreq(int(n))
    W[0] = 0.0
    W[1:] /= np.sqrt(f[1:])
    x = np.fft.irfft(W, int(n))
    return x / np.sqrt(np.mean(x**2))


def add_pink_noise(
    y: np.ndarray, sr: int, snr_db: float = PINK_SNR_DB, seed: int = 0
) -> np.ndarray:
    """``y`` plus pink noise (:func:`pink_noise`) scaled to ``snr_db`` against ``y``.

    Notebook: ``12_validity.ipynb``.

    Raises:
        ValueError: A silent clip (no SNR can be set).
    """
    y = _check_audio(y, sr)
    rms = np.sqrt(np.mean(y.astype(np.float64) ** 2))
    if rms == 0:
        raise ValueError("the clip is silent: no noise level gives an SNR")
    noise = pink_noise(y.size, seed) * rms / 10 ** (snr_db / 20)
    return (y + noise).astype(np.float32)


_MP3_KBPS_RANGE = ((32000, 32, 320), (16000, 8, 160), (0, 8, 64))
"""libsndfile's constant bit rates by sample rate: (lowest rate in Hz, kbit/s at compression
level 1, kbit/s at 0); [code] ``mpeg_l3_encoder_set_quality`` in libsndfile's
``src/mpeg_l3_encode.c``."""


def mp3_compression_level(bitrate_kbps: int, sr: int) -> float:
    """The soundfile ``compression_level`` that gives a constant ``bitrate_kbps`` at ``sr`` Hz.

    In constant-bit-rate mode libsndfile (1.1+) asks LAME for
    ``int(high - level * (high - low))`` kbit/s, where ``(low, high)`` is (32, 320) for MPEG-1
    rates (32 kHz and up), (8, 160) for MPEG-2 (16-24 kHz, the book's 22,050 Hz) and (8, 64)
    below ([code]). This inverts that map, aiming half a kbit/s above the target so the
    truncation lands on it.

    Notebook: ``12_validity.ipynb``.

    Raises:
        ValueError: A bit rate the MPEG version of ``sr`` cannot carry.
    """
    for lowest_sr, low, high in _MP3_KBPS_RANGE:
        if sr >= lowest_sr:
            break
    if not low <= bitrate_kbps <= high:
        raise ValueError(
            f"{bitrate_kbps} kbit/s is outside {low}-{high} kbit/s, the constant bit rates "
            f"libsndfile's MP3 encoder offers at {sr} Hz"
        )
    return float(min(1.0, max(0.0, (high - bitrate_kbps - 0.5) / (high - low))))


def encode_mp3_cbr(
    y: np.ndarray, sr: int, bitrate_kbps: int = MP3_BITRATE_KBPS
) -> bytes:
    """``y`` as constant-bit-rate MP3 bytes (soundfile's LAME encoder, mono).

    Notebook: ``12_validity.ipynb``.
    """
    import soundfile as sf

    y = _check_audio(y, sr)
    buf = io.BytesIO()
    sf.write(
        buf,
        y,
        int(sr),
        format="MP3",
        subtype="MPEG_LAYER_III",
        compression_level=mp3_compression_level(bitrate_kbps, sr),
        bitrate_mode="CONSTANT",
    )
    return buf.getvalue()


def mp3_bitrate(data: bytes) -> dict[str, Any]:
    """The bit rate of MP3 bytes, as the decoder reports it and as measured from their size.

    ``kbps`` and ``mode`` come from the stream header (libsndfile's ``extra_info``);
    ``average_kbps`` is the size in bits over the duration (it includes the tag frame and the
    padding of the last frame, so it is slightly above ``kbps`` for short clips).

    Notebook: ``12_validity.ipynb``.

    Returns:
        ``{"kbps", "mode", "average_kbps", "seconds"}`` (``kbps``/``mode`` ``None`` when the
        decoder does not report them).
    """
    import soundfile as sf

    with sf.SoundFile(io.BytesIO(data)) as f:
        info, seconds = f.extra_info, f.frames / f.samplerate
    kbps = re.search(r"bitrate\s*:\s*(\d+)\s*kbps", info)
    mode = re.search(r"bitrate mode\s*:\s*(\w+)", info)
    return {
        "kbps": int(kbps.group(1)) if kbps else None,
        "mode": mode.group(1) if mode else None,
        "average_kbps": len(data) * 8 / seconds / 1000 if seconds else None,
        "seconds": seconds,
    }


def mp3_round_trip(
    y: np.ndarray, sr: int, bitrate_kbps: int = MP3_BITRATE_KBPS
) -> np.ndarray:
    """``y`` encoded as constant-bit-rate MP3 (:func:`encode_mp3_cbr`) and decoded again.

    A clip that peaks above 1 is scaled down before encoding and back up after, so MP3's
    [-1, 1] range clips nothing. The decoder removes LAME's delay (libsndfile reads the LAME
    tag), so the result lines up with ``y``; its length is set to ``y``'s.

    Notebook: ``12_validity.ipynb``.
    """
    import librosa
    import soundfile as sf

    y = _check_audio(y, sr)
    peak = float(np.max(np.abs(y)))
    scale = peak / 0.999 if peak > 0.999 else 1.0
    data = encode_mp3_cbr(y / scale, sr, bitrate_kbps)
    z, _ = sf.read(io.BytesIO(data), dtype="float32")
    z = np.asarray(z, dtype=np.float32).reshape(-1) * np.float32(scale)
    return librosa.util.fix_length(z, size=y.size).astype(np.float32)


@dataclass(frozen=True)
class Transformation:
    """A named irrelevant transformation ``fn(y, sr, **params)``, as the record names it.

    Notebook: ``12_validity.ipynb``.

    Attributes:
        name: Its id in records (``"highpass_20hz"``).
        label: How the page names it (``"20 Hz high-pass"``).
        fn: The function.
        params: Its parameters.
    """

    name: str
    label: str
    fn: Callable[..., np.ndarray] = field(repr=False)
    params: Mapping[str, Any] = field(default_factory=dict)

    def __call__(self, y: np.ndarray, sr: int) -> np.ndarray:
        return self.fn(y, sr, **self.params)

    def describe(self) -> dict[str, Any]:
        """``{"name", "label", "function", "params"}``, for the record."""
        return {
            "name": self.name,
            "label": self.label,
            "function": self.fn.__name__,
            "params": dict(self.params),
        }


def _registry() -> dict[str, Transformation]:
    t = [
        Transformation(
            "highpass_20hz", "20 Hz high-pass", highpass, {"cutoff_hz": HIGHPASS_HZ}
        )
    ]
    for kind, f0 in (("low", LOW_SHELF_HZ), ("high", HIGH_SHELF_HZ)):
        for g in (3.0, -3.0):
            t.append(
                Transformation(
                    f"{kind}_shelf_{g:+.0f}db",
                    f"{kind} shelf {g:+.0f} dB at {f0:g} Hz",
                    shelf,
                    {"gain_db": g, "f0": f0, "kind": kind},
                )
            )
    for p in (6.0, -6.0):
        t.append(
            Transformation(
                f"tempo_{p:+.0f}pct", f"tempo {p:+.0f} %", time_stretch, {"percent": p}
            )
        )
    for s in (1.0, -1.0):
        t.append(
            Transformation(
                f"pitch_{s:+.0f}st",
                f"pitch {s:+.0f} semitone",
                pitch_shift,
                {"n_steps": s},
            )
        )
    for d in (6.0, -6.0):
        t.append(
            Transformation(f"gain_{d:+.0f}db", f"gain {d:+.0f} dB", gain, {"db": d})
        )
    t.append(
        Transformation(
            "pink_noise_30db",
            "pink noise at 30 dB SNR",
            add_pink_noise,
            {"snr_db": PINK_SNR_DB, "seed": 0},
        )
    )
    t.append(
        Transformation(
            "mp3_128k",
            "MP3 at 128 kbit/s",
            mp3_round_trip,
            {"bitrate_kbps": MP3_BITRATE_KBPS},
        )
    )
    return {x.name: x for x in t}


TRANSFORMATIONS: dict[str, Transformation] = _registry()
"""Every irrelevant transformation of the chapter, by name, in the page's order."""


def transformations(names: Sequence[str] | None = None) -> list[Transformation]:
    """The transformations called ``names`` (``None``: all of :data:`TRANSFORMATIONS`), in order.

    Notebook: ``12_validity.ipynb``.

    Raises:
        ValueError: An unknown name (the message lists the known ones).
    """
    if names is None:
        return list(TRANSFORMATIONS.values())
    unknown = [n for n in names if n not in TRANSFORMATIONS]
    if unknown:
        raise ValueError(
            f"unknown transformation(s) {unknown}; choose from {list(TRANSFORMATIONS)}"
        )
    return [TRANSFORMATIONS[n] for n in names]


# ============================================================================================
# Measuring a system before and after
# ============================================================================================


def predict_clips(predict: Predict, audio: Sequence[np.ndarray], sr: int) -> np.ndarray:
    """Class probabilities of every clip, ``(n_clips, n_classes)``: ``predict(y, sr)`` per clip.

    A system that offers a batched ``predict.many(audio, sr) -> (n_clips, n_classes)`` is called
    once instead (a network scores all clips in one call).

    Notebook: ``12_validity.ipynb``.
    """
    many = getattr(predict, "many", None)
    if many is not None:
        P = np.asarray(many(list(audio), sr), dtype=np.float64)
    else:
        P = np.stack([np.asarray(predict(y, sr), dtype=np.float64) for y in audio])
    if P.ndim != 2 or P.shape[0] != len(audio):
        raise ValueError(
            f"a system must give one row of class probabilities per clip: got shape "
            f"{P.shape} for {len(audio)} clips"
        )
    return P


def transformation_effect(
    y_true: Sequence[int],
    before: Sequence[int],
    after: Sequence[int],
    alpha: float = ALPHA,
) -> dict[str, Any]:
    """What a transformation did to one system on the same clips: accuracies, changes, McNemar.

    Notebook: ``12_validity.ipynb``.

    Args:
        y_true: True label of each clip.
        before, after: The system's predicted labels of the original and transformed clips.
        alpha: Significance level.

    Returns:
        ``{"n", "accuracy_before", "accuracy_after", "change" (after - before), "changed"
        (clips whose answer changed), "changed_share", "right_only_before", "right_only_after",
        "test": "exact McNemar", "p", "alpha", "verdict"}``; ``verdict`` is ``"lower after"``,
        ``"higher after"`` or ``"cannot tell apart"``.
    """
    c = mcnemar(y_true, before, after, "before", "after", alpha)
    changed = int(np.sum(np.asarray(before) != np.asarray(after)))
    verdict = {
        "before ahead": "lower after",
        "after ahead": "higher after",
    }.get(c["verdict"], c["verdict"])
    return {
        "n": c["n"],
        "accuracy_before": c["accuracy_a"],
        "accuracy_after": c["accuracy_b"],
        "change": c["accuracy_b"] - c["accuracy_a"],
        "changed": changed,
        "changed_share": changed / c["n"],
        "right_only_before": c["a_only"],
        "right_only_after": c["b_only"],
        "test": c["test"],
        "p": c["p"],
        "alpha": alpha,
        "verdict": verdict,
    }


def measure_transformations(
    systems: Mapping[str, Predict],
    audio: Sequence[np.ndarray],
    y_true: Sequence[int],
    sr: int,
    chosen: Sequence[Transformation] | None = None,
    before: Mapping[str, Sequence[int]] | None = None,
) -> dict[str, Any]:
    """Every system on every clip, original and transformed: the table of section 1.

    Each clip is transformed once per transformation and every system scores that version, so
    all comparisons are paired on the same clips.

    Notebook: ``12_validity.ipynb``.

    Args:
        systems: ``{system id: predict}``.
        audio: The test clips' audio.
        y_true: Their labels.
        sr: Sample rate in Hz.
        chosen: The transformations (``None``: all of :data:`TRANSFORMATIONS`).
        before: Each system's labels of the original clips, if already known.

    Returns:
        ``{"n", "transformations": [describe()], "before": {system: labels},
        "after": {name: {system: labels}}, "effects": {system: {name: effect}},
        "seconds": {name: seconds to transform the clips}}``, effects from
        :func:`transformation_effect`.

    Raises:
        ValueError: No clip, or labels and clips of different lengths.
    """
    chosen = transformations() if chosen is None else list(chosen)
    y_true = np.asarray(y_true)
    if len(audio) == 0 or y_true.size != len(audio):
        raise ValueError(
            f"need one label per clip and at least one clip: {len(audio)} clips, "
            f"{y_true.size} labels"
        )
    before = {
        s: np.asarray(before[s]) if before and s in before else None for s in systems
    }
    for s, predict in systems.items():
        if before[s] is None:
            before[s] = predict_clips(predict, audio, sr).argmax(axis=1)
    after: dict[str, dict[str, np.ndarray]] = {}
    seconds: dict[str, float] = {}
    for t in chosen:
        t0 = time.perf_counter()
        changed = [t(y, sr) for y in audio]
        seconds[t.name] = time.perf_counter() - t0
        after[t.name] = {
            s: predict_clips(p, changed, sr).argmax(axis=1) for s, p in systems.items()
        }
    effects = {
        s: {
            t.name: transformation_effect(y_true, before[s], after[t.name][s])
            for t in chosen
        }
        for s in systems
    }
    return {
        "n": int(y_true.size),
        "transformations": [t.describe() for t in chosen],
        "before": {s: v.tolist() for s, v in before.items()},
        "after": {t: {s: v.tolist() for s, v in d.items()} for t, d in after.items()},
        "effects": effects,
        "seconds": seconds,
    }


def pick_flip(measured: Mapping[str, Any]) -> tuple[int, str] | None:
    """The (clip, transformation) whose transformation changes the most systems' answers.

    For the page's players: the original and the transformed clip side by side. Ties go to the
    earlier transformation, then the earlier clip.

    Notebook: ``12_validity.ipynb``.

    Returns:
        ``(clip position, transformation name)``, or ``None`` when no answer changed.
    """
    best, where = 0, None
    for name, by_system in measured["after"].items():
        counts = sum(
            np.asarray(labels) != np.asarray(measured["before"][s])
            for s, labels in by_system.items()
        )
        i = int(np.argmax(counts))
        if counts[i] > best:
            best, where = int(counts[i]), (i, name)
    return where


# ============================================================================================
# 2. The horse test
# ============================================================================================

HORSE_N_FILTERS = 16
"""Filters in the horse family."""

HORSE_MAX_DB = 3.0
"""Largest gain or cut of any horse filter at any frequency, in dB."""


@dataclass
class HorseFilters:
    """A fixed family of gentle equalisers, drawn before any system is tested.

    Attributes:
        taps: Linear-phase FIR filters, ``(n_filters, numtaps)`` (odd ``numtaps``).
        control_hz: Frequencies of the random control points, ``(n_points,)``.
        control_db: Each filter's drawn gains at those points, ``(n_filters, n_points)``.
        max_abs_db: Each filter's measured largest gain or cut, ``(n_filters,)``.
        sr: Sample rate the filters were designed for.
        seed: The seed they were drawn with.

    Notebook: ``12_validity.ipynb``.
    """

    taps: np.ndarray
    control_hz: np.ndarray
    control_db: np.ndarray
    max_abs_db: np.ndarray
    sr: int
    seed: int

    def __len__(self) -> int:
        return int(self.taps.shape[0])

    def apply(self, y: np.ndarray, k: int) -> np.ndarray:
        """``y`` through filter ``k`` (:func:`apply_fir`)."""
        return apply_fir(y, self.taps[k])


def filter_response_db(
    taps: np.ndarray, sr: int, n_freqs: int = 4096
) -> tuple[np.ndarray, np.ndarray]:
    """Magnitude response of an FIR filter in dB, ``scipy.signal.freqz`` on ``n_freqs`` points.

    Notebook: ``12_validity.ipynb``.

    Returns:
        ``(freqs_hz, gain_db)``, from 0 Hz to just below ``sr / 2``.
    """
    from scipy.signal import freqz

    f, h = freqz(np.asarray(taps, dtype=np.float64), worN=int(n_freqs), fs=sr)
    return f, 20 * np.log10(np.maximum(np.abs(h), 1e-12))


def apply_fir(y: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """``y`` through a linear-phase FIR with its delay removed (``scipy.signal.oaconvolve``,
    ``mode="same"``; odd length, so the delay is a whole number of samples).

    Notebook: ``12_validity.ipynb``.
    """
    from scipy.signal import oaconvolve

    taps = np.asarray(taps, dtype=np.float64)
    if taps.ndim != 1 or taps.size % 2 == 0:
        raise ValueError(f"expected an odd-length 1-D FIR, got shape {taps.shape}")
    y = np.asarray(y, dtype=np.float64)
    return oaconvolve(y, taps, mode="same").astype(np.float32)


def _smooth_curve_db(
    control_hz: np.ndarray, control_db: np.ndarray, grid_hz: np.ndarray
) -> np.ndarray:
    """A gain curve through the control points, smooth in log frequency and flat outside them.

    PCHIP (``scipy.interpolate.PchipInterpolator``) on ``log2 f``: shape-preserving, so the curve
    never leaves the range of the control points.
    """
    from scipy.interpolate import PchipInterpolator

    x = np.log2(np.clip(grid_hz, control_hz[0], control_hz[-1]))
    return PchipInterpolator(np.log2(control_hz), control_db)(x)


def horse_filters(
    n_filters: int = HORSE_N_FILTERS,
    max_db: float = HORSE_MAX_DB,
    seed: int = 0,
    sr: int = SR,
    n_points: int = 8,
    fmin: float = 60.0,
    fmax: float = 8000.0,
    numtaps: int = 1025,
) -> HorseFilters:
    """Draw the horse test's family of gentle filters: random smooth EQ curves within ±``max_db``.

    Each filter draws ``n_points`` gains uniformly in [-``max_db``, ``max_db``] dB at frequencies
    spaced evenly in log frequency from ``fmin`` to ``fmax`` (seeded); the curve through them is
    smooth in log frequency (PCHIP, which stays between the drawn gains) and flat outside. The
    filter is a linear-phase FIR designed by frequency sampling
    (``scipy.signal.firwin2``, Hamming window). Its magnitude response is then **measured**
    (:func:`filter_response_db`); if the window's smoothing pushed it past ``max_db`` anywhere,
    the curve is scaled down and the filter designed again, so every filter of the family stays
    within ±``max_db``.

    Notebook: ``12_validity.ipynb``.

    Args:
        n_filters: How many filters.
        max_db: Largest gain or cut in dB.
        seed: Seed of the draw.
        sr: Sample rate in Hz.
        n_points: Control points per curve.
        fmin, fmax: Lowest and highest control frequency in Hz (``fmax < sr / 2``).
        numtaps: FIR length (odd; 1,025 taps resolve about 20 Hz at 22,050 Hz).

    Returns:
        A :class:`HorseFilters`.

    Raises:
        ValueError: A non-positive count, ``max_db`` or frequency range, or an even ``numtaps``.
    """
    from scipy.signal import firwin2

    if n_filters < 1 or n_points < 2 or max_db <= 0:
        raise ValueError(
            f"need n_filters >= 1, n_points >= 2 and max_db > 0; got {n_filters}, "
            f"{n_points}, {max_db}"
        )
    if not 0 < fmin < fmax < sr / 2:
        raise ValueError(f"need 0 < fmin < fmax < sr / 2, got {fmin}, {fmax}, {sr}")
    if numtaps % 2 == 0:
        raise ValueError(f"numtaps must be odd (a whole-sample delay), got {numtaps}")
    rng = np.random.default_rng(seed)
    control_hz = np.geomspace(fmin, fmax, n_points)
    control_db = rng.uniform(-max_db, max_db, size=(n_filters, n_points))
    grid = np.linspace(0.0, sr / 2, 1024)
    taps, worst = [], []
    for gains in control_db:
        curve = _smooth_curve_db(control_hz, gains, grid)
        for _ in range(8):
            h = firwin2(numtaps, grid, 10 ** (curve / 20), fs=sr)
            peak = np.max(np.abs(filter_response_db(h, sr)[1]))
            if peak <= max_db:
                break
            curve = curve * (max_db / peak) * 0.999
        else:  # pragma: no cover - the design converges in one or two rounds
            raise RuntimeError(f"could not keep a horse filter within ±{max_db} dB")
        taps.append(h)
        worst.append(peak)
    return HorseFilters(
        taps=np.asarray(taps),
        control_hz=control_hz,
        control_db=control_db,
        max_abs_db=np.asarray(worst),
        sr=int(sr),
        seed=int(seed),
    )


def horse_predictions(
    predict: Predict, audio: Sequence[np.ndarray], sr: int, filters: HorseFilters
) -> np.ndarray:
    """The system's label of every clip through every filter, ``(n_clips, n_filters)``.

    Notebook: ``12_validity.ipynb``.

    Raises:
        ValueError: Filters designed for another sample rate.
    """
    if filters.sr != sr:
        raise ValueError(
            f"the filters were designed at {filters.sr} Hz, the clips are at {sr} Hz"
        )
    out = np.zeros((len(audio), len(filters)), dtype=np.int64)
    for k in range(len(filters)):
        out[:, k] = predict_clips(
            predict, [filters.apply(y, k) for y in audio], sr
        ).argmax(axis=1)
    return out


def horse_test(
    systems: Mapping[str, Predict],
    audio: Sequence[np.ndarray],
    y_true: Sequence[int],
    sr: int,
    filters: HorseFilters,
    unfiltered: Mapping[str, Sequence[int]] | None = None,
) -> dict[str, dict[str, Any]]:
    """The horse test of every system on the same clips: section 2's run.

    Each clip is filtered once per filter and every system scores that version
    (:func:`horse_predictions` does the same for one system); each system's predictions go to
    :func:`horse_range`.

    Notebook: ``12_validity.ipynb``.

    Args:
        systems: ``{system id: predict}``.
        audio, y_true: The test clips and their labels.
        sr: Sample rate in Hz (the filters' own).
        filters: The family (:func:`horse_filters`).
        unfiltered: Each system's labels of the original clips (for ``accuracy``), if known.

    Returns:
        ``{system: horse_range(...) + {"predictions": (n_clips, n_filters) labels as lists}}``.
    """
    if filters.sr != sr:
        raise ValueError(
            f"the filters were designed at {filters.sr} Hz, the clips are at {sr} Hz"
        )
    labels = {s: np.zeros((len(audio), len(filters)), np.int64) for s in systems}
    for k in range(len(filters)):
        filtered = [filters.apply(y, k) for y in audio]
        for s, predict in systems.items():
            labels[s][:, k] = predict_clips(predict, filtered, sr).argmax(axis=1)
    out = {}
    for s in systems:
        before = None if unfiltered is None else unfiltered.get(s)
        out[s] = {
            **horse_range(y_true, labels[s], before),
            "predictions": labels[s].tolist(),
        }
    return out


def horse_range(
    y_true: Sequence[int],
    filtered: np.ndarray,
    unfiltered: Sequence[int] | None = None,
) -> dict[str, Any]:
    """How far the accuracy moves when only the choice of a gentle filter per clip is free.

    A clip that some filter makes right counts as right in the *highest* accuracy; one that
    some filter makes wrong counts as wrong in the *lowest*: ``highest`` is the share of clips
    right under at least one filter, ``lowest`` the share right under all of them. The search
    uses the test clips on purpose: it measures the figure of merit, not a system to deploy.

    Notebook: ``12_validity.ipynb``.

    Args:
        y_true: True label of each clip.
        filtered: Predicted labels, ``(n_clips, n_filters)`` (:func:`horse_predictions`).
        unfiltered: Predicted labels of the original clips (for ``accuracy``).

    Returns:
        ``{"n", "n_filters", "lowest", "highest", "movable" (clips right under some filters and
        wrong under others), "always_right", "never_right", "per_filter_accuracy",
        "accuracy"}`` (``accuracy`` ``None`` without ``unfiltered``).

    Raises:
        ValueError: Shapes that do not match.
    """
    y_true = np.asarray(y_true)
    F = np.asarray(filtered)
    if F.ndim != 2 or F.shape[0] != y_true.size or F.shape[1] == 0 or not y_true.size:
        raise ValueError(
            f"filtered must be (n_clips, n_filters) with n_clips = {y_true.size}, got "
            f"{F.shape}"
        )
    R = F == y_true[:, None]
    right_any, right_all = R.any(axis=1), R.all(axis=1)
    accuracy = None
    if unfiltered is not None:
        unfiltered = np.asarray(unfiltered)
        if unfiltered.shape != y_true.shape:
            raise ValueError(f"unfiltered has shape {unfiltered.shape}")
        accuracy = float(np.mean(unfiltered == y_true))
    return {
        "n": int(y_true.size),
        "n_filters": int(F.shape[1]),
        "lowest": float(right_all.mean()),
        "highest": float(right_any.mean()),
        "movable": int(np.sum(right_any & ~right_all)),
        "always_right": int(right_all.sum()),
        "never_right": int(np.sum(~right_any)),
        "per_filter_accuracy": R.mean(axis=0).tolist(),
        "accuracy": accuracy,
    }


# ============================================================================================
# 3. Adversarial examples: the feature paths in TensorFlow
# ============================================================================================


def _tf():
    from mgr_utils.training import _quiet_import_tensorflow

    _quiet_import_tensorflow()
    import tensorflow as tf

    return tf


def _power_to_db(tf, P, top_db: float | None, amin: float = 1e-10):
    """librosa's ``power_to_db(P, ref=np.max, amin, top_db)`` in TensorFlow."""
    log_spec = 10.0 * tf.math.log(tf.maximum(P, amin)) / np.log(10.0)
    log_spec -= 10.0 * tf.math.log(tf.maximum(tf.reduce_max(P), amin)) / np.log(10.0)
    if top_db is not None:
        log_spec = tf.maximum(log_spec, tf.reduce_max(log_spec) - top_db)
    return log_spec


def tf_stft_power(y, n_fft: int, hop_length: int, center: bool = True):
    """``|STFT(y)|**2`` in TensorFlow as librosa computes it: Hann window, ``(bins, frames)``.

    ``tf.signal.stft`` with the periodic Hann window (scipy's and librosa's), frames centred by
    ``n_fft // 2`` zeros on each side when ``center`` (librosa's default ``pad_mode``). The power
    ``re**2 + im**2`` is differentiable everywhere, also where the spectrum is exactly 0 (the
    gradient of ``|z|`` is not).

    Notebook: ``12_validity.ipynb``.
    """
    tf = _tf()
    y = tf.convert_to_tensor(y, tf.float32)
    if center:
        y = tf.pad(y, [[n_fft // 2, n_fft // 2]])
    X = tf.signal.stft(
        y,
        frame_length=n_fft,
        frame_step=hop_length,
        fft_length=n_fft,
        window_fn=tf.signal.hann_window,
        pad_end=False,
    )
    return tf.transpose(tf.math.real(X) ** 2 + tf.math.imag(X) ** 2)


def downscale_operators(
    n_rows: int, n_cols: int, scale: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """The book's image downscale (:func:`mgr_utils.features.downscale`) as two matrices.

    ``skimage.transform.rescale`` with anti-aliasing and linear interpolation is separable and
    linear (a Gaussian blur, then linear interpolation, each along one axis), so
    ``downscale(S) = A @ S @ B.T``. ``A`` is the same resize applied to the identity along the
    rows only (``skimage.transform.resize`` of ``eye(n_rows)`` to ``(rows_out, n_rows)``), ``B``
    along the columns; the test checks the product against ``downscale``.

    Notebook: ``12_validity.ipynb``.

    Returns:
        ``(A, B)``, float32, ``(rows_out, n_rows)`` and ``(cols_out, n_cols)``.
    """
    from skimage.transform import resize

    out = np.maximum(np.round(np.array([n_rows, n_cols]) * scale), 1).astype(int)

    def op(n_in: int, n_out: int) -> np.ndarray:
        return resize(
            np.eye(n_in),
            (n_out, n_in),
            order=1,
            mode="reflect",
            anti_aliasing=True,
            preserve_range=True,
        ).astype(np.float32)

    return op(n_rows, int(out[0])), op(n_cols, int(out[1]))


def tf_costa_patches(
    y,
    sr: int = SR,
    n_fft: int | None = None,
    hop_length: int | None = None,
    scale: float = 0.5,
    width: int = 16,
    hop: int = 16,
    top_db: float = 80.0,
):
    """Costa's patches (:func:`mgr_utils.features.costa_patches`) in TensorFlow, differentiable.

    STFT power (:func:`tf_stft_power`), dB against the clip's maximum with the same ``top_db``,
    the downscale as two matrices (:func:`downscale_operators`) and the same cut into
    ``width``-column patches ``hop`` columns apart.

    Notebook: ``12_validity.ipynb``.

    Returns:
        float32 tensor ``(n_patches, rows, width, 1)``.
    """
    from mgr_utils.features.inputs import COSTA_HOP_LENGTH, COSTA_N_FFT

    tf = _tf()
    n_fft = COSTA_N_FFT if n_fft is None else n_fft
    hop_length = COSTA_HOP_LENGTH if hop_length is None else hop_length
    P = tf_stft_power(y, n_fft, hop_length)
    S_db = _power_to_db(tf, P, top_db)
    A, B = downscale_operators(int(P.shape[0]), int(P.shape[1]), scale)
    D = tf.matmul(tf.matmul(A, S_db), B, transpose_b=True)
    if D.shape[1] < width:
        return tf.zeros((0, D.shape[0], width, 1), tf.float32)
    frames = tf.signal.frame(D, width, hop, axis=1)  # (rows, n, width)
    return tf.transpose(frames, (1, 0, 2))[..., None]


def tf_mel_frames(
    y,
    sr: int = SR,
    n_samples: int = 44032,
    hop: int | None = None,
    stride: int = 256,
    n_mels: int = 32,
    top_db: float = 80.0,
):
    """Dieleman's mel input (:func:`mgr_utils.features.mel_frames`) in TensorFlow.

    An STFT whose window and hop are ``stride`` (no centring), the book's mel filterbank on the
    power, dB against the clip's maximum, cut into segments of ``n_samples // stride`` frames,
    ``hop // stride`` apart.

    Notebook: ``12_validity.ipynb``.

    Returns:
        float32 tensor ``(n_segments, n_samples // stride, n_mels)``.
    """
    from mgr_utils.features.spectrograms import mel_filterbank

    tf = _tf()
    hop = n_samples if hop is None else hop
    if n_samples % stride or hop % stride:
        raise ValueError(
            f"n_samples ({n_samples}) and hop ({hop}) must be multiples of stride ({stride})"
        )
    P = tf_stft_power(y, stride, stride, center=False)  # (bins, frames)
    M = np.asarray(mel_filterbank(sr=sr, n_fft=stride, n_mels=n_mels), np.float32)
    L = tf.transpose(_power_to_db(tf, tf.matmul(M, P), top_db))  # (frames, n_mels)
    if L.shape[0] < n_samples // stride:
        return tf.zeros((0, n_samples // stride, n_mels), tf.float32)
    return tf.signal.frame(L, n_samples // stride, hop // stride, axis=0)


def tf_waveform_segments(
    y, sr: int = SR, n_samples: int = 44032, hop: int | None = None
):
    """The raw networks' segments (:func:`mgr_utils.features.waveform_segments`) in TensorFlow.

    Notebook: ``12_validity.ipynb``.

    Returns:
        float32 tensor ``(n_segments, n_samples, 1)``.
    """
    tf = _tf()
    hop = n_samples if hop is None else hop
    y = tf.convert_to_tensor(y, tf.float32)
    if y.shape[0] < n_samples:
        return tf.zeros((0, n_samples, 1), tf.float32)
    return tf.signal.frame(y, n_samples, hop)[..., None]


TF_FEATURES: dict[str, Callable[..., Any]] = {
    "costa_patches": tf_costa_patches,
    "mel_frames": tf_mel_frames,
    "waveform_segments": tf_waveform_segments,
}
"""The TensorFlow twin of each book feature function, by the NumPy function's name."""


def tf_features(feature: str | Callable) -> Callable[..., Any]:
    """The TensorFlow twin of a book feature function (given by name or as the function).

    Notebook: ``12_validity.ipynb``.

    Raises:
        ValueError: A feature without a TensorFlow twin (the message lists those with one).
    """
    name = feature if isinstance(feature, str) else getattr(feature, "__name__", "")
    if name not in TF_FEATURES:
        raise ValueError(
            f"no TensorFlow feature path for {name!r}: the adversary can attack systems on "
            f"{sorted(TF_FEATURES)}"
        )
    return TF_FEATURES[name]


def tf_clip_probabilities(P, rule: str = "sum"):
    """A clip's class probabilities from its segments', differentiably.

    ``"sum"``: the mean of the segments' probabilities; ``"product"``: the softmax of the summed
    log-probabilities (the book's product rule, :func:`mgr_utils.evaluation.combine_probabilities`); ``"vote"`` has no gradient, so its stand-in is ``"sum"`` (the flip is then
    judged with the real rule, in the round trip).

    Notebook: ``12_validity.ipynb``.
    """
    tf = _tf()
    if rule == "product":
        return tf.nn.softmax(tf.reduce_sum(tf.math.log(tf.maximum(P, 1e-12)), axis=0))
    if rule in ("sum", "vote"):
        return tf.reduce_mean(P, axis=0)
    raise ValueError(f"unknown rule {rule!r}; choose 'sum', 'product' or 'vote'")


def tf_system(
    model,
    feature: str | Callable,
    params: Mapping[str, Any] | None = None,
    sr: int = SR,
    mean: np.ndarray | None = None,
    std: np.ndarray | None = None,
    rule: str = "sum",
) -> Callable[[Any], Any]:
    """A network's whole path from a waveform tensor to the clip's class probabilities, in TF.

    The feature function's TensorFlow twin (:func:`tf_features`), the training side's
    standardisation ``(X - mean) / std`` when given (:class:`mgr_utils.training.Standardizer`'s
    ``mean_`` and ``std_``), the Keras model in inference mode and the clip rule
    (:func:`tf_clip_probabilities`).

    Notebook: ``12_validity.ipynb``.
    """
    tf = _tf()
    fn = tf_features(feature)
    params = dict(params or {})
    m = None if mean is None else tf.constant(np.asarray(mean, np.float32))
    s = None if std is None else tf.constant(np.asarray(std, np.float32))

    def system(y):
        X = fn(y, sr, **params)
        if m is not None:
            X = (X - m) / s
        return tf_clip_probabilities(model(X, training=False), rule)

    return system


# ============================================================================================
# 3. Adversarial examples: the attack
# ============================================================================================

ATTACK_N_FFT = 1024
"""STFT size of the attacked magnitude (Kereliuk et al.'s 1,024 [code])."""

ATTACK_HOP_LENGTH = 256
"""STFT hop of the attacked magnitude: a quarter window (ours; their code hops 512 [code])."""

SNR_DBS = (40.0, 30.0, 20.0)
"""Target signal-to-noise ratios of the attack, from the quietest perturbation up."""


def attack_stft(
    y: np.ndarray, n_fft: int = ATTACK_N_FFT, hop_length: int = ATTACK_HOP_LENGTH
) -> tuple[np.ndarray, np.ndarray]:
    """The attacked representation of a clip: its STFT magnitude and unit phase (librosa).

    Notebook: ``12_validity.ipynb``.

    Returns:
        ``(X, phase)``: float32 magnitudes and complex64 ``exp(i angle)``, ``(bins, frames)``.
    """
    import librosa

    S = librosa.stft(
        y=np.asarray(y, dtype=np.float32), n_fft=n_fft, hop_length=hop_length
    )
    return np.abs(S).astype(np.float32), np.exp(1j * np.angle(S)).astype(np.complex64)


def resynthesise(
    X: np.ndarray,
    phase: np.ndarray,
    length: int,
    n_fft: int = ATTACK_N_FFT,
    hop_length: int = ATTACK_HOP_LENGTH,
) -> np.ndarray:
    """A magnitude with the original phase back to audio: the inverse STFT of ``X * phase``.

    The book's overlap-add inverse (:func:`mgr_utils.auralisation.inverse_stft`, librosa's
    ``istft``).

    Notebook: ``12_validity.ipynb``.
    """
    from mgr_utils.auralisation import inverse_stft

    return inverse_stft(
        np.asarray(X) * np.asarray(phase), length, n_fft=n_fft, hop_length=hop_length
    )


def tf_istft(Z, phase, length: int, n_fft: int, hop_length: int):
    """librosa's ``istft`` of ``Z * phase`` (Hann, centred frames) in TensorFlow.

    Each frame's inverse real FFT times the window, overlap-added, divided by the window's
    summed square (``librosa.filters.window_sumsquare``), the ``n_fft // 2`` padding removed.
    Linear in ``Z``, so the audio of a perturbation is the inverse of the perturbation.

    Notebook: ``12_validity.ipynb``.
    """
    import librosa

    tf = _tf()
    Z = tf.convert_to_tensor(Z, tf.float32)
    Z = tf.complex(Z, tf.zeros_like(Z)) * phase  # its gradient is real: no cast warning
    frames = tf.signal.irfft(tf.transpose(Z), fft_length=[n_fft])  # (T, n_fft)
    window = tf.signal.hann_window(n_fft, dtype=tf.float32)
    y = tf.signal.overlap_and_add(frames * window, hop_length)
    n_frames = int(Z.shape[1])
    wss = librosa.filters.window_sumsquare(
        window="hann",
        n_frames=n_frames,
        win_length=n_fft,
        n_fft=n_fft,
        hop_length=hop_length,
        dtype=np.float32,
    )
    wss = np.where(wss > np.finfo(np.float32).tiny, wss, 1.0).astype(np.float32)
    y = y / wss[: int(y.shape[0])]
    start = n_fft // 2
    y = y[start : start + length]
    missing = length - int(y.shape[0])
    return tf.pad(y, [[0, missing]]) if missing > 0 else y


@dataclass
class AttackSettings:
    """The adversary's parameters (what caps the chapter's cost).

    Attributes:
        snr_dbs: Target SNRs, attacked from the highest (quietest perturbation) down; a clip
            flipped at one level stays flipped at every lower level (the same audio fits).
        steps: Gradient steps per level at most.
        step_fraction: Each step's length as a fraction of the ball's radius.
        stop_probability: Stop a level early once the path gives the target at least this
            probability (and ranks it first).
        n_fft, hop_length: The attacked STFT.

    Notebook: ``12_validity.ipynb``.
    """

    snr_dbs: tuple[float, ...] = SNR_DBS
    steps: int = 10
    step_fraction: float = 0.25
    stop_probability: float = 0.5
    n_fft: int = ATTACK_N_FFT
    hop_length: int = ATTACK_HOP_LENGTH

    def check(self) -> None:
        """Raise a ValueError naming the first impossible setting."""
        if not self.snr_dbs:
            raise ValueError("snr_dbs is empty: give at least one target SNR")
        if self.steps < 1:
            raise ValueError(f"steps must be at least 1, got {self.steps}")
        if not 0 < self.step_fraction <= 1:
            raise ValueError(
                f"step_fraction must be in (0, 1], got {self.step_fraction}"
            )
        if not 0 < self.stop_probability <= 1:
            raise ValueError(
                f"stop_probability must be in (0, 1], got {self.stop_probability}"
            )


def choose_target(probs: np.ndarray, label: int) -> int:
    """The wrong class the system finds most likely: the adversary's target.

    Notebook: ``12_validity.ipynb``.
    """
    p = np.array(probs, dtype=np.float64)
    p[int(label)] = -np.inf
    return int(np.argmax(p))


@functools.lru_cache(maxsize=16)
def _compiled_attack(
    system: Callable | None,
    path: Callable | None,
    domain: str,
    length: int,
    n_fft: int,
    hop_length: int,
) -> tuple[Callable, Callable]:
    """The attack's compiled step and path for one system, domain and clip length.

    The path from the attacked variable to the clip's probabilities is ``path(x, phase)``, by
    default the inverse STFT (:func:`tf_istft`) and then ``system`` (magnitude domain) or
    ``system`` itself (waveform). One step moves ``x`` against the gradient of
    ``-log p_target`` by ``step_size`` (a normalised step), then projects it: magnitudes to
    ``>= 0``, then the perturbation is scaled toward ``x0`` until its audio (the inverse STFT of
    the perturbation with the original phase, or the samples themselves) has norm at most
    ``eps``; scaling toward ``x0`` keeps the magnitudes non-negative. Both functions are traced
    once per key (``tf.function``), so the clips of one length share one graph.

    Returns:
        ``(step, probabilities)``: ``step(x, x0, phase, target, eps, step_size) -> (x_new, p)``
        with ``p`` the probabilities at ``x``; ``probabilities(x, phase) -> p``.
    """
    tf = _tf()
    if path is None:
        if domain == "magnitude":

            def path(x, phase):
                return system(tf_istft(x, phase, length, n_fft, hop_length))

        else:

            def path(x, phase):
                return system(x)

    def audio_of(d, phase):
        if domain == "waveform":
            return d
        return tf_istft(d, phase, length, n_fft, hop_length)

    @tf.function(reduce_retracing=True, autograph=False)
    def step(x, x0, phase, target, eps, step_size):
        with tf.GradientTape() as tape:
            tape.watch(x)
            p = path(x, phase)
            loss = -tf.math.log(tf.gather(p, target) + 1e-12)
        g = tape.gradient(loss, x)
        x_new = x - step_size * g / (tf.norm(g) + 1e-30)
        if domain == "magnitude":
            x_new = tf.maximum(x_new, 0.0)
        d = x_new - x0
        norm = tf.norm(audio_of(d, phase))
        alpha = tf.minimum(1.0, eps / (norm + 1e-30))
        return x0 + alpha * d, p

    @tf.function(reduce_retracing=True, autograph=False)
    def probabilities(x, phase):
        return path(x, phase)

    return step, probabilities


def attack_clip(
    y: np.ndarray,
    sr: int,
    label: int,
    predict: Predict,
    system: Callable[[Any], Any] | None = None,
    *,
    domain: str = "magnitude",
    target: int | None = None,
    settings: AttackSettings | None = None,
    path: Callable[[Any, Any], Any] | None = None,
    keep_audio: bool = False,
) -> dict[str, Any]:
    """Kereliuk et al.'s adversary on one clip, with the round trip that decides a flip.

    For each target SNR in turn (:class:`AttackSettings`), a projected gradient moves the
    attacked variable toward ``target`` (default: :func:`choose_target`): the clip's STFT
    magnitude (``domain="magnitude"``, :func:`attack_stft`; the phase stays the original's) or
    its samples (``"waveform"``). The TensorFlow ``path`` from that variable to the clip's class
    probabilities defaults to the inverse STFT (:func:`tf_istft`) followed by ``system``
    (:func:`tf_system`). After each level the perturbation is played: the adversarial audio is
    the clip plus the inverse STFT of the perturbation with the original phase
    (:func:`resynthesise`), its SNR is measured on that audio (and the perturbation scaled down
    if float rounding left it a hair louder than allowed), and the system's own ``predict`` (the
    book's NumPy features) classifies it. **A flip counts only then**: the path's answer is
    recorded beside it but decides nothing.

    Notebook: ``12_validity.ipynb``.

    Args:
        y: The clip (one the system classifies right: the attack starts from a correct answer).
        sr: Sample rate in Hz.
        label: Its true label.
        predict: The system's NumPy callable.
        system: The system's TensorFlow path from a waveform (:func:`tf_system`).
        domain: ``"magnitude"`` or ``"waveform"``.
        target: The class to push toward (``None``: the runner-up of ``predict``).
        settings: The attack's parameters.
        path: A TensorFlow function ``path(x, phase)`` from the attacked variable to the clip's
            class probabilities, replacing the default (a test uses one without the round trip).
        keep_audio: Keep each level's adversarial audio in the result (for players, defences).

    Returns:
        ``{"label", "target", "label_before", "levels": [{"snr_db", "measured_snr_db", "steps",
        "path_label", "path_target_probability", "label_after", "flipped", "hit_target",
        "inherited"}], "seconds"}``; with ``keep_audio``, each level also holds ``"audio"``.

    Raises:
        ValueError: An unknown domain, no path, or a clip the system already gets wrong.
    """
    tf = _tf()
    settings = settings or AttackSettings()
    settings.check()
    if domain not in ("magnitude", "waveform"):
        raise ValueError(f"domain must be 'magnitude' or 'waveform', got {domain!r}")
    if system is None and path is None:
        raise ValueError(
            "give the system's TensorFlow path (system=tf_system(...)) or path"
        )
    y = _check_audio(y, sr)
    t0 = time.perf_counter()
    probs = np.asarray(predict(y, sr), dtype=np.float64)
    if int(np.argmax(probs)) != int(label):
        raise ValueError(
            "the system already gets this clip wrong: attack only clips it classifies right"
        )
    target = choose_target(probs, label) if target is None else int(target)
    n_fft, hop = settings.n_fft, settings.hop_length
    if domain == "magnitude":
        x0_np, phase_np = attack_stft(y, n_fft, hop)
        scale = float(np.linalg.norm(x0_np) / max(np.linalg.norm(y), 1e-30))
    else:
        x0_np, phase_np, scale = y, np.zeros(1, np.complex64), 1.0
    phase = tf.constant(phase_np)
    step, probabilities = _compiled_attack(system, path, domain, y.size, n_fft, hop)
    x0 = tf.constant(x0_np)
    x = x0
    y_norm = float(np.linalg.norm(y.astype(np.float64)))
    levels: list[dict[str, Any]] = []
    flipped_level: dict[str, Any] | None = None
    for snr in sorted(settings.snr_dbs, reverse=True):
        if flipped_level is not None:  # the quieter adversary already fits this level
            levels.append(
                {**flipped_level, "snr_db": float(snr), "steps": 0, "inherited": True}
            )
            continue
        eps = tf.constant(y_norm * 10 ** (-snr / 20), tf.float32)
        step_size = settings.step_fraction * eps * scale
        n_steps, p = 0, None
        for _ in range(settings.steps):
            x_new, p_at_x = step(x, x0, phase, tf.constant(target), eps, step_size)
            p_at_x = p_at_x.numpy()
            if (
                int(np.argmax(p_at_x)) == target
                and p_at_x[target] >= settings.stop_probability
            ):
                p = p_at_x
                break
            x, n_steps = x_new, n_steps + 1
        p = probabilities(x, phase).numpy() if p is None else p
        level = _play(y, sr, x.numpy(), x0_np, phase_np, snr, domain, settings, predict)
        level.update(
            snr_db=float(snr),
            steps=n_steps,
            path_label=int(np.argmax(p)),
            path_target_probability=float(p[target]),
            flipped=level["label_after"] != int(label),
            hit_target=level["label_after"] == target,
            inherited=False,
        )
        if not keep_audio:
            level.pop("audio")
        levels.append(level)
        if level["flipped"]:
            flipped_level = level
    return {
        "label": int(label),
        "target": target,
        "label_before": int(np.argmax(probs)),
        "levels": levels,
        "seconds": time.perf_counter() - t0,
    }


def _play(y, sr, x, x0, phase, snr, domain, settings, predict) -> dict[str, Any]:
    """The adversarial audio of ``x``, its SNR measured on that audio, the system's answer.

    The audio is the clip plus the perturbation's audio (its inverse STFT with the original
    phase, or the perturbed samples minus the clip). Should float rounding leave it a hair
    louder than the target SNR allows, the perturbation is scaled down until it fits.
    """
    if domain == "magnitude":
        noise = resynthesise(x - x0, phase, y.size, settings.n_fft, settings.hop_length)
    else:
        noise = np.asarray(x, np.float32) - y
    noise = noise.astype(np.float64)
    audio = (y + noise).astype(np.float32)
    while snr_db(y, audio) < snr:
        noise *= 0.999
        audio = (y + noise).astype(np.float32)
    return {
        "audio": audio,
        "measured_snr_db": snr_db(y, audio),
        "label_after": int(np.argmax(predict(audio, sr))),
    }


def attack_clips(
    audio: Sequence[np.ndarray],
    y_true: Sequence[int],
    sr: int,
    predict: Predict,
    system: Callable[[Any], Any],
    *,
    domain: str = "magnitude",
    settings: AttackSettings | None = None,
    max_clips: int | None = None,
    keep_audio: bool = False,
) -> dict[str, Any]:
    """Attack every clip the system gets right (up to ``max_clips``, in order): section 3's run.

    Clips the system already gets wrong are not attacked (there is nothing to flip); they are
    counted in ``skipped_wrong``. Each attacked clip goes through :func:`attack_clip`.

    Notebook: ``12_validity.ipynb``.

    Args:
        audio, y_true: The test clips and their labels.
        sr: Sample rate in Hz.
        predict: The system's NumPy callable.
        system: Its TensorFlow path (:func:`tf_system`).
        domain: ``"magnitude"`` (spectrogram networks) or ``"waveform"`` (raw networks).
        settings: The attack's parameters.
        max_clips: Attack at most this many clips (``None``: all that are right).
        keep_audio: Keep the adversarial audio of every level.

    Returns:
        ``{"domain", "settings", "clips": [position of each attacked clip], "results":
        [attack_clip results], "skipped_wrong", "n_considered", "seconds"}``.
    """
    settings = settings or AttackSettings()
    y_true = np.asarray(y_true)
    if len(audio) != y_true.size:
        raise ValueError(f"{len(audio)} clips but {y_true.size} labels")
    t0 = time.perf_counter()
    labels = predict_clips(predict, audio, sr).argmax(axis=1)
    clips, results, wrong, considered = [], [], 0, 0
    for i, (y, label) in enumerate(zip(audio, y_true)):
        if max_clips is not None and len(results) >= max_clips:
            break
        considered += 1
        if labels[i] != label:
            wrong += 1
            continue
        results.append(
            attack_clip(
                y,
                sr,
                int(label),
                predict,
                system,
                domain=domain,
                settings=settings,
                keep_audio=keep_audio,
            )
        )
        clips.append(i)
    return {
        "domain": domain,
        "settings": {
            "snr_dbs": list(settings.snr_dbs),
            "steps": settings.steps,
            "step_fraction": settings.step_fraction,
            "stop_probability": settings.stop_probability,
            "n_fft": settings.n_fft,
            "hop_length": settings.hop_length,
        },
        "clips": clips,
        "results": results,
        "skipped_wrong": wrong,
        "n_considered": considered,
        "seconds": time.perf_counter() - t0,
    }


def flip_rates(run: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The share of attacked clips flipped at each target SNR (flips that survived the round trip).

    Notebook: ``12_validity.ipynb``.

    Returns:
        ``{"40 dB": {"snr_db", "n", "flipped", "rate", "interval", "interval_method",
        "hit_target", "path_flipped", "median_measured_snr_db"}, ...}``; ``path_flipped`` counts
        the clips the TensorFlow path called the target (the feature-domain answer), ``flipped``
        those the system's own features called wrong after resynthesis; ``interval`` is the
        rate's 95 % Wilson interval (:func:`mgr_utils.evaluation.wilson_interval`). ``rate`` and
        ``interval`` are ``None`` when no clip was attacked.
    """
    from mgr_utils.evaluation import wilson_interval

    out: dict[str, dict[str, Any]] = {}
    for snr in run["settings"]["snr_dbs"]:
        levels = [
            lv
            for r in run["results"]
            for lv in r["levels"]
            if lv["snr_db"] == float(snr)
        ]
        n = len(levels)
        flipped = sum(lv["flipped"] for lv in levels)
        out[f"{snr:g} dB"] = {
            "snr_db": float(snr),
            "n": n,
            "flipped": int(flipped),
            "rate": flipped / n if n else None,
            "interval": list(wilson_interval(flipped / n, n)) if n else None,
            "interval_method": "Wilson score, 95 %",
            "hit_target": int(sum(lv["hit_target"] for lv in levels)),
            "path_flipped": int(
                sum(
                    lv["path_label"] == r["target"]
                    for r in run["results"]
                    for lv in r["levels"]
                    if lv["snr_db"] == float(snr)
                )
            ),
            "median_measured_snr_db": (
                float(np.median([lv["measured_snr_db"] for lv in levels]))
                if n
                else None
            ),
        }
    return out


DEFENCES: dict[str, Transformation] = {
    "highpass_20hz": TRANSFORMATIONS["highpass_20hz"],
    "lowpass_4khz": Transformation(
        "lowpass_4khz", "4 kHz low-pass", lowpass, {"cutoff_hz": LOWPASS_HZ}
    ),
}
"""The "defences" tried on the adversarial audio: filters that remove what listeners barely
miss (Kereliuk et al.'s code low-passes at 1 to 11 kHz [code])."""


def defend(
    run: Mapping[str, Any],
    audio: Sequence[np.ndarray],
    sr: int,
    predict: Predict,
    snr_db: float,
    defences: Mapping[str, Transformation] | None = None,
) -> dict[str, dict[str, Any]]:
    """Does filtering the adversarial audio undo the flips? And what does it do to the original?

    For every clip flipped at ``snr_db`` (its audio kept: ``keep_audio=True``), each defence is
    applied to the adversarial audio and to the original clip and both are classified again.

    Notebook: ``12_validity.ipynb``.

    Returns:
        ``{defence: {"label", "n" (flipped clips), "undone" (the filtered adversarial audio is
        classified right again), "original_kept" (the filtered original is still right),
        "undone_share"}}``.

    Raises:
        ValueError: Flipped clips without their audio (run the attack with ``keep_audio``).
    """
    defences = DEFENCES if defences is None else defences
    flipped = []
    for clip, r in zip(run["clips"], run["results"]):
        for lv in r["levels"]:
            if lv["snr_db"] == float(snr_db) and lv["flipped"]:
                if "audio" not in lv:
                    raise ValueError(
                        "the attack kept no audio: run attack_clips(..., keep_audio=True)"
                    )
                flipped.append((clip, r["label"], lv["audio"]))
    out = {}
    for name, d in defences.items():
        undone = kept = 0
        for clip, label, y_adv in flipped:
            undone += int(np.argmax(predict(d(y_adv, sr), sr)) == label)
            kept += int(np.argmax(predict(d(audio[clip], sr), sr)) == label)
        n = len(flipped)
        out[name] = {
            "label": d.label,
            "n": n,
            "undone": undone,
            "original_kept": kept,
            "undone_share": undone / n if n else None,
        }
    return out


# ============================================================================================
# The record, and what the page and chapter 10 show
# ============================================================================================


def _name(system: str, names: Mapping[str, str] | None) -> str:
    """How the page names a system: ``names``, else the book's registry, else the id."""
    if names and system in names:
        return names[system]
    try:
        from mgr_utils.comparison import display_name

        return display_name(system)
    except (ImportError, KeyError, ValueError):  # no registry, or an id it lacks
        return system


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f} %"


def _points(x: float) -> str:
    return f"{100 * x:+.1f} points"


def effect_sentence(effect: Mapping[str, Any], system: str, transformation: str) -> str:
    """One sentence for one system and one transformation: accuracies, changes, the test.

    Notebook: ``12_validity.ipynb``.
    """
    head = (
        f"**{system}**: {_pct(effect['accuracy_before'])} on the original clips, "
        f"{_pct(effect['accuracy_after'])} after the {transformation}"
    )
    if effect["verdict"] == "cannot tell apart":
        verdict = "before and after **cannot be told apart**"
    else:
        verdict = f"accuracy **{effect['verdict']}**"
    return (
        f"{head} ({effect['changed']} of {effect['n']} answers changed; "
        f"{effect['right_only_before']} clips right only before, "
        f"{effect['right_only_after']} only after; exact McNemar {format_p(effect['p'])}): "
        f"{verdict}."
    )


def largest_change(effects: Mapping[str, Mapping[str, Any]]) -> tuple[str, dict] | None:
    """A system's transformation with the largest accuracy change (either way); ties: smaller p.

    Notebook: ``12_validity.ipynb`` (and chapter 10's robustness table).

    Returns:
        ``(transformation name, effect)``, or ``None`` without effects.
    """
    if not effects:
        return None
    return max(
        effects.items(),
        key=lambda kv: (abs(kv[1]["change"]), -(kv[1]["p"] or 1.0)),
    )


def transformations_table(
    measured: Mapping[str, Any], names: Mapping[str, str] | None = None
) -> str:
    """Markdown table: one row per transformation, one column per system.

    The first row is each system's accuracy on the original clips; every other cell is the
    accuracy change in points, the answers that changed and the exact McNemar p, in bold where
    the test calls the change real (p < α).

    Notebook: ``12_validity.ipynb``.
    """
    systems = list(measured["effects"])
    header = "| transformation | " + " | ".join(_name(s, names) for s in systems) + " |"
    rule = "|---|" + "---|" * len(systems)
    first = next(iter(measured["effects"][systems[0]].values()), None)
    rows = [header, rule]
    if first is not None:
        rows.append(
            "| original clips | "
            + " | ".join(
                _pct(next(iter(measured["effects"][s].values()))["accuracy_before"])
                for s in systems
            )
            + " |"
        )
    for t in measured["transformations"]:
        cells = []
        for s in systems:
            e = measured["effects"][s][t["name"]]
            text = f"{_points(e['change'])}, {e['changed']} changed, {format_p(e['p'])}"
            cells.append(f"**{text}**" if e["verdict"] != "cannot tell apart" else text)
        rows.append(f"| {t['label']} | " + " | ".join(cells) + " |")
    n = measured["n"]
    return "\n".join(rows) + f"\n\nn = {n} test clips, the same for every cell."


def horse_table(
    ranges: Mapping[str, Mapping[str, Any]], names: Mapping[str, str] | None = None
) -> str:
    """Markdown table of the horse test: accuracy, the range the filters reach, movable clips.

    Notebook: ``12_validity.ipynb``.
    """
    rows = [
        "| system | accuracy | lowest | highest | movable clips |",
        "|---|---|---|---|---|",
    ]
    for s, r in ranges.items():
        rows.append(
            f"| {_name(s, names)} | {_pct(r['accuracy'])} | {_pct(r['lowest'])} | "
            f"{_pct(r['highest'])} | {r['movable']} of {r['n']} |"
        )
    return "\n".join(rows)


def horse_sentence(
    r: Mapping[str, Any], system: str, max_db: float = HORSE_MAX_DB
) -> str:
    """One sentence for one system's horse range (``max_db``: the family's limit).

    Notebook: ``12_validity.ipynb``.
    """
    return (
        f"Choosing one of {r['n_filters']} gentle filters (within ±{max_db:g} dB) per "
        f"clip moves **{system}** anywhere from {_pct(r['lowest'])} to "
        f"{_pct(r['highest'])} (unfiltered: {_pct(r['accuracy'])}); {r['movable']} of "
        f"{r['n']} clips can be made right or wrong by the filter alone."
    )


def _flips(v: Mapping[str, Any]) -> str:
    """``"3 of 4 (75.0 %; 95 % CI 30.1-95.4 %)"``, the interval when known."""
    text = f"{v['flipped']} of {v['n']} ({_pct(v['rate'])}"
    if v.get("interval"):
        low, high = v["interval"]
        text += f"; 95 % CI {100 * low:.1f}-{100 * high:.1f} %"
    return text + ")"


def adversarial_table(
    rates: Mapping[str, Mapping[str, Mapping[str, Any]]],
    names: Mapping[str, str] | None = None,
) -> str:
    """Markdown table: per network, the flips that survived the round trip at each SNR.

    Notebook: ``12_validity.ipynb``.
    """
    levels = list(next(iter(rates.values()))) if rates else []
    rows = [
        "| network | " + " | ".join(f"flipped at {lv}" for lv in levels) + " |",
        "|---|" + "---|" * len(levels),
    ]
    for s, by_level in rates.items():
        cells = [_flips(by_level[lv]) for lv in levels]
        rows.append(f"| {_name(s, names)} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def adversarial_sentence(by_level: Mapping[str, Mapping[str, Any]], system: str) -> str:
    """One sentence per network: flips at each SNR, against the feature-domain count.

    Notebook: ``12_validity.ipynb``.
    """
    parts = [
        f"{v['flipped']} of {v['n']} at {lv} (the TensorFlow path alone: "
        f"{v['path_flipped']})"
        for lv, v in by_level.items()
    ]
    return f"**{system}**: flipped after the round trip " + "; ".join(parts) + "."


def defence_sentence(d: Mapping[str, Mapping[str, Any]], system: str, snr: str) -> str:
    """One sentence per network: how many flips each filter undid, and its cost on originals.

    Notebook: ``12_validity.ipynb``.
    """
    if not d or not next(iter(d.values()))["n"]:
        return f"**{system}**: no clip was flipped at {snr}, so there is nothing to defend."
    parts = [
        f"the {v['label']} undid {v['undone']} of {v['n']} flips (and kept "
        f"{v['original_kept']} of the {v['n']} originals right)"
        for v in d.values()
    ]
    return f"**{system}** at {snr}: " + "; ".join(parts) + "."


def _strip_audio(run: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **{k: v for k, v in run.items() if k != "results"},
        "results": [
            {
                **r,
                "levels": [
                    {k: v for k, v in lv.items() if k != "audio"} for lv in r["levels"]
                ],
            }
            for r in run["results"]
        ],
    }


def validity_record(
    measured: Mapping[str, Any] | None = None,
    horse: Mapping[str, Mapping[str, Any]] | None = None,
    adversarial: Mapping[str, Mapping[str, Any]] | None = None,
    defences: Mapping[str, Mapping[str, Any]] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The chapter's measurements as one JSON-able value, for its results record.

    Every number keeps its n and its test: the transformations' effects (exact McNemar of
    before against after, on the same clips), the horse ranges (with n and the number of
    filters), the adversarial runs (the flip rates with n, and each attacked clip's levels,
    without audio) and the defences.

    Notebook: ``12_validity.ipynb`` (read by ``10_results.ipynb``: :func:`robustness_rows`).

    Args:
        measured: :func:`measure_transformations`' result.
        horse: ``{system: horse_range(...)}``.
        adversarial: ``{system: attack_clips(...)}``.
        defences: ``{system: defend(...)}``.
        settings: The run's parameters (caps, seeds, SNRs, the horse family's seed).

    Returns:
        ``{"transformations": {"n", "list", "effects"}, "horse", "adversarial": {system:
        {"rates", "run"}}, "defences", "settings"}``.
    """
    out: dict[str, Any] = {"settings": dict(settings or {})}
    if measured is not None:
        out["transformations"] = {
            "n": measured["n"],
            "list": measured["transformations"],
            "effects": measured["effects"],
        }
    if horse is not None:
        out["horse"] = {s: dict(r) for s, r in horse.items()}
    if adversarial is not None:
        out["adversarial"] = {
            s: {"rates": flip_rates(run), "run": _strip_audio(run)}
            for s, run in adversarial.items()
        }
    if defences is not None:
        out["defences"] = {s: dict(d) for s, d in defences.items()}
    return out


def robustness_rows(record: Mapping[str, Any], snr: str = "30 dB") -> list[dict]:
    """Chapter 10's robustness table, one row per system, from chapter 12's record.

    Each row: the system's largest accuracy change under an irrelevant transformation (with the
    transformation, n and the exact McNemar p), its horse range (lowest and highest accuracy, n)
    and its flip rate at ``snr`` (flipped, n), each ``None`` where the chapter did not measure
    it (e.g. no adversary for a classical system).

    Notebook: ``10_results.ipynb`` (from the record of ``12_validity.ipynb``).
    """
    effects = record.get("transformations", {}).get("effects", {})
    labels = {
        t["name"]: t["label"] for t in record.get("transformations", {}).get("list", [])
    }
    horse = record.get("horse", {})
    adversarial = record.get("adversarial", {})
    systems = list(dict.fromkeys([*effects, *horse, *adversarial]))
    rows = []
    for s in systems:
        big = largest_change(effects.get(s, {}))
        h = horse.get(s)
        a = adversarial.get(s, {}).get("rates", {}).get(snr)
        rows.append(
            {
                "system": s,
                "largest_change": None
                if big is None
                else {
                    "transformation": big[0],
                    "label": labels.get(big[0], big[0]),
                    "change": big[1]["change"],
                    "n": big[1]["n"],
                    "p": big[1]["p"],
                    "verdict": big[1]["verdict"],
                },
                "horse": None
                if h is None
                else {"lowest": h["lowest"], "highest": h["highest"], "n": h["n"]},
                "flips": None
                if a is None
                else {"flipped": a["flipped"], "n": a["n"], "rate": a["rate"]},
            }
        )
    return rows


def robustness_table(
    record: Mapping[str, Any],
    names: Mapping[str, str] | None = None,
    snr: str = "30 dB",
) -> str:
    """Chapter 10's robustness table in Markdown (:func:`robustness_rows`).

    Notebook: ``10_results.ipynb``.
    """
    head = (
        "| system | largest change under an irrelevant transformation | horse range | "
        f"flipped at {snr} |"
    )
    rows = [head, "|---|---|---|---|"]
    for r in robustness_rows(record, snr):
        c, h, f = r["largest_change"], r["horse"], r["flips"]
        change = (
            "not measured"
            if c is None
            else f"{_points(c['change'])} ({c['label']}; {format_p(c['p'])}, n = {c['n']})"
        )
        horse = (
            "not measured"
            if h is None
            else f"{_pct(h['lowest'])} to {_pct(h['highest'])} (n = {h['n']})"
        )
        flips = (
            "not attacked"
            if f is None
            else f"{f['flipped']} of {f['n']} ({_pct(f['rate'])})"
        )
        rows.append(f"| {_name(r['system'], names)} | {change} | {horse} | {flips} |")
    return "\n".join(rows)


# ============================================================================================
# The systems under test: the chapters' saved systems
# ============================================================================================

SYSTEMS_UNDER_TEST: dict[str, str] = {
    "descriptor_svm": "03_texture_features",
    "lbp_zone_svm": "03_texture_features",
    "costa_cnn": "04_costa_cnn",
    "dieleman2014_mel": "07_raw_audio",
    "dieleman2014_raw": "07_raw_audio",
    "musicnn_msd_linear_svm": "11_transfer_learning",
}
"""The best system of each family (each chosen on validation in its chapter), by id, with the
chapter that trains and saves it."""


def load_systems_under_test(
    ids: Sequence[str],
    classes: Sequence[str],
    dataset: str,
    models_dir: str | None = None,
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Load the saved systems to test; say which are missing and why, and go on without them.

    A system is left out when its chapter has not saved it for ``dataset`` (or saved it with
    another version: :mod:`mgr_utils.saving`'s errors say what to do), or when it was trained
    on other classes than the clips' (its answers could not be scored).

    Notebook: ``12_validity.ipynb``.

    Args:
        ids: System ids (keys of :data:`SYSTEMS_UNDER_TEST`, or any saved system's id).
        classes: The test clips' classes, in label order.
        dataset: The ``DATASET`` whose models folder is read.
        models_dir: The models folder (``None``: ``$MGR_MODELS_DIR``, else ``models``).

    Returns:
        ``(systems, missing)``: ``{id: SavedSystem}`` in the order of ``ids``, and
        ``[{"system", "chapter", "reason"}]``.

    Raises:
        NoSavedSystemsError: Not one of them can be loaded (the message says why for each).
    """
    from mgr_utils.saving import SavedSystemError, load_system

    systems, missing = {}, []
    for s in ids:
        chapter = SYSTEMS_UNDER_TEST.get(s, "its chapter")
        try:
            loaded = load_system(s, dataset, models_dir)
        except SavedSystemError as err:
            missing.append({"system": s, "chapter": chapter, "reason": str(err)})
            continue
        if list(loaded.classes) != list(classes):
            missing.append(
                {
                    "system": s,
                    "chapter": chapter,
                    "reason": (
                        f"it was trained on the classes {loaded.classes}, the test clips "
                        f"have {list(classes)}: run {chapter} again on these clips"
                    ),
                }
            )
            continue
        systems[s] = loaded
    if not systems:
        from mgr_utils.saving import NoSavedSystemsError

        raise NoSavedSystemsError(
            "none of the systems under test can be loaded, so there is nothing to test:\n"
            + "\n".join(f"- {m['system']}: {m['reason']}" for m in missing)
        )
    return systems, missing


def missing_sentence(
    missing: Sequence[Mapping[str, str]], names: Mapping[str, str] | None = None
) -> str:
    """What the page says about the systems it could not test (empty when none is missing).

    Notebook: ``12_validity.ipynb``.
    """
    if not missing:
        return ""
    parts = [
        f"**{_name(m['system'], names)}** ({m['chapter']}: {m['reason']})"
        for m in missing
    ]
    return (
        "Not tested, because this build has not saved them: "
        + "; ".join(parts)
        + ". The chapter goes on with the others."
    )


def saved_predictor(system, n_jobs: int = 1) -> Predict:
    """A saved system (:class:`mgr_utils.saving.SavedSystem`) as a :data:`Predict` callable.

    ``predict(y, sr)`` gives one clip's class scores; ``predict.many(audio, sr)`` those of
    many clips in one model call (:meth:`~mgr_utils.saving.SavedSystem.classify_many`, with
    ``n_jobs`` workers for the inputs), which :func:`predict_clips` uses. Audio at another rate
    than the system's is resampled first (librosa).

    Notebook: ``12_validity.ipynb``.
    """
    rate = int(system.pipeline.sample_rate)

    def at_rate(y: np.ndarray, sr: int) -> np.ndarray:
        y = _check_audio(y, sr)
        if sr == rate:
            return y
        import librosa

        return librosa.resample(y, orig_sr=sr, target_sr=rate).astype(np.float32)

    def predict(y: np.ndarray, sr: int) -> np.ndarray:
        return system.classify_many([at_rate(y, sr)])[0]

    def many(audio: Sequence[np.ndarray], sr: int) -> np.ndarray:
        return system.classify_many([at_rate(y, sr) for y in audio], n_jobs=n_jobs)

    predict.many = many
    predict.system_id = system.system_id
    return predict


def saved_tf_path(system, sr: int = SR) -> tuple[Callable[[Any], Any], str] | None:
    """A saved network's TensorFlow path from the waveform (:func:`tf_system`) and its domain.

    The card's feature function and parameters, the training side's statistics, the Keras
    model and the clip rule (``"max"`` and ``"min"`` follow the mean of the segments in the
    gradient, like ``"vote"``: the round trip judges the flip with the real rule). The raw
    networks (``waveform_segments``) are attacked on their samples, the others on the STFT
    magnitude.

    Notebook: ``12_validity.ipynb``.

    Returns:
        ``(path, domain)``, or ``None`` for a system without a TensorFlow twin of its
        features (the classical systems and the musicnn probe: the adversary needs a
        gradient).
    """
    feature = system.pipeline.feature.rsplit(".", 1)[-1]
    if system.card.get("kind") != "keras" or feature not in TF_FEATURES:
        return None
    if int(system.pipeline.sample_rate) != int(sr):
        raise ValueError(
            f"{system.system_id} reads {system.pipeline.sample_rate} Hz, the clips are "
            f"{sr} Hz"
        )
    s = system.pipeline.standardizer
    rule = system.rule if system.rule in ("sum", "product", "vote") else "sum"
    path = tf_system(
        system.model,
        feature,
        system.pipeline.params,
        sr,
        None if s is None else s.mean_,
        None if s is None else s.std_,
        rule,
    )
    return path, "waveform" if feature == "waveform_segments" else "magnitude"


def spread_clips(y_true: Sequence[int], n: int | None) -> list[int]:
    """Positions of ``n`` clips taken from each class in turn (``None``: every clip, in order).

    Class 0's first clip, class 1's first, ..., then each class's second: a capped run covers
    every class it can. The positions come back sorted.

    Notebook: ``12_validity.ipynb``.
    """
    y_true = np.asarray(y_true)
    if n is None or n >= y_true.size:
        return list(range(y_true.size))
    if n < 1:
        raise ValueError(f"need at least one clip, got {n}")
    queues = [list(np.flatnonzero(y_true == c)) for c in np.unique(y_true)]
    out: list[int] = []
    while len(out) < n:
        for q in queues:
            if q and len(out) < n:
                out.append(int(q.pop(0)))
    return sorted(out)


# ============================================================================================
# Figures
# ============================================================================================


def plot_accuracy_changes(
    measured: Mapping[str, Any], names: Mapping[str, str] | None = None, ax=None
):
    """Heat map of the accuracy change, systems × transformations, in points.

    A diverging colour map centred on 0 (red: lower after, blue: higher after) with its colour
    bar; each cell says its change, and a black ring marks a change the exact McNemar test
    calls real (p < α).

    Notebook: ``12_validity.ipynb``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import TwoSlopeNorm

    systems = list(measured["effects"])
    ts = measured["transformations"]
    D = np.array(
        [
            [100 * measured["effects"][s][t["name"]]["change"] for t in ts]
            for s in systems
        ]
    )
    if ax is None:
        # at least 6.5 in: the systems' names and the colour bar need room beside a few
        # transformations' columns (two of them left tight_layout no room, with a warning)
        width = max(6.5, 1.2 + 0.75 * len(ts))
        _, ax = plt.subplots(figsize=(width, 1.4 + 0.5 * len(systems)))
    limit = max(5.0, float(np.abs(D).max()) if D.size else 5.0)
    im = ax.imshow(D, cmap="RdBu", norm=TwoSlopeNorm(0.0, -limit, limit), aspect="auto")
    for i, s in enumerate(systems):
        for j, t in enumerate(ts):
            e = measured["effects"][s][t["name"]]
            ax.text(j, i, f"{D[i, j]:+.0f}", ha="center", va="center", fontsize=8)
            if e["verdict"] != "cannot tell apart":
                ax.scatter(j, i, s=420, facecolors="none", edgecolors="black", lw=1.5)
    ax.set_xticks(range(len(ts)), [t["label"] for t in ts], rotation=40, ha="right")
    ax.set_yticks(range(len(systems)), [_name(s, names) for s in systems])
    ax.set_xlabel("irrelevant transformation")
    ax.set_ylabel("system")
    ax.set_title(
        f"Accuracy change on {measured['n']} test clips (ringed: exact McNemar p < α)"
    )
    ax.figure.colorbar(im, ax=ax, label="accuracy change (points)")
    return ax


def plot_horse_filters(filters: HorseFilters, max_db: float = HORSE_MAX_DB, ax=None):
    """The measured magnitude response of every filter of the horse family, in dB.

    Frequency in Hz on a log axis, the ±``max_db`` limits dashed; one line per filter.

    Notebook: ``12_validity.ipynb``.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.6))
    for k in range(len(filters)):
        f, g = filter_response_db(filters.taps[k], filters.sr)
        ax.plot(f[1:], g[1:], lw=0.9, alpha=0.8)
    for limit in (-max_db, max_db):
        ax.axhline(limit, color="black", ls="--", lw=1, label=None)
    ax.set_xscale("log")
    ax.set_xlim(20, filters.sr / 2)
    ax.set_ylim(-1.5 * max_db, 1.5 * max_db)
    ax.set_xlabel("frequency (Hz, log scale)")
    ax.set_ylabel("gain (dB)")
    ax.set_title(
        f"The horse family: {len(filters)} gentle equalisers (seed {filters.seed}), "
        f"measured; dashed: ±{max_db:g} dB"
    )
    return ax


def plot_horse_ranges(
    ranges: Mapping[str, Mapping[str, Any]],
    names: Mapping[str, str] | None = None,
    ax=None,
):
    """Each system's horse range as a bar from its lowest to its highest accuracy.

    The unfiltered accuracy is a black dot on the bar, each single filter's accuracy (one
    filter for every clip) a grey tick.

    Notebook: ``12_validity.ipynb``.
    """
    import matplotlib.pyplot as plt

    systems = list(ranges)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.9 + 0.55 * len(systems)))
    for i, s in enumerate(systems):
        r = ranges[s]
        low, high = 100 * r["lowest"], 100 * r["highest"]
        ax.barh(
            i,
            high - low,
            left=low,
            height=0.5,
            color="tab:orange",
            alpha=0.6,
            label="horse range" if i == 0 else None,
        )
        per = 100 * np.asarray(r["per_filter_accuracy"])
        ax.scatter(
            per,
            np.full(per.size, i),
            marker="|",
            color="grey",
            s=120,
            label="one filter for every clip" if i == 0 else None,
        )
        if r.get("accuracy") is not None:
            ax.scatter(
                100 * r["accuracy"],
                i,
                color="black",
                zorder=3,
                label="no filter" if i == 0 else None,
            )
    ax.set_yticks(range(len(systems)), [_name(s, names) for s in systems])
    ax.set_xlim(-2, 102)
    ax.set_xlabel("accuracy on the test clips (%)")
    ax.set_title("How far a gentle filter chosen per clip moves each system")
    ax.legend(fontsize=8, loc="lower left")
    return ax


def plot_adversarial_example(
    y: np.ndarray,
    y_adv: np.ndarray,
    sr: int,
    n_fft: int = ATTACK_N_FFT,
    hop_length: int = ATTACK_HOP_LENGTH,
    top_db: float = 80.0,
):
    """Log spectrograms of a clip, its adversarial version and their difference.

    One dB scale (against the clip's loudest cell, ``top_db`` below it) for all three, with
    its colour bar: the difference sits far below the music it hides in.

    Notebook: ``12_validity.ipynb``.

    Returns:
        The figure.
    """
    import librosa
    import matplotlib.pyplot as plt

    signals = {
        "original": np.asarray(y, np.float32),
        "adversarial": np.asarray(y_adv, np.float32),
        "difference (adversarial - original)": np.asarray(y_adv, np.float32)
        - np.asarray(y, np.float32),
    }
    mags = {
        k: np.abs(librosa.stft(x, n_fft=n_fft, hop_length=hop_length))
        for k, x in signals.items()
    }
    ref = float(mags["original"].max()) or 1.0
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), sharey=True, layout="constrained")
    for ax, (k, M) in zip(axes, mags.items()):
        D = librosa.amplitude_to_db(M, ref=ref, top_db=None)
        im = ax.imshow(
            np.maximum(D, -top_db),
            origin="lower",
            aspect="auto",
            cmap="magma",
            vmin=-top_db,
            vmax=0,
            extent=(0, M.shape[1] * hop_length / sr, 0, sr / 2),
        )
        ax.set_title(k)
        ax.set_xlabel("time (s)")
    axes[0].set_ylabel("frequency (Hz)")
    fig.colorbar(im, ax=axes, label="dB against the original's loudest cell")
    return fig


# ============================================================================================
# The page's sentences (glued) and the players' table
# ============================================================================================


def _chapter_number(chapter: str | None) -> str:
    return f"chapter {int(chapter[:2])}" if chapter and chapter[:2].isdigit() else "?"


def systems_sentence(
    systems: Mapping[str, Any], names: Mapping[str, str] | None = None
):
    """The systems under test, each with its chapter and its validation and test accuracy.

    Notebook: ``12_validity.ipynb``.
    """
    if not systems:
        return "no system (none is saved in this build)"
    parts = []
    for s, sys_ in systems.items():
        test = sys_.card.get("test") or {}
        valid = test.get("valid_accuracy")
        numbers = (
            f"validation {_pct(valid)}, " if valid is not None else ""
        ) + f"test {_pct(test.get('accuracy'))} on {test.get('n_clips')} clips"
        parts.append(
            f"{_name(s, names)} ({_chapter_number(sys_.card.get('chapter'))}; {numbers})"
        )
    return "; ".join(parts)


def caps_sentence(
    n_clips: int,
    n_test: int,
    n_transformations: int,
    n_filters: int,
    attack_clips: int | None,
    steps: int,
    snr_dbs: Sequence[float],
) -> str:
    """The run's caps in words, for the Runtime paragraph and the departures box.

    Notebook: ``12_validity.ipynb``.
    """
    clips = (
        f"all {n_test} test clips"
        if n_clips >= n_test
        else f"{n_clips} of the {n_test} test clips (taken from each class in turn)"
    )
    attacked = (
        "every clip a network gets right"
        if attack_clips is None
        else f"at most {attack_clips} clips per network"
    )
    levels = ", ".join(f"{x:g}" for x in snr_dbs)
    return (
        f"{clips}, {n_transformations} transformations, {n_filters} horse filters; the "
        f"adversary attacks {attacked}, at most {steps} gradient steps per level "
        f"({levels} dB)"
    )


def largest_change_sentence(
    measured: Mapping[str, Any], names: Mapping[str, str] | None = None
) -> str:
    """The largest accuracy change of any system under any transformation, with its test.

    Notebook: ``12_validity.ipynb``.
    """
    labels = {t["name"]: t["label"] for t in measured["transformations"]}
    best = None
    for s, effects in measured["effects"].items():
        big = largest_change(effects)
        if big is not None and (
            best is None or abs(big[1]["change"]) > abs(best[2]["change"])
        ):
            best = (s, big[0], big[1])
    if best is None:
        return "No transformation was measured."
    s, t, e = best
    return "The largest change of accuracy: " + effect_sentence(
        e, _name(s, names), labels[t]
    )


def changed_share_sentence(
    measured: Mapping[str, Any], names: Mapping[str, str] | None = None
) -> str:
    """The system and transformation with the most changed answers, whatever the accuracy.

    Notebook: ``12_validity.ipynb``.
    """
    labels = {t["name"]: t["label"] for t in measured["transformations"]}
    cells = [
        (e["changed"], s, t, e)
        for s, effects in measured["effects"].items()
        for t, e in effects.items()
    ]
    if not cells:
        return "No transformation was measured."
    changed, s, t, e = max(cells, key=lambda c: c[0])
    if changed == 0:
        return (
            "No transformation changed a single answer of any system on these "
            f"{measured['n']} clips."
        )
    return (
        f"The most answers changed ({changed} of {e['n']}, {_pct(e['changed_share'])}) "
        f"for {_name(s, names)} under the {labels[t]}: accuracy {_pct(e['accuracy_before'])} "
        f"before, {_pct(e['accuracy_after'])} after. Answers that change both ways can "
        "leave the accuracy where it was: a steady accuracy is not a steady system."
    )


def summary_transformations(
    measured: Mapping[str, Any], names: Mapping[str, str] | None = None
) -> str:
    """Which systems a transformation moved for the exact McNemar test, or that none did.

    Notebook: ``12_validity.ipynb``.
    """
    labels = {t["name"]: t["label"] for t in measured["transformations"]}
    moved = []
    for s, effects in measured["effects"].items():
        hits = [
            f"{labels[t]} ({_points(e['change'])}, {format_p(e['p'])})"
            for t, e in effects.items()
            if e["verdict"] != "cannot tell apart"
        ]
        if hits:
            moved.append(f"{_name(s, names)} under the " + ", ".join(hits))
    n = measured["n"]
    if not moved:
        return (
            f"no transformation changed any system's accuracy by more than the exact "
            f"McNemar test can tell from chance on {n} clips"
        )
    return "the test calls these changes real (n = " + f"{n}): " + "; ".join(moved)


def summary_horse(
    ranges: Mapping[str, Mapping[str, Any]], names: Mapping[str, str] | None = None
) -> str:
    """The widest and the narrowest horse range.

    Notebook: ``12_validity.ipynb``.
    """
    if not ranges:
        return "no system was measured"
    width = {s: r["highest"] - r["lowest"] for s, r in ranges.items()}
    wide, narrow = max(width, key=width.get), min(width, key=width.get)
    r, q = ranges[wide], ranges[narrow]
    text = (
        f"the widest range is {_name(wide, names)}'s, {_pct(r['lowest'])} to "
        f"{_pct(r['highest'])} ({r['movable']} of {r['n']} clips movable)"
    )
    if narrow != wide:
        text += (
            f", the narrowest {_name(narrow, names)}'s, {_pct(q['lowest'])} to "
            f"{_pct(q['highest'])} ({q['movable']} movable)"
        )
    return text


def summary_adversarial(
    rates: Mapping[str, Mapping[str, Mapping[str, Any]]],
    names: Mapping[str, str] | None = None,
    snr: str = "30 dB",
) -> str:
    """Each network's flips at ``snr`` (after the round trip), in one sentence.

    Notebook: ``12_validity.ipynb``.
    """
    if not rates:
        return "No network was attacked (none of the attacked networks is saved)."
    parts = [
        f"{_name(s, names)} {_flips(by_level[snr])}"
        for s, by_level in rates.items()
        if snr in by_level
    ]
    return f"at {snr}, the adversary flipped " + "; ".join(parts) + "."


def summary_defences(
    defences: Mapping[str, Mapping[str, Mapping[str, Any]]],
    names: Mapping[str, str] | None = None,
) -> str:
    """Whether the filters undid the flips, in one clause over all networks.

    Notebook: ``12_validity.ipynb``.
    """
    totals: dict[str, list[int]] = {}
    labels: dict[str, str] = {}
    for d in defences.values():
        for k, v in d.items():
            t = totals.setdefault(k, [0, 0, 0])
            t[0] += v["undone"]
            t[1] += v["n"]
            t[2] += v["original_kept"]
            labels[k] = v["label"]
    if not totals or not next(iter(totals.values()))[1]:
        return "No flip was left to defend against."
    parts = [
        f"the {labels[k]} undid {u} of {n} flips (and kept {kept} of the {n} originals "
        "right)"
        for k, (u, n, kept) in totals.items()
    ]
    return "Over all networks, " + "; ".join(parts) + "."


def flip_answers_table(
    measured: Mapping[str, Any],
    clip: int,
    transformation: str,
    classes: Sequence[str],
    true_label: int,
    names: Mapping[str, str] | None = None,
) -> str:
    """Markdown table: each system's answer for one clip, original and transformed.

    Notebook: ``12_validity.ipynb``.
    """
    label = {t["name"]: t["label"] for t in measured["transformations"]}[transformation]
    rows = [
        f"| system | original clip | after the {label} |",
        "|---|---|---|",
    ]
    for s, before in measured["before"].items():
        a, b = before[clip], measured["after"][transformation][s][clip]
        mark = " (changed)" if a != b else ""
        rows.append(
            f"| {_name(s, names)} | {classes[a]}{' ✓' if a == true_label else ''} | "
            f"{classes[b]}{' ✓' if b == true_label else ''}{mark} |"
        )
    return "\n".join(rows) + f"\n\nTrue class: **{classes[true_label]}** (✓: right)."


def pick_adversarial_example(
    runs: Mapping[str, Mapping[str, Any]],
) -> tuple[str, int, int] | None:
    """The flipped clip to play: the one flipped at the highest SNR (quietest change).

    Ties go to the earlier network and the earlier clip; a level inherited from a quieter
    one is the same audio, so its first (own) level is the one kept.

    Notebook: ``12_validity.ipynb``.

    Returns:
        ``(network, index in the run's results, index of the level)``, or ``None`` when no
        attack flipped anything.
    """
    best, where = -np.inf, None
    for s, run in runs.items():
        for i, r in enumerate(run["results"]):
            for j, lv in enumerate(r["levels"]):
                if lv["flipped"] and not lv["inherited"] and lv["snr_db"] > best:
                    best, where = lv["snr_db"], (s, i, j)
    return where


def example_sentence(
    run: Mapping[str, Any],
    i: int,
    j: int,
    system: str,
    classes: Sequence[str],
    clip_id: str,
) -> str:
    """The played adversarial example in words: clip, answers, target, measured SNR, steps.

    Notebook: ``12_validity.ipynb``.
    """
    r = run["results"][i]
    lv = r["levels"][j]
    return (
        f"**{system}** called {clip_id} **{classes[r['label']]}** (right); after "
        f"{lv['steps']} gradient steps toward {classes[r['target']]} and the round trip, "
        f"it calls the adversarial version **{classes[lv['label_after']]}**. The SNR "
        f"measured on the played audio is {lv['measured_snr_db']:.1f} dB (target "
        f"{lv['snr_db']:g} dB)."
    )


def full_run_estimate(parts: Mapping[str, tuple[float, float, float]]) -> str:
    """The full run's time from this run's measured costs, in words.

    Each part is ``(seconds measured here, units done here, units in the full run)``, where
    a unit is what the cost grows with (a clip's version scored by every system, one gradient
    step of one clip...) already scaled by the full run's clip length. The estimate is the sum
    of ``seconds / units * full units``.

    Notebook: ``12_validity.ipynb``.
    """
    total = sum(s / max(u, 1e-9) * full for s, u, full in parts.values())
    if total < 90:
        return f"about {total:.0f} s"
    if total < 5400:
        return f"about {total / 60:.0f} minutes"
    return f"about {total / 3600:.1f} hours"


FULL_RUN = {
    "n_test": 290,
    "seconds": 30.0,
    "transformations": 13,
    "filters": 16,
    "steps": 20,
}
"""The full run's size: GTZAN's fault-filtered test side (290 excerpts of 30 s), every
transformation, the 16-filter horse family, and ``full_params.yaml``'s step cap; every clip a
network gets right is attacked."""


class Timings:
    """Wall-clock seconds of the chapter's steps, by name: ``with timings("horse"): ...``.

    Notebook: ``12_validity.ipynb``.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def __call__(self, name: str):
        import contextlib

        @contextlib.contextmanager
        def timed():
            t0 = time.perf_counter()
            try:
                yield
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + (
                    time.perf_counter() - t0
                )

        return timed()


def estimate_full_run(
    timings: Mapping[str, float],
    n_clips: int,
    n_transformations: int,
    n_filters: int,
    clip_seconds: float,
    runs: Mapping[str, Mapping[str, Any]],
    steps: int,
    full: Mapping[str, Any] | None = None,
) -> str:
    """The full run's time (:data:`FULL_RUN`), from this run's measured seconds, in words.

    Scoring (sections 1 and 2) grows with the clips' versions and their length: the measured
    seconds of ``timings["transformations"] + timings["horse"]`` per second of transformed or
    filtered audio, times the full run's ``n_test × (transformations + filters) × 30 s``.
    The adversary grows with the attacked clips, their length and the step cap: the measured
    ``timings["attacks"]`` per attacked clip-second per step of the cap, times, for each
    network, its share of right clips here × the full run's test clips × 30 s × its cap.

    Notebook: ``12_validity.ipynb``.
    """
    full = dict(FULL_RUN if full is None else full)
    scoring = timings.get("transformations", 0.0) + timings.get("horse", 0.0)
    versions = n_clips * (n_transformations + n_filters) * clip_seconds
    full_versions = (
        full["n_test"] * (full["transformations"] + full["filters"]) * full["seconds"]
    )
    parts = {"scoring": (scoring, versions, full_versions)}
    attacked = sum(len(r["results"]) for r in runs.values())
    if attacked:
        right = [
            len(r["results"]) / max(r["n_considered"], 1) for r in runs.values()
        ]  # each network's share of right clips among those it was offered
        full_attacked = sum(right) * full["n_test"] * full["seconds"] * full["steps"]
        parts["attacks"] = (
            timings.get("attacks", 0.0),
            attacked * clip_seconds * steps,
            full_attacked,
        )
    return full_run_estimate(parts)


def transformations_markdown(chosen: Sequence[Transformation]) -> str:
    """Markdown table of the transformations measured: label, function, parameters.

    Notebook: ``12_validity.ipynb``.
    """
    rows = ["| transformation | function | parameters |", "|---|---|---|"]
    for t in chosen:
        params = ", ".join(f"`{k}={v!r}`" for k, v in t.params.items())
        rows.append(f"| {t.label} | `validity.{t.fn.__name__}` | {params} |")
    return "\n".join(rows)


def detectable_sentence(n: int) -> str:
    """What the exact McNemar test can see on ``n`` clips, in words.

    Notebook: ``12_validity.ipynb``.
    """
    from mgr_utils.comparison import smallest_significant_difference

    k = smallest_significant_difference(n)
    if k is None:
        return (
            f"with {n} clips no change can be detected at all: even {n} clips that all "
            "change the same way are too few for the exact McNemar test"
        )
    return (
        f"with {n} clips, a change needs at least {k} clips that all change the same way "
        "before the exact McNemar test can see it"
    )


def players_html(
    signals: Mapping[str, np.ndarray],
    sr: int,
    amplified: Mapping[str, np.ndarray] | None = None,
) -> str:
    """One row of labelled audio players (HTML), for the page.

    ``signals`` share one scale (the loudest peak of them all at 0.99), so a quieter version
    sounds quieter; each of ``amplified`` is scaled on its own to a peak of 0.99 (the label
    says by how many dB), so that a small difference can be heard.

    Notebook: ``12_validity.ipynb``.
    """
    from mgr_utils.auralisation import html_table
    from mgr_utils.notebook import audio_player

    cells = []
    peak = max(float(np.max(np.abs(y))) for y in signals.values()) if signals else 0
    for label, y in signals.items():
        scale = 0.99 / peak if peak > 0 else 1.0
        player = audio_player(np.asarray(y) * scale, sr, normalize=False)._repr_html_()
        cells.append(f"<b>{label}</b><br>{player}")
    for label, y in (amplified or {}).items():
        p = float(np.max(np.abs(y)))
        if p == 0:
            cells.append(f"<b>{label}</b><br><i>silent: nothing was added</i>")
            continue
        db = 20 * np.log10(0.99 / p)
        player = audio_player(np.asarray(y) * (0.99 / p), sr, normalize=False)
        cells.append(
            f"<b>{label}</b> (amplified by {db:.0f} dB)<br>{player._repr_html_()}"
        )
    return html_table([cells])


def tf_path_sentence(
    name: str,
    domain: str,
    rule: str | None,
    p_tf: np.ndarray,
    p_np: np.ndarray,
    clip_id: str,
) -> str:
    """How a network's TensorFlow path agrees with its saved NumPy system on one clip.

    Notebook: ``12_validity.ipynb``.
    """
    diff = float(np.max(np.abs(np.asarray(p_tf) - np.asarray(p_np))))
    where = "its STFT magnitude" if domain == "magnitude" else "its samples"
    note = (
        ""
        if rule in ("sum", "product")
        else f" (its clip rule, {rule}, has no gradient: the path follows the mean)"
    )
    return (
        f"**{name}**: attacked on {where}; on {clip_id} the TensorFlow path and the saved "
        f"system's class probabilities differ by at most {diff:.1e}{note}."
    )
