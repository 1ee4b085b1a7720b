"""translate_segments: tr.json segments -> fr.json segments, with the line-count guarantee.

Flow: the non-empty lines are cut into batches at the longest pauses; each batch is answered from
the disk cache or by the model (retries with a stricter instruction, then halving down to one line,
then the Turkish kept with the flag ``untranslated``); French typography is applied; ids, starts
and ends are copied from the input, never taken from the model.

Chat models translate ``streams`` contiguous parts of the episode side by side (one batch of each
per generate call, so a GPU is used in batches while each part keeps its running context); base
models translate the lines of a batch side by side, one completion each.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from ..log import get_logger, progress
from ..records import FLAGS, Segment, flag_name
from ..subtitles.rules import SubtitleRules
from .base import Translator
from .batching import cut_batches
from .budget import line_budgets
from .cache import BatchCache, cache_key
from .condense import condense_lines
from .glossary import load_glossary, names_to_keep, relevant_terms
from .guards import GUARDS_VERSION, check_summary
from .memory import SeriesMemory
from .prompts import load_prompt
from .strategies import BaseStrategy, ChatStrategy, Job, speaker_line, speaker_tag
from .typography import french_typography

log = get_logger("translate")


@dataclass
class Outcome:
    texts: list[str]
    flags: list[list[str]]
    summary: str | None = None
    address: list[tuple[str, str, str]] = field(default_factory=list)
    retries: int = 0
    halvings: int = 0
    # per line: accepted on the first attempt of its batch (never rejected, retried or halved);
    # only such lines may become context of later prompts (no contagion, issue 15)
    clean: list[bool] = field(default_factory=list)

    def __post_init__(self):
        if not self.clean:
            first = self.retries == 0 and self.halvings == 0
            self.clean = [first and not f for f in self.flags]

    def to_json(self) -> dict:
        return {"texts": self.texts, "flags": self.flags, "summary": self.summary,
                "address": [list(a) for a in self.address], "retries": self.retries, "halvings": self.halvings,
                "clean": self.clean}

    @classmethod
    def from_json(cls, d: dict) -> "Outcome":
        return cls(list(d["texts"]), [list(f) for f in d["flags"]], d.get("summary"),
                   [tuple(a) for a in d.get("address", [])], int(d.get("retries", 0)), int(d.get("halvings", 0)),
                   [bool(c) for c in d.get("clean", [])])


def _ask(jobs: list[Job], strategy, retries: int) -> tuple[list[Outcome | None], list[int], dict[int, str]]:
    """The attempts of :func:`solve` before halving: every pending job asked together, up to
    ``retries`` more times with a stricter prompt. Returns the outcomes (None where still rejected),
    the rejected jobs and why each was rejected last."""
    outcomes: list[Outcome | None] = [None] * len(jobs)
    pending = list(range(len(jobs)))
    reasons: dict[int, str] = {}
    greedy = not getattr(strategy.llm, "temperature", 0)
    asked: dict[int, tuple] = {}  # job -> (prompt, reply): greedy decoding answers a same prompt the same
    for attempt in range(retries + 1):
        if not pending:
            break
        prompts = {i: strategy.render(jobs[i], strict=attempt, reason=reasons.get(i)) for i in pending}
        new = [i for i in pending if not (greedy and i in asked and asked[i][0] == prompts[i])]
        for i, reply in zip(new, strategy.generate([prompts[i] for i in new]) if new else []):
            asked[i] = (prompts[i], reply)
        still = []
        for i in pending:
            reply = asked[i][1]
            accepted, reason = strategy.accept(jobs[i], reply, last=attempt == retries)
            if accepted is None:
                reasons[i] = reason
                ids = [u.id for u in jobs[i].units]
                log.info("lines %s-%s: reply rejected (%s)%s", ids[0], ids[-1], reason,
                         ", retrying with a stricter prompt" if attempt < retries else "")
                log.debug("rejected reply: %r", reply[:2000])
                still.append(i)
            else:
                summary = accepted.summary if attempt == 0 and not check_summary(accepted.summary) else None
                outcomes[i] = Outcome(accepted.texts, [[] for _ in accepted.texts], summary,
                                      list(accepted.address) if attempt == 0 else [], retries=attempt,
                                      clean=[attempt == 0] * len(accepted.texts))
        pending = still
    return outcomes, pending, reasons


def _halve(job: Job) -> tuple[Job, Job]:
    """The two halves of a rejected job; each keeps as much context as the whole had (at least one
    line): the first looks ahead into the second, the second sees the first as previous lines."""
    mid = len(job.units) // 2
    first = Job(job.units[:mid], job.prev, [u.text for u in job.units[mid:]][:max(len(job.look), 1)],
                job.summary, job.address, job.terms)
    keep = max(len(job.prev), 1)
    second = Job(job.units[mid:], (job.prev + [(u.text, None) for u in job.units[:mid]])[-keep:],
                 job.look, job.summary, job.address, job.terms)
    log.info("lines %s-%s: halved into %d + %d lines", job.units[0].id, job.units[-1].id,
             mid, len(job.units) - mid)
    return first, second


def solve(jobs: list[Job], strategy, retries: int) -> list[Outcome]:
    """Answer every job with exactly one line per unit. Jobs are generated together (one batched
    call per attempt); a job whose reply is rejected is re-asked with the stricter prompt up to
    ``retries`` times, then halved (both halves of every failing job solved together, recursively);
    a single line that still fails keeps its Turkish text, flagged ``untranslated``, with a warning.

    Attempt 1 adds a stricter instruction naming why the reply was rejected, attempt 2 also drops
    the context (previous lines, summary, look-ahead); halving then shrinks the batch down to one
    line alone. Only lines accepted at the first attempt are ``clean`` (may become context)."""
    outcomes, pending, reasons = _ask(jobs, strategy, retries)
    halves, owners = [], []
    for i in pending:
        job = jobs[i]
        if len(job.units) == 1:
            unit = job.units[0]
            log.warning("line %s kept in Turkish (flag untranslated): %s after %d attempt(s): %r",
                        unit.id, reasons.get(i, "rejected"), retries + 1, unit.text[:80])
            outcomes[i] = Outcome([unit.text.strip()], [["untranslated"]], retries=retries, clean=[False])
            continue
        halves += _halve(job)
        owners.append(i)
    if halves:
        sub = solve(halves, strategy, retries)
        for k, i in enumerate(owners):
            a, b = sub[2 * k], sub[2 * k + 1]
            # a halved batch's reply was rejected: none of its lines, summary or address forms is context
            outcomes[i] = Outcome(a.texts + b.texts, a.flags + b.flags, None, [],
                                  retries + a.retries + b.retries, 1 + a.halvings + b.halvings,
                                  [False] * (len(a.texts) + len(b.texts)))
    return outcomes  # type: ignore[return-value]


def check_names(source: str, french: str, terms) -> list[str]:
    """Flags ``name_missing:<Name>`` for glossary names in the Turkish that the French lost."""
    return [f"name_missing:{t.french}" for t in names_to_keep(relevant_terms(terms, [source]))
            if t.french not in french]


def _split_streams(batches: list, streams: int) -> list[list]:
    """``streams`` contiguous runs of batches, as even as possible."""
    streams = max(1, min(streams, len(batches)))
    size, extra = divmod(len(batches), streams)
    out, i = [], 0
    for s in range(streams):
        n = size + (1 if s < extra else 0)
        out.append(batches[i:i + n])
        i += n
    return out


def stream_count(setting, llm: Translator, kind: str, batches: list) -> int:
    """How many contiguous parts of the episode are translated side by side.

    Within a part, batches run in order (each sees the previous French and the running summary);
    parts are independent, so a generate call can hold one job of each. ``auto``: enough parts to
    fill the translator's batch (prompts per generate call, from free VRAM): one job per part for a
    chat model, one job per line for a base model. An integer fixes it; absent: one part."""
    if setting != "auto":
        return int(setting or 1)
    planned = getattr(llm, "planned_batch_size", None)
    width = int(planned() if callable(planned) else getattr(llm, "batch_size", 1) or 1)
    per_batch = 1 if kind == "chat" else max(1, max((len(b) for b in batches), default=1))
    count = max(1, min(len(batches), -(-width // per_batch)))
    log.info("translation: %d stream(s) side by side to fill batches of %d prompt(s)", count, width)
    return count


def _load_llm(settings: dict) -> Translator:
    """The translator ``settings`` name, loaded lazily (weights on the first generate call)."""
    from .llm import LLM
    return LLM(settings["model"], device=settings.get("device", "auto"),
               temperature=float(settings.get("temperature", 0.0)),
               prompt_style=settings.get("prompt_style", "auto"), batch_size=settings.get("batch_size"),
               cpu_threads=settings.get("cpu_threads", 1)).load(weights=False)


@dataclass
class _Step:
    """One batch of one stream at one step of the loop: its jobs, cache key and cached outcome."""
    stream: int
    batch: list[Segment]
    jobs: list[Job]
    key: str
    cached: dict | None


def _joined(parts: list[Outcome]) -> Outcome:
    """The outcome of a batch answered as several jobs (a base model: one job per line)."""
    return Outcome([t for p in parts for t in p.texts], [f for p in parts for f in p.flags],
                   parts[-1].summary, [a for p in parts for a in p.address],
                   sum(p.retries for p in parts), sum(p.halvings for p in parts),
                   [c for p in parts for c in p.clean])


class _Translation:
    """One call of :func:`translate_segments`: the settings read once, the strategy, the context
    that later batches see (clean French lines, running summaries, address memory) and the stats."""

    def __init__(self, units: list[Segment], settings: dict, llm: Translator | None, stats: dict):
        self.units, self.settings, self.stats = units, settings, stats
        self.batch_lines = int(settings.get("batch_lines", 20))
        self.context_lines = int(settings.get("context_lines", 6))
        self.lookahead_lines = int(settings.get("lookahead_lines", 3))
        self.retries = int(settings.get("retries", 2))
        self.terms = load_glossary(settings.get("glossary"))
        self.memory = SeriesMemory(settings.get("memory"), str(settings.get("episode", "?")))
        self.cache = BatchCache(settings.get("cache_dir"))
        self.own_llm = llm is None
        self.llm = _load_llm(settings) if llm is None else llm
        self.prompts = settings.get("prompts") or {}
        self.kind = "chat" if self.llm.is_chat else "base"
        self.prompt = load_prompt(self.kind, self.prompts.get(self.kind))
        strategy_cls = ChatStrategy if self.kind == "chat" else BaseStrategy
        self.strategy = strategy_cls(self.prompt, self.llm, settings.get("source_language", "Turkish"),
                                     settings.get("target_language", "French"), int(settings.get("max_new_tokens", 1024)))
        if self.kind == "base":
            log.info("base model: one few-shot completion per line; no running summary and no address "
                     "memory (a base model cannot report them)")
        # each line's character budget (reading speed x the time its cue can stay on screen), from the
        # same rules the subtitles stage applies: it goes into the prompts and decides what is condensed
        self.budgets = line_budgets(units, SubtitleRules.from_config(settings.get("subtitle_rules")))
        self.french: dict = {}                    # id -> final French (context of later batches)
        self.position = {u.id: k for k, u in enumerate(units)}
        self.batches = cut_batches(units, self.batch_lines)
        self.streams = _split_streams(self.batches, stream_count(settings.get("streams"), self.llm, self.kind, self.batches))
        self.summaries: list[str | None] = [None] * len(self.streams)
        self.gen_settings = [settings.get("max_new_tokens"), settings.get("temperature"), self.retries, GUARDS_VERSION]

    def make_job(self, batch: list[Segment], summary: str | None) -> Job:
        """A batch with its context: previous lines (with their clean French), look-ahead, glossary
        terms, address forms of the names in it, and each line's budget."""
        units, start = self.units, self.position[batch[0].id]
        prev = [(speaker_line(u), self.french.get(u.id)) for u in units[max(0, start - self.context_lines):start]]
        look = [speaker_line(u) for u in units[start + len(batch):start + len(batch) + self.lookahead_lines]]
        texts = [u.text for u in batch] + [s for s, _ in prev] + look
        found = relevant_terms(self.terms, texts)
        names = " ".join([t.french for t in found] + [speaker_tag(u).replace("/", " ") for u in batch])
        chat = self.kind == "chat"
        return Job(batch, prev, look, summary if chat else None,
                   self.memory.relevant(names) if chat else [], found, [self.budgets.get(u.id) for u in batch])

    def batch_jobs(self, job: Job) -> list[Job]:
        """A chat model answers the batch as one job; a base model one job per line."""
        if self.kind == "chat":
            return [job]
        return [Job([u], job.prev, [], None, [], relevant_terms(job.terms, [u.text]), [self.budgets.get(u.id)])
                for u in job.units]

    def steps(self, step: int) -> list[_Step]:
        """The batch of every stream at this step, with its cache key and what the cache holds."""
        out = []
        for si, stream in enumerate(self.streams):
            if step >= len(stream):
                continue
            batch = stream[step]
            jobs = self.batch_jobs(self.make_job(batch, self.summaries[si]))
            key = cache_key(self.llm.model_ref, self.prompt.version, self.kind, self.gen_settings,
                            [self.strategy.render(j, strict=False) for j in jobs])
            out.append(_Step(si, batch, jobs, key, self.cache.get(key)))
        return out

    def run_step(self, step: int) -> None:
        """One batch of each stream: cached ones read back, the others solved in one go, then applied."""
        todo = self.steps(step)
        all_jobs = [j for t in todo if t.cached is None for j in t.jobs]
        solved = solve(all_jobs, self.strategy, self.retries) if all_jobs else []
        k = 0
        for t in todo:
            if t.cached is not None:
                outcome = Outcome.from_json(t.cached)
                self.stats["cached_batches"] += 1
            else:
                outcome = _joined(solved[k:k + len(t.jobs)])
                k += len(t.jobs)
                self.cache.put(t.key, outcome.to_json())
                self.stats["generated_batches"] += 1
            self.apply(t, outcome)

    def apply(self, t: _Step, outcome: Outcome) -> None:
        """Set the batch's translations and flags; clean lines, the summary and the address forms
        become the context of later batches."""
        self.stats["retries"] += outcome.retries
        self.stats["halvings"] += outcome.halvings
        if outcome.summary:
            self.summaries[t.stream] = outcome.summary
        # what the model was shown: a name in its ADDRESS lines found nowhere here is invented
        said = " ".join([u.text for u in t.batch] + [src for j in t.jobs for src, _ in j.prev] +
                        [src for j in t.jobs for src in j.look] + [term.french for j in t.jobs for term in j.terms])
        for speaker, addressee, form in outcome.address:
            self.memory.observe(speaker, addressee, form, said)
        for seg, text, flags, clean in zip(t.batch, outcome.texts, outcome.flags, outcome.clean, strict=True):
            if "untranslated" in flags:
                seg.translation = seg.text.strip()  # the Turkish as it is: no French typography
                seg.add_flags(*flags)
            else:
                seg.translation = french_typography(text)
                seg.add_flags(*flags, *check_names(seg.text, seg.translation, self.terms))
            if clean and not flags and not check_names(seg.text, seg.translation, self.terms):
                self.french[seg.id] = seg.translation  # context of later prompts: clean lines only
            else:
                self.stats["kept_out_of_context"] += 1

    def run(self) -> None:
        """Every step of the streams, then condensation of the lines over budget."""
        streams, units = self.streams, self.units
        desc = f"translating {len(units)} lines in {len(self.batches)} batches" + \
            (f" ({len(streams)} streams)" if len(streams) > 1 else "")
        for step in progress(range(max(len(s) for s in streams)), description=desc, logger=log):
            self.run_step(step)
        if self.settings.get("condense", True):
            self.stats["condense"] = condense_lines(units, self.budgets, self.llm, self.kind, self.strategy.langs,
                                                    self.terms, self.cache, self.prompts.get(f"condense_{self.kind}"))
        self.memory.save()


def _count_flags(units: list[Segment], stats: dict) -> None:
    """Lines flagged, kept in Turkish, translated and names lost, from the flags this stage added."""
    for seg in units:
        new = [f for f in seg.flags if FLAGS.get(flag_name(f), ("",))[0] == "translate"]
        stats["flagged"] += bool(new)
        stats["untranslated"] += "untranslated" in new
        stats["translated"] += "untranslated" not in new
        stats["name_missing"] += sum(flag_name(f) == "name_missing" for f in new)


def translate_segments(segments: list[Segment], settings: dict, llm: Translator | None = None) -> tuple[list[Segment], dict]:
    """Give every tr.json segment its ``translation`` (same records, same order; ids and times are
    never touched) and return them with a summary dict (lines, translated, flagged, retries,
    halvings, cached/generated batches, tokens, tokens/s, seconds). Flags are added, never replaced.

    ``settings``: the ``translate`` block of config.yaml plus ``model``; the script adds ``episode``
    and ``cache_dir``. ``llm``: an already loaded :class:`~altyazi.translate.base.Translator` (e.g.
    :class:`~altyazi.translate.llm.LLM`) to reuse; otherwise one is loaded here and closed at the end.
    """
    t0 = time.perf_counter()
    segments = [replace(seg, flags=list(seg.flags), translation="") for seg in segments]  # the caller's records stay as they were
    units = [seg for seg in segments if seg.text.strip()]
    stats = dict(lines=len(segments), to_translate=len(units), translated=0, flagged=0, untranslated=0,
                 name_missing=0, retries=0, halvings=0, cached_batches=0, generated_batches=0,
                 kept_out_of_context=0)
    if not units:
        stats.update(seconds=round(time.perf_counter() - t0, 2))
        return segments, stats
    run = _Translation(units, settings, llm, stats)
    llm = run.llm
    tokens0, gen0, calls0 = llm.new_tokens, llm.gen_seconds, getattr(llm, "generate_calls", None)
    prefix0 = getattr(llm, "prefix_tokens_saved", None)
    run.run()
    tokens, gen_s = llm.new_tokens - tokens0, llm.gen_seconds - gen0
    if run.own_llm:
        llm.close()
    _count_flags(units, stats)
    stats.update(model=llm.model_ref, prompt=run.prompt.version, kind=run.kind, batch_lines=run.batch_lines,
                 streams=len(run.streams), batch_size=getattr(llm, "batch_size", None), new_tokens=tokens,
                 generate_calls=None if calls0 is None else llm.generate_calls - calls0,
                 prefix_tokens_reused=None if prefix0 is None else llm.prefix_tokens_saved - prefix0,
                 tokens_per_s=round(tokens / gen_s, 2) if gen_s else None, seconds=round(time.perf_counter() - t0, 2))
    log.info("translation: %d lines (%d to translate), %d translated, %d kept in Turkish, %d name(s) lost, "
             "%d retries, %d halvings, %d/%d batches from cache, %d tokens at %s tokens/s, %.1f s%s",
             stats["lines"], stats["to_translate"], stats["translated"], stats["untranslated"], stats["name_missing"],
             stats["retries"], stats["halvings"], stats["cached_batches"], len(run.batches), tokens,
             stats["tokens_per_s"], stats["seconds"],
             f"; {stats['prefix_tokens_reused']} prompt tokens read from the shared-prefix cache"
             if stats.get("prefix_tokens_reused") else "")
    return segments, stats
