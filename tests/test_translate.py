"""Translation logic without a real model: parser fixtures, the line-count guarantee, resume,
batching, glossary, series memory and typography (a scripted fake LLM stands in for the model)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from altyazi.errors import ConfigError, TranslationError
from altyazi.recordfiles import RecordFileError, read_segments
from altyazi.records import Segment
from altyazi.translate import translate_segments
from altyazi.translate.batching import cut_batches
from altyazi.translate.glossary import load_glossary, relevant_terms
from altyazi.translate.memory import SeriesMemory
from altyazi.translate.parse import match_reply, parse_reply
from altyazi.translate.prompts import load_prompt, parse_prompt_text
from altyazi.translate.typography import NNBSP, french_typography

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "translate"
REPLIES = json.loads((FIXTURES / "replies.json").read_text(encoding="utf-8"))
_LINES = re.compile(r"Translate these \d+ numbered lines:\n(.*?)\n(?:\n|$)", re.S)


class Killed(Exception):
    pass


class FakeChatLLM:
    """Scripted chat model: ``behave(lines, strict, call)`` returns the reply for the numbered Turkish
    ``lines`` of one conversation. It records every batch it was asked (``asked``) and every
    conversation it was given (``conversations``: what the prompts showed)."""

    is_chat = True
    model_ref = "fake-chat"

    def __init__(self, behave, kill_after: int | None = None, batch_size: int = 4):
        self.behave, self.kill_after, self.batch_size = behave, kill_after, batch_size
        self.asked: list[list[str]] = []
        self.conversations: list[list[dict]] = []
        self.new_tokens, self.gen_seconds = 0, 0.0

    def chat(self, conversations, max_new_tokens):
        self.conversations.extend(conversations)
        replies = []
        for conv in conversations:
            if self.kill_after is not None and len(self.asked) >= self.kill_after:
                raise Killed()
            user = conv[-1]["content"]
            lines = [re.sub(r"^\d+\. ", "", line) for line in _LINES.search(user).group(1).splitlines()]
            self.asked.append(lines)
            replies.append(self.behave(lines, "previous answer was rejected" in user, len(self.asked)))
            self.new_tokens += 10 * len(lines)
        self.gen_seconds += 0.01
        return replies


def fr(line: str) -> str:
    """The scripted model's French for a Turkish test line: deterministic, French enough for the
    guards (a placeholder such as "FR<Satır 0>" keeps Turkish words and is rejected), names kept."""
    n = "".join(c for c in line if c.isdigit()) or str(sum(map(ord, line)) % 1000)
    return f"C'est la ligne {n}, pour Yaman."


def good(lines, strict, call):
    return "\n".join(f"{i}. {fr(line)}" for i, line in enumerate(lines, 1))


def segments(n: int, gap_every: int = 0) -> list[Segment]:
    out, t = [], 0.0
    for i in range(n):
        t += 3.0 if gap_every and i % gap_every == 0 else 0.5
        out.append(Segment(i, round(t, 3), round(t + 1.5, 3), f"Satır {i} Yaman"))
        t += 1.5
    return out


def settings(tmp_path, **kw):
    return {"model": "fake-chat", "batch_lines": 4, "context_lines": 2, "lookahead_lines": 1, "retries": 1,
            "glossary": str(ROOT / "glossary.tsv"), "memory": str(tmp_path / "memory.json"), "episode": "e01",
            "cache_dir": str(tmp_path / "cache"), **kw}


# ---- parser ------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", REPLIES, ids=[c["name"] for c in REPLIES])
def test_reply_fixtures(case):
    parsed = parse_reply(case["reply"])
    texts, reason = match_reply(parsed, case["count"])
    assert (texts is not None) == case["accept"], reason
    if case["accept"]:
        assert texts == case["texts"]
    if "summary" in case:
        assert parsed.summary == case["summary"]
    if "address" in case:
        assert [list(a) for a in parsed.address] == case["address"]


@pytest.mark.parametrize("case", [c for c in REPLIES if not c["accept"]], ids=lambda c: c["name"])
def test_guarantee_every_bad_reply_ends_in_one_line_per_id(case, tmp_path):
    """A model that always answers a batch with a broken reply: halving down to one line, then the
    single line is answered properly or kept in Turkish with a flag; ids/times copied, order kept."""
    n = case["count"]

    def behave(lines, strict, call):  # every full batch gets the broken reply, its halves good ones
        return case["reply"] if len(lines) == n else good(lines, strict, call)

    segs = segments(2 * n + 1)
    out, summary = translate_segments(segs, settings(tmp_path, batch_lines=n), llm=FakeChatLLM(behave))
    assert [(s.id, s.start, s.end) for s in out] == [(s.id, s.start, s.end) for s in segs]
    assert [s.text for s in out] == [s.text for s in segs]
    for seg in out:
        if "untranslated" in seg.flags:
            assert seg.translation == seg.text
        else:
            assert seg.translation == fr(seg.text)
    assert summary["translated"] + summary["untranslated"] == len(segs)
    if n == 1:  # the reply is broken even for a single line: Turkish kept, flagged
        assert summary["untranslated"] == len(segs) and summary["retries"] == len(segs)
    else:
        assert summary["translated"] == len(segs) and summary["halvings"] >= 2


def test_retry_with_stricter_prompt_then_accepts(tmp_path):
    def behave(lines, strict, call):
        return good(lines, strict, call) if strict else "1. only one line"
    llm = FakeChatLLM(behave)
    out, summary = translate_segments(segments(4), settings(tmp_path), llm=llm)
    assert summary["retries"] == 1 and summary["halvings"] == 0 and summary["flagged"] == 0
    assert [s.translation for s in out] == [fr(f"Satır {i} Yaman") for i in range(4)]


def test_empty_lines_are_kept_not_sent(tmp_path):
    segs = segments(3)
    segs[1].text = "  "
    llm = FakeChatLLM(good)
    out, summary = translate_segments(segs, settings(tmp_path), llm=llm)
    assert [s.translation for s in out] == [fr("Satır 0 Yaman"), "", fr("Satır 2 Yaman")]
    assert llm.asked == [["Satır 0 Yaman", "Satır 2 Yaman"]]
    assert summary["to_translate"] == 2


def test_duplicate_ids_in_tr_json_are_an_error_naming_the_file(tmp_path):
    segs = segments(2)
    segs[1].id = 0
    path = tmp_path / "tr.json"
    path.write_text(json.dumps({"language": "tr", "segments": [s.to_dict() for s in segs]}), encoding="utf-8")
    with pytest.raises(RecordFileError, match=r"tr.json: segments: id 0 appears more than once") as err:
        read_segments(path, "tr")
    assert "--forcerun asr" in err.value.hint


# ---- resume ------------------------------------------------------------------------------------
def test_resume_after_kill_generates_only_the_rest(tmp_path):
    segs = segments(20, gap_every=4)          # 5 batches of 4 lines
    first = FakeChatLLM(good, kill_after=3)
    with pytest.raises(Killed):
        translate_segments(segs, settings(tmp_path), llm=first)
    assert len(first.asked) == 3
    second = FakeChatLLM(good)
    out, summary = translate_segments(segs, settings(tmp_path), llm=second)
    assert summary["cached_batches"] == 3 and summary["generated_batches"] == 2
    assert [line for b in second.asked for line in b] == [s.text for s in segs[12:]]
    assert [s.translation for s in out] == [fr(s.text) for s in segs]
    third = FakeChatLLM(good)                  # an identical rerun costs nothing
    out3, summary3 = translate_segments(segs, settings(tmp_path), llm=third)
    assert third.asked == [] and summary3["cached_batches"] == 5 and out3 == out


def test_cache_skips_a_torn_last_line(tmp_path):
    segs = segments(8, gap_every=4)
    translate_segments(segs, settings(tmp_path), llm=FakeChatLLM(good))
    path = tmp_path / "cache" / "batches.jsonl"
    path.write_text(path.read_text(encoding="utf-8")[:-40], encoding="utf-8")  # killed mid-write
    llm = FakeChatLLM(good)
    _, summary = translate_segments(segs, settings(tmp_path), llm=llm)
    assert summary["cached_batches"] == 1 and len(llm.asked) == 1


def test_changed_prompt_or_settings_miss_the_cache(tmp_path):
    segs = segments(4)
    translate_segments(segs, settings(tmp_path), llm=FakeChatLLM(good))
    llm = FakeChatLLM(good)
    translate_segments(segs, settings(tmp_path, temperature=0.3), llm=llm)
    assert len(llm.asked) == 1


# ---- streams, context, glossary in prompts -----------------------------------------------------
def test_streams_batch_several_conversations_per_call(tmp_path):
    calls = []

    class Counting(FakeChatLLM):
        def chat(self, conversations, max_new_tokens):
            calls.append(len(conversations))
            return super().chat(conversations, max_new_tokens)

    segs = segments(16, gap_every=4)
    out, summary = translate_segments(segs, settings(tmp_path, streams=2), llm=Counting(good))
    assert calls == [2, 2] and summary["streams"] == 2
    assert [s.translation for s in out] == [fr(s.text) for s in segs]


def test_prompt_carries_context_lookahead_summary_and_only_relevant_terms(tmp_path):
    def behave(lines, strict, call):  # every call reports the pair, even where Seher is not in sight
        return good(lines, strict, call) + f"\nSUMMARY: summary after call {call}\nADDRESS: Seher -> Yaman: vous"

    segs = segments(12, gap_every=4)
    segs[5].text = "Seher Hanım, Yaman Bey geldi."
    segs[9].text = "Seher, Yaman nerede?"
    llm = FakeChatLLM(behave)
    translate_segments(segs, settings(tmp_path), llm=llm)
    first, second, third = (c[-1]["content"] for c in llm.conversations[:3])
    assert "Following lines" in first and "Satır 4 Yaman" in first          # look-ahead
    assert "Previous lines" in second and f"-> {fr('Satır 3 Yaman')}" in second  # context with translation
    assert "Story so far: summary after call 1" in second
    assert "Seher Hanım = Madame Seher" in second and "Seher Hanım" not in first
    assert "Kiraz" not in first                                                 # irrelevant terms left out
    assert "Seher -> Yaman" not in second   # call 1 named Seher, who is in none of its lines: invented, not kept
    assert "Seher -> Yaman: vous" in third                                      # learnt from call 2
    memory = json.loads((tmp_path / "memory.json").read_text(encoding="utf-8"))
    assert memory["address"]["Seher -> Yaman"] == {"form": "vous", "episode": "e01"}


def test_name_lost_by_the_model_is_flagged(tmp_path):
    out, summary = translate_segments(segments(1), settings(tmp_path),
                                      llm=FakeChatLLM(lambda lines, s, c: "1. Ligne zéro"))
    assert out[0].flags == ["name_missing:Yaman"] and summary["name_missing"] == 1


# ---- series memory -----------------------------------------------------------------------------
def test_series_memory_across_episodes_first_form_wins(tmp_path):
    path = tmp_path / "series_memory.json"
    e02 = SeriesMemory(path, "e02")
    e02.observe("Seher", "Yaman", "vous")
    e02.save()
    e01 = SeriesMemory(path, "e01")            # run later, but must keep what e02 established
    assert e01.relevant("Seher Yaman") == [("Seher -> Yaman", "vous")]
    e01.observe("Seher", "Yaman", "tu")
    e01.observe("Kiraz", "Seher", "tu")
    e01.save()
    data = json.loads(path.read_text(encoding="utf-8"))["address"]
    assert data["Seher -> Yaman"]["form"] == "vous" and data["Kiraz -> Seher"]["episode"] == "e01"
    again = SeriesMemory(path, "e01")         # a rerun of e01 ignores its own entries: same prompts
    assert "Kiraz -> Seher" not in again.known and "Seher -> Yaman" in again.known


# ---- batching, glossary, prompts, typography ---------------------------------------------------
def test_batches_cut_at_longest_pause():
    lines = [Segment(i, float(i), i + 0.9) for i in range(10)]
    lines[6] = Segment(6, 9.0, 9.5)
    lines[7:] = [Segment(7 + i, 10.0 + i, 10.9 + i) for i in range(3)]
    batches = cut_batches(lines, 8)
    assert [len(b) for b in batches] == [6, 4]
    assert sum(len(b) for b in cut_batches(lines * 7, 5)) == 70


def test_glossary_terms_with_turkish_suffixes_and_casing(tmp_path):
    terms = load_glossary(ROOT / "glossary.tsv")
    found = [t.display for t in relevant_terms(terms, ["Yaman Bey'in KONAĞINDA Kiraz'ı uyumuyor."])]
    assert found[0] == "Yaman Bey" and {"Yaman", "Kiraz", "konak"} <= set(found) and "Seher" not in found
    assert relevant_terms(terms, ["Bu bir emir, adalet istiyoruz."]) == []  # common words, not names
    bad = tmp_path / "g.tsv"
    bad.write_text("turkish\tfrench\tnote\nYaman\t\t\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_glossary(bad)


def test_prompt_files_are_versioned_and_complete():
    chat, base = load_prompt("chat"), load_prompt("base")
    assert chat.version.startswith("translate-chat.v2.txt@") and base.version != chat.version
    assert {"system", "user", "stricter"} <= set(chat.sections) and {"header", "shots", "pair"} <= set(base.sections)
    with pytest.raises(TranslationError):
        parse_prompt_text("=== user ===\n$unknown\n").render("user")


@pytest.mark.parametrize("raw, expected", [
    ('"Viens ici!"', f"Viens ici{NNBSP}!"),
    ("« Je t'aime. »", "Je t'aime."),
    ("Quoi?! Non...", f"Quoi{NNBSP}?! Non…"),
    ('Il a dit "non".', f"Il a dit «{NNBSP}non{NNBSP}»."),
    ("Il est 10:30 : on part", f"Il est 10:30{NNBSP}: on part"),
    ("Merci. (N.d.T. : littéralement « que ta main soit saine »)", "Merci."),
    ("Salut ; ça va ?", f"Salut{NNBSP}; ça va{NNBSP}?"),
    ("- Où ?\n- Ici.", f"- Où{NNBSP}? - Ici."),
    ('Je m"en vais, dit-il "demain".', f"Je m'en vais, dit-il «{NNBSP}demain{NNBSP}»."),
])
def test_french_typography(raw, expected):
    assert french_typography(raw) == expected


def test_evaluate_scores_and_counts_lost_lines(tmp_path):
    from tools.evaluate_translation import evaluate, read_pairs

    tsv = tmp_path / "pairs.tsv"
    tsv.write_text("turkish\tfrench\nNasılsın Yaman?\tComment vas-tu Yaman ?\nGel.\tViens.\nGit.\tVa-t'en.\n",
                   encoding="utf-8")
    pairs = read_pairs(tsv)
    answers = {"Nasılsın Yaman?": "Comment vas-tu Yaman ?", "Gel.": "Viens."}

    def behave(lines, strict, call):  # the third line never gets an answer: lost, kept in Turkish
        if len(lines) > 1:
            return "1. x"
        return f"1. {answers[lines[0]]}" if lines[0] in answers else "nothing"

    report = evaluate(pairs, settings(tmp_path, batch_lines=3, retries=0), llm=FakeChatLLM(behave), total_pairs=30)
    assert report["pairs"] == 3 and report["lines_out"] == 3 and report["lines_lost"] == 1
    assert 0 < report["chrf"] < 100 and report["samples"][0]["translation"] == f"Comment vas-tu Yaman{NNBSP}?"
    assert report["projected_seconds_full_set"] >= 0 and report["full_set_pairs"] == 30


class FakeBaseLLM:
    """Scripted base model: ``behave(prompt)`` completes one few-shot prompt."""

    is_chat = False
    model_ref = "fake-base"
    batch_size = 4

    def __init__(self, behave):
        self.behave, self.prompts, self.new_tokens, self.gen_seconds = behave, [], 0, 0.0

    def complete(self, prompts, max_new_tokens, stop="\n"):
        self.prompts.extend(prompts)
        return [self.behave(p) for p in prompts]


@pytest.mark.parametrize("fixed_on_retry", [True, False])
def test_base_model_line_that_loses_a_name_is_reasked_then_flagged(tmp_path, fixed_on_retry):
    def behave(prompt):
        strict = "Names stay exactly as written" in prompt
        return " Kiraz dort\u00a0?\nTurkish: x" if strict and fixed_on_retry else " Elle dort ?\n"

    llm = FakeBaseLLM(behave)
    segs = [Segment(7, 0.0, 1.0, "Kiraz uyuyor mu?")]
    out, summary = translate_segments(segs, settings(tmp_path, retries=2), llm=llm)
    assert "Turkish: Kiraz uyuyor mu?\nFrench (" in llm.prompts[0] and summary["kind"] == "base"
    if fixed_on_retry:
        assert out[0].translation == f"Kiraz dort{NNBSP}?" and out[0].flags == [] and summary["retries"] == 1
    else:
        assert out[0].translation == f"Elle dort{NNBSP}?" and out[0].flags == ["name_missing:Kiraz"]
        assert len(llm.prompts) == 2  # greedy: the second strict attempt would repeat the first, not asked


def test_base_model_repetition_loop_is_rejected(tmp_path):
    llm = FakeBaseLLM(lambda p: " Ille ille, ille ille, ille ille, ille ille, ille ille, il" if "Names" not in p
                      and p.count("Turkish:") else " x")
    segs = [Segment(0, 0.0, 1.0, "Büyümekte olan bir çocuğun ilaçlara ihtiyacı vardır.")]
    out, summary = translate_segments(segs, settings(tmp_path, retries=1), llm=llm)
    assert out[0].flags == ["untranslated"] and out[0].translation == out[0].text
    assert len(llm.prompts) == 2  # the retry shows no budgets, so it differs and is asked (greedy reuse needs the same prompt)


def test_auto_streams_fill_the_translator_batch(tmp_path):
    """streams: auto -> as many parts as the translator's batch holds (one chat job per part), so a
    generate call carries batch_size prompts instead of the old fixed 4."""
    calls = []

    class Counting(FakeChatLLM):
        def chat(self, conversations, max_new_tokens):
            calls.append(len(conversations))
            return super().chat(conversations, max_new_tokens)

    segs = segments(40, gap_every=4)             # 10 batches of 4 lines
    out, summary = translate_segments(segs, settings(tmp_path, streams=4), llm=Counting(good, batch_size=8))
    assert calls == [4, 4, 2]                    # fixed streams: the batch width never exceeds 4
    calls.clear()
    out, summary = translate_segments(segs, settings(tmp_path / "auto", streams="auto"), llm=Counting(good, batch_size=8))
    assert calls == [8, 2] and summary["streams"] == 8
    assert [s.translation for s in out] == [fr(s.text) for s in segs]
