"""Local music library and player core (no rclpy).

``Library.scan(folder)`` reads every audio file soundfile can decode (WAV, FLAC, OGG
Vorbis/Opus, MP3) with its tags read by mutagen (title, artist, album, genre, mood;
the file name when a tag is missing). ``search`` matches a spoken query against
titles, artists, albums, genres and moods (rapidfuzz, every word must match one of
them), so "jazz", "Miles Davis", "something calm" each pick their tracks.

``MusicPlayer`` holds the queue, the position and the output gain and renders the
next block of samples (mono float32 at the output rate, resampled with soxr while
decoding): amplitude = volume / 100, times ``duck_gain`` while the assistant speaks.
Paused keeps the position, so "play" resumes where it stopped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
from rapidfuzz import fuzz

from glasses_agent.backends.base import BackendError

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3")
FILLER = re.compile(r"\b(?:some|something|a bit of|a little|music|songs?|tracks?|by|the|me|please|play)\b|"
                    r"(?:放点|来点|播放|听|一首|一些|的|歌曲?|音乐|吧)")
# Chinese genre / mood words -> the English tag values most libraries carry
ZH_TAGS = {"爵士乐": "jazz", "爵士": "jazz", "古典": "classical", "摇滚": "rock", "流行": "pop", "电子": "electronic", "民谣": "folk",
           "说唱": "hip hop", "轻松": "calm", "放松": "calm", "安静": "calm", "舒缓": "calm", "欢快": "happy",
           "快乐": "happy", "活力": "energetic", "动感": "energetic", "伤感": "sad"}  # fmt: skip


class MusicError(BackendError):
    """A music command refused (empty library, no match, nothing playing) or a file undecodable."""


@dataclass
class Track:
    path: str
    title: str
    artist: str = ""
    album: str = ""
    genre: str = ""
    mood: str = ""
    duration_s: float = 0.0

    def fields(self) -> list[str]:
        return [f.lower() for f in (self.title, self.artist, self.album, self.genre, self.mood) if f]


def _tag(tags, key: str) -> str:
    try:
        value = tags.get(key) if tags is not None else None
    except (KeyError, ValueError):
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip() if value else ""


def read_track(path: Path) -> Track:
    """Tags and duration of one file; MusicError if soundfile cannot decode it."""
    import mutagen

    try:
        info = sf.info(str(path))
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise MusicError("undecodable", f"{path.name}: {exc}") from None
    try:
        tags = mutagen.File(str(path), easy=True)
    except Exception:  # mutagen raises many kinds on a damaged header; the audio may still play
        tags = None
    return Track(str(path), _tag(tags, "title") or path.stem.replace("_", " "), _tag(tags, "artist"),
                 _tag(tags, "album"), _tag(tags, "genre"), _tag(tags, "mood"), float(info.duration))  # fmt: skip


class Library:
    def __init__(self, tracks: list[Track] | None = None):
        self.tracks = tracks or []
        self.skipped: list[str] = []

    @classmethod
    def scan(cls, folder: str | Path) -> Library:
        lib = cls()
        root = Path(folder).expanduser()
        if not root.is_dir():
            return lib
        for path in sorted(p for p in root.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES):
            try:
                lib.tracks.append(read_track(path))
            except MusicError as exc:
                lib.skipped.append(str(exc))
        return lib

    def search(self, query: str | None, min_score: float = 85.0) -> list[int]:
        """Indices of the tracks a query asks for, best first; the whole library for no query."""
        text = (query or "").lower()
        for zh, en in ZH_TAGS.items():
            text = text.replace(zh, f" {en} ")
        words = FILLER.sub(" ", text).split()
        if not words:
            return list(range(len(self.tracks)))
        phrase = " ".join(words)
        scored = []
        for k, track in enumerate(self.tracks):
            fields = track.fields()
            whole = max((fuzz.ratio(phrase, f) for f in fields), default=0.0)
            every_word = all(max((fuzz.partial_ratio(w, f) for f in fields), default=0.0) >= min_score for w in words)
            if whole >= min_score or every_word:
                scored.append((-(whole if whole >= min_score else 50.0), k))
        return [k for _, k in sorted(scored)]


class _Decoder:
    """Streams one file as mono float32 at the output rate."""

    def __init__(self, path: str, rate: int):
        self.file = sf.SoundFile(path)
        self.resampler = soxr.ResampleStream(self.file.samplerate, rate, 1, dtype="float32") if self.file.samplerate != rate else None
        self.pending = np.zeros(0, np.float32)
        self.done = False

    def read(self, n: int) -> np.ndarray:
        while len(self.pending) < n and not self.done:
            block = self.file.read(4096, dtype="float32", always_2d=True)
            last = len(block) < 4096
            mono = block.mean(axis=1).astype(np.float32) if len(block) else np.zeros(0, np.float32)
            if self.resampler is not None:
                mono = self.resampler.resample_chunk(mono, last=last)
            self.pending = np.concatenate([self.pending, mono])
            self.done = last
        out, self.pending = self.pending[:n], self.pending[n:]
        return out

    def seek_samples(self, n_out: int, rate: int) -> None:
        self.file.seek(min(self.file.frames, int(n_out * self.file.samplerate / rate)))

    def close(self) -> None:
        self.file.close()


class MusicPlayer:
    def __init__(self, library: Library, rate: int = 22050, volume: int = 60, duck_gain: float = 0.25):
        self.library = library
        self.rate = rate
        self.volume = int(volume)
        self.duck_gain = duck_gain
        self.ducked_by: set[str] = set()  # reasons: speech, call
        self.queue: list[int] = []
        self.position = -1  # index into queue
        self.state = "stopped"  # playing, paused, stopped
        self.played_samples = 0  # of the current track
        self._decoder: _Decoder | None = None

    @property
    def track(self) -> Track | None:
        if 0 <= self.position < len(self.queue):
            return self.library.tracks[self.queue[self.position]]
        return None

    @property
    def gain(self) -> float:
        return (self.volume / 100.0) * (self.duck_gain if self.ducked_by else 1.0)

    # -- commands -----------------------------------------------------------------------

    def play(self, query: str | None = None) -> Track:
        """Queue what the query asks for and play it; no query while paused resumes."""
        if not query and self.state == "paused" and self.track is not None:
            self.state = "playing"
            return self.track
        if not self.library.tracks:
            raise MusicError("empty_library")
        found = self.library.search(query)
        if not found:
            raise MusicError("no_match", query or "")
        self.queue, self.position = found, 0
        self._open()
        self.state = "playing"
        return self.track

    def pause(self) -> None:
        if self.state != "playing":
            raise MusicError("not_playing")
        self.state = "paused"

    def next(self) -> Track | None:
        if self.track is None:
            raise MusicError("not_playing")
        self.position += 1
        if self.position >= len(self.queue):
            self.stop()
            return None
        self._open()
        self.state = "playing"
        return self.track

    def set_volume(self, level: int) -> int:
        self.volume = int(min(100, max(0, level)))
        return self.volume

    def duck(self, reason: str, on: bool) -> None:
        (self.ducked_by.add if on else self.ducked_by.discard)(reason)

    def stop(self) -> None:
        self.state = "stopped"
        self.position = len(self.queue)
        if self._decoder is not None:
            self._decoder.close()
            self._decoder = None

    # -- audio --------------------------------------------------------------------------

    def render(self, n: int) -> tuple[np.ndarray, list[str]]:
        """The next ``n`` samples (empty while not playing) and the events of the block ("next", "ended")."""
        if self.state != "playing" or self._decoder is None:
            return np.zeros(0, np.float32), []
        out, events = [], []
        need = n
        while need > 0 and self._decoder is not None:
            block = self._decoder.read(need)
            out.append(block)
            need -= len(block)
            self.played_samples += len(block)
            if need > 0:  # the track ended inside this block
                if self.next() is None:
                    events.append("ended")
                    break
                events.append("next")
        samples = np.concatenate(out) if out else np.zeros(0, np.float32)
        return (samples * self.gain).astype(np.float32), events

    def _open(self) -> None:
        if self._decoder is not None:
            self._decoder.close()
        self._decoder = _Decoder(self.track.path, self.rate)
        self.played_samples = 0
