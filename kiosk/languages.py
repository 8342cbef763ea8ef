"""The languages the screens offer: Vietnamese, then every compiled catalog found.

A language is added by data alone: its translation file `<code>/LC_MESSAGES/messages.po` in
the translations folder, compiled by `make translations`. Its button shows the language's own
name, which the catalog itself carries as the translation of "Tiếng Việt" in the context
"language name" (English: "English"). A code Babel knows (`en`, `km`, `fr`) is used as it is;
a language the CLDR has no data for, such as Jrai or Bahnar, is written `vi@jra` or `vi@bdq`:
its words from its catalog, its dates and numbers as in Vietnam, and `jra` as the page's
`lang`.
"""

from __future__ import annotations

import gettext
import logging
from dataclasses import dataclass
from pathlib import Path

from babel import Locale, UnknownLocaleError

log = logging.getLogger(__name__)

#: The package's own catalogs.
TRANSLATIONS = Path(__file__).parent / "translations"
SOURCE = "vi"
SOURCE_NAME = "Tiếng Việt"


@dataclass(frozen=True)
class Language:
    """One language button: the catalog's code, its own name, and its BCP 47 tag."""

    code: str
    name: str
    tag: str


def _own_name(mo: Path, locale: Locale, code: str) -> str:
    with mo.open("rb") as f:
        catalog = gettext.GNUTranslations(f)
    name = catalog.pgettext("language name", "Tiếng Việt")
    if name != SOURCE_NAME:
        return name
    # A catalog that does not name itself: the CLDR's name, else its code.
    known = locale.get_display_name(locale) if not locale.modifier else None
    return known[:1].upper() + known[1:] if known else code


def find_languages(folder: Path = TRANSLATIONS) -> tuple[Language, ...]:
    """Vietnamese first, then each compiled catalog in `folder` by code. A folder whose name
    is no locale is left out, with a warning in the log."""
    found = [Language(SOURCE, SOURCE_NAME, SOURCE)]
    for mo in sorted(folder.glob("*/LC_MESSAGES/messages.mo")):
        code = mo.parent.parent.name
        if code == SOURCE:
            continue
        try:
            locale = Locale.parse(code)
        except (ValueError, UnknownLocaleError):
            log.warning("translations/%s: not a locale Babel knows; write it vi@<code>", code)
            continue
        tag = locale.modifier or code.replace("_", "-")
        found.append(Language(code, _own_name(mo, locale, code), tag))
    return tuple(found)
