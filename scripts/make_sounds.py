"""Writes the console's alert tones (resources/sounds/*.wav): short, distinct, generated, so no licence
question arises. Run once; the files are shipped. `python scripts/make_sounds.py`."""
from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

RATE = 22_050
OUT = Path(__file__).resolve().parent.parent / "resources" / "sounds"

# kind -> the tones (Hz, seconds) played one after another; a rest is 0 Hz
TONES = {
    "link_lost": [(880, 0.18), (0, 0.05), (660, 0.18), (0, 0.05), (440, 0.35)],   # falling: something went
    "link_back": [(440, 0.12), (0, 0.03), (660, 0.12), (0, 0.03), (880, 0.2)],     # rising: it is back
    "high_priority": [(988, 0.12), (0, 0.06), (988, 0.12), (0, 0.06), (988, 0.12)],
    "overdue": [(740, 0.3), (0, 0.1), (740, 0.3)],
}


def tone(freq: float, seconds: float) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    if freq == 0:
        return np.zeros_like(t)
    envelope = np.minimum(1.0, np.minimum(t, seconds - t) / 0.01)  # 10 ms ramps: no clicks
    return 0.6 * envelope * np.sin(2 * np.pi * freq * t)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for kind, parts in TONES.items():
        samples = np.concatenate([tone(f, s) for f, s in parts])
        with wave.open(str(OUT / f"{kind}.wav"), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes((samples * 32767).astype("<i2").tobytes())


if __name__ == "__main__":
    main()
