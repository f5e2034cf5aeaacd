"""Languages: Simplified Chinese and English through Qt's translation system."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

I18N_DIR = Path(__file__).resolve().parent.parent / "resources" / "i18n"
LANGUAGES = ("en", "zh_CN")


def resolve(code: str | None) -> str:
    """"system" (or None) follows the system locale; anything Chinese is zh_CN; else English."""
    if code in (None, "", "system"):
        code = QLocale.system().name()
    return "zh_CN" if code.lower().startswith("zh") else "en"


def install(app: QApplication, code: str | None) -> str:
    language = resolve(code)
    for translator in getattr(app, "_onemap_translators", []):
        app.removeTranslator(translator)
    app._onemap_translators = []
    if language == "en":
        return language
    for path, name in ((I18N_DIR, f"onemap_{language}"),
                       (Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)), f"qtbase_{language}")):
        translator = QTranslator(app)
        if translator.load(name, str(path)):
            app.installTranslator(translator)
            app._onemap_translators.append(translator)
        elif name.startswith("onemap"):
            raise FileNotFoundError(f"translation {name}.qm is missing from {path}")
    return language


def current(app: QApplication | None = None) -> str:
    """The language `install` put in place: "zh_CN" while its translators are installed, else "en"."""
    app = app or QApplication.instance()
    return "zh_CN" if getattr(app, "_onemap_translators", None) else "en"
