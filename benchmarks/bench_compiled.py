"""Time normalize_lines, pure Python against the compiled kernel, in one run.

Run from the repository root, after ``pip install -e .`` with a C compiler
(the kernel is ``bmaparse._ckernels``; without it only the pure row prints):

    python benchmarks/bench_compiled.py [--reports 2000] [--repeat 5]

Three corpora, built once: the seed report as it is (it holds one real slip),
the seed with four typing slips injected into each copy (as in
``bench_normalize.py``), and ``bmaparse.synth.corpus(--reports, seed=0)`` of
every layout. Both functions first give identical output on every text; then
each pass runs one function over every text of a corpus, the two alternating
``--repeat`` times, and the best pass of each is printed in µs per report with
pure ÷ compiled.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence

from bench_normalize import make_reports

from bmaparse import _compiled, synth
from bmaparse._normalize import normalize_lines

Kernel = Callable[[str], list[str]]


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    kernels: dict[str, Kernel] = {"pure": normalize_lines}
    try:
        from bmaparse._ckernels import normalize_lines as compiled
    except ModuleNotFoundError:
        print("the compiled extension is not built: pure Python only")
    else:
        kernels["compiled"] = compiled
    print(f"bmaparse._compiled: {_compiled.IMPLEMENTATION}")
    header = f"{'corpus':<16}{'chars/report':>13}" + "".join(f"{k + ' µs':>14}" for k in kernels)
    print(header + ("  pure÷compiled" if len(kernels) == 2 else ""))
    for name, texts in corpora(args.reports).items():
        for text in texts:
            outputs = [kernel(text) for kernel in kernels.values()]
            assert all(out == outputs[0] for out in outputs), f"outputs differ on {name}"
        best = best_pass(kernels, texts, args.repeat)
        chars = sum(map(len, texts)) // len(texts)
        row = f"{name:<16}{chars:>13}" + "".join(f"{best[k] * 1e6:>14.1f}" for k in kernels)
        if len(kernels) == 2:
            row += f"{best['pure'] / best['compiled']:>15.1f}x"
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
