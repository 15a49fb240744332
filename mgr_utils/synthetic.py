"""The embedded synthetic genre set: ten caricatures of GTZAN's genres, rendered with NumPy.

Each genre is a recipe of four parts (drums, bass, harmony, lead), each part a small pattern
generator. A clip draws its own tempo, key, swing, instrumentation, mix, room and noise from its
seed, so no two clips of a genre are alike, and now and then it borrows one part from a
neighbouring genre (rock drums under a pop song, a walking bass under a blues), as real genres
do. That keeps the task learnable but not trivial: see chapter 1 for a baseline's accuracy.

What each genre is a caricature of (tempo ranges in BPM):

=========  =======  ==========================================================================
genre      tempo    parts
=========  =======  ==========================================================================
blues      60-95    shuffle drums, boogie bass, dominant-7th 12-bar on piano, blue-note licks
classical  60-110   no drums; string pads and piano or harp arpeggios, diatonic, rubato
country    90-135   boom-chick drums, root-fifth bass, strummed twangy guitar, fiddle
disco      112-132  four-on-the-floor, open hi-hats on the off-beat, octave bass, string stabs
hiphop     78-98    boom-bap with swung hi-hats, long 808 sub bass, lo-fi keys loop, crackle
jazz       100-200  swung ride, walking bass, 7th/9th-chord comping on syncopated beats
metal      140-210  double kick, distorted power chords in 16ths, low tuning, crashes
pop        95-125   kick-snare backbeat, I-V-vi-IV synth pad, pentatonic lead, sine bass
reggae     65-90    one-drop drums, off-beat skank chords, deep bass with rests
rock       105-145  backbeat with crashes, overdriven power chords in 8ths, root bass in 8ths
=========  =======  ==========================================================================

Notebook: ``01_datasets.ipynb``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import signal

from mgr_utils import GENRES, SR

GENERATOR_VERSION = 1
"""Bumped whenever the sound of a clip changes, so that feature caches are invalidated."""

# --------------------------------------------------------------------------------------------
# Context: what a clip has drawn, shared by its parts.
# --------------------------------------------------------------------------------------------


@dataclass
class Context:
    """Everything a clip's parts share: time grid, key, chords and the clip's random generator."""

    rng: np.random.Generator
    sr: int
    n: int  # samples
    tempo: float  # BPM
    swing: float  # position of the off-beat eighth within a beat, 0.5 = straight
    root: int  # MIDI note of the key's tonic (bass register)
    minor: bool
    chords: list[tuple[int, tuple[int, ...]]]  # per bar: (root offset, chord intervals)
    cache: dict = field(default_factory=dict)

    @property
    def beat(self) -> float:
        """Seconds per beat."""
        return 60.0 / self.tempo

    @property
    def bar(self) -> float:
        """Seconds per 4/4 bar."""
        return 4 * self.beat

    @property
    def n_bars(self) -> int:
        """Bars needed to cover the clip (the last one is cut)."""
        return int(np.ceil(self.n / self.sr / self.bar)) + 1

    def t(self, bar: int, beat: float) -> float:
        """Time in seconds of ``beat`` (0-based, may be fractional) in ``bar``, with swing."""
        whole, frac = divmod(beat, 1.0)
        if abs(frac - 0.5) < 1e-9:
            frac = self.swing
        return bar * self.bar + (whole + frac) * self.beat

    def chord(self, bar: int) -> tuple[int, tuple[int, ...]]:
        """(root offset, intervals) of the chord in ``bar``."""
        return self.chords[bar % len(self.chords)]


Event = tuple[float, np.ndarray, float]  # (time in s, sound, gain)


def _hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69) / 12)


# --------------------------------------------------------------------------------------------
# Sound sources: one-shot drums and pitched instruments.
# --------------------------------------------------------------------------------------------


def _env(n: int, sr: int, attack: float, decay: float) -> np.ndarray:
    """Linear attack then exponential decay (``decay`` = time constant in s)."""
    t = np.arange(n) / sr
    a = np.clip(t / max(attack, 1e-4), 0, 1)
    return a * np.exp(-np.maximum(t - attack, 0) / decay)


def _harmonics(
    f0: float, dur: float, sr: int, amps, decay=None, detune=0.0, vibrato=0.0
) -> np.ndarray:
    """Additive tone: partial k at ``k * f0`` with amplitude ``amps[k-1]``; optional per-partial decay."""
    n = int(dur * sr)
    t = np.arange(n) / sr
    phase = 2 * np.pi * f0 * t
    if vibrato:
        phase += vibrato * np.sin(2 * np.pi * 5.5 * t) / 5.5 * 2 * np.pi * f0 / 100
    y = np.zeros(n)
    for k, a in enumerate(amps, start=1):
        if a == 0 or k * f0 > sr / 2.2:
            continue
        part = a * np.sin(k * phase * (1 + detune * (k - 1)))
        if decay is not None:
            part *= np.exp(-t * decay * k)
        y += part
    return y


def _saw_amps(k: int) -> list[float]:
    return [1.0 / i for i in range(1, k + 1)]


def _instrument(name: str, midi: float, dur: float, ctx: Context) -> np.ndarray:
    """Render one note of a pitched instrument (cached per clip)."""
    key = (name, round(midi, 2), round(dur, 3))
    if key in ctx.cache:
        return ctx.cache[key]
    sr, f = ctx.sr, _hz(midi)
    n = int(dur * sr)
    if name == "piano":
        y = _harmonics(
            f, dur, sr, [1, 0.6, 0.35, 0.25, 0.15, 0.1, 0.05], decay=1.2, detune=0.0007
        )
        y *= _env(n, sr, 0.004, 0.9)
    elif name == "epiano":
        y = _harmonics(f, dur, sr, [1, 0.3, 0.05, 0.08], decay=0.8) * _env(
            n, sr, 0.003, 0.6
        )
    elif name == "pluck":  # bright, twangy guitar/banjo
        y = _harmonics(
            f, dur, sr, [1, 0.8, 0.7, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15], decay=3.0
        )
        y *= _env(n, sr, 0.002, 0.35)
    elif name == "harp":
        y = _harmonics(f, dur, sr, [1, 0.4, 0.2, 0.1], decay=1.5) * _env(
            n, sr, 0.003, 0.7
        )
    elif name == "strings":
        y = _harmonics(f, dur, sr, _saw_amps(10), vibrato=0.6) + _harmonics(
            f * 1.004, dur, sr, _saw_amps(8)
        )
        y *= np.minimum(
            _env(n, sr, min(0.25, dur / 3), 10.0),
            np.clip((dur - np.arange(n) / sr) / 0.15, 0, 1),
        )
        y = _lowpass(y, 3500, sr)
    elif name == "fiddle":
        y = _harmonics(f, dur, sr, _saw_amps(12), vibrato=1.2) * _env(n, sr, 0.05, 2.0)
    elif name == "organ":
        y = _harmonics(f, dur, sr, [1, 0.8, 0.5, 0.4, 0, 0.3, 0, 0.2]) * _env(
            n, sr, 0.005, 5.0
        )
        y *= np.clip((dur - np.arange(n) / sr) / 0.02, 0, 1)
    elif name == "pad":  # detuned synth pad
        y = sum(_harmonics(f * d, dur, sr, _saw_amps(8)) for d in (0.995, 1.0, 1.006))
        y = _lowpass(y * _env(n, sr, min(0.3, dur / 3), 20.0), 2500, sr)
        y *= np.clip((dur - np.arange(n) / sr) / 0.1, 0, 1)
    elif name == "lead":  # square-ish synth lead
        y = _harmonics(f, dur, sr, [1, 0, 0.33, 0, 0.2, 0, 0.14]) * _env(
            n, sr, 0.01, 1.5
        )
    elif name == "sub":  # 808 sub bass: sine with a short pitch drop
        t = np.arange(n) / sr
        y = np.sin(2 * np.pi * f * t + 4 * np.exp(-t * 30)) * _env(n, sr, 0.005, 0.9)
    elif name == "bass":  # plucked electric bass
        y = _harmonics(f, dur, sr, [1, 0.5, 0.3, 0.15], decay=2.0) * _env(
            n, sr, 0.004, 0.5
        )
    elif name == "upright":  # walking upright bass: softer, woodier
        y = _harmonics(f, dur, sr, [1, 0.35, 0.12], decay=3.0) * _env(n, sr, 0.01, 0.35)
    elif name in ("distortion", "overdrive"):
        gain = 12.0 if name == "distortion" else 3.5
        y = _harmonics(f, dur, sr, _saw_amps(10)) + _harmonics(
            f * 1.4983, dur, sr, _saw_amps(8)
        )
        y = np.tanh(gain * y * _env(n, sr, 0.003, 1.2 if name == "distortion" else 0.6))
        y = _lowpass(y, 3800 if name == "distortion" else 3000, sr)
    else:
        raise ValueError(f"unknown instrument {name!r}")
    ctx.cache[key] = y = y / (np.max(np.abs(y)) + 1e-9)
    return y


def _drum(name: str, ctx: Context) -> np.ndarray:
    """Render one drum hit (cached per clip, so every hit of a clip is the same sample)."""
    if name in ctx.cache:
        return ctx.cache[name]
    sr, rng = ctx.sr, ctx.rng
    t = np.arange(int(0.6 * sr)) / sr
    if name == "kick":
        f = 45 + 90 * np.exp(-t * 35)
        y = np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-t * 9)
    elif name == "808":
        f = 40 + 60 * np.exp(-t * 20)
        y = np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-t * 3)
    elif name == "snare":
        noise = _highpass(rng.standard_normal(t.size), 1200, sr)
        y = 0.7 * noise * np.exp(-t * 22) + 0.5 * np.sin(2 * np.pi * 185 * t) * np.exp(
            -t * 30
        )
    elif name == "rim":
        y = np.sin(2 * np.pi * 1700 * t) * np.exp(-t * 80) + 0.3 * rng.standard_normal(
            t.size
        ) * np.exp(-t * 120)
    elif name == "clap":
        noise = _bandpass(rng.standard_normal(t.size), 900, 3500, sr)
        env = sum(
            np.exp(-np.maximum(t - d, 0) * 60) * (t >= d) for d in (0, 0.012, 0.024)
        )
        y = noise * env
    elif name == "hat":
        y = _highpass(rng.standard_normal(t.size), 7000, sr) * np.exp(-t * 60)
    elif name == "openhat":
        y = _highpass(rng.standard_normal(t.size), 6000, sr) * np.exp(-t * 9)
    elif name in ("ride", "crash"):
        partials = rng.uniform(3000, 9000, 12)
        metal = (
            sum(np.sin(2 * np.pi * p * t + rng.uniform(0, 6.28)) for p in partials) / 6
        )
        noise = _highpass(rng.standard_normal(t.size), 5000, sr)
        y = (metal + (0.4 if name == "ride" else 1.2) * noise) * np.exp(
            -t * (4 if name == "ride" else 2.5)
        )
    elif name == "brush":
        y = _bandpass(rng.standard_normal(t.size), 2000, 8000, sr) * _env(
            t.size, sr, 0.03, 0.08
        )
    else:
        raise ValueError(f"unknown drum {name!r}")
    ctx.cache[name] = y = y / (np.max(np.abs(y)) + 1e-9)
    return y


def _lowpass(y: np.ndarray, cutoff: float, sr: int, order: int = 2) -> np.ndarray:
    sos = signal.butter(order, min(cutoff, 0.45 * sr), "low", fs=sr, output="sos")
    return signal.sosfilt(sos, y)


def _highpass(y: np.ndarray, cutoff: float, sr: int, order: int = 2) -> np.ndarray:
    sos = signal.butter(order, cutoff, "high", fs=sr, output="sos")
    return signal.sosfilt(sos, y)


def _bandpass(y: np.ndarray, lo: float, hi: float, sr: int) -> np.ndarray:
    sos = signal.butter(2, [lo, min(hi, 0.45 * sr)], "band", fs=sr, output="sos")
    return signal.sosfilt(sos, y)


# --------------------------------------------------------------------------------------------
# Patterns: each returns the events of one part over the whole clip.
# --------------------------------------------------------------------------------------------

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
TRIAD = {False: (0, 4, 7), True: (0, 3, 7)}


def _drums(
    ctx: Context,
    hits: dict[str, list[float]],
    gains: dict[str, float],
    fills: float = 0.0,
) -> list[Event]:
    """A one-bar drum pattern (beats per drum) repeated over the clip, with some random ghost notes."""
    events = []
    for bar in range(ctx.n_bars):
        for name, beats in hits.items():
            sound = _drum(name, ctx)
            for b in beats:
                if name in ("crash",) and bar % 4:
                    continue
                events.append(
                    (
                        ctx.t(bar, b),
                        sound,
                        gains.get(name, 1.0) * ctx.rng.uniform(0.8, 1.0),
                    )
                )
        if fills and ctx.rng.random() < fills:
            for b in ctx.rng.choice(np.arange(0, 4, 0.25), size=3, replace=False):
                events.append((ctx.t(bar, b), _drum("snare", ctx), 0.4))
    return events


def drums_shuffle(ctx):  # blues
    return _drums(
        ctx,
        {"kick": [0, 2], "snare": [1, 3], "ride": [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5]},
        {"ride": 0.35, "snare": 0.7},
        fills=0.1,
    )


def drums_boomchick(ctx):  # country
    return _drums(
        ctx,
        {"kick": [0, 2], "snare": [1, 3], "hat": [0.5, 1.5, 2.5, 3.5]},
        {"snare": 0.6, "hat": 0.4},
    )


def drums_disco(ctx):
    return _drums(
        ctx,
        {
            "kick": [0, 1, 2, 3],
            "clap": [1, 3],
            "openhat": [0.5, 1.5, 2.5, 3.5],
            "hat": [0, 1, 2, 3],
        },
        {"openhat": 0.45, "hat": 0.25, "clap": 0.7},
    )


def drums_boombap(ctx):  # hiphop
    return _drums(
        ctx,
        {
            "kick": [0, 0.75, 2.5],
            "snare": [1, 3],
            "hat": [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5],
        },
        {"hat": 0.3, "kick": 1.0, "snare": 0.9},
    )


def drums_jazz(ctx):
    return _drums(
        ctx,
        {"ride": [0, 1, 1.5, 2, 3, 3.5], "hat": [1, 3], "brush": [0, 1, 2, 3]},
        {"ride": 0.45, "hat": 0.25, "brush": 0.25},
        fills=0.25,
    )


def drums_metal(ctx):
    return _drums(
        ctx,
        {
            "kick": list(np.arange(0, 4, 0.25)),
            "snare": [1, 3],
            "crash": [0],
            "ride": [0, 1, 2, 3],
        },
        {"kick": 0.7, "crash": 0.6, "ride": 0.3},
    )


def drums_backbeat(ctx):  # pop / rock
    return _drums(
        ctx,
        {
            "kick": [0, 2, 2.5],
            "snare": [1, 3],
            "hat": list(np.arange(0, 4, 0.5)),
            "crash": [0],
        },
        {"hat": 0.35, "crash": 0.4},
        fills=0.08,
    )


def drums_onedrop(ctx):  # reggae
    return _drums(
        ctx,
        {"kick": [2], "rim": [2], "hat": list(np.arange(0, 4, 0.5))},
        {"hat": 0.3, "rim": 0.6},
    )


def _chord_notes(
    ctx: Context, bar: int, octave: int, extensions: bool = False
) -> list[int]:
    r, iv = ctx.chord(bar)
    notes = [ctx.root + 12 * octave + r + i for i in iv]
    if extensions:
        notes.append(ctx.root + 12 * octave + r + iv[0] + (10 if ctx.minor else 14))
    return notes


def bass_root(ctx, instrument="bass", beats=(0, 1, 2, 3), dur=0.9, octave=0):
    events = []
    for bar in range(ctx.n_bars):
        r, iv = ctx.chord(bar)
        for b in beats:
            note = ctx.root + 12 * octave + r
            events.append(
                (ctx.t(bar, b), _instrument(instrument, note, dur * ctx.beat, ctx), 0.8)
            )
    return events


def bass_boogie(ctx):  # blues: root, third, fifth, sixth shuffle
    events = []
    for bar in range(ctx.n_bars):
        r, _ = ctx.chord(bar)
        for b, step in zip(np.arange(0, 4, 0.5), (0, 0, 4, 4, 7, 7, 9, 7)):
            events.append(
                (
                    ctx.t(bar, b),
                    _instrument("bass", ctx.root + r + step, 0.45 * ctx.beat, ctx),
                    0.8,
                )
            )
    return events


def bass_rootfifth(ctx):  # country
    events = []
    for bar in range(ctx.n_bars):
        r, _ = ctx.chord(bar)
        for b, step in ((0, 0), (2, 7)):
            events.append(
                (
                    ctx.t(bar, b),
                    _instrument("bass", ctx.root + r + step, 0.8 * ctx.beat, ctx),
                    0.9,
                )
            )
    return events


def bass_octave(ctx):  # disco
    events = []
    for bar in range(ctx.n_bars):
        r, _ = ctx.chord(bar)
        for i, b in enumerate(np.arange(0, 4, 0.5)):
            events.append(
                (
                    ctx.t(bar, b),
                    _instrument(
                        "bass", ctx.root + r + 12 * (i % 2), 0.4 * ctx.beat, ctx
                    ),
                    0.8,
                )
            )
    return events


def bass_808(ctx):  # hiphop
    events = []
    for bar in range(ctx.n_bars):
        r, _ = ctx.chord(bar)
        for b, d in ((0, 1.5), (2.5, 1.4)):
            events.append(
                (
                    ctx.t(bar, b),
                    _instrument("sub", ctx.root - 12 + r + 12, d * ctx.beat, ctx),
                    1.0,
                )
            )
    return events


def bass_walking(ctx):  # jazz
    events = []
    scale = MINOR if ctx.minor else MAJOR
    for bar in range(ctx.n_bars):
        r, iv = ctx.chord(bar)
        steps = [0, iv[1], iv[2], scale[ctx.rng.integers(1, 7)] - 1]
        for b, s in enumerate(steps):
            events.append(
                (
                    ctx.t(bar, b),
                    _instrument("upright", ctx.root + r + s, 0.9 * ctx.beat, ctx),
                    0.9,
                )
            )
    return events


def bass_metal(ctx):
    return bass_root(
        ctx, "bass", beats=tuple(np.arange(0, 4, 0.5)), dur=0.45, octave=-1
    )


def bass_reggae(ctx):
    events = []
    for bar in range(ctx.n_bars):
        r, iv = ctx.chord(bar)
        for b, s in ((0, 0), (0.75, iv[2]), (1.5, 0), (3, iv[1])):
            events.append(
                (
                    ctx.t(bar, b),
                    _instrument("sub", ctx.root + r + s, 0.6 * ctx.beat, ctx),
                    0.9,
                )
            )
    return events


def bass_eighths(ctx):  # rock
    return bass_root(ctx, "bass", beats=tuple(np.arange(0, 4, 0.5)), dur=0.45)


def _comp(ctx, instrument, beats, dur_beats, octave, gain, extensions=False, arp=0.0):
    events = []
    for bar in range(ctx.n_bars):
        notes = _chord_notes(ctx, bar, octave, extensions)
        for b in beats:
            for i, note in enumerate(notes):
                events.append(
                    (
                        ctx.t(bar, b) + arp * i,
                        _instrument(instrument, note, dur_beats * ctx.beat, ctx),
                        gain / len(notes) ** 0.5,
                    )
                )
    return events


def harmony_blues_piano(ctx):
    return _comp(ctx, "piano", (0, 1.5, 2, 3.5), 0.9, 2, 0.6, extensions=True)


def harmony_strings(ctx):  # classical pads
    return _comp(ctx, "strings", (0,), 4.0, 2, 0.7)


def harmony_arpeggio(ctx, instrument="piano"):  # classical / piano arpeggios
    events = []
    for bar in range(ctx.n_bars):
        notes = _chord_notes(ctx, bar, 3)
        notes = notes + [n + 12 for n in notes]
        for i, b in enumerate(np.arange(0, 4, 0.5)):
            events.append(
                (
                    ctx.t(bar, b),
                    _instrument(instrument, notes[i % len(notes)], 1.5 * ctx.beat, ctx),
                    0.5,
                )
            )
    return events


def harmony_strum(ctx):  # country: strummed pluck on the off-beats
    return _comp(ctx, "pluck", (0, 1, 1.5, 2, 3, 3.5), 0.8, 2, 0.55, arp=0.012)


def harmony_disco_stabs(ctx):
    return _comp(ctx, "strings", (0.5, 1.5, 2.5, 3.5), 0.35, 3, 0.5, extensions=True)


def harmony_lofi_keys(ctx):  # hiphop
    events = _comp(ctx, "epiano", (0, 2.5), 1.5, 2, 0.5, extensions=True)
    return [(t, _lowpass(y, 1800, ctx.sr), g) for t, y, g in events]


def harmony_jazz_comp(ctx):
    events = []
    for bar in range(ctx.n_bars):
        notes = _chord_notes(ctx, bar, 2, extensions=True)
        for b in ctx.rng.choice(
            [0, 0.5, 1.5, 2, 2.5, 3.5], size=ctx.rng.integers(2, 4), replace=False
        ):
            for note in notes:
                events.append(
                    (
                        ctx.t(bar, b),
                        _instrument("piano", note, 0.6 * ctx.beat, ctx),
                        0.4,
                    )
                )
    return events


def harmony_power(
    ctx, instrument="distortion", step=0.25, octave=1
):  # metal / rock power chords
    events = []
    for bar in range(ctx.n_bars):
        r, _ = ctx.chord(bar)
        for b in np.arange(0, 4, step):
            events.append(
                (
                    ctx.t(bar, b),
                    _instrument(
                        instrument,
                        ctx.root + 12 * octave + r,
                        0.95 * step * ctx.beat,
                        ctx,
                    ),
                    0.6,
                )
            )
    return events


def harmony_rock(ctx):
    return harmony_power(ctx, "overdrive", step=0.5)


def harmony_pad(ctx):  # pop
    return _comp(ctx, "pad", (0,), 4.0, 2, 0.6)


def harmony_skank(ctx):  # reggae: organ / guitar chops on the off-beats
    return _comp(
        ctx, ctx.rng.choice(["organ", "pluck"]), (0.5, 1.5, 2.5, 3.5), 0.25, 3, 0.6
    )


def _melody(ctx, instrument, scale, density, octave, dur_beats, gain, blue=False):
    events = []
    degree = 0
    for bar in range(ctx.n_bars):
        for b in np.arange(0, 4, 0.5):
            if ctx.rng.random() > density:
                continue
            degree = int(
                np.clip(degree + ctx.rng.integers(-2, 3), 0, len(scale) * 2 - 1)
            )
            note = (
                ctx.root
                + 12 * octave
                + scale[degree % len(scale)]
                + 12 * (degree // len(scale))
            )
            if blue and ctx.rng.random() < 0.2:
                note += 3 if ctx.rng.random() < 0.5 else 6  # blue third / flat fifth
            events.append(
                (
                    ctx.t(bar, b),
                    _instrument(instrument, note, dur_beats * ctx.beat, ctx),
                    gain,
                )
            )
    return events


def lead_blues(ctx):
    return _melody(
        ctx,
        ctx.rng.choice(["pluck", "overdrive"]),
        (0, 3, 5, 7, 10),
        0.35,
        3,
        0.9,
        0.45,
        blue=True,
    )


def lead_classical(ctx):
    return _melody(
        ctx,
        ctx.rng.choice(["strings", "harp", "piano"]),
        MINOR if ctx.minor else MAJOR,
        0.6,
        3,
        1.0,
        0.5,
    )


def lead_fiddle(ctx):
    return _melody(ctx, "fiddle", MAJOR, 0.5, 4, 0.5, 0.35)


def lead_pop(ctx):
    return _melody(ctx, "lead", (0, 2, 4, 7, 9), 0.5, 3, 0.9, 0.4)


def lead_jazz(ctx):
    return _melody(
        ctx,
        ctx.rng.choice(["lead", "epiano"]),
        (0, 2, 3, 5, 7, 9, 10),
        0.55,
        3,
        0.45,
        0.35,
    )


def lead_metal(ctx):
    return _melody(ctx, "distortion", (0, 1, 3, 5, 7, 8, 10), 0.7, 2, 0.25, 0.35)


def lead_rock(ctx):
    return _melody(ctx, "overdrive", (0, 3, 5, 7, 10), 0.4, 3, 0.5, 0.4)


def lead_none(ctx):
    return []


# --------------------------------------------------------------------------------------------
# Genre recipes.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """A genre's recipe: tempo range, swing, mode, progression and one pattern per part."""

    tempo: tuple[float, float]
    swing: tuple[float, float]
    minor_prob: float
    progressions: tuple[tuple[int, ...], ...]  # scale degrees (0-6) per bar
    parts: dict[str, Callable]
    part_prob: dict[str, float]  # probability that each part plays
    dominant7: bool = False
    octave: int = 0  # key register offset
    lofi: bool = False


STYLES: dict[str, Style] = {
    "blues": Style(
        (60, 95),
        (0.62, 0.68),
        0.1,
        ((0, 0, 0, 0, 3, 3, 0, 0, 4, 3, 0, 4),),
        {
            "drums": drums_shuffle,
            "bass": bass_boogie,
            "harmony": harmony_blues_piano,
            "lead": lead_blues,
        },
        {"drums": 0.85, "bass": 0.9, "harmony": 0.9, "lead": 0.7},
        dominant7=True,
    ),
    "classical": Style(
        (60, 110),
        (0.5, 0.5),
        0.4,
        ((0, 3, 4, 0), (0, 5, 3, 4), (0, 1, 4, 0), (5, 3, 0, 4)),
        {
            "drums": lead_none,
            "bass": lead_none,
            "harmony": harmony_strings,
            "lead": harmony_arpeggio,
        },
        {"drums": 0, "bass": 0, "harmony": 0.8, "lead": 0.9},
    ),
    "country": Style(
        (90, 135),
        (0.5, 0.55),
        0.05,
        ((0, 0, 3, 4), (0, 3, 0, 4), (0, 4, 0, 3)),
        {
            "drums": drums_boomchick,
            "bass": bass_rootfifth,
            "harmony": harmony_strum,
            "lead": lead_fiddle,
        },
        {"drums": 0.85, "bass": 0.9, "harmony": 0.95, "lead": 0.5},
    ),
    "disco": Style(
        (112, 132),
        (0.5, 0.5),
        0.6,
        ((0, 3), (0, 5, 3, 4), (1, 4)),
        {
            "drums": drums_disco,
            "bass": bass_octave,
            "harmony": harmony_disco_stabs,
            "lead": lead_pop,
        },
        {"drums": 1.0, "bass": 0.9, "harmony": 0.8, "lead": 0.3},
    ),
    "hiphop": Style(
        (78, 98),
        (0.55, 0.62),
        0.7,
        ((0, 0, 5, 5), (0, 3), (0, 5, 3, 4)),
        {
            "drums": drums_boombap,
            "bass": bass_808,
            "harmony": harmony_lofi_keys,
            "lead": lead_none,
        },
        {"drums": 1.0, "bass": 0.85, "harmony": 0.8, "lead": 0},
        lofi=True,
    ),
    "jazz": Style(
        (100, 200),
        (0.6, 0.67),
        0.3,
        ((1, 4, 0, 0), (1, 4, 0, 5), (0, 5, 1, 4)),
        {
            "drums": drums_jazz,
            "bass": bass_walking,
            "harmony": harmony_jazz_comp,
            "lead": lead_jazz,
        },
        {"drums": 0.85, "bass": 0.95, "harmony": 0.9, "lead": 0.6},
        dominant7=True,
    ),
    "metal": Style(
        (140, 210),
        (0.5, 0.5),
        0.9,
        ((0, 0, 5, 6), (0, 1, 0, 5), (0, 6, 5, 4)),
        {
            "drums": drums_metal,
            "bass": bass_metal,
            "harmony": harmony_power,
            "lead": lead_metal,
        },
        {"drums": 0.95, "bass": 0.8, "harmony": 1.0, "lead": 0.4},
        octave=-1,
    ),
    "pop": Style(
        (95, 125),
        (0.5, 0.52),
        0.15,
        ((0, 4, 5, 3), (5, 3, 0, 4), (0, 3, 4, 3)),
        {
            "drums": drums_backbeat,
            "bass": bass_eighths,
            "harmony": harmony_pad,
            "lead": lead_pop,
        },
        {"drums": 0.9, "bass": 0.85, "harmony": 0.9, "lead": 0.8},
    ),
    "reggae": Style(
        (65, 90),
        (0.5, 0.58),
        0.5,
        ((0, 3), (0, 4), (5, 3, 0, 4)),
        {
            "drums": drums_onedrop,
            "bass": bass_reggae,
            "harmony": harmony_skank,
            "lead": lead_none,
        },
        {"drums": 0.95, "bass": 0.95, "harmony": 0.95, "lead": 0},
    ),
    "rock": Style(
        (105, 145),
        (0.5, 0.5),
        0.35,
        ((0, 4, 3, 0), (0, 6, 3, 0), (0, 3, 4, 4)),
        {
            "drums": drums_backbeat,
            "bass": bass_eighths,
            "harmony": harmony_rock,
            "lead": lead_rock,
        },
        {"drums": 0.95, "bass": 0.85, "harmony": 0.95, "lead": 0.5},
    ),
}

NEIGHBOURS = {
    "blues": ("jazz", "rock", "country"),
    "classical": ("jazz",),
    "country": ("rock", "blues", "pop"),
    "disco": ("pop", "hiphop"),
    "hiphop": ("reggae", "pop", "disco"),
    "jazz": ("blues", "classical"),
    "metal": ("rock",),
    "pop": ("rock", "disco", "country"),
    "reggae": ("hiphop", "pop"),
    "rock": ("metal", "pop", "blues", "country"),
}
"""Genres a clip may borrow one part from (the usual confusions of MGR systems on GTZAN)."""

BORROW_PROB = 0.3
"""Probability that a clip takes one of its parts from a neighbouring genre."""


def _progression(
    style: Style, minor: bool, rng: np.random.Generator
) -> list[tuple[int, tuple[int, ...]]]:
    scale = MINOR if minor else MAJOR
    degrees = style.progressions[rng.integers(len(style.progressions))]
    chords = []
    for d in degrees:
        root = scale[d]
        third, fifth = scale[(d + 2) % 7] - root, scale[(d + 4) % 7] - root
        iv = (0, third % 12, fifth % 12)
        if style.dominant7:
            iv = (0, 4, 7, 10)
        chords.append((root, iv))
    return chords


def render(
    genre: str, seed: int = 0, duration: float = 10.0, sr: int = SR
) -> np.ndarray:
    """Render one synthetic clip of ``genre``.

    The same ``(genre, seed, duration, sr)`` always gives the same samples.

    Notebook: ``01_datasets.ipynb``.

    Args:
        genre: One of :data:`mgr_utils.GENRES`.
        seed: The clip's seed: tempo, key, parts, mix, room and noise all follow from it.
        duration: Length in seconds.
        sr: Sample rate in Hz.

    Returns:
        ``y``: float32 mono audio of ``round(duration * sr)`` samples, peak about 0.9.

    Raises:
        ValueError: Unknown genre, or a duration that is not positive.
    """
    if genre not in STYLES:
        raise ValueError(f"unknown genre {genre!r}; choose from {list(GENRES)}")
    if not duration or duration <= 0:
        raise ValueError(f"duration must be positive, got {duration}")
    rng = np.random.default_rng(seed)
    style = STYLES[genre]
    n = int(round(duration * sr))
    minor = bool(rng.random() < style.minor_prob)
    ctx = Context(
        rng=rng,
        sr=sr,
        n=n,
        tempo=float(rng.uniform(*style.tempo)),
        swing=float(rng.uniform(*style.swing)),
        root=int(rng.integers(33, 45)) + 12 * style.octave,
        minor=minor,
        chords=_progression(style, minor, rng),
    )
    parts = dict(style.parts)
    part_prob = dict(style.part_prob)
    if rng.random() < BORROW_PROB:
        other = STYLES[rng.choice(NEIGHBOURS[genre])]
        name = str(rng.choice([p for p in parts if other.part_prob[p] > 0]))
        parts[name], part_prob[name] = other.parts[name], 1.0
    playing = [p for p in parts if rng.random() < part_prob[p]]
    if not any(part_prob[p] and p in playing for p in ("harmony", "lead")):
        playing.append("harmony" if part_prob["harmony"] else "lead")
    start = rng.uniform(
        0, ctx.bar
    )  # clips start anywhere in a bar, as GTZAN's excerpts do
    y = np.zeros(n)
    for p in playing:
        track = _mix_events(parts[p](ctx), n, sr, start)
        level = np.sqrt(np.mean(track**2)) + 1e-9
        y += (
            track
            / level
            * 10 ** (rng.uniform(-6, 3) / 20)
            * (0.7 if p == "drums" else 0.5)
        )
    y = _master(y, ctx, style.lofi)
    return y.astype(np.float32)


def _mix_events(events: list[Event], n: int, sr: int, start: float) -> np.ndarray:
    """Place each event's sound at its time (shifted by ``start``) on a track of ``n`` samples."""
    track = np.zeros(n)
    for t, sound, gain in events:
        i = int(round((t - start) * sr))
        if i >= n or i + len(sound) <= 0:
            continue
        lo = max(0, -i)
        hi = min(len(sound), n - i)
        track[i + lo : i + hi] += gain * sound[lo:hi]
    return track


def _master(y: np.ndarray, ctx: Context, lofi: bool) -> np.ndarray:
    """Room, tone, noise and level: the per-clip 'production' that blurs the genres' edges."""
    rng, sr = ctx.rng, ctx.sr
    # A small room: exponentially decaying noise as impulse response.
    rt = rng.uniform(0.1, 1.2)
    ir_t = np.arange(int(rt * sr)) / sr
    ir = rng.standard_normal(ir_t.size) * np.exp(-ir_t * 6.9 / rt)
    ir[0] = 0
    wet = rng.uniform(0.0, 0.35)
    y = (
        y
        + wet
        * signal.fftconvolve(y, ir / np.sqrt(np.sum(ir**2)), mode="full")[: len(y)]
    )
    # Tone: a random low-pass (dull recordings, lo-fi) and tilt.
    cutoff = (
        rng.uniform(1800, 4000)
        if lofi
        else rng.choice([rng.uniform(3000, 10000), 0.45 * sr])
    )
    y = _lowpass(y, cutoff, sr)
    y = y / (np.sqrt(np.mean(y**2)) + 1e-9)
    # Background noise at a random SNR (tape hiss, crowd, vinyl crackle for lo-fi).
    snr_db = rng.uniform(8, 35)
    noise = rng.standard_normal(len(y))
    if lofi or rng.random() < 0.2:
        noise += 20 * (rng.random(len(y)) < 0.0005) * rng.standard_normal(len(y))
    noise = _lowpass(noise, rng.uniform(2000, 9000), sr)
    y = y + noise / (np.sqrt(np.mean(noise**2)) + 1e-9) * 10 ** (-snr_db / 20)
    return 0.9 * y / (np.max(np.abs(y)) + 1e-9)


# --------------------------------------------------------------------------------------------
# Model signals: one chord of one instrument (chapter 9's invariance study). Appended; the clips
# above do not depend on anything below.
# --------------------------------------------------------------------------------------------

CHORD_TYPES: dict[str, tuple[int, ...]] = {
    "fifth": (0, 7),
    "major": (0, 4, 7),
    "minor": (0, 3, 7),
    "sus4": (0, 5, 7),
    "dim": (0, 3, 6),
    "maj7": (0, 4, 7, 11),
    "dom7": (0, 4, 7, 10),
    "min7": (0, 3, 7, 10),
}
"""Eight chord types as semitones above the root, for :func:`render_chord`.

Choi et al.'s model signals used eight chord types; their templates' names mention intervals,
major, minor, sus4, major 7th, 7th, minor and diminished chords. This list is our reading.

Notebook: ``09_auralisation.ipynb``.
"""

CHORD_KEYS: dict[str, int] = {"Eb2": 39, "Bb2": 46, "A3": 57, "G4": 67}
"""The four roots of Choi et al.'s model signals (MIDI note numbers; C4 = 60).

Notebook: ``09_auralisation.ipynb``.
"""

CHORD_INSTRUMENTS = ("sine", "piano", "pluck", "overdrive", "lead", "strings", "organ")
"""Seven instruments for :func:`render_chord`: a pure sine and six of the generator's instruments.

Choi et al.'s templates used a sine, a piano, acoustic and electric guitars, a saxophone and
strings (seven instruments in the paper). Here ``pluck`` stands in for the acoustic guitar,
``overdrive`` for the electric one, ``lead`` (a square-ish synthesiser) for the saxophone; ``organ``
is the seventh. All are additive caricatures, not recordings.

Notebook: ``09_auralisation.ipynb``.
"""


def render_chord(
    instrument: str,
    root: int | str,
    chord: str | tuple[int, ...],
    duration: float = 4.0,
    sr: int = SR,
    strikes: int = 2,
) -> np.ndarray:
    """One chord of one instrument, struck ``strikes`` times over ``duration``: a model signal.

    Each strike starts at ``k * duration / strikes`` and lasts 90 % of that span; the notes are the
    synthetic genre set's instruments (:func:`render`'s), summed and scaled to a peak of 0.9. The
    same arguments always give the same samples (nothing here is random).

    Notebook: ``09_auralisation.ipynb``.

    Args:
        instrument: ``"sine"`` or one of the generator's instruments (:data:`CHORD_INSTRUMENTS`
            lists seven).
        root: MIDI note of the chord's root, or a name of :data:`CHORD_KEYS` (``"A3"``).
        chord: A name of :data:`CHORD_TYPES`, or semitones above the root.
        duration: Length in seconds.
        sr: Sample rate in Hz.
        strikes: How many times the chord is played.

    Returns:
        float32 mono audio of ``round(duration * sr)`` samples.

    Raises:
        ValueError: An unknown instrument, key or chord, a duration that is not positive, or
            ``strikes`` below 1.
    """
    if isinstance(root, str):
        if root not in CHORD_KEYS:
            raise ValueError(
                f"unknown key {root!r}; use a MIDI note or one of {list(CHORD_KEYS)}"
            )
        root = CHORD_KEYS[root]
    if isinstance(chord, str):
        if chord not in CHORD_TYPES:
            raise ValueError(
                f"unknown chord {chord!r}; use semitones or one of {list(CHORD_TYPES)}"
            )
        chord = CHORD_TYPES[chord]
    if not duration or duration <= 0:
        raise ValueError(f"duration must be positive, got {duration}")
    if int(strikes) < 1:
        raise ValueError(f"strikes must be at least 1, got {strikes}")
    n = round(duration * sr)
    ctx = Context(
        rng=np.random.default_rng(0),
        sr=sr,
        n=n,
        tempo=120.0,
        swing=0.5,
        root=int(root),
        minor=False,
        chords=[(0, tuple(chord))],
    )
    span = duration / int(strikes)
    note_dur = 0.9 * span
    notes = []
    for interval in chord:
        midi = int(root) + int(interval)
        if instrument == "sine":
            m = int(note_dur * sr)
            tone = _harmonics(_hz(midi), note_dur, sr, [1.0]) * _env(m, sr, 0.01, 10.0)
            notes.append(tone * np.clip((note_dur - np.arange(m) / sr) / 0.05, 0, 1))
        else:
            try:
                notes.append(_instrument(instrument, midi, note_dur, ctx))
            except ValueError:
                raise ValueError(
                    f"unknown instrument {instrument!r}; use 'sine' or one of "
                    f"{list(CHORD_INSTRUMENTS)[1:]} (or another instrument of the generator)"
                ) from None
    strike = np.sum(notes, axis=0)
    events = [(k * span, strike, 1.0) for k in range(int(strikes))]
    y = _mix_events(events, n, sr, 0.0)
    return (0.9 * y / (np.max(np.abs(y)) + 1e-9)).astype(np.float32)
