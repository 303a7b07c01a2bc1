"""Normalising Arabic (and Latin) text so that spelling variants compare equal.

Pure standard library: no database, no Flask. The gazetteer stores `search_key()` of a
place's names and normalises the query the same way, so both sides meet in one form;
the records (person names) reuse `normalise_arabic()` and `tokens()`.

What `normalise_arabic()` does, in order:

1. NFKC: presentation forms (ﻻ, ﺍ…) and compatibility characters become base letters.
2. casefold: Latin case is ignored ("Khaldiyeh" = "khaldiyeh"); Arabic has no case.
3. Every combining mark is dropped (after canonical decomposition): tashkeel
   U+064B–U+065F, the superscript alef U+0670, Quranic annotation marks, and Latin
   accents too ("Ḥimṣ" = "hims"), since people type transliterations either way.
4. Letter folding, the variants people type interchangeably:
   - alef forms أ إ آ ٱ → ا
   - alef maqsura ى → ي, and Persian yeh ی → ي, keheh ک → ك (Persian keyboards)
   - ta marbuta ة → ه
   - hamza on a carrier folds to its carrier: ؤ → و, ئ → ي (as أ/إ fold to ا). Writers
     often drop the hamza seat mark ("مسؤول"/"مسوول", "رئيس"/"رييس"), so the carrier is
     the stable part. A standalone hamza ء is a letter in its own right and is KEPT: it
     is rarely omitted in place and person names, and dropping it would merge more words.
   - tatweel ـ is removed (it only stretches a word).
   - Arabic-Indic ٠–٩ and Persian ۰–۹ digits → ASCII 0–9.
5. Apostrophes and transliteration marks for ayn/hamza (' ’ ‘ ` ʿ ʾ) are removed without
   a space, so "Sba'a" = "Sbaa"; every other punctuation or symbol becomes a space.
   Invisible format characters (zero-width joiners, bidi marks, BOM) are removed.
6. Whitespace runs collapse to one space, and the ends are trimmed.

The result is idempotent: normalising twice equals normalising once.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["ARTICLES", "normalise_arabic", "search_key", "strip_article", "tokens"]

_LETTER_FOLDS = {
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ى": "ي",
    "ی": "ي",
    "ک": "ك",
    "ة": "ه",
    "ؤ": "و",
    "ئ": "ي",
    "ـ": None,  # tatweel
}
_DIGITS = {0x0660 + i: str(i) for i in range(10)} | {0x06F0 + i: str(i) for i in range(10)}
# Marks that stand for ayn or hamza in transliterations: removed, never spaced.
_APOSTROPHES = dict.fromkeys(map(ord, "'’‘`´ʿʾʻʼ"))
_TABLE = str.maketrans(_LETTER_FOLDS) | _DIGITS | _APOSTROPHES


def _keep(ch: str) -> str:
    """One character of step 3–5: marks and format characters vanish, punctuation spaces."""
    category = unicodedata.category(ch)
    if category in ("Mn", "Me", "Cf"):
        return ""
    if category[0] in "PSZC":
        return " "
    return ch


def normalise_arabic(text: str) -> str:
    """The normal form used for every comparison and search (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_TABLE)
    # Canonical decomposition puts every mark (and the hamza/madda of أ إ آ ؤ ئ, already
    # folded above) on its own, where `_keep` drops it.
    text = unicodedata.normalize("NFD", text)
    text = "".join(map(_keep, text))
    # Recompose (Hangul and the like) so that a second pass finds nothing left to do.
    text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())


# The Arabic definite article and its common Latin transliterations. "ال" is taken off
# only when at least two letters remain, so that words like "الم" are left alone.
ARTICLES = ("ال", "al", "el")
_LATIN_ARTICLE = re.compile(r"^(?:al|el|as|ash|ad|ar|az|an|at)$")


def strip_article(word: str) -> str:
    """A normalised word without a leading Arabic article "ال" ("الخالديه" → "خالديه").

    Latin articles are separate words after normalisation ("al-Shayah" → "al shayah"),
    so `tokens(..., drop_articles=True)` drops them as whole tokens instead.
    """
    if word.startswith("ال") and len(word) >= 4:
        return word[2:]
    return word


def tokens(text: str, *, drop_articles: bool = False) -> list[str]:
    """The normalised words of `text`, in order; optionally without articles.

    With `drop_articles`, "ال" is stripped from each Arabic word and Latin article words
    (al, el and the assimilated as/ash/ad/ar/az/an/at) are dropped, so "Jurat al-Shayah"
    gives ["jurat", "shayah"] and "جورة الشياح" gives ["جوره", "شياح"]. A text made only
    of articles keeps them, so nothing is ever reduced to no words at all.
    """
    words = normalise_arabic(text).split()
    if not drop_articles:
        return words
    kept = [strip_article(w) for w in words if not _LATIN_ARTICLE.match(w)]
    return kept or words


def search_key(*names: str) -> str:
    """The stored search text of one or more names: "|form|form|…|".

    Each name contributes its normal form and, when different, that form with the
    articles dropped, so "الخالدية" is found exactly by "خالدية" and "Bab al-Sbaa" by
    "bab sbaa". The "|" separators (never present in a normalised query) let SQL tell an
    exact match ("%|q|%") from a prefix ("%|q%") from a substring ("%q%") with LIKE.
    """
    forms: list[str] = []
    for name in names:
        full = normalise_arabic(name)
        bare = " ".join(tokens(name, drop_articles=True))
        for form in (full, bare):
            if form and form not in forms:
                forms.append(form)
    return "|" + "|".join(forms) + "|" if forms else ""
