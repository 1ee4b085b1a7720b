"""Quality gate for one transcribed piece: empty, not Turkish, degenerate repetition, or one of the
phrases ASR models are known to invent on music and silence.

:func:`check_transcript` returns the reasons a text is rejected ([] = accepted). The chain retries
a rejected piece with the next link, then with looser settings (see :mod:`altyazi.asr.chain`).
"""

from __future__ import annotations

import re
import zlib

from ..language import classify
from ..metrics import normalize_turkish

# Phrases Whisper-family models (and Voxtral, trained on similar subtitles) emit on non-speech.
# Compared after normalize_turkish; a piece whose text contains one is rejected.
HALLUCINATIONS = (
    "altyazı m k", "altyazı mk", "altyazılar m k", "izlediğiniz için teşekkürler", "izlediğiniz için teşekkür ederim",
    "abone olmayı unutmayın", "abone olun", "kanalıma abone", "beğenmeyi unutmayın", "videoyu beğenmeyi",
    "bir sonraki videoda görüşmek üzere", "sesli betimleme", "altyazı", "thanks for watching",
    "thank you for watching", "please subscribe", "subtitles by", "amara org",
    "sous titrage", "merci d avoir regardé",
)
TURKISH_CHARS = set("çğışöüÇĞİŞÖÜ")
TURKISH_STOPWORDS = {
    "bir", "bu", "ve", "da", "de", "ne", "ben", "sen", "o", "biz", "siz", "onlar", "mi", "mı", "mu", "mü",
    "için", "ile", "gibi", "çok", "daha", "ama", "var", "yok", "değil", "evet", "hayır", "şey", "beni", "seni",
    "bana", "sana", "benim", "senin", "onu", "ona", "kadar", "hiç", "her", "şimdi", "nasıl", "neden", "niye",
    "hadi", "tamam", "efendim", "bey", "hanım", "ki", "diye", "olan", "oldu", "olur", "artık", "bak", "yani",
}
LANGID_SET = ("tr", "az", "en", "fr", "de", "es", "it", "pt", "nl", "ar", "fa", "ru", "ku", "el", "ja", "zh", "ko")
_NON_LATIN = re.compile(r"[\u0370-\u03ff\u0400-\u04ff\u0590-\u06ff\u0900-\u0dff\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]")
# Frequent Turkish endings (tense, case, plural, possessive); vowel-harmony pairs written out.
_SUFFIX = re.compile(r"(iyor|ıyor|uyor|üyor|yor|mış|miş|muş|müş|acak|ecek|madı|medi|mıyor|miyor|dır|dir|dur|dür|"
                     r"lar|ler|dan|den|tan|ten|nın|nin|nun|nün|ım|im|um|üm|sın|sin|sun|sün|mak|mek|dı|di|du|dü|"
                     r"tı|ti|tu|tü|ya|ye|yı|yi|yu|yü|da|de|ta|te|la|le)$")
_WEB = re.compile(r"www\.|\.(com|org|net)\b")


def looks_turkish(text: str) -> bool:
    """True unless the text is clearly another language.

    Short lines fool language identifiers, so a text counts as Turkish when it has a Turkish-only
    letter, a Turkish function word, or Turkish endings on most words; otherwise a non-Latin script majority means "not Turkish",
    and langid (restricted to likely languages) decides texts of three words or more.
    """
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    if sum(bool(_NON_LATIN.match(c)) for c in letters) > len(letters) / 2:
        return False
    if any(c in TURKISH_CHARS for c in text):
        return True
    words = normalize_turkish(text).split()
    if any(w in TURKISH_STOPWORDS for w in words):
        return True
    if len(words) < 3:
        return True  # too short to judge: keep it
    if sum(bool(_SUFFIX.search(w)) for w in words) >= max(2, len(words) / 2):
        return True  # agglutinative endings on most words
    lang, _ = classify(text, LANGID_SET)
    return lang in ("tr", "az")


def repetition(text: str, max_n: int = 4) -> str | None:
    """Describe a degenerate loop ("the 2-gram 'sen ben' x5") or None.

    A loop is an n-gram (n <= ``max_n`` words) repeated back to back at least 5 times for single
    words ("hayır hayır hayır hayır" is real speech), 4 for pairs, 3 for longer n-grams; or a long text
    that zlib compresses more than 2.4x (Whisper's own guard).
    """
    words = normalize_turkish(text).split()
    for n in range(1, max_n + 1):
        need = 5 if n == 1 else (4 if n == 2 else 3)
        for i in range(0, max(0, len(words) - n * need + 1)):
            gram = words[i:i + n]
            count = 1
            j = i + n
            while words[j:j + n] == gram:
                count += 1
                j += n
            if count >= need:
                return f"the {n}-gram {' '.join(gram)!r} repeated {count} times"
    return compresses_too_well(text, min_bytes=60, limit=2.4)


def compresses_too_well(text: str, min_bytes: int, limit: float) -> str | None:
    """Why ``text`` looks like a loop ("compression ratio R > limit") when zlib compresses it (at least
    ``min_bytes`` of UTF-8) more than ``limit`` times, else None: repeated text compresses, speech does not."""
    raw = text.encode("utf-8")
    if len(raw) >= min_bytes:
        ratio = len(raw) / len(zlib.compress(raw))
        if ratio > limit:
            return f"compression ratio {ratio:.1f} > {limit:.1f}"
    return None


def hallucination(text: str) -> str | None:
    """Name the known non-speech phrase (or web address) ``text`` contains, or None."""
    if _WEB.search(text.lower()):
        return "a web address"
    norm = f" {normalize_turkish(text)} "
    for phrase in HALLUCINATIONS:
        if f" {phrase} " in norm:
            return f"known hallucination {phrase!r}"
    return None


def check_transcript(text: str, language: str = "tr") -> list[str]:
    """Reasons to reject ``text`` as the transcript of one speech piece; [] when it passes.

    Each reason starts with a keyword (empty, hallucination, repetition, not_turkish) that the
    chain stores in the segment's flags."""
    if not text or not any(c.isalnum() for c in text):
        return ["empty"]
    reasons = []
    if (why := hallucination(text)):
        reasons.append(f"hallucination: {why}")
    if (why := repetition(text)):
        reasons.append(f"repetition: {why}")
    if language == "tr" and not looks_turkish(text):
        reasons.append("not_turkish")
    return reasons


def judge(text: str, language: str = "tr", gate: bool = True) -> list[str]:
    """The reasons the chain rejects ``text`` (:func:`check_transcript`); with the gate off
    (``asr.quality_gate: false``) only emptiness counts."""
    if gate:
        return check_transcript(text, language)
    return [] if text.strip() else ["empty"]
