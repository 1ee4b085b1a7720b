"""French line breaking: fixture cases a subtitler would check, and general guarantees."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altyazi.subtitles.linebreak import FORBIDDEN, break_cost, break_lines, tokenize

# (text, expected lines): each case names the rule it checks.
CASES = [
    pytest.param("Il y a un chien dans ce village.", ["Il y a un chien dans ce village."], id="fits-one-line"),
    pytest.param("Je ne sais pas où il est parti, mais il reviendra ce soir.",
                 ["Je ne sais pas où il est parti,", "mais il reviendra ce soir."], id="after-comma"),
    pytest.param("Yaman est rentré à la maison. Kiraz dort déjà depuis une heure.",
                 ["Yaman est rentré à la maison.", "Kiraz dort déjà depuis une heure."], id="after-sentence"),
    pytest.param("Tu dois absolument parler à Seher avant demain matin sans faute",
                 ["Tu dois absolument parler à Seher", "avant demain matin sans faute"], id="before-preposition"),
    pytest.param("Nous avons attendu toute la soirée et personne n'est venu nous voir",
                 ["Nous avons attendu toute la soirée", "et personne n'est venu nous voir"], id="before-conjunction"),
    pytest.param("Hier soir, j'ai vu la voiture rouge de ton frère devant la maison",
                 ["Hier soir, j'ai vu la voiture rouge", "de ton frère devant la maison"], id="comma-vs-balance"),
    pytest.param("Demain je vais aller voir Yaman Kırımlı à son bureau de la ville",
                 ["Demain je vais aller voir Yaman Kırımlı", "à son bureau de la ville"], id="first-last-name"),
    pytest.param("Il faut absolument que tu appelles Seher Hanım avant ce soir",
                 ["Il faut absolument", "que tu appelles Seher Hanım avant ce soir"], id="name-with-title"),
    pytest.param("Franchement, ce garçon ne comprend jamais rien à ce que je dis",
                 ["Franchement, ce garçon", "ne comprend jamais rien à ce que je dis"], id="negation-verb"),
    pytest.param("Après tout ce temps passé loin de vous, nous rentrons enfin",
                 ["Après tout ce temps passé loin de vous,", "nous rentrons enfin"], id="pronoun-verb"),
    pytest.param("Où est-ce que tu as mis les clés de la voiture\u202f? Je les cherche",
                 ["Où est-ce que tu as mis les clés", "de la voiture\u202f? Je les cherche"], id="nnbsp-question"),
]


@pytest.mark.parametrize("text, expected", CASES)
def test_line_breaking_cases(text, expected):
    assert break_lines(text) == expected


@pytest.mark.parametrize("left, right", [
    ("la", "maison"), ("un", "homme"), ("ses", "enfants"),          # article | noun
    ("Yaman", "Kırımlı"), ("Seher", "Hanım"), ("Monsieur", "Dupont"),  # names and titles
    ("je", "pense"), ("nous", "partons"), ("il", "vient"),           # pronoun | verb
    ("ne", "viens"), ("n'", "est"),                                  # negation | verb
    ("voiture", "?"),                                                 # never before a lone mark
])
def test_forbidden_breaks(left, right):
    assert break_cost(["Alors", left, right, "demain"], 2) == FORBIDDEN


def test_good_breaks_beat_neutral_ones():
    toks = "Il est parti, mais Kiraz attendait avec sa mère".split()
    after_comma, before_avec, neutral, after_mais = (break_cost(toks, i) for i in (3, 6, 5, 4))
    assert after_comma < before_avec < neutral == 0.0 < after_mais


def test_pyramid_shape_when_the_break_is_free():
    lines = break_lines("Cette histoire commence bien avant la naissance de Kiraz et de son frère")
    assert len(lines) == 2 and len(lines[0]) <= len(lines[1])


def test_too_much_text_is_never_dropped():
    text = " ".join(["extraordinairement"] * 8)
    lines = break_lines(text)
    assert tokenize(" ".join(lines)) == tokenize(text) and len(lines) > 2  # flagged later, never cut


def test_turkish_uses_punctuation_and_names_only():
    assert break_lines("Yaman Bey eve gelmedi mi acaba, bilmiyorum ama Kiraz uyumuyor", lang="tr") == \
        ["Yaman Bey eve gelmedi mi acaba,", "bilmiyorum ama Kiraz uyumuyor"]


WORDS = st.sampled_from(["le", "chien", "Yaman", "ne", "vient", "pas", "et", "dans", "maison,", "soir.",
                         "quoi\u202f?", "extraordinaire", "à", "l'homme", "Seher", "Hanım"])


@settings(max_examples=200, deadline=None)
@given(st.lists(WORDS, min_size=1, max_size=25))
def test_words_kept_and_limits_met_when_possible(words):
    text = " ".join(words)
    lines = break_lines(text)
    assert tokenize(" ".join(lines)) == words
    assert all(len(line) <= 42 for line in lines)  # no word in WORDS is longer than a line
    if len(text) <= 42:
        assert lines == [text]
