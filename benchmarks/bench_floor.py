"""The floor of the parse target: what any parse that keeps bmaparse's outputs must pay,
as a share of the TextFSM template's time, in one run.

Run from the repository root, after ``pip install -e '.[bench]'`` (textfsm):

    python benchmarks/bench_floor.py [--reports 2000] [--repeat 5]

Issue 12 asks for a parse in <= 0.6x the CPU time of a TextFSM template that
extracts only the progress and KPI strings (``benchmarks/textfsm/``). A
bmaparse parse must, whatever it is written in, at least

* normalise every line (the lines it classifies and the report key are of the
  normalised text): the compiled ``normalize_lines`` kernel;
* hash the normalised non-blank lines for ``report_key`` (blake2b, as
  ``_parser.report_key``);
* build the Report tree that ``parse`` returns (frozen records; in compiled
  mode their compiled ``__init__``): the calls alone, from keyword arguments
  prepared beforehand, less the walk that prepares them (``walk only``).

Each row is the median over ``--repeat`` rounds of CPU time per report, the
rows alternating within each round; ``÷ TextFSM`` divides by the template's
median. ``floor`` sums normalisation, the key and the tree: it classifies no
line, reads no value, date or number, and makes no diagnostic; ``floor +
classify`` puts the whole compiled ``tokenize`` (normalise and classify) in
place of normalisation: what is left of the target's budget is all the section
rules, segmentation, value readers and diagnostics may cost. The corpus is ``bmaparse.synth.corpus``
of the ``page`` and ``export`` layouts (seed size), as ``bench.py`` uses.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from _bench import fsm

import bmaparse
from bmaparse import _compiled, _lexer, synth

Plan = tuple[Any, Any]


def plan(obj: object) -> Plan:
    """A record tree as (class, {field: plan}) so that only the calls are timed."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return type(obj), {f.name: plan(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.init}
    if isinstance(obj, tuple):
        return "tuple", [plan(item) for item in obj]
    return "value", obj


def build(p: Plan) -> object:
    tag, body = p
    if tag == "value":
        return body
    if tag == "tuple":
        return tuple([build(item) for item in body])
    return tag(**{name: build(item) for name, item in body.items()})


def walk(p: Plan) -> object:
    """``build`` without the record calls: what ``build`` costs besides them."""
    tag, body = p
    if tag == "value":
        return body
    if tag == "tuple":
        return tuple([walk(item) for item in body])
    return {name: walk(item) for name, item in body.items()}


def normalized_key(text: str) -> str:
    lines = _compiled.normalize_lines(text)
    joined = "\n".join([line for line in lines if line.strip()])
    return hashlib.blake2b(joined.encode("utf-8"), digest_size=16).hexdigest()


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("--reports", type=int, default=2000)
    args.add_argument("--repeat", type=int, default=5)
    opts = args.parse_args(argv)
    if not fsm.available():
        print(f"textfsm is not installed: {fsm.INSTALL_HINT}", file=sys.stderr)
        return 1
    texts = list(synth.corpus(opts.reports, 2566, layouts=("page", "export"), size="seed"))
    plans = [plan(bmaparse.parse(text)) for text in texts]
    template = fsm.parser()
    measures: dict[str, Callable[[int], object]] = {
        "textfsm": lambda i: template(texts[i]),
        "parse": lambda i: bmaparse.parse(texts[i]),
        "tokenize": lambda i: _lexer.tokenize(texts[i]),
        "normalize_lines": lambda i: _compiled.normalize_lines(texts[i]),
        "normalize + key": lambda i: normalized_key(texts[i]),
        "build + walk": lambda i: build(plans[i]),
        "walk only": lambda i: walk(plans[i]),
    }
    rounds: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(opts.repeat):
        for name, measure in measures.items():
            start = time.process_time()
            for i in range(len(texts)):
                measure(i)
            rounds[name].append((time.process_time() - start) / len(texts) * 1e6)
    us = {name: statistics.median(values) for name, values in rounds.items()}
    us["tree (build - walk)"] = us["build + walk"] - us["walk only"]
    us["floor (normalize + key + tree)"] = us["normalize + key"] + us["tree (build - walk)"]
    us["floor + classify (tokenize + key + tree)"] = (
        us["tokenize"] + us["normalize + key"] - us["normalize_lines"] + us["tree (build - walk)"])
    print(f"bmaparse {bmaparse.implementation}; {len(texts)} synth reports, medians of {opts.repeat} rounds (CPU)")
    print(f"{'measure':42s} {'µs/report':>10s} {'÷ TextFSM':>10s}")
    for name, value in us.items():
        print(f"{name:42s} {value:10.1f} {value / us['textfsm']:9.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
