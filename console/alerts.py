"""Alerts a dispatcher must not miss: a tone and a visual signal for the link dropping and coming back, a
new high-priority incident, an incident going overdue, an alarm raised and an alarm left unacknowledged.
The volume is a per-user setting."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtMultimedia import QSoundEffect

SOUNDS_DIR = Path(__file__).resolve().parent.parent / "resources" / "sounds"
KINDS = ("link_lost", "link_back", "high_priority", "overdue", "alarm", "alarm_overdue")
# Played louder than the chosen volume (its .wav is louder too): an alarm nobody acknowledged.
LOUDER = {"alarm_overdue": 1.6}


class Alerts(QObject):
    alerted = Signal(str)  # the kind: the window flashes what it concerns

    def __init__(self, volume: float, parent=None):
        super().__init__(parent)
        self.effects: dict[str, QSoundEffect] = {}
        for kind in KINDS:
            effect = QSoundEffect(self)
            effect.setSource(QUrl.fromLocalFile(str(SOUNDS_DIR / f"{kind}.wav")))
            self.effects[kind] = effect
        self.set_volume(volume)

    def set_volume(self, volume: float) -> None:
        """0 (silent) to 1."""
        self.volume = min(1.0, max(0.0, volume))
        for kind, effect in self.effects.items():
            effect.setVolume(min(1.0, self.volume * LOUDER.get(kind, 1.0)))

    def alert(self, kind: str) -> None:
        # A machine without a sound device plays nothing; the visual signal still goes out.
        if self.volume > 0:
            self.effects[kind].play()
        self.alerted.emit(kind)
