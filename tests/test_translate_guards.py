"""Guards, no contagion, character budgets and condensation, with scripted fake models.

The adversarial corpus (tests/fixtures/translate/adversarial.json) holds degenerate replies of the
kinds local models produce (character loops, alternating syllables, the previous line repeated, the
look-ahead lines translated, English, half Turkish, prompt echoes, translator notes) and good French
replies, short ones included; every one goes through both prompt styles' ``accept``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from test_translate import ROOT, FakeBaseLLM, FakeChatLLM, fr, good, segments, settings

from altyazi.records import Segment, Word
from altyazi.subtitles.rules import SubtitleRules
from altyazi.translate import translate_segments
from altyazi.translate.budget import line_budgets
from altyazi.translate.glossary import load_glossary, relevant_terms
from altyazi.translate.guards import LineContext, check_line
from altyazi.translate.prompts import load_prompt
from altyazi.translate.strategies import BaseStrategy, ChatStrategy, Job
from altyazi.translate.typography import NNBSP

CORPUS = json.loads((Path(__file__).parent / "fixtures" / "translate" / "adversarial.json").read_text(encoding="utf-8"))
TERMS = load_glossary(ROOT / "glossary.tsv")


def corpus_job(case) -> Job:
    prev = [tuple(p) for p in case.get("previous", [])]
    look = case.get("look", [])
    found = relevant_terms(TERMS, [case["source"]] + [p[0] for p in prev] + look)
    return Job([Segment(0, 0.0, 2.0, case["source"])], prev, look, None, [], found)


def verdicts(style: str) -> list[tuple[dict, str | None]]:
    out = []
    for case in CORPUS:
        job = corpus_job(case)
        if style == "chat":
            strategy = ChatStrategy(load_prompt("chat"), None, "Turkish", "French", 256)
            accepted, why = strategy.accept(job, f"1. {case['reply']}\nSUMMARY: x", last=True)
        else:
            strategy = BaseStrategy(load_prompt("base"), None, "Turkish", "French", 96)
            accepted, why = strategy.accept(job, f" {case['reply']}\nTurkish: x", last=True)
        out.append((case, None if accepted else why))
    return out


def test_corpus_is_large_enough_and_covers_every_kind():
    bad = Counter(c["kind"] for c in CORPUS if not c["accept"])
    assert sum(bad.values()) >= 40 and sum(not c["accept"] for c in CORPUS) >= 40
    assert sum(c["accept"] for c in CORPUS) >= 40
    assert sum(c["accept"] and len(c["reply"]) <= 8 for c in CORPUS) >= 10  # short good lines
    assert {"char_loop", "alternating", "previous_line", "lookahead", "english", "half_turkish", "turkish",
            "echo_label", "echo_numbering", "note"} <= set(bad)
    assert any(" " not in c["reply"].split(" ", 1)[-1] and len(c["reply"]) > 30 for c in CORPUS
               if c["kind"] == "char_loop")  # a loop with no space in it


@pytest.mark.parametrize("style", ["chat", "base"])
def test_adversarial_corpus_confusion_table(style):
    """Every degenerate reply rejected, every good one accepted (the table is printed for the note)."""
    table = Counter()
    wrong = []
    for case, why in verdicts(style):
        table[("good" if case["accept"] else "degenerate", "accepted" if why is None else "rejected")] += 1
        if (why is None) != case["accept"]:
            wrong.append((case["kind"], case["reply"], why))
    print(f"\n{style}: degenerate rejected {table['degenerate', 'rejected']}, accepted {table['degenerate', 'accepted']};"
          f" good accepted {table['good', 'accepted']}, rejected {table['good', 'rejected']}")
    assert wrong == []


def test_guards_name_the_failure():
    ctx = LineContext("Sen ne diyorsun?")
    assert "character loop" in check_line("Tu mûmûmûmûmûmûmûmûmûmûmûmûmûmûmûmû", ctx)
    assert "Turkish words" in check_line("Zuhal, je ne pas savoir si tu ne teselli edersin ?",
                                         LineContext("Zuhal, seni teselli edemem ki.", ["Zuhal"]))
    assert "English" in check_line("Where are you going?", LineContext("Nereye gidiyorsun?"))
    assert check_line("Seher ?", LineContext("Seher?", ["Seher"])) is None


# ---- engine: untranslated lines, no contagion, retry ladder ------------------------------------
def test_untranslated_line_is_the_turkish_without_french_typography(tmp_path):
    segs = [Segment(0, 0.0, 2.0, "öyle mi dinle?")]
    out, summary = translate_segments(segs, settings(tmp_path, retries=1),
                                      llm=FakeChatLLM(lambda lines, s, c: "1. öyle mi dinle ?"))
    assert out[0].flags == ["untranslated"] and out[0].translation == "öyle mi dinle?"
    assert NNBSP not in out[0].translation and summary["untranslated"] == 1


def test_rejected_or_retried_lines_never_become_context(tmp_path):
    """Batch 1's reply loops on its 2nd line: retried, accepted on the strict re-ask. Its lines
    must not appear as translated context (nor its summary) in batch 2's prompt."""
    def behave(lines, strict, call):
        if lines[0] == "Satır 0 Yaman" and not strict:
            return "1. C'est la ligne 0, pour Yaman.\n2. Tu mûmûmûmûmûmûmûmûmûmûmûmûmû\nSUMMARY: bad"
        return good(lines, strict, call) + f"\nSUMMARY: summary {call}"

    segs = segments(4, gap_every=2)
    llm = FakeChatLLM(behave)
    out, summary = translate_segments(segs, settings(tmp_path, batch_lines=2, context_lines=2), llm=llm)
    convs = [c[-1]["content"] for c in llm.conversations]
    assert [s.translation for s in out] == [fr(s.text) for s in segs]
    assert "line 2: character loop" in convs[1] and "previous answer was rejected" in convs[1]
    third = convs[2]
    assert "Previous lines" in third and fr("Satır 1 Yaman") not in third and fr("Satır 0 Yaman") not in third
    assert "Story so far" not in third  # the retried reply's summary is not carried on
    assert summary["kept_out_of_context"] == 2 and summary["retries"] == 1


def test_base_model_shots_come_only_from_clean_lines(tmp_path):
    def behave(prompt):
        last = prompt.rsplit("Turkish: ", 1)[1]
        if last.startswith("Satır 0") and "Names stay" not in prompt:
            return " Yaman, lalalalalalalalalalalala"   # rejected, then fixed on the strict re-ask
        return " " + fr(last.split("\n", 1)[0])

    llm = FakeBaseLLM(behave)
    out, _ = translate_segments(segments(3), settings(tmp_path, batch_lines=1, retries=1), llm=llm)
    assert [s.translation for s in out] == [fr(f"Satır {i} Yaman") for i in range(3)]
    later = [p for p in llm.prompts if p.rstrip().endswith(tuple(f"Turkish: Satır {i} Yaman\nFrench ({b} characters max):"
                                                               for i in (1, 2) for b in range(200)))]
    assert later and all(fr("Satır 0 Yaman") not in p for p in later)   # retried line: never a shot
    assert any(fr("Satır 1 Yaman") in p for p in later)                   # a clean one is


def test_third_attempt_drops_the_context():
    strategy = ChatStrategy(load_prompt("chat"), None, "Turkish", "French", 256)
    job = Job([Segment(0, 0.0, 1.0, "Gel.")], [("Nereye?", "Où ?")], ["Kiraz uyuyor."], "story", [], [], [20])
    full, strict, alone = (strategy.render(job, level, "line 1: English")[-1]["content"] for level in (0, 1, 2))
    assert "Previous lines" in full and "Following lines" in full and "Story so far" in full
    assert "line 1: English" in strict and "Previous lines" in strict
    assert "Previous lines" not in alone and "Following lines" not in alone and "Story so far" not in alone
    assert "Character budget per line (spaces included): 1: 20" in full


# ---- budgets and condensation ------------------------------------------------------------------
def timed(i: int, start: float, end: float, text: str) -> Segment:
    return Segment(i, start, end, text, [Word(start, end, text)])


def test_budget_is_max_cps_times_the_time_to_the_next_cue():
    rules = SubtitleRules()
    segs = [timed(0, 10.0, 11.0, "Gel."), timed(1, 12.0, 13.0, "Git."), timed(2, 30.0, 31.0, "Dur.")]
    b = line_budgets(segs, rules)
    assert b[0] == int(17 * (2.0 - 2 / 25))        # up to the next onset minus the 2-frame gap
    assert b[1] == int(17 * 7.0) and b[2] == int(17 * 7.0)   # at most max_duration_s


def condense_case(tmp_path, reply, kind="chat", **kw):
    """One line of 1 s (budget 17 + a little) whose first translation is far too long."""
    long = "Je ne sais vraiment pas ce que tu veux que je fasse maintenant, Kiraz."
    segs = [timed(0, 0.0, 1.0, "Şimdi ne yapmamı istediğini gerçekten bilmiyorum, Kiraz."), timed(1, 2.0, 3.0, "Bilmiyorum.")]
    asked = []

    def chat_behave(lines, strict, call):
        return "\n".join(f"{i}. {long if line.startswith('Şimdi') else 'Je ne sais pas.'}" for i, line in enumerate(lines, 1))

    class Chat(FakeChatLLM):
        def chat(self, conversations, max_new_tokens):
            if "Rewrite the French subtitle" in conversations[0][-1]["content"]:
                asked.extend(c[-1]["content"] for c in conversations)
                return [reply for _ in conversations]
            return super().chat(conversations, max_new_tokens)

    class Base(FakeBaseLLM):
        def complete(self, prompts, max_new_tokens, stop="\n"):
            if prompts[0].startswith("French subtitles shortened"):
                asked.extend(prompts)
                return [f" {reply}" for _ in prompts]
            return super().complete(prompts, max_new_tokens, stop)

    llm = Chat(chat_behave) if kind == "chat" else Base(
        lambda p: f" {long}" if p.rstrip().split("Turkish: ")[-1].startswith("Şimdi") else " Je ne sais pas.")
    out, summary = translate_segments(segs, settings(tmp_path, **kw), llm=llm)
    return out, summary["condense"], asked, long


@pytest.mark.parametrize("kind", ["chat", "base"])
def test_condensation_accepts_a_shorter_line_that_passes_the_guards(tmp_path, kind):
    out, stats, asked, long = condense_case(tmp_path, "Je fais quoi, Kiraz ?", kind)
    assert len(asked) == 1 and long in asked[0] and "Kiraz" in asked[0]
    assert out[0].translation == f"Je fais quoi, Kiraz{NNBSP}?" and out[1].translation == "Je ne sais pas."
    assert stats["over_budget_before"] == 1 and stats["shortened"] == 1 and stats["over_budget_after"] == 0
    assert stats["lines"][0]["before"] == long
    again, stats2, asked2, _ = condense_case(tmp_path, "never asked", kind)   # rerun: from the cache
    assert asked2 == [] and stats2["from_cache"] == 1 and again[0].translation == out[0].translation


@pytest.mark.parametrize("reply", [
    "Je ne sais vraiment pas ce que tu veux que je fasse maintenant, ma petite Kiraz.",  # longer
    "Je fais quoi, Kiraz ? mûmûmûmûmûmûmû",                                             # a loop
    "Je fais quoi ?",                                                                    # lost the name
    "What do I do, Kiraz?",                                                              # English
    "Je ne sais vraiment pas ce que tu veux que je fasse maintenant Kiraz",             # punctuation only
])
def test_condensation_refuses_longer_degenerate_or_nameless_replies(tmp_path, reply):
    out, stats, asked, long = condense_case(tmp_path, reply)
    assert len(asked) == 1 and out[0].translation == long and stats["shortened"] == 0
    assert stats["over_budget_after"] == 1


def test_condensation_can_be_switched_off(tmp_path):
    segs = [timed(0, 0.0, 1.0, "Ne yapayım, Kiraz?")]
    out, summary = translate_segments(segs, settings(tmp_path, condense=False),
                                      llm=FakeChatLLM(lambda lines, s, c: "1. " + "Je ne sais vraiment pas quoi faire, Kiraz."))
    assert "condense" not in summary and out[0].translation == "Je ne sais vraiment pas quoi faire, Kiraz."


def test_budget_rules_come_from_the_subtitles_block_only():
    from altyazi.settings import translate_settings

    config = {"profile": "offline", "profiles": {"offline": {"models": {"translator": "models/x.gguf"}}},
              "translate": {"batch_lines": 4}, "subtitles": {"max_cps": 15.0, "formats": ["srt", "vtt"]}}
    rules = translate_settings(config)["subtitle_rules"]
    assert rules == {"max_cps": 15.0}   # formats does not rerun the translation
    assert SubtitleRules.from_config(rules).max_cps == 15.0
