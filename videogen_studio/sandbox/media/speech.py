"""Speech for text-to-speech executions: espeak-ng when installed, a synthetic voice otherwise, as MP3."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import tempfile
import wave
import zlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from videogen_studio.sandbox.media.files import render_target

ESPEAK_COMMAND: str | None = "espeak-ng"
"""Executable used for intelligible speech; None forces the synthetic voice (tests, CI without espeak)."""

_FALLBACK_RATE = 22050
_CHARS_PER_SECOND = 14.0
_MIN_SPEECH_SECONDS = 0.5
_ESPEAK_WPM = 175  # espeak-ng's own default rate, i.e. speed 1.0

# ---------------------------------------------------------------------------------------------
# speech
# ---------------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"[^\W_]+|[.!?]+|[,;:]+|\s+|.", re.UNICODE)
_VOWEL_RE = re.compile(r"[aeiouyàáâäãåæéèêëíìîïóòôöõøœúùûü]+")
_VOWEL_FORMANTS: dict[str, tuple[float, float]] = {
    "a": (730.0, 1090.0),
    "e": (530.0, 1840.0),
    "i": (300.0, 2250.0),
    "o": (570.0, 840.0),
    "u": (320.0, 870.0),
    "y": (300.0, 2000.0),
}


def _syllable(
    dur: float, f0: float, f0_end: float, vowel: str, rng: np.random.Generator, consonant: bool
) -> np.ndarray:
    """One voiced burst: harmonics shaped by two vowel formants under a smooth envelope."""
    sr = _FALLBACK_RATE
    n = max(1, int(dur * sr))
    voiced = max(1, int(n * 0.8))
    t = np.arange(voiced, dtype=np.float64) / sr
    f = np.linspace(f0, f0_end, voiced)
    f *= 1.0 + 0.01 * np.sin(2 * np.pi * 5.5 * t)  # a touch of vibrato so it is not a dial tone
    phase = 2 * np.pi * np.cumsum(f) / sr
    f1, f2 = _VOWEL_FORMANTS.get(vowel, _VOWEL_FORMANTS["a"])
    sig = np.zeros(voiced)
    mean_f0 = (f0 + f0_end) / 2
    for k in range(1, 30):
        fk = k * mean_f0
        if fk > 5000:
            break
        amp = (1.0 / k**0.6) * (
            1.0 / (1 + ((fk - f1) / 130) ** 2) + 0.6 / (1 + ((fk - f2) / 180) ** 2) + 0.04
        )
        sig += amp * np.sin(k * phase)
    attack = min(voiced, max(1, int(0.03 * sr)))
    env = np.ones(voiced)
    env[:attack] = np.linspace(0.0, 1.0, attack)
    env *= np.sin(np.linspace(0, np.pi, voiced)) ** 0.5
    out = np.zeros(n)
    out[:voiced] = sig * env
    if consonant:
        # Short fricative-like noise at the onset: differentiated noise is brighter, like /s/ or /t/.
        m = min(n, int(0.045 * sr))
        noise = np.diff(rng.standard_normal(m + 1)) * np.exp(-np.linspace(0, 5, m))
        out[:m] += 0.25 * noise
    return out


def _synthetic_speech(text: str, speed: float, pitch: int) -> np.ndarray:
    """Speech-like float32 mono signal at _FALLBACK_RATE whose length follows text and speed."""
    sr = _FALLBACK_RATE
    char = 1.0 / (_CHARS_PER_SECOND * speed)
    rng = np.random.default_rng(zlib.crc32(text.encode("utf-8")))
    base_f0 = 85.0 + 1.5 * max(0, min(99, pitch))
    parts: list[np.ndarray] = [np.zeros(int(0.08 * sr))]
    tokens = _TOKEN_RE.findall(text)
    if not any(tok[0].isalnum() for tok in tokens):
        tokens = ["ah", *tokens]  # never silent: even punctuation-only text gets one syllable
    sentence_pos = 0
    for i, tok in enumerate(tokens):
        if tok[0].isalnum():
            low = tok.lower()
            vowels = _VOWEL_RE.findall(low)
            n_syl = min(len(tok), len(vowels)) if vowels else max(1, math.ceil(len(tok) / 2.5))
            n_syl = max(1, n_syl)
            dur = max(len(tok) * char, 0.12 / speed)
            question = i + 1 < len(tokens) and tokens[i + 1].startswith("?")
            for s in range(n_syl):
                # Declination: pitch drifts down through a sentence and resets after it.
                decl = max(0.82, 1.12 - 0.025 * sentence_pos)
                f0 = base_f0 * decl * float(rng.uniform(0.93, 1.07))
                f_end = f0 * (1.15 if question and s == n_syl - 1 else float(rng.uniform(0.9, 1.0)))
                v = vowels[s][0] if s < len(vowels) else "aeiou"[int(rng.integers(5))]
                v = v if v in _VOWEL_FORMANTS else "a"
                parts.append(_syllable(dur / n_syl, f0, f_end, v, rng, consonant=bool(rng.random() < 0.6)))
                sentence_pos += 1
        elif tok[0] in ".!?":
            parts.append(np.zeros(int(0.3 / speed * sr)))
            sentence_pos = 0
        elif tok[0] in ",;:":
            parts.append(np.zeros(int(0.15 / speed * sr)))
        else:
            parts.append(np.zeros(int(len(tok) * char * sr)))
    parts.append(np.zeros(int(0.12 * sr)))
    sig = np.concatenate(parts)
    if len(sig) < int(_MIN_SPEECH_SECONDS * sr):
        sig = np.concatenate([sig, np.zeros(int(_MIN_SPEECH_SECONDS * sr) - len(sig))])
    peak = float(np.max(np.abs(sig))) or 1.0
    return (sig / peak * 0.7).astype(np.float32)


def _espeak_binary() -> str | None:
    return shutil.which(ESPEAK_COMMAND) if ESPEAK_COMMAND else None


_VOICE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_+\-]*$")


def _espeak_voices(voice: str, language: str | None) -> list[str]:
    """Voices to try in order: the requested one (retargeted to language) then plain en-us."""
    voice = voice.strip() if _VOICE_RE.match(voice.strip() or "-") else "en-us"
    base, plus, variant = voice.partition("+")
    if language:
        lang = language.strip().lower().replace("_", "-")
        if _VOICE_RE.match(lang or "-") and base.split("-")[0].lower() != lang.split("-")[0]:
            voice = lang + plus + variant
    out = [voice]
    if voice != "en-us":
        out.append("en-us")
    return out


def _run_espeak(
    exe: str, text: str, speed: float, voice: str, language: str | None, pitch: int
) -> np.ndarray | None:
    """Speech from espeak-ng as float32 mono at _FALLBACK_RATE, or None if every attempt failed."""
    wpm = max(80, min(500, round(_ESPEAK_WPM * speed)))
    pitch = max(0, min(99, pitch))
    with tempfile.TemporaryDirectory(prefix="videogen-tts-") as tmp:
        wav_path = Path(tmp) / "speech.wav"
        for v in _espeak_voices(voice, language):
            cmd = [exe, "-v", v, "-s", str(wpm), "-p", str(pitch), "-b", "1", "-w", str(wav_path), "--stdin"]
            try:
                # Text goes through stdin: nothing is shell-parsed and a leading "-" is not an option.
                subprocess.run(
                    cmd,
                    input=text.encode("utf-8"),
                    capture_output=True,
                    timeout=30 + len(text) / 50,
                    check=True,
                )
                with wave.open(str(wav_path), "rb") as wf:
                    rate, width, channels = wf.getframerate(), wf.getsampwidth(), wf.getnchannels()
                    raw = wf.readframes(wf.getnframes())
            except (OSError, subprocess.SubprocessError, wave.Error, EOFError):
                continue
            if width != 2 or not raw:
                continue
            pcm = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
            if channels > 1:
                pcm = pcm.reshape(-1, channels).mean(axis=1)
            if pcm.size and float(np.max(np.abs(pcm))) > 1e-3:
                return _with_rate(pcm, rate)
    return None


def _with_rate(pcm: np.ndarray, rate: int) -> np.ndarray:
    # espeak-ng always speaks at 22050 Hz; anything else would need resampling before MP3 encoding.
    if rate == _FALLBACK_RATE:
        return pcm
    n = round(len(pcm) * _FALLBACK_RATE / rate)
    return np.interp(np.linspace(0, len(pcm) - 1, n), np.arange(len(pcm)), pcm).astype(np.float32)


def _write_mp3(samples: np.ndarray, rate: int, out_path: Path) -> None:
    with render_target(out_path) as tmp, av.open(str(tmp), "w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=rate, layout="mono", bit_rate=64000)
        chunk = 1152 * 8
        for start in range(0, len(samples), chunk):
            frame = av.AudioFrame.from_ndarray(
                samples[None, start : start + chunk], format="fltp", layout="mono"
            )
            frame.sample_rate = rate
            frame.pts = start
            frame.time_base = Fraction(1, rate)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def synthesize_speech(
    text: str,
    out_path: Path,
    *,
    speed: float = 1.0,
    language: str | None = None,
    voice: str = "en-us",
    pitch: int = 50,
) -> float:
    """Write spoken text as mono MP3 at out_path (atomically); returns its duration in seconds."""
    if not math.isfinite(speed) or speed <= 0:
        raise ValueError(f"speed must be a positive number, not {speed!r}")
    speed = min(max(speed, 0.25), 4.0)
    samples: np.ndarray | None = None
    exe = _espeak_binary()
    if exe and text.strip():
        samples = _run_espeak(exe, text, speed, voice, language, pitch)
    if samples is None:
        samples = _synthetic_speech(text, speed, pitch)
    min_len = int(_MIN_SPEECH_SECONDS * _FALLBACK_RATE)
    if len(samples) < min_len:
        samples = np.concatenate([samples, np.zeros(min_len - len(samples), dtype=np.float32)])
    _write_mp3(samples, _FALLBACK_RATE, Path(out_path))
    return len(samples) / _FALLBACK_RATE
