"""Spoken calls for the displays, made on this machine: a chime, then Vietnamese speech.

Speech comes from eSpeak NG (its library and voice data ship in the `espeakng-loader` wheel,
so nothing is fetched at run time and no cloud service is involved). The number is read letter
by letter and digit by digit, as callers do in a hall ("A, không, một, năm"), which is easier
to catch than "A mười lăm" over noise. The chime is synthesised here too: two soft tones.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import io
import logging
import math
import os
import re
import struct
import threading
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

RATE = 22050
NUMBER = re.compile(r"^[A-Z][0-9]{3,4}$")
DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
#: How Vietnamese callers name the letters.
LETTERS = {
    "A": "a", "B": "bê", "C": "xê", "D": "dê", "E": "e", "F": "ép", "G": "giê", "H": "hát",
    "I": "i", "J": "gi", "K": "ca", "L": "e lờ", "M": "em mờ", "N": "en nờ", "O": "o",
    "P": "pê", "Q": "quy", "R": "e rờ", "S": "ét xì", "T": "tê", "U": "u", "V": "vê",
    "W": "vê kép", "X": "ích xì", "Y": "i dài", "Z": "dét",
}  # fmt: skip


def announcement_text(number: str, counter_number: int | str) -> str:
    """What the display shows: "Mời công dân có số A015 đến quầy số 3". The display page
    gets it with `{number}` and `{counter}` in their places and fills them in for each call."""
    return f"Mời công dân có số {number} đến quầy số {counter_number}"


def spoken_text(number: str, counter_number: int) -> str:
    """What the voice says, with the number spelt out for the ear."""
    letter, digits = number[0], number[1:]
    said = ", ".join([LETTERS.get(letter, letter)] + [DIGITS[int(d)] for d in digits])
    return f"Mời công dân có số, {said}, đến quầy số {counter_number}."


class _Espeak:
    """The eSpeak NG library through ctypes; one synthesis at a time (it is not reentrant)."""

    def __init__(self) -> None:
        import espeakng_loader

        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.lib.espeak_Initialize.restype = ctypes.c_int
        # AUDIO_OUTPUT_SYNCHRONOUS = 2: samples come to our callback before Synth returns.
        rate = self.lib.espeak_Initialize(2, 0, espeakng_loader.get_data_path().encode(), 0)
        if rate <= 0:
            raise OSError("eSpeak NG did not start")
        self.rate = rate
        self.chunks: list[bytes] = []
        callback_type = ctypes.CFUNCTYPE(
            ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
        )
        self._callback = callback_type(self._collect)
        self.lib.espeak_SetSynthCallback(self._callback)
        if self.lib.espeak_SetVoiceByName(b"vi") != 0:
            raise OSError("eSpeak NG has no Vietnamese voice")
        self.lib.espeak_SetParameter(1, 150, 0)  # espeakRATE: words per minute, unhurried
        self.lock = threading.Lock()

    def _collect(self, wav: Any, count: int, _events: Any) -> int:
        if wav and count > 0:
            self.chunks.append(ctypes.string_at(wav, count * 2))
        return 0

    def pcm(self, text: str) -> bytes:
        data = text.encode("utf-8") + b"\0"
        with self.lock:
            self.chunks = []
            # espeakCHARS_UTF8 = 1; POS_CHARACTER = 1
            err = self.lib.espeak_Synth(data, len(data), 0, 1, 0, 1, None, None)
            if err != 0:
                raise OSError(f"eSpeak NG error {err}")
            return b"".join(self.chunks)


@functools.cache
def _engine() -> _Espeak | None:
    try:
        return _Espeak()
    except (ImportError, OSError) as exc:
        log.warning("Vietnamese speech unavailable, displays will chime only: %s", exc)
        return None


def _tone(freq: float, seconds: float, rate: int, volume: float = 0.35) -> bytes:
    n = int(seconds * rate)
    out = bytearray()
    for i in range(n):
        # A bell-like tone: quick attack, exponential decay, a soft octave above.
        t = i / rate
        env = min(1.0, t / 0.01) * math.exp(-3.5 * t)
        s = math.sin(2 * math.pi * freq * t) + 0.3 * math.sin(4 * math.pi * freq * t)
        out += struct.pack("<h", int(32767 * volume * env * s / 1.3))
    return bytes(out)


@functools.cache
def chime_pcm(rate: int = RATE) -> bytes:
    """Ding-dong: E6 then C6, 0.6 s each."""
    return _tone(1318.5, 0.6, rate) + _tone(1046.5, 0.9, rate)


def _silence(seconds: float, rate: int) -> bytes:
    return b"\0\0" * int(seconds * rate)


def _wav(pcm: bytes, rate: int) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return buf.getvalue()


@functools.lru_cache(maxsize=512)
def announcement_wav(number: str, counter_number: int) -> bytes:
    """A WAV file: the chime, a breath, then the call in Vietnamese (the chime alone when no
    speech engine could start). ValueError for anything that is not a ticket number."""
    if not NUMBER.match(number) or not 0 < counter_number < 1000:
        raise ValueError("not a ticket number and counter")
    engine = _engine()
    rate = engine.rate if engine else RATE
    pcm = chime_pcm(rate) + _silence(0.25, rate)
    if engine is not None:
        pcm += engine.pcm(spoken_text(number, counter_number)) + _silence(0.3, rate)
    return _wav(pcm, rate)


# ---- read-aloud on the kiosk: any short Vietnamese text, cached as WAV files keyed by text

#: Longest text the kiosk asks to be read at once (a heading and its instructions).
MAX_SPOKEN_CHARS = 600
#: Most files kept in the cache; the oldest go first beyond it.
CACHE_FILES = 4000
_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_TICKET = re.compile(r"\b([A-Z])(\d{3,4})\b")
_LONG_DIGITS = re.compile(r"\b0\d+|\d{5,}")


def speakable(text: str) -> str:
    """Text as a caller says it: dates as "ngày 12 tháng 3 năm 2026", a ticket number letter
    by letter and digit by digit, long numbers and those with leading zeros (a dossier's code)
    digit by digit; NFC, one line."""
    import unicodedata

    text = " ".join(unicodedata.normalize("NFC", text).split())
    text = _DATE.sub(
        lambda m: f"ngày {int(m[1])} tháng {int(m[2])} năm {m[3]}",
        text,
    )
    text = _TICKET.sub(
        lambda m: ", ".join([LETTERS.get(m[1], m[1])] + [DIGITS[int(d)] for d in m[2]]), text
    )
    return _LONG_DIGITS.sub(lambda m: " ".join(DIGITS[int(d)] for d in m[0]), text)


class SpeechUnavailable(RuntimeError):
    """No speech engine on this machine (the kiosk then stays silent, its text on screen)."""


class SpeechRefused(RuntimeError):
    """Too many new texts to speak from one client: eSpeak NG is not run for it now."""


def speech_wav(
    text: str, cache_dir: Path, allow: Callable[[], bool] | None = None
) -> tuple[bytes, bool]:
    """`text` spoken in Vietnamese as WAV bytes, and whether they came from the cache.

    The cache is a folder of WAV files named by the SHA-256 of the spoken text, written
    atomically, so a kiosk says each screen's words once through eSpeak NG and then from disk.
    Only a text not in the cache costs eSpeak NG's work: `allow` is asked then (the caller's
    rate limit), and SpeechRefused raised when it says no. ValueError for empty or overlong
    text; SpeechUnavailable without an engine."""
    said = speakable(text)
    if not said or len(said) > MAX_SPOKEN_CHARS:
        raise ValueError("nothing to say, or too much at once")
    key = hashlib.sha256(f"vi|150|{said}".encode()).hexdigest()
    path = cache_dir / f"{key}.wav"
    try:
        return path.read_bytes(), True
    except FileNotFoundError:
        pass
    engine = _engine()
    if engine is None:
        raise SpeechUnavailable("eSpeak NG is not available")
    if allow is not None and not allow():
        raise SpeechRefused("too many new texts to speak")
    wav = _wav(engine.pcm(said) + _silence(0.2, engine.rate), engine.rate)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(wav)
    os.replace(tmp, path)
    _prune(cache_dir)
    return wav, False


def _prune(cache_dir: Path) -> None:
    files = sorted(cache_dir.glob("*.wav"), key=lambda p: p.stat().st_mtime)
    for old in files[: max(0, len(files) - CACHE_FILES)]:
        old.unlink(missing_ok=True)
