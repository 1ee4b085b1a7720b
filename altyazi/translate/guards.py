"""Guards on one translated line: what must never reach a viewer is rejected with a reason.

Both prompt styles call :func:`check_line` on every line of a reply before accepting it. A rejected
reply is retried by the engine (stricter prompt, smaller context, then the line alone) and a line
that never passes is kept in Turkish, flagged ``untranslated``: a flagged Turkish line is better
than a garbage cue in front of a viewer.

What is checked (the failures seen with local models, issue 15): character loops (a run of a
syllable with no space, "Tu mûmûmûmû…", which word-level repetition checks miss; repeated word
n-grams and the zlib compression ratio, as the ASR gate computes them), length against the
source in characters and words, echoes of the prompt (numbering, labels such as "French:", the
previous lines, the look-ahead lines), translator notes and chatter, English, Turkish words left in
the line (glossary names excepted), and for lines long enough to judge, langid's verdict.
Short lines ("Oui.", "Non !", "Seher ?") are never judged by langid: language identifiers are
unreliable below a few words.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..asr.gate import compresses_too_well
from ..asr.gate import repetition as word_repetition
from ..language import classify

# French function words: two of them make a line French whatever langid says about the rest.
FRENCH_WORDS = frozenset("""
je j tu il elle on nous vous ils elles me m te t se s le la les l un une des du de d au aux ce c cet cette ces
mon ma mes ton ta tes son sa ses notre nos votre vos leur leurs et ou mais donc car ni que qu qui quoi dont où
ne n pas plus jamais rien personne est suis es sont sommes êtes était ai as a avons avez ont va vais vas allons
allez vont fait faire dans pour par sur sous avec sans chez vers entre y en oui non si bien très tout toute tous
toutes ça cela ceci ici là comme quand comment pourquoi moi toi lui eux voilà voici alors encore aussi déjà
""".split())
# English words that are not also French words (no "me", "on", "as", "but", "for", "okay").
ENGLISH_WORDS = frozenset("""
the you your yours is are was were what where why how who i i'm i've i'll don't doesn't didn't can't won't it's
that's this that with not my we he she they them have has had will would should could there here please thank
thanks sorry yes of and to do does did be been being come let's wait hello hey just know want going really
right now okay? something nothing everything anything because about from when him her our their
""".split()) - {"okay?"}
# Turkish words (interjections, pronouns, particles, frequent verbs) that are not French words;
# "de", "ne", "o", "bu", "mi", "var" are left out: they are French too.
TURKISH_WORDS = frozenset("""
bir ve da ben sen biz siz onlar mı mu mü için ile gibi çok daha ama yok değil evet hayır şey beni seni bana sana
benim senin onu ona kadar hiç şimdi nasıl neden niye hadi tamam efendim ki diye olan oldu olur artık bak yani
peki lütfen merhaba teşekkür ederim sağol kim nerede nereye burada orada şu böyle öyle gel git geldi gitti
abi abla canım kızım oğlum anne baba misin musun mısın müsün değilim biliyorum bilmiyorum istiyorum yapma dur
""".split())
# Words Turkish and French write alike (a copy of one of these from the source is a translation).
SHARED_WORDS = frozenset("normal film bravo pardon super taxi radio hotel sport menu piano kilo metre minute "
                         "police doktor".split())
TURKISH_ONLY_LETTERS = set("ğşıöüĞŞİÖÜ")
# Frequent Turkish endings, checked only on words copied from the Turkish source (a French word
# may end in "-le" or "-de"; a copied word with a Turkish ending is a word left untranslated).
_TR_SUFFIX = re.compile(r"(iyor|ıyor|uyor|üyor|yor|mış|miş|muş|müş|acak|ecek|madı|medi|dır|dir|dur|dür|lar|ler|"
                        r"dan|den|tan|ten|nın|nin|sın|sin|sun|sün|mak|mek|ım|im|um|üm|dı|di|du|dü|ya|ye)$")
_LABEL = re.compile(r"\b(?:turkish|türkçe|turc|french|français|francais|english|anglais|translation|traduction|"
                    r"summary|résumé|address|source|target|original|line|ligne)\s*\d*\s*:", re.IGNORECASE)
_NUMBERING = re.compile(r"^\s*(?:\d{1,3}\s*[.):]|\[\d{1,3}\])(?:\s|$)|\s\d{1,3}\.\s+[A-ZÀ-Ý«]")
_PROMPT_WORDS = re.compile(r"following lines|previous lines|context only|numbered lines?|do not translate|"
                           r"translate (?:these|this|the following)|lignes? suivantes?|->|=>|\$[a-z_]+|===|"
                           r"characters? max|caractères? max|character budget|\(\d+ (?:characters|caractères)",
                           re.IGNORECASE)
_NOTE = re.compile(r"[(\[]\s*(?:n\.?\s?d\.?\s?t|note|lit\.|litt|literally|translator|traduction|ou\b|or\b|sic\b)|"
                   r"\bn\.\s?d\.\s?t\b|note du traducteur|translator'?s note|\bliteral(?:ly)?\b|littéralement|"
                   r"^\s*(?:here is|here's|sure[,!]|voici (?:la|une) traduction|traduction\s*:)|"
                   r"\b(?:as an ai|i cannot|i can't translate|je ne peux pas traduire)\b", re.IGNORECASE)
_ALTERNATIVE = re.compile(r"[^\W\d_]\s*/\s*[^\W\d_]")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)
_LETTER_RUN = re.compile(r"([^\W\d_])\1{4,}")
_SYLLABLE_LOOP = re.compile(r"([^\W\d_]{2})\1{3,}|([^\W\d_]{3,6})\2{2,}")
LONGEST_WORD = 25       # "anticonstitutionnellement"; a longer token is a loop without spaces
LANGID_SET = ("fr", "en", "tr", "az", "es", "it", "pt", "de", "nl", "ro")
# part of the translation cache key: replies judged by other guards are judged again
GUARDS_VERSION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:10]


@dataclass
class LineContext:
    """What a line is judged against: its Turkish source and what the prompt showed the model."""
    source: str
    names: list[str] = field(default_factory=list)        # glossary names (Turkish and French forms)
    previous: list[tuple[str, str]] = field(default_factory=list)  # (turkish, french) shown before it
    look: list[str] = field(default_factory=list)          # look-ahead Turkish lines (not to translate)


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("’", "'").casefold()
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s']", " ", text)).strip()


def words_of(text: str) -> list[str]:
    return [w.replace("’", "'") for w in _WORD.findall(text)]


def char_loop(text: str) -> str | None:
    """A character-level loop: a letter 5 times in a row, a two-letter syllable 4 times, a 3-6
    letter unit 3 times with no space between, a word longer than any French word, or a text that
    zlib compresses too well (repetitive text compresses; ordinary dialogue of 40+ bytes stays under 2)."""
    low = text.casefold()
    if m := _LETTER_RUN.search(low):
        return f"character loop {m.group(0)[:12]!r}"
    if m := _SYLLABLE_LOOP.search(low):
        return f"character loop {m.group(0)[:16]!r}…"
    long = [w for w in words_of(text) if len(w) > LONGEST_WORD]
    if long:
        return f"a {len(long[0])}-letter word {long[0][:16]!r}…"
    if why := compresses_too_well(text, min_bytes=40, limit=2.0):
        return why
    if why := word_repetition(text):
        return why
    return None


def length_problem(text: str, source: str) -> str | None:
    """French runs ~1.1-1.5x the characters of the Turkish and more words (Turkish is agglutinative):
    far past that the model went on (look-ahead lines, invented text); far below, it cut the line."""
    n, m = len(text), len(source.strip())
    if n > 2 * m + 20:
        return f"too long for its source ({n} characters for {m})"
    fw, sw = len(words_of(text)), max(1, len(words_of(source)))
    if fw > 3 * sw + 4:
        return f"too many words for its source ({fw} for {sw})"
    if m >= 30 and n < 0.2 * m:
        return f"too short for its source ({n} characters for {m})"
    return None


def echo_problem(text: str, ctx: LineContext) -> str | None:
    """Prompt material in the line: numbering, labels, instructions, the previous or look-ahead lines."""
    if _NUMBERING.search(text):
        return "numbering inside the line (merged or echoed lines)"
    if m := _LABEL.search(text):
        return f"prompt label {m.group(0)!r}"
    if m := _PROMPT_WORDS.search(text):
        return f"prompt text {m.group(0)!r}"
    mine, src = _norm(text), _norm(ctx.source)
    for prev_src, prev_fr in ctx.previous:
        p = _norm(prev_fr or "")
        if len(p) >= 8 and _norm(prev_src) != src and (mine == p or (len(p) >= 15 and p in mine)
                                                            or mine.startswith(p + " ")):
            return "repeats a previous line"
    for tr in [s for s, _ in ctx.previous] + list(ctx.look):
        t = _norm(tr)
        if len(t) >= 10 and t != src and t in mine:
            return "copies a context line's Turkish"
    return None


def note_problem(text: str) -> str | None:
    if m := _NOTE.search(text):
        return f"translator note or chatter {m.group(0).strip()!r}"
    if _ALTERNATIVE.search(text):
        return "alternatives separated by '/'"
    return None


def _exempt(ctx: LineContext) -> set[str]:
    out = set()
    for name in ctx.names:
        out.update(w.casefold() for w in words_of(name))
    return out


def turkish_words(text: str, ctx: LineContext) -> list[str]:
    """Words of the line that are Turkish and not a glossary name: a Turkish function word, a
    lower-case word with a Turkish-only letter, or a word copied from the source that French does
    not share. Capitalised words after the first are names unless they are Turkish function words
    ("Tamam"); a capitalised first word is a name only when the source has it capitalised."""
    exempt = _exempt(ctx)
    src_words = {w.casefold() for w in words_of(ctx.source)}
    src_caps = {part for w in words_of(ctx.source) for part in re.split(r"['’]", w) if part[:1].isupper()}
    found = []
    for i, w in enumerate(words_of(text)):
        low = w.casefold()
        if low in exempt or (w[:1].isupper() and low not in TURKISH_WORDS and (i > 0 or w in src_caps)):
            continue  # a name, as in the source or misspelt (Sülyman); a first word may just be capitalised
        if low in TURKISH_WORDS or any(c in TURKISH_ONLY_LETTERS for c in w):
            found.append(w)
        elif low in src_words and low not in FRENCH_WORDS and low not in SHARED_WORDS and \
                (len(low) >= 5 or (len(low) >= 4 and _TR_SUFFIX.search(low))):
            found.append(w)  # copied from the Turkish, not a word both languages write alike
    return found


def language_problem(text: str, ctx: LineContext) -> str | None:
    """English, Turkish words, or (four words or more) a langid verdict other than French that
    French function words do not contradict."""
    tr = turkish_words(text, ctx)
    if tr:
        return f"Turkish words left in the line: {', '.join(tr[:4])}"
    exempt = _exempt(ctx)
    words = [w.casefold() for w in words_of(text) if w.casefold() not in exempt]
    if not words:
        return None  # names and punctuation only ("Seher ?")
    fr = sum(w in FRENCH_WORDS or w.split("'")[0] in FRENCH_WORDS for w in words)
    en = sum(w in ENGLISH_WORDS for w in words)
    if en and en >= max(1, fr) and (en >= 2 or len(words) <= 2):
        return f"English ({en} English word(s), {fr} French)"
    if len(words) >= 2 and fr < 2:
        if fr == 0 and sum(bool(_TR_SUFFIX.search(w)) for w in words) >= max(2, len(words) / 2):
            return "Turkish endings on most words"
        lang, prob = classify(" ".join(words), LANGID_SET)
        # two or three words: only a confident Turkish verdict counts (langid guesses wildly on
        # short French); four or more: any confident verdict other than French
        if lang != "fr" and prob >= 0.9 and (len(words) >= 4 or lang in ("tr", "az")):
            return f"not French (langid: {lang} {prob:.2f}, {fr} French function word(s))"
    return None


def check_line(text: str, ctx: LineContext) -> str | None:
    """The reason to reject ``text`` as the translation of ``ctx.source``, or None when it passes."""
    if not text.strip() or not any(c.isalpha() for c in text):
        return "empty or no letters"
    if _norm(text) == _norm(ctx.source) and len(set(_norm(text).split()) - _exempt(ctx)) >= 3:
        return "copied the Turkish"  # a short copy ("Seher ?", "Ha ha ha.") may be the translation
    for check in (lambda: char_loop(text), lambda: length_problem(text, ctx.source), lambda: echo_problem(text, ctx),
                  lambda: note_problem(text), lambda: language_problem(text, ctx)):
        if why := check():
            return why
    return None


def check_summary(summary: str | None) -> str | None:
    """A running summary enters every later prompt: a looping or runaway one is dropped."""
    if not summary:
        return None
    if len(summary) > 600:
        return f"summary too long ({len(summary)} characters)"
    return char_loop(summary)
