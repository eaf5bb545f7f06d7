"""The ``--profile`` mode: where the time goes, instead of how much there is.

``parse``: cProfile over synth reports already in memory, top functions by
tottime. ``convert``: ``bmaparse.convert`` with ``jobs=1`` in this
process over a corpus, with pyinstrument when installed (else cProfile).
"""

from __future__ import annotations

import cProfile
import importlib
import io
import pstats
from pathlib import Path

from .corpus import Corpus
from .env import LAYOUTS, import_bmaparse


def profile_parse(reports: int, seed: int, top: int) -> None:
    bmaparse = import_bmaparse()
    texts = list(importlib.import_module("bmaparse.synth").corpus(reports, seed, layouts=LAYOUTS, size="seed"))
    bmaparse.parse(texts[0])
    profiler = cProfile.Profile()
    profiler.enable()
    for text in texts:
        bmaparse.parse(text)
    profiler.disable()
    _print_stats(profiler, f"cProfile: parse of {reports} synth reports", top)


def profile_convert(corpus: Corpus, out: Path, top: int, tool: str) -> None:
    import_bmaparse()
    batch = importlib.import_module("bmaparse.batch")
    target = out / "convert-out" / f"profile-n{corpus.n}"
    if tool == "pyinstrument":
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001)
        profiler.start()
        batch.convert([corpus.root], target, fmt="parquet", jobs=1, force=True)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        return
    cprofiler = cProfile.Profile()
    cprofiler.enable()
    batch.convert([corpus.root], target, fmt="parquet", jobs=1, force=True)
    cprofiler.disable()
    _print_stats(cprofiler, f"cProfile: convert --jobs 1 of {corpus.n} reports (in process)", top)


def _print_stats(profiler: cProfile.Profile, title: str, top: int) -> None:
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    total = stats.total_tt  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(top)
    print(f"{title}: {total:.2f} s profiled")
    print(stream.getvalue().split("\n\n", 1)[-1].rstrip())
