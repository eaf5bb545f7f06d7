"""The per-input time budget (``Limits.max_seconds_per_input``, ``--max-seconds``) and
workers that die with their parent: an input that runs too long is an error row and
the run goes on; a killed ``convert`` leaves no worker spinning."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import bmaparse
from bmaparse import _read
from bmaparse._lexer import Token, tokenize
from bmaparse._read import InputTimeout, TimeBudget
from bmaparse.batch import convert
from bmaparse.cli import main
from helpers import SEED, SEED_PATH

SPIN = "SPIN-FOREVER"
"""Text that makes the patched tokenizer spin in a regex match (holding the GIL)."""


def spin() -> None:
    """A catastrophic match: it holds the GIL for hours, and ``re`` checks for signals."""
    re.match(r"(?:a|aa)+$", "a" * 80 + "b")


@pytest.fixture
def spinning(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tokenizer spins on a text holding ``SPIN`` (workers forked later inherit it)."""

    def slow(text: str) -> list[Token]:
        if SPIN in text:
            spin()
        return tokenize(text)

    monkeypatch.setattr(_read, "tokenize", slow)


def sleeping(seconds: float) -> Callable[[str], list[Token]]:
    """A tokenizer that sleeps first."""

    def slow(text: str) -> list[Token]:
        time.sleep(seconds)
        return tokenize(text)

    return slow


@pytest.fixture(autouse=True)
def _alarm_left_alone() -> Iterator[None]:
    before = signal.getsignal(signal.SIGALRM)
    yield
    assert signal.getsignal(signal.SIGALRM) == before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_limits_time_budget_default_validation_and_manifest_record() -> None:
    assert bmaparse.Limits().max_seconds_per_input == 60
    assert bmaparse.Limits().as_dict()["max_seconds_per_input"] == 60
    assert bmaparse.Limits(max_seconds_per_input=0.25).max_seconds_per_input == 0.25
    for bad in (0, -1, float("nan"), float("inf"), True, "60"):
        with pytest.raises(ValueError, match="max_seconds_per_input"):
            bmaparse.Limits(max_seconds_per_input=bad)  # type: ignore[arg-type]


@pytest.mark.usefixtures("spinning")
def test_an_input_past_the_budget_is_an_input_timeout_error() -> None:
    limits = bmaparse.Limits(max_seconds_per_input=0.5)
    started = time.monotonic()
    document = bmaparse.load(f"{SPIN}\n".encode(), source_path="a/slow.txt", limits=limits)
    assert time.monotonic() - started < 10
    (problem,) = document.diagnostics
    assert (problem.code, problem.severity, problem.source_path) == ("input-timeout", "error", "a/slow.txt")
    assert "0.5 s" in problem.message and "--max-seconds" in problem.message
    assert document.reports == () and document.sha256 == "" and not document.ok
    with pytest.raises(bmaparse.ParseError) as raised:
        bmaparse.load(f"{SPIN}\n".encode(), limits=limits, strict=True)
    assert raised.value.code == "input-timeout"
    # the next input has the whole budget again
    assert bmaparse.load(SEED, limits=limits).ok


def test_the_budget_stops_a_sleep_and_a_path_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_read, "tokenize", sleeping(30))
    path = tmp_path / "slow.txt"
    path.write_bytes(SEED)
    document = bmaparse.load(path, limits=bmaparse.Limits(max_seconds_per_input=0.3))
    assert [d.code for d in document.diagnostics] == ["input-timeout"]
    assert document.source_path == str(path)


def test_the_budget_leaves_a_callers_timer_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A caller's own SIGALRM timer is never taken: the input runs without a budget."""
    monkeypatch.setattr(_read, "tokenize", sleeping(0.6))
    fired: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(signum))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30)
        document = bmaparse.load(SEED, limits=bmaparse.Limits(max_seconds_per_input=0.1))
        assert document.ok and len(document.reports) == 1
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30
        with TimeBudget(0.1) as armed:
            assert not armed
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert fired == []


def test_no_budget_outside_the_main_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Signals reach only the main thread: there the input runs unbounded (documented)."""
    monkeypatch.setattr(_read, "tokenize", sleeping(0.5))
    got: list[bmaparse.Document] = []
    worker = threading.Thread(
        target=lambda: got.append(bmaparse.load(SEED, limits=bmaparse.Limits(max_seconds_per_input=0.1))))
    worker.start()
    worker.join()
    assert got[0].ok and len(got[0].reports) == 1


def test_a_budget_raises_once_and_cleans_up_even_when_the_block_ends_late() -> None:
    with pytest.raises(InputTimeout), TimeBudget(0.05) as armed:
        assert armed
        time.sleep(0.3)  # interrupted, and only once
    # a block that ends as the timer fires: whichever wins, nothing is left behind
    for _ in range(20):
        try:
            with TimeBudget(0.001):
                sum(range(2_000))
        except InputTimeout:
            pass


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the swallowed raise
def test_a_budget_swallowed_in_a_finalizer_fires_again() -> None:
    """The alarm comes while a ``__del__`` runs: Python swallows what a finalizer
    raises ("Exception ignored"), so the budget raises again 50 ms later, in the block."""

    class Slow:
        def __del__(self) -> None:
            end = time.monotonic() + 0.3
            while time.monotonic() < end:  # the alarm (at 0.05 s) comes in here
                pass

    started = time.monotonic()
    with pytest.raises(InputTimeout), TimeBudget(0.05) as armed:
        assert armed
        Slow()  # dropped at once: its __del__ runs now
        while time.monotonic() - started < 5:
            pass
    assert time.monotonic() - started < 2
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_budget_past_before_the_block_begins_leaves_nothing_armed() -> None:
    """A budget shorter than ``__enter__``: the alarm is handled there, ``__enter__``
    raises and no ``__exit__`` runs, so the handler itself must end the budget (it
    fired every 50 ms for the rest of the process, and no later budget armed)."""
    for _ in range(20):
        try:
            with TimeBudget(1e-6):
                end = time.monotonic() + 0.01
                while time.monotonic() < end:
                    pass
        except InputTimeout:
            pass
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0) and not _read._Alarm.armed
    end = time.monotonic() + 0.2
    while time.monotonic() < end:  # no stray alarm raises here
        pass
    starting = types.SimpleNamespace(f_code=TimeBudget.__enter__.__code__)
    budget = TimeBudget(5)
    assert budget.__enter__()
    with pytest.raises(InputTimeout):
        _read._on_alarm(signal.SIGALRM, starting)  # type: ignore[arg-type]
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0) and not _read._Alarm.armed
    document = bmaparse.load(SEED, limits=bmaparse.Limits(max_seconds_per_input=1e-6))
    assert [d.code for d in document.diagnostics] in (["input-timeout"], [])
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0) and not _read._Alarm.armed


def test_an_alarm_handled_while_the_block_is_left_ends_the_budget() -> None:
    """An alarm handled in ``__exit__`` finds the block's work done: it ends the budget
    and raises nothing; anywhere else in the block it raises and sets the timer again."""
    leaving = types.SimpleNamespace(f_code=TimeBudget.__exit__.__code__)
    with TimeBudget(5) as armed:
        assert armed
        _read._on_alarm(signal.SIGALRM, leaving)  # type: ignore[arg-type]
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    with pytest.raises(InputTimeout), TimeBudget(5):
        try:
            _read._on_alarm(signal.SIGALRM, sys._getframe())
        finally:
            assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 0.05
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


@pytest.mark.usefixtures("spinning")
@pytest.mark.skipif(not hasattr(os, "fork"), reason="a forked child keeps the handler")
def test_a_kept_handler_budgets_every_input_without_a_swap() -> None:
    """As in a convert worker: the handler stays installed, each input is budgeted."""
    pid = os.fork()
    if pid == 0:  # the child: exit 0 when every check holds
        ok = False
        try:
            _read.keep_alarm_handler()
            limits = bmaparse.Limits(max_seconds_per_input=0.3)
            slow = bmaparse.load(f"{SPIN}\n".encode(), limits=limits)
            fine = bmaparse.load(SEED, limits=limits)
            with TimeBudget(5) as outer, TimeBudget(5) as inner:
                pass
            ok = ([d.code for d in slow.diagnostics] == ["input-timeout"] and fine.ok
                  and outer and not inner
                  and signal.getsignal(signal.SIGALRM) is _read._on_alarm
                  and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0))
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.usefixtures("spinning")
@pytest.mark.parametrize("jobs", [1, 2])
def test_convert_keeps_a_row_for_an_input_past_the_budget(tmp_path: Path, jobs: int) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_bytes(SEED)
    (folder / "b-slow.txt").write_bytes(SEED + f"\n{SPIN}\n".encode())
    (folder / "c.txt").write_bytes(SEED.replace(b"1,324,600", b"1,000"))
    out = tmp_path / "out"
    summary = convert([folder], out, jobs=jobs, limits=bmaparse.Limits(max_seconds_per_input=1))
    assert (summary.inputs, summary.reports, summary.errors) == (3, 2, 1)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    outcomes = {Path(e["path"]).name: e["outcome"] for e in manifest["inputs"]}
    assert outcomes == {"a.txt": "ok", "b-slow.txt": "error", "c.txt": "ok"}
    assert manifest["limits"]["max_seconds_per_input"] == 1
    diagnostics = pq.read_table(out / manifest["files"]["diagnostics"]).to_pylist()
    timeouts = [d for d in diagnostics if d["code"] == "input-timeout"]
    assert len(timeouts) == 1 and timeouts[0]["source_path"].endswith("b-slow.txt")


@pytest.mark.usefixtures("spinning")
def test_cli_max_seconds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    slow = tmp_path / "slow.txt"
    slow.write_bytes(SEED + f"\n{SPIN}\n".encode())
    assert main(["validate", str(slow), "--max-seconds", "0.5", "--quiet"]) == 1
    assert f"{slow}:0:0: error input-timeout" in capsys.readouterr().out
    assert main(["parse", str(slow), "--max-seconds", "0.5"]) == 1
    assert "input-timeout" in capsys.readouterr().err
    out = tmp_path / "out"
    assert main(["convert", str(SEED_PATH), "-o", str(out),
                 "--max-seconds", "2.5", "--quiet", "--jobs", "1"]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["limits"]["max_seconds_per_input"] == 2.5
    for bad in ("0", "-1", "soon", "inf", "nan"):
        assert main(["validate", str(slow), "--max-seconds", bad]) == 2
    capsys.readouterr()


@pytest.mark.usefixtures("spinning")
def test_a_cli_command_keeps_the_handler_while_it_runs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A CLI command runs none of its caller's code: its budgets swap no handler, the
    caller's handler is back afterwards, and a budget still stops an input."""
    def caller(signum: int, frame: object) -> None:
        raise AssertionError("the caller's handler ran")

    swaps: list[tuple[int, object]] = []
    real = signal.signal
    monkeypatch.setattr(signal, "signal", lambda n, h: swaps.append((n, h)) or real(n, h))
    previous = real(signal.SIGALRM, caller)
    try:
        slow = tmp_path / "slow.txt"
        slow.write_bytes(SEED + f"\n{SPIN}\n".encode())
        assert main(["validate", str(SEED_PATH), str(slow), str(SEED_PATH),
                     "--max-seconds", "0.5", "--quiet"]) == 1
        alarm = [h for n, h in swaps if n == signal.SIGALRM]
        assert alarm == [_read._on_alarm, caller]  # once in, once out: none per input
        assert signal.getsignal(signal.SIGALRM) is caller and not _read._Alarm.kept
    finally:
        real(signal.SIGALRM, previous)


# --- workers die with their parent -----------------------------------------------------------

CHILD = textwrap.dedent("""
    import os, re, sys
    from pathlib import Path
    from bmaparse import _read
    from bmaparse.cli import main

    tokenize, marks = _read.tokenize, Path(sys.argv[1])

    def spinning(text, *args):
        if "SPIN" in text:
            (marks / str(os.getpid())).touch()  # this worker is spinning now
            re.match(r"(?:a|aa)+$", "a" * 80 + "b")  # holds the GIL for hours
        return tokenize(text, *args)

    _read.tokenize = spinning
    sys.exit(main(["convert", sys.argv[2], "-o", sys.argv[3], "--jobs", "2", "--quiet",
                   "--max-seconds", "3600"]))
""")


def _children(parent: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie is dead; its reaper may be slow


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG and /proc: Linux")
def test_workers_spinning_in_a_regex_die_with_a_killed_parent(tmp_path: Path) -> None:
    folder, marks = tmp_path / "in", tmp_path / "marks"
    folder.mkdir()
    marks.mkdir()
    for i in range(2):
        (folder / f"{i}.txt").write_bytes(SEED + f"\nSPIN {i}\n".encode())
    parent = subprocess.Popen([sys.executable, "-c", CHILD, str(marks), str(folder), str(tmp_path / "out")])
    try:
        deadline = time.monotonic() + 60
        while len(list(marks.iterdir())) < 2:  # both workers inside the match
            assert parent.poll() is None and time.monotonic() < deadline, "the workers never started"
            time.sleep(0.05)
        workers = {int(p.name) for p in marks.iterdir()}
        assert workers <= _children(parent.pid)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in workers if _alive(pid)]
    for pid in left:  # clean up before failing: a stuck worker would spin for hours
        os.kill(pid, signal.SIGKILL)
    assert not left, "workers outlived their killed parent"
