// Normalising Arabic (and Latin) text so spelling variants compare equal: a port of
// app/text/arabic.py (normalise_arabic, tokens, strip_article). A browser test checks
// that both give the same output on the same strings. Pure: no storage, no network.

const LETTER_FOLDS = {
  'أ': 'ا', 'إ': 'ا', 'آ': 'ا', 'ٱ': 'ا',
  'ى': 'ي', 'ی': 'ي', 'ک': 'ك', 'ة': 'ه', 'ؤ': 'و', 'ئ': 'ي',
  'ـ': '', // tatweel
};
for (let i = 0; i < 10; i++) {
  LETTER_FOLDS[String.fromCharCode(0x0660 + i)] = String(i); // Arabic-Indic digits
  LETTER_FOLDS[String.fromCharCode(0x06f0 + i)] = String(i); // Persian digits
}
// Marks that stand for ayn or hamza in transliterations: removed, never spaced.
for (const ch of "'’‘`´ʿʾʻʼ") LETTER_FOLDS[ch] = '';
const FOLD = new RegExp(`[${Object.keys(LETTER_FOLDS).join('').replace(/[\]\\^-]/g, '\\$&')}]`, 'gu');

const DROP = /[\p{Mn}\p{Me}\p{Cf}]/gu;
const SPACE = /[\p{P}\p{S}\p{Z}\p{C}]/gu;

// Python's str.casefold() beyond toLowerCase(), for the letters names may hold.
const CASEFOLD_EXTRA = { 'ß': 'ss', 'ς': 'σ', 'ẞ': 'ss' };

function casefold(text) {
  return text.toLowerCase().replace(/[ßςẞ]/g, (c) => CASEFOLD_EXTRA[c]);
}

/** The normal form used for every comparison and search (see app/text/arabic.py). */
export function normaliseArabic(text) {
  let t = casefold(String(text).normalize('NFKC')).replace(FOLD, (c) => LETTER_FOLDS[c]);
  t = t.normalize('NFD').replace(DROP, '').replace(SPACE, ' ');
  t = t.normalize('NFKC');
  return t.split(/\s+/u).filter(Boolean).join(' ');
}

const LATIN_ARTICLE = /^(?:al|el|as|ash|ad|ar|az|an|at)$/;

/** A normalised word without a leading Arabic article "ال" (when two letters remain). */
export function stripArticle(word) {
  return word.startsWith('ال') && word.length >= 4 ? word.slice(2) : word;
}

/** The normalised words of `text`; optionally without articles. */
export function tokens(text, { dropArticles = false } = {}) {
  const words = normaliseArabic(text).split(' ').filter(Boolean);
  if (!dropArticles) return words;
  const kept = words.filter((w) => !LATIN_ARTICLE.test(w)).map(stripArticle);
  return kept.length ? kept : words;
}
