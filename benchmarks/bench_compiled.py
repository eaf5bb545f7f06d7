"""Time the compiled kernels against the pure-Python reference, and a whole parse in both modes, in one run.

Run from the repository root, after ``pip install -e .`` with a C compiler
(the kernels are ``bmaparse._ckernels``; without it only the pure rows print):

    python benchmarks/bench_compiled.py [--reports 2000] [--repeat 5]
    python benchmarks/bench_compiled.py --baseline OLD.so [--processes 4]

Three corpora, built once: the seed report as it is (it holds one real slip),
the seed with four typing slips injected into each copy (as in
``bench_normalize.py``), and ``bmaparse.synth.corpus(--reports, seed=0)`` of
every layout. Four tables, each in µs per report with pure ÷ compiled:

* ``normalize_lines``: ``_normalize.normalize_lines`` against the kernel;
* ``without_surrogates``: ``_normalize.without_surrogates`` against the kernel;
* ``tokenize`` (normalise, then classify every line): ``_lexer.pure_tokenize``
  against the kernel; the ``classify`` column is tokenize less normalize_lines,
  the lexer's own share;
* ``parse``: ``bmaparse.parse`` with each set of kernels in turn (the pure row
  puts ``_lexer.pure_tokenize`` in ``_compiled.tokenize`` and
  ``_normalize.without_surrogates`` in ``_compiled.without_surrogates``, the
  kernels a parse calls, puts ``_values.pure_to_ascii_digits`` back in each
  module that imported the kernel ``to_ascii_digits`` and gives the record
  classes their generated ``__init__`` back, for its passes; then the selection
  is restored).

``--baseline OLD.so`` compares two builds of the extension instead: a copy of
an earlier build (``cp src/bmaparse/_ckernels*.so /tmp/old/`` before
rebuilding) against the one in ``src/``. Each build runs in its own processes,
``--processes`` of each, alternating (in one process the second build of a
pair ran ~10% slower or faster than the same code loaded first: the two share
caches), each printing the best of ``--repeat`` passes; the table is the
median over processes of CPU time (``time.process_time``) per report, for
``normalize_lines``, ``tokenize``, classify (their difference) and a whole
``bmaparse.parse`` with that build's ``tokenize``, on the issue's corpus
(``synth.corpus(--reports, 2566, layouts=("page", "export"), size="seed")``)
and on the seed repeated. Both builds must give the same tokens.

Every pair first gives identical output on every text (equal tokens, equal
Reports); then each pass runs one function over every text of a corpus, the
two alternating ``--repeat`` times, and the best pass of each is printed. The
lexer's memo of short lines is warm in both, as in any run past the first
report.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable, Sequence
from pathlib import Path

from bench_normalize import make_reports

import bmaparse
from bmaparse import _compiled, _values, model, synth
from bmaparse._lexer import Token, pure_tokenize
from bmaparse._normalize import normalize_lines, without_surrogates

Kernel = Callable[[str], object]
Tokenize = Callable[[str, int], list[Token]]
Surrogates = Callable[[str], str]


def corpora(reports: int) -> dict[str, list[str]]:
    """Each corpus: a list of report texts."""
    seed, slipped = make_reports(reports)
    layouts = ("page", "export", "view", "kpi")
    return {
        "seed": ["\n".join(lines) for lines in seed],
        "seed, 4 slips": ["\n".join(lines) for lines in slipped],
        "synth": list(synth.corpus(reports, 0, layouts=layouts)),
    }


def best_pass(kernels: dict[str, Kernel], texts: list[str], repeat: int) -> dict[str, float]:
    """Best seconds per text of each kernel over ``repeat`` alternating passes."""
    best = dict.fromkeys(kernels, float("inf"))
    for _ in range(repeat):
        for name, kernel in kernels.items():
            start = time.perf_counter()
            for text in texts:
                kernel(text)
            best[name] = min(best[name], (time.perf_counter() - start) / len(texts))
    return best


def use_to_ascii_digits(kernel: Callable[[str], str]) -> None:
    """Put ``kernel`` where ``_values`` and the modules that import ``to_ascii_digits`` look."""
    kernels = {_values.pure_to_ascii_digits, *filter(None, [_compiled.to_ascii_digits])}
    for module in list(sys.modules.values()):
        if (isinstance(module, types.ModuleType) and module.__name__.startswith("bmaparse.")
                and module is not _compiled and getattr(module, "to_ascii_digits", None) in kernels):
            module.to_ascii_digits = kernel  # type: ignore[attr-defined]


def parse_with(tokenize: Tokenize, surrogates: Surrogates, rest: Callable[[], object]) -> Kernel:
    """``bmaparse.parse`` with ``tokenize`` and ``surrogates`` as the selected kernels,
    after ``rest()`` (which selects the record inits and ``to_ascii_digits``)."""
    def parse(text: str) -> object:
        if _compiled.tokenize is not tokenize:  # (the first text of a pass)
            _compiled.tokenize = tokenize
            _compiled.without_surrogates = surrogates
            rest()
        return bmaparse.parse(text)
    return parse


def tables() -> dict[str, dict[str, Kernel]]:
    """Each table's pure and (when built) compiled function."""
    pure: dict[str, Kernel] = {
        "normalize_lines": normalize_lines,
        "without_surrogates": without_surrogates,
        "tokenize": lambda text: pure_tokenize(text, 1),
        "parse": parse_with(pure_tokenize, without_surrogates, lambda: None),
    }
    found: dict[str, dict[str, Kernel]] = {name: {"pure": kernel} for name, kernel in pure.items()}
    try:
        from bmaparse import _ckernels
    except ModuleNotFoundError:
        print("the compiled extension is not built: pure Python only")
        return found
    found["normalize_lines"]["compiled"] = _ckernels.normalize_lines
    found["without_surrogates"]["compiled"] = _ckernels.without_surrogates
    found["tokenize"]["compiled"] = lambda text: _ckernels.tokenize(text, 1)
    classes = model.RECORD_CLASSES

    def pure_rest() -> None:
        _ckernels.remove_record_inits(classes)
        use_to_ascii_digits(_values.pure_to_ascii_digits)

    def compiled_rest() -> None:
        _ckernels.install_record_inits(classes)
        use_to_ascii_digits(_ckernels.to_ascii_digits)

    found["parse"]["pure"] = parse_with(pure_tokenize, without_surrogates, pure_rest)
    found["parse"]["compiled"] = parse_with(_ckernels.tokenize, _ckernels.without_surrogates, compiled_rest)
    return found


def build_corpora(reports: int) -> dict[str, list[str]]:
    """The corpora of ``--baseline``: the issue's synth reports and the seed repeated."""
    seed, _ = make_reports(1)
    return {
        "synth page+export": list(synth.corpus(reports, 2566, layouts=("page", "export"), size="seed")),
        "seed": ["\n".join(seed[0])] * reports,
    }


def load_build(path: str) -> types.ModuleType:
    """The extension built at ``path``, loaded as ``bmaparse._ckernels`` (not registered)."""
    spec = importlib.util.spec_from_file_location("bmaparse._ckernels", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def time_build(path: str, reports: int, repeat: int) -> dict[str, dict[str, float]]:
    """In this process: the best of ``repeat`` passes of each kernel of the build at
    ``path`` over each corpus, CPU µs a report; and a digest of its tokens."""
    kernels = load_build(path)
    found: dict[str, dict[str, float]] = {}
    for corpus, texts in build_corpora(reports).items():
        _compiled.tokenize = kernels.tokenize
        timed: dict[str, Kernel] = {"normalize": kernels.normalize_lines,
                                    "tokenize": lambda text: kernels.tokenize(text, 1), "parse": bmaparse.parse}
        row = {}
        for name, kernel in timed.items():
            passes = []
            for _ in range(repeat):
                start = time.process_time()
                for text in texts:
                    kernel(text)
                passes.append((time.process_time() - start) / len(texts) * 1e6)
            row[name] = min(passes)
        tokens = repr([kernels.tokenize(text, 1) for text in texts[:200]]).encode()
        row["digest"] = float(int(hashlib.blake2b(tokens, digest_size=6).hexdigest(), 16))
        found[corpus] = row
    return found


def against_baseline(baseline: str, reports: int, repeat: int, processes: int) -> None:
    """Print the table of ``--baseline``: each build in its own processes, alternating."""
    from bmaparse import _ckernels

    builds = {"baseline": str(Path(baseline).resolve()), "this build": str(Path(_ckernels.__file__).resolve())}
    runs: dict[str, list[dict[str, dict[str, float]]]] = {name: [] for name in builds}
    for turn in range(processes):
        for name in builds if turn % 2 == 0 else reversed(builds):
            command = [sys.executable, __file__, "--child", builds[name], "--reports", str(reports),
                       "--repeat", str(repeat)]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            runs[name].append(json.loads(done.stdout))
    print(f"µs a report (CPU), median over {processes} processes a build of the best of {repeat} passes")
    for name, path in builds.items():
        print(f"  {name}: {path}")
    for corpus in runs["baseline"][0]:
        digests = {run[corpus]["digest"] for name in builds for run in runs[name]}
        assert len(digests) == 1, f"the two builds give different tokens on {corpus}"
        print(f"\n{corpus:<20}{'baseline':>10}{'this build':>12}{'ratio':>8}")
        for measure in ("normalize", "classify", "tokenize", "parse"):
            old, new = (statistics.median(run[corpus]["tokenize"] - run[corpus]["normalize"] if measure == "classify"
                                          else run[corpus][measure] for run in runs[name]) for name in builds)
            print(f"{measure:<20}{old:>10.1f}{new:>12.1f}{old / new:>7.2f}x")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline", metavar="SO", help="an earlier build of bmaparse._ckernels to compare with")
    parser.add_argument("--processes", type=int, default=4, help="with --baseline: processes a build")
    parser.add_argument("--child", metavar="SO", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(time_build(args.child, args.reports, args.repeat)))
        return 0
    if args.baseline:
        against_baseline(args.baseline, args.reports, args.repeat, args.processes)
        return 0

    selected = _compiled.tokenize, _compiled.without_surrogates, model.COMPILED_RECORDS, _values.to_ascii_digits
    print(f"bmaparse._compiled: {_compiled.IMPLEMENTATION}")
    texts_of = corpora(args.reports)
    normalize_best: dict[str, dict[str, float]] = {}
    try:
        for table, kernels in tables().items():
            names = list(kernels)
            print(f"\n{table}")
            header = f"{'corpus':<16}{'chars/report':>13}" + "".join(f"{k + ' µs':>14}" for k in names)
            if table == "tokenize":
                header += "".join(f"{'classify ' + k:>18}" for k in names)
            print(header + ("  pure÷compiled" if len(names) == 2 else ""))
            for corpus, texts in texts_of.items():
                for text in texts:
                    outputs = [kernel(text) for kernel in kernels.values()]
                    assert all(out == outputs[0] for out in outputs), f"{table} differs on {corpus}"
                best = best_pass(kernels, texts, args.repeat)
                chars = sum(map(len, texts)) // len(texts)
                row = f"{corpus:<16}{chars:>13}" + "".join(f"{best[k] * 1e6:>14.1f}" for k in names)
                if table == "normalize_lines":
                    normalize_best[corpus] = best
                if table == "tokenize":
                    row += "".join(f"{(best[k] - normalize_best[corpus][k]) * 1e6:>18.1f}" for k in names)
                if len(names) == 2:
                    row += f"{best['pure'] / best['compiled']:>15.2f}x"
                print(row)
    finally:
        _compiled.tokenize, _compiled.without_surrogates, records, to_ascii_digits = selected
        use_to_ascii_digits(to_ascii_digits)
        if records:
            _compiled.install_record_inits(records)
    return 0


if __name__ == "__main__":
    sys.exit(main())
