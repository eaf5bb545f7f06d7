"""End-to-end throughput of bmaparse against the cost of just reading the files.

Run from the repository root (bmaparse installed, or found in ``src/``):

    python benchmarks/bench.py --sizes 1000,4000,12000,100000 --out /tmp/bench [--json FILE]
    python benchmarks/bench.py --quick                     # 1k, 4k and 12k reports only
    python benchmarks/bench.py --check                     # the TextFSM template finds its strings
    python benchmarks/bench.py --profile parse             # cProfile of parse, top 10 by tottime
    python benchmarks/bench.py --profile convert           # pyinstrument (else cProfile) of convert

A run goes one way, one module of ``_bench/`` per stage:

1. ``_bench/env.py``: snapshot ``src/bmaparse`` to ``OUT/src-<sha256>``; every
   helper and CLI process imports from there (``--live-src``: ``src/`` as it is),
   in pure-Python mode (``BMAPARSE_PURE_PYTHON=1``) or compiled mode (when the
   extension is built; else its rows say "not built");
2. ``_bench/corpus.py``: per size, write (or reuse) the synth corpus under
   ``OUT/corpus`` and read it once to warm the page cache;
3. ``_bench/measure.py``: per size, floor, parse, load, py floor and the TextFSM
   template (``_bench/fsm.py``) interleaved in one helper process per mode, then
   ``convert --jobs 1`` and ``--jobs 2`` through the CLI in each mode, then the
   CLI's startup over one report; ``--repeat`` rounds alternate the modes, and
   each row is the median of its rounds;
4. ``_bench/report.py``: the table of measures and the targets of issue 12, PASS
   or FAIL (the pure mode against ``benchmarks/baseline_pure.json``:
   ``_bench/baseline.py``; ``--record-baseline`` rewrites it from this run);
5. ``_bench/pathological.py``: long lines, many progress blocks and hostile
   lines, each parsed alone in a helper process, and whether time stays linear
   (skipped with ``--no-pathological``);
6. ``--json FILE``: everything above, and the machine, written as JSON.

``--base-src DIR`` adds mode ``base``: the convert and startup rows of the
bmaparse in ``DIR`` (compiled), alternated with the others in the same rounds,
and the targets again with its rows in place of compiled's.

``--profile`` (``_bench/profiles.py``) profiles instead of measuring. This file
is also the helper process the stages start: ``bench.py _measure -- COMMAND``,
``bench.py _inprocess ROOT N FOLDERS CHUNK``, ``bench.py _path KIND ARG SIZE``
print their result as JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from _bench import baseline, fsm
from _bench.corpus import ensure_corpus, warm_cache
from _bench.env import (
    BASE_ENV,
    BASE_MODE,
    MB,
    MODES,
    SNAPSHOT_ENV,
    compiled_status,
    snapshot_source,
    src_dir,
)
from _bench.measure import (
    Row,
    attach_textfsm,
    convert_rows,
    inprocess,
    inprocess_rows,
    measure,
    startup_rows,
)
from _bench.pathological import (
    blocks_report,
    hostile,
    hostile_line,
    line_report,
    pathological,
    time_parse,
)
from _bench.profiles import profile_convert, profile_parse
from _bench.report import (
    as_base,
    machine,
    print_hostile,
    print_pathological,
    print_table,
    print_targets,
    targets,
)


def _sizes(text: str) -> list[int]:
    return sorted({int(float(s.replace("k", "e3"))) for s in text.split(",") if s.strip()})


def _helper(argv: Sequence[str]) -> int | None:
    """The helper modes the benchmark runs itself in; None when ``argv`` is none of them."""
    if not argv:
        return None
    if argv[0] == "_measure":
        print(json.dumps(measure(argv[2:] if argv[1] == "--" else argv[1:])))
        return 0
    if argv[0] == "_inprocess":
        root, n, folders, chunk = argv[1:]
        print(json.dumps(inprocess(Path(root), int(n), int(folders), int(chunk))))
        return 0
    if argv[0] == "_path":
        kind, arg, size = argv[1:]
        if kind == "line":
            shape, placement = arg.split("/")
            text = line_report(shape, int(size), placement)
        elif kind == "hostile":
            text = hostile_line(arg, int(size))
        else:
            text = blocks_report(int(size))
        print(json.dumps(time_parse(text)))
        return 0
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Generate or reuse the corpora, measure everything, print the tables and targets."""
    argv = list(sys.argv[1:] if argv is None else argv)
    helped = _helper(argv)
    if helped is not None:
        return helped
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="1000,4000,12000,100000",
                        help="corpus sizes in reports, comma-separated (default 1k,4k,12k,100k)")
    parser.add_argument("--quick", action="store_true",
                        help="sizes 1000,4000,12000 (the 100k target is checked at 12k)")
    parser.add_argument("--modes", default=",".join(MODES),
                        help="bmaparse's modes to measure, of pure,compiled (default both)")
    parser.add_argument("--check", action="store_true",
                        help="only check that the TextFSM template finds the seed's strings and"
                             " what bmaparse finds in --check-reports synth reports")
    parser.add_argument("--check-reports", type=int, default=500)
    parser.add_argument("--record-baseline", action="store_true",
                        help=f"write this run's pure figures to {baseline.BASELINE.name}")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "bmaparse-bench",
                        help="where corpora (cached) and convert output go")
    parser.add_argument("--seed", type=int, default=2566)
    parser.add_argument("--folders", type=int, default=8, help="subfolders per corpus")
    parser.add_argument("--chunk", type=int, default=1000, help="files per interleaved chunk")
    parser.add_argument("--repeat", type=int, default=3,
                        help="rounds of every measure, alternating the modes; medians kept")
    parser.add_argument("--no-convert", action="store_true")
    parser.add_argument("--no-pathological", action="store_true")
    parser.add_argument("--line-mb", default="1,2,4", help="long-line sizes in MB")
    parser.add_argument("--blocks", default="1000,2000,4000,10000", help="progress block counts")
    parser.add_argument("--hostile-chars", default="25k,100k,400k",
                        help="hostile-line sizes in characters (with --no-pathological: none)")
    parser.add_argument("--path-timeout", type=float, default=120.0,
                        help="seconds before a pathological case counts as a blow-up")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results here")
    parser.add_argument("--profile", choices=("parse", "convert"),
                        help="only profile: parse (cProfile over --profile-reports synth reports)"
                             " or convert --jobs 1 (pyinstrument if installed, else cProfile)")
    parser.add_argument("--profile-reports", type=int, default=None,
                        help="reports to profile (default 2000 for parse, 10000 for convert)")
    parser.add_argument("--profile-tool", choices=("pyinstrument", "cprofile"), default=None)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--base-src", type=Path, metavar="DIR",
                        help="also convert with the bmaparse in DIR/bmaparse (its extension"
                             " built), compiled, as mode 'base', alternated in the same rounds:"
                             " the convert rows and targets before a change")
    parser.add_argument("--live-src", action="store_true",
                        help="import src/ as it is, not a snapshot taken at the start")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.live_src:
        os.environ[SNAPSHOT_ENV] = str(snapshot_source(args.out))
    print(f"bmaparse imported from {src_dir()}", file=sys.stderr)

    if args.check:
        return fsm.print_check(fsm.check(args.check_reports, args.seed), args.check_reports)
    if args.profile == "parse":
        profile_parse(args.profile_reports or 2000, args.seed, args.top)
        return 0
    if args.profile == "convert":
        tool = args.profile_tool
        if tool is None:
            try:
                import pyinstrument  # noqa: F401
                tool = "pyinstrument"
            except ImportError:
                tool = "cprofile"
        corpus = ensure_corpus(args.out, args.profile_reports or 10_000, args.seed, args.folders)
        profile_convert(corpus, args.out, args.top, tool)
        return 0

    sizes = [1000, 4000, 12_000] if args.quick else _sizes(args.sizes)
    info = machine()
    print(f"bmaparse {info['bmaparse']} on {info['nproc']} CPUs ({info['cpu']}), Python "
          f"{info['python']}; load average {' '.join(f'{x:.2f}' for x in info['loadavg'])}",
          file=sys.stderr)
    info["compiled"] = compiled_status()
    modes = [m for m in MODES if m in args.modes.split(",")]
    not_built = None
    if "compiled" in modes and info["compiled"] != "compiled":
        modes.remove("compiled")
        not_built = info["compiled"]
    if not modes:
        parser.error("no mode to measure")
    if not fsm.available():
        print(f"textfsm is not installed ({fsm.INSTALL_HINT}): no TextFSM row, and no target"
              " that divides by it", file=sys.stderr)
    convert_modes = list(modes)
    if args.base_src is not None:
        if not (args.base_src / "bmaparse" / "__init__.py").is_file():
            parser.error(f"--base-src {args.base_src}: no bmaparse package in it")
        os.environ[BASE_ENV] = str(args.base_src.resolve())
        convert_modes.append(BASE_MODE)
    started = time.perf_counter()
    rows: list[Row] = []
    corpora = {}
    for n in sizes:
        corpus = corpora[n] = ensure_corpus(args.out, n, args.seed, args.folders)
        warm_cache(corpus)
        print(f"size {n}: {corpus.bytes / MB:.0f} MB, {corpus.chars / n:.0f} characters/report",
              file=sys.stderr)
        rows += inprocess_rows(corpus, args.chunk, modes, args.repeat)
        if not args.no_convert:
            rows += convert_rows(corpus, args.out, args.repeat, convert_modes)
    if not args.no_convert:
        tiny = ensure_corpus(args.out, 1, args.seed, 1)
        rows += startup_rows(tiny, args.out, args.repeat, convert_modes)
    attach_textfsm(rows)
    info["loadavg_end"] = os.getloadavg()
    print_table(rows, not_built)
    print("(wall s: elapsed; CPU s: the process, or for convert the whole process tree; x floor:"
          " wall / floor wall;\n ÷ TextFSM: CPU time / the TextFSM template's CPU time over the"
          " same reports (parse, load: in the same process);\n peak MB: largest single process's"
          " peak RSS; tree MB: peak of the sampled RSS sum over the convert tree;\n every figure"
          f" the median of {args.repeat} rounds alternating the modes)")
    command = " ".join(["python", "benchmarks/bench.py", *argv])
    recorded = baseline.load()
    if args.record_baseline:
        recorded = baseline.record(rows, info, command)
        print(f"\nrecorded the pure figures in {baseline.BASELINE}")
    checks = targets([r for r in rows if r.mode != BASE_MODE], recorded)
    print_targets(checks)
    if args.base_src is not None:
        print_targets(targets(as_base(rows), None), f"of --base-src {args.base_src}")
    if args.quick and not args.no_convert:
        print("(--quick: the 5,000 reports/s target of 100k is checked at 12,000 reports)")

    path_results: list[dict[str, Any]] = []
    hostile_results: list[dict[str, Any]] = []
    if not args.no_pathological:
        path_results = pathological(_sizes(args.line_mb), _sizes(args.blocks), args.path_timeout)
        print_pathological(path_results)
        hostile_results = hostile(_sizes(args.hostile_chars), args.path_timeout)
        print_hostile(hostile_results)
    info["loadavg_after_pathological"] = os.getloadavg()
    print(f"\nload average: start {' '.join(f'{x:.2f}' for x in info['loadavg'])}, after the"
          f" table {' '.join(f'{x:.2f}' for x in info['loadavg_end'])}; total "
          f"{time.perf_counter() - started:.0f} s")

    if args.json:
        args.json.write_text(json.dumps({
            "command": command, "machine": info,
            "corpora": {n: {"root": str(c.root), "bytes": c.bytes, "chars": c.chars}
                        for n, c in corpora.items()},
            "rows": [{**asdict(r), "reports_per_s": r.per_second, "us_per_report": r.micros}
                     for r in rows],
            "targets": checks, "pathological": path_results, "hostile": hostile_results,
        }, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
