"""Translation stage: Turkish segments -> French, ids/start/end copied from tr.json.

Modules: ``engine`` (translate_segments, the line-count guarantee), ``llm`` (loading and batched
generation), ``strategies`` (chat vs few-shot prompts), ``parse`` (numbered replies), ``batching``,
``glossary``, ``memory`` (tu/vous across episodes), ``cache`` (resume), ``typography``, ``prompts``,
``evaluate`` (chrF/BLEU on a TSV).
"""

from .engine import translate_segments

__all__ = ["translate_segments"]
