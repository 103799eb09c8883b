"""The English catalogue of the web ends: every zh-hans source string has a translation.

The pages' text is written in zh-hans (the source language) and translated into English in
``locale/en``; a string left untranslated, or marked fuzzy by ``makemessages`` (whose guessed
translation Django never shows), would appear in Chinese on the English pages. Refresh with:
``django-admin makemessages -l en --no-wrap``, translate, then ``msgfmt``.
"""

from __future__ import annotations

import gettext
import re
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES"


def entries() -> list[tuple[str, str, bool]]:
    """(msgid, first msgstr, fuzzy) of each entry of the English .po file."""
    text = (CATALOGUE / "django.po").read_text(encoding="utf-8")
    found = []
    for block in text.split("\n\n")[1:]:
        msgid = re.search(r'^msgid "(.*)"$', block, re.M)
        msgstr = re.search(r'^msgstr(?:\[0\])? "(.*)"$', block, re.M)
        if msgid and msgstr:
            found.append((msgid.group(1), msgstr.group(1), "#, fuzzy" in block))
    return found


def test_every_chinese_string_has_an_english_translation() -> None:
    rows = entries()
    assert len(rows) > 500
    missing = [m for m, s, fuzzy in rows if re.search(r"[^\x00-\x7f]", m) and (not s or fuzzy)]
    assert not missing, f"untranslated in locale/en: {missing[:10]}"


def test_the_compiled_catalogue_matches_its_source() -> None:
    """``django.mo`` was compiled from this ``django.po`` (a stale one shows old English)."""
    with (CATALOGUE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    singles = [(m, s) for m, s, fuzzy in entries() if s and not fuzzy and "\\" not in m + s]
    assert singles
    stale = [m for m, s in singles if compiled.gettext(m) != s and not m.startswith("共 ")]
    assert not stale, f"recompile locale/en (msgfmt): {stale[:5]}"
