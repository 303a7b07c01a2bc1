"""Arabic and Latin normalisation: the laws search relies on, and the folds people expect."""

from hypothesis import given
from hypothesis import strategies as st

from app.text.arabic import normalise_arabic, search_key, strip_article, tokens
from app.text.names import CONNECTORS, name_tokens

ARABIC_LETTERS = "ابتثجحخدذرسشصضطظعغفقكلمنهوي"
DIACRITICS = [chr(c) for c in range(0x064B, 0x0660)] + ["\u0670"]
arabic_words = st.text(alphabet=ARABIC_LETTERS, min_size=1, max_size=12)
any_text = st.text(max_size=40)


@given(any_text)
def test_idempotent(text):
    """Normalising a normalised text changes nothing (stored keys stay valid)."""
    once = normalise_arabic(text)
    assert normalise_arabic(once) == once


@given(any_text)
def test_output_has_no_separator_or_like_wildcards(text):
    """A normalised query can go into a LIKE pattern and never fakes a name boundary."""
    assert not set(normalise_arabic(text)) & set("|%_\\")


@given(arabic_words, st.lists(st.sampled_from(DIACRITICS), max_size=5), st.randoms())
def test_diacritics_do_not_matter(word, marks, rnd):
    """A name typed with tashkeel finds the same place as one typed without."""
    letters = list(word)
    for mark in marks:
        i = rnd.randrange(len(letters))
        letters[i] += mark
    assert normalise_arabic("".join(letters)) == normalise_arabic(word)


@given(arabic_words, st.integers(min_value=0, max_value=4))
def test_tatweel_does_not_matter(word, count):
    """Stretched letters (tatweel) compare equal to plain ones."""
    stretched = word[0] + "ـ" * count + word[1:]
    assert normalise_arabic(stretched) == normalise_arabic(word)


@given(arabic_words, st.sampled_from("أإآٱا"))
def test_alef_variants_equal(word, alef):
    """Every alef form, hamza above or below, madda or wasla, folds to bare alef."""
    assert normalise_arabic(alef + word) == normalise_arabic("ا" + word)


@given(arabic_words)
def test_ta_marbuta_and_alef_maqsura(word):
    """ة is searched as ه, and ى as ي, whichever the writer used."""
    assert normalise_arabic(word + "ة") == normalise_arabic(word + "ه")
    assert normalise_arabic(word + "ى") == normalise_arabic(word + "ي")


def test_hamza_on_carrier_folds_to_carrier():
    """ؤ and ئ fold to و and ي; a standalone hamza ء stays a letter."""
    assert normalise_arabic("مسؤول") == normalise_arabic("مسوول")
    assert normalise_arabic("رئيس") == normalise_arabic("رييس")
    assert "ء" in normalise_arabic("الإنشاءات")


def test_digits_to_ascii():
    """Arabic-Indic and Persian digits read as ASCII digits."""
    assert normalise_arabic("شارع ١٢ و۳۴") == "شارع 12 و34"


def test_presentation_forms_and_invisible_marks():
    """Presentation forms become base letters; zero-width and bidi marks vanish."""
    assert normalise_arabic("ﻻ") == "لا"
    assert normalise_arabic("حم\u200cص\u200f") == "حمص"


def test_latin_case_accents_punctuation():
    """English is folded: case, accents and punctuation do not matter; ' joins."""
    assert normalise_arabic("  Ḥimṣ — KHALDIYEH,  Bab Sba'a ") == "hims khaldiyeh bab sbaa"
    assert normalise_arabic("Jurat al-Shayah") == "jurat al shayah"


@given(st.text(alphabet=ARABIC_LETTERS + " ", max_size=30))
def test_whitespace_collapsed(text):
    """No leading, trailing or doubled spaces remain."""
    out = normalise_arabic(text)
    assert out == " ".join(out.split())


def test_articles():
    """Articles drop for matching: "ال" off Arabic words, al/el words in Latin."""
    assert strip_article("الخالديه") == "خالديه"
    assert strip_article("الم") == "الم"  # too short to carry an article
    assert tokens("جورة الشياح", drop_articles=True) == ["جوره", "شياح"]
    assert tokens("Jurat al-Shayah", drop_articles=True) == ["jurat", "shayah"]
    assert tokens("Al", drop_articles=True) == ["al"]


def test_search_key_holds_both_names_and_bare_forms():
    """The stored key finds a place by either name, with or without the article."""
    key = search_key("الخالدية", "Khaldiyeh")
    assert key == "|الخالديه|خالديه|khaldiyeh|"
    assert search_key("", "") == ""


@given(any_text, any_text)
def test_search_key_is_made_of_normal_forms(a, b):
    """Every part of a key is itself normalised, so a normalised query can equal it."""
    for part in search_key(a, b).strip("|").split("|"):
        assert part == "" or normalise_arabic(part) == part


def _tokens_of_whole_text(text: str) -> set[str]:
    """name_tokens as it was before its word cache: the whole text normalised at once."""
    out: set[str] = set()
    for word in normalise_arabic(text).split():
        if word in CONNECTORS or word in {"al", "el", "as", "ash", "ad", "ar", "az", "an", "at"}:
            continue
        out.add(word)
        out.add(strip_article(word))
    return out


_NAMEISH = st.text(
    alphabet=st.sampled_from(
        list("محمدأإآٱىةؤئءـ ابنتالحمصي")
        + list("Mohamad al-Hmsi'’ ")
        + [
            "\u064e",
            "\u0651",
            "\u200c",
            "\u00a0",
            "\u3000",
            "\ufdfa",
            "\ufefb",
            "١",
            "۲",
            "-",
            ".",
            "\t",
            "\n",
        ]
    ),
    max_size=40,
)


@given(st.one_of(_NAMEISH, st.text(max_size=30)))
def test_name_tokens_word_by_word_equal_the_whole_text(text):
    """The per-word cache of name_tokens gives exactly the tokens of normalising the
    whole text (spaces of every kind, marks and ligatures that expand to several words)."""
    assert name_tokens(text) == _tokens_of_whole_text(text)
