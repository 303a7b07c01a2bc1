"""Tokens of person names for search: Arabic name chains and their transliterations.

A name chain ("محمد بن أحمد الحمصي", "Mohammad bin Ahmad al-Homsi") is searched by any of
its parts, in any spelling variant the Arabic normaliser folds. Connectors (bin, ibn,
bint, بن, ابن, بنت) are not names and are dropped; the article (ال, al-, el-) is indexed
both with and without it, so "الحمصي", "حمصي" and "Homsi" all find the record.
"""

from __future__ import annotations

from functools import lru_cache

from app.text.arabic import normalise_arabic, strip_article

# Connectors of a name chain, after normalisation (ابن folds to ابن, بنت stays بنت).
CONNECTORS = frozenset({"بن", "ابن", "بنت", "bin", "ibn", "bint", "ben", "binti"})
_LATIN_ARTICLES = frozenset({"al", "el", "as", "ash", "ad", "ar", "az", "an", "at"})


def name_tokens(text: str) -> set[str]:
    """Every token a name is indexed under (normalised, connectors dropped, ± article)."""
    out: set[str] = set()
    # Word by word through a cache: names share most of their words (محمد, أحمد, the
    # family), and normalising is per character. Whitespace never joins or splits what
    # the normaliser makes of the words on either side (tests/app/test_arabic.py checks
    # this against the whole text). The cache is small and bounded (LRU): the hub's
    # memory stays flat however many names pass; common words stay in it.
    for word in text.split():
        out.update(_word_tokens(word))
    return out


@lru_cache(maxsize=4096)
def _word_tokens(word: str) -> frozenset[str]:
    out: set[str] = set()
    for part in normalise_arabic(word).split():
        if part in CONNECTORS or part in _LATIN_ARTICLES:
            continue
        out.add(part)
        bare = strip_article(part)
        if bare != part:
            out.add(bare)
    return frozenset(out)


def query_tokens(text: str) -> list[str]:
    """The tokens of a search query: each must prefix-match some token of the name."""
    words = []
    for word in normalise_arabic(text).split():
        if word in CONNECTORS or word in _LATIN_ARTICLES:
            continue
        bare = strip_article(word)
        if bare not in words:
            words.append(bare)
    return words
