"""The README and docs/ hold together: every relative link reaches a file and a heading that
exist, and every test a page names (`tests/...py::test_name`) is still there, so that a page
saying "held by this test" cannot outlive the test."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

ROOT = Path(__file__).parent.parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(r"^```.*?^```", flags=re.M | re.S)
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6} +(.+?) *#*$", flags=re.M)
_TEST_REF = re.compile(r"`(tests/[\w/]+\.py)(?:::(\w+))?`|`::(\w+)`")


def _prose(page: Path) -> str:
    """The page without its fenced code blocks (a shell comment is no heading)."""
    return _FENCE.sub("", page.read_text(encoding="utf-8"))


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped (letters of every
    script kept), spaces to hyphens."""
    text = heading.strip().lower()
    kept = "".join(
        ch for ch in text if ch in " -_" or unicodedata.category(ch)[0] in ("L", "N", "M")
    )
    return kept.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every anchor of a page's headings, the repeated ones numbered as GitHub does."""
    seen: dict[str, int] = {}
    found = set()
    for heading in _HEADING.findall(_prose(page)):
        slug = _slug(heading)
        found.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return found


def test_the_slug_is_githubs() -> None:
    assert _slug("Sizing the displays") == "sizing-the-displays"
    assert _slug("A bank's payment notifications") == "a-banks-payment-notifications"
    assert _slug("Fees and payments") == "fees-and-payments"
    assert _slug("`kiosk serve`, the server") == "kiosk-serve-the-server"
    assert _slug("Tiếp nhận hồ sơ") == "tiếp-nhận-hồ-sơ"


def test_every_link_between_the_pages_leads_somewhere() -> None:
    broken = []
    for page in PAGES:
        for target in _LINK.findall(_prose(page)):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:: not ours to check
                continue
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            if not dest.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and (dest.suffix != ".md" or anchor not in anchors(dest)):
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert broken == []


def test_every_page_is_reachable_from_the_readme() -> None:
    readme = _prose(ROOT / "README.md")
    linked = {(ROOT / t.partition("#")[0]).resolve() for t in _LINK.findall(readme)}
    assert [p.name for p in PAGES[1:] if p.resolve() not in linked] == []


def test_every_test_a_page_names_exists() -> None:
    """`tests/x.py::test_a` names a test of that file; a following bare `::test_b` another
    test of the same file."""
    missing = []
    for page in PAGES:
        current: Path | None = None
        for path, name, more in _TEST_REF.findall(_prose(page)):
            if path:
                current = ROOT / path
                if not current.is_file():
                    missing.append(f"{page.relative_to(ROOT)}: {path}")
                    current = None
                    continue
            name = name or more
            if not name:
                continue
            if current is None:
                missing.append(f"{page.relative_to(ROOT)}: ::{name} follows no test file")
                continue
            source = current.read_text(encoding="utf-8")
            if not re.search(rf"^(async )?def {name}\(|^class {name}\b", source, flags=re.M):
                missing.append(f"{page.relative_to(ROOT)}: {current.relative_to(ROOT)}::{name}")
    assert missing == []


def test_the_security_page_names_a_test_for_every_property() -> None:
    """Each property of docs/security.md ends with the test that holds it."""
    page = _prose(ROOT / "docs" / "security.md")
    properties = re.split(r"^\* ", page, flags=re.M)[1:]
    assert len(properties) >= 25
    assert [p.split("\n")[0] for p in properties if not _TEST_REF.search(p)] == []
