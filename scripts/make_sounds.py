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
    # an alarm from a device: a two-tone siren, unlike any incident tone
    "alarm": [(1175, 0.15), (880, 0.15), (1175, 0.15), (880, 0.15)],
    # an alarm nobody acknowledged: the siren again, longer and louder (AMPLITUDE)
    "alarm_overdue": [(1319, 0.15), (988, 0.15), (1319, 0.15), (988, 0.15), (1319, 0.15), (988, 0.25)],
}
AMPLITUDE = {"alarm_overdue": 0.95}  # the others 0.6


def tone(freq: float, seconds: float, amplitude: float = 0.6) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    if freq == 0:
        return np.zeros_like(t)
    envelope = np.minimum(1.0, np.minimum(t, seconds - t) / 0.01)  # 10 ms ramps: no clicks
    return amplitude * envelope * np.sin(2 * np.pi * freq * t)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for kind, parts in TONES.items():
        samples = np.concatenate([tone(f, s, AMPLITUDE.get(kind, 0.6)) for f, s in parts])
        with wave.open(str(OUT / f"{kind}.wav"), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes((samples * 32767).astype("<i2").tobytes())


if __name__ == "__main__":
    main()
