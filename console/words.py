"""Words that come from data (statuses, roles, incident and alarm kinds), marked for translation and looked up at run time."""
from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

_MARKED = (
    QT_TRANSLATE_NOOP("words", "available"), QT_TRANSLATE_NOOP("words", "dispatched"),
    QT_TRANSLATE_NOOP("words", "enroute"), QT_TRANSLATE_NOOP("words", "onscene"),
    QT_TRANSLATE_NOOP("words", "busy"), QT_TRANSLATE_NOOP("words", "offduty"),
    QT_TRANSLATE_NOOP("words", "new"), QT_TRANSLATE_NOOP("words", "closed"),
    QT_TRANSLATE_NOOP("words", "viewer"), QT_TRANSLATE_NOOP("words", "dispatcher"),
    QT_TRANSLATE_NOOP("words", "supervisor"), QT_TRANSLATE_NOOP("words", "feed"),
    QT_TRANSLATE_NOOP("words", "trainer"),
    QT_TRANSLATE_NOOP("words", "theft"), QT_TRANSLATE_NOOP("words", "burglary"),
    QT_TRANSLATE_NOOP("words", "robbery"), QT_TRANSLATE_NOOP("words", "assault"),
    QT_TRANSLATE_NOOP("words", "fight"), QT_TRANSLATE_NOOP("words", "traffic accident"),
    QT_TRANSLATE_NOOP("words", "fire"), QT_TRANSLATE_NOOP("words", "medical"),
    QT_TRANSLATE_NOOP("words", "disturbance"), QT_TRANSLATE_NOOP("words", "suspicious person"),
    QT_TRANSLATE_NOOP("words", "missing person"), QT_TRANSLATE_NOOP("words", "domestic"),
    # an incident made from an alarm, and the kinds of alarm a device raises
    QT_TRANSLATE_NOOP("words", "alarm"), QT_TRANSLATE_NOOP("words", "panic"), QT_TRANSLATE_NOOP("words", "audio"),
    QT_TRANSLATE_NOOP("words", "text"), QT_TRANSLATE_NOOP("words", "video"), QT_TRANSLATE_NOOP("words", "intrusion"),
    # the kinds of perimeter sensor whose alert is an alarm (sensor.alert)
    QT_TRANSLATE_NOOP("words", "radar"), QT_TRANSLATE_NOOP("words", "infrared"), QT_TRANSLATE_NOOP("words", "fence"),
    QT_TRANSLATE_NOOP("words", "vibration"),
)


def word(text: str) -> str:
    """The current language's word for a status, role or incident kind (unknown words pass through)."""
    return QCoreApplication.translate("words", text)
