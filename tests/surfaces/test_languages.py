"""A third language by data: the language buttons list the compiled catalogs (kiosk.languages)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk import create_app
from kiosk.languages import TRANSLATIONS, find_languages

PYBABEL = str(Path(sys.executable).with_name("pybabel"))
#: A throw-away Jrai catalog, as a translator would write it: its own name and a few words.
JRAI_PO = """\
msgid ""
msgstr ""
"Project-Id-Version: kiosk\\n"
"Language: vi@jra\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"Content-Transfer-Encoding: 8bit\\n"

msgctxt "language name"
msgid "Tiếng Việt"
msgstr "Tơlơi Jrai"

msgid "Tra cứu thủ tục"
msgstr "Hơduah bruă"
"""


def test_the_package_offers_vietnamese_then_english() -> None:
    found = find_languages()
    assert [(lang.code, lang.name, lang.tag) for lang in found] == [
        ("vi", "Tiếng Việt", "vi"),
        ("en", "English", "en"),
    ]


@pytest.fixture
def catalogs(tmp_path: Path) -> Path:
    """The package's catalogs plus a Jrai one, compiled by pybabel in a temporary folder."""
    folder = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, folder, ignore=shutil.ignore_patterns("*.mo", "*.pot"))
    jrai = folder / "vi@jra" / "LC_MESSAGES"
    jrai.mkdir(parents=True)
    (jrai / "messages.po").write_text(JRAI_PO, encoding="utf-8")
    # And a folder that is no language at all: left out, not a crash.
    (folder / "khong-phai" / "LC_MESSAGES").mkdir(parents=True)
    (folder / "khong-phai" / "LC_MESSAGES" / "messages.mo").write_bytes(b"")
    subprocess.run([PYBABEL, "compile", "-d", str(folder)], check=True, capture_output=True)
    return folder


@pytest.fixture
def jrai_app(demo_app: Flask, catalogs: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": demo_app.config["DATABASE_URL"],
            "INSTANCE_PATH": demo_app.instance_path,
            "SECRET_KEY": demo_app.config["SECRET_KEY"],
            "TRANSLATIONS_DIR": str(catalogs),
        }
    )
    yield app
    # Its own engine: left to the garbage collector, its PostgreSQL connections were closed by
    # psycopg's __del__ in whichever later test the collector ran (an unraisable warning).
    app.extensions["kiosk.engine"].dispose()


def test_a_compiled_catalog_is_a_language_button_without_code(jrai_app: Flask) -> None:
    client: FlaskClient = jrai_app.test_client()
    home = client.get("/kiosk/").text
    assert 'hreflang="jra" lang="jra">Tơlơi Jrai</a>' in home
    assert home.index(">Tiếng Việt</a>") < home.index(">English</a>") < home.index(">Tơlơi")
    assert "khong-phai" not in home

    client.get("/lang/vi@jra?next=/kiosk/")
    page = client.get("/kiosk/").text
    assert '<html lang="jra"' in page
    assert "Hơduah bruă" in page  # translated
    assert "Lấy số thứ tự" in page  # not translated yet: Vietnamese, never an empty button
    # The idle reset brings Vietnamese back.
    client.get("/kiosk/reset")
    assert '<html lang="vi"' in client.get("/kiosk/").text


def test_a_language_that_is_not_there_is_refused(client: FlaskClient) -> None:
    client.get("/lang/vi@jra?next=/kiosk/")
    assert '<html lang="vi"' in client.get("/kiosk/").text
