"""Hostile file systems and archives (docs/robustness.md): special files are never
opened, links never lead out of the inputs, an unreadable folder is an error,
archive work is linear and bounded, every member is read or named, and names
never reach a terminal raw. Last, the corpus of fuzz/make_hostile_corpus.py
through ``convert`` and ``validate``.

Cases that hung or exhausted memory before this work run in a child process with
a time bound (and an address-space limit), so a regression fails instead of
hanging the suite."""

from __future__ import annotations

import builtins
import contextlib
import importlib.util
import inspect
import io
import json
import os
import resource
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import traceback
import tracemalloc
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import bmaparse
from bmaparse._discover import discover
from bmaparse._display import printable
from bmaparse._read import Limits, display_path
from bmaparse._read_task import iter_documents
from bmaparse.batch import convert
from bmaparse.cli import main
from helpers import ROOT, SEED, SEED_PATH, child_env, codes, variant, zip_bytes

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")


def _corpus_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_hostile_corpus", ROOT / "fuzz" / "make_hostile_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


CORPUS = _corpus_module()


def _limit_memory() -> None:
    limit = 4 << 30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``bmaparse ARGS`` in a child process: 60 s and 4 GB of address space at most
    (reading /dev/zero or waiting on a FIFO fails the test, never the machine)."""
    return subprocess.run(
        [sys.executable, "-m", "bmaparse", *args], capture_output=True, text=True,
        timeout=60, cwd=cwd, preexec_fn=_limit_memory, check=False,
        env=child_env(),
    )


class FifoCanary:
    """A FIFO with a writer waiting on it: anything that opens it for reading
    releases the writer, so ``opened()`` tells whether anything did."""

    def __init__(self, path: Path) -> None:
        if not path.exists():
            os.mkfifo(path)
        self.path = path
        self.thread = threading.Thread(target=self._wait, daemon=True)
        self.thread.start()

    def _wait(self) -> None:
        os.close(os.open(self.path, os.O_WRONLY))  # blocks until a reader opens it

    def opened(self) -> bool:
        self.thread.join(0.5)
        return not self.thread.is_alive()

    def release(self) -> None:
        with contextlib.suppress(OSError):
            os.close(os.open(self.path, os.O_RDONLY | os.O_NONBLOCK))
        self.thread.join(5)


@contextlib.contextmanager
def canaries(paths: list[Path]) -> Iterator[list[FifoCanary]]:
    made = [FifoCanary(p) for p in paths]
    try:
        yield made
    finally:
        for canary in made:
            canary.release()


# --- special files -------------------------------------------------------------------------


@needs_fifo
def test_special_files_are_counted_and_never_opened(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_bytes(SEED)
    os.mknod(folder / "socket.txt", 0o600 | stat.S_IFSOCK)
    (folder / "z.zip").symlink_to("/dev/zero")
    (tmp_path / "cmd.zip").symlink_to("/dev/zero")
    fifos = [folder / "x.zip", folder / "y.txt", tmp_path / "named.zip"]
    out = tmp_path / "out"
    with canaries(fifos) as made:
        done = run_cli("convert", str(folder), str(tmp_path / "named.zip"),
                       "-o", str(out), "--jobs", "1", "--quiet")
        assert done.returncode == 0, done.stderr
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert [e["path"] for e in manifest["inputs"]] == [str(folder / "good.txt")]
        # the three FIFOs and the socket; the link to /dev/zero leaves the inputs
        assert manifest["skipped_files"] == {"special-file": 4, "link-outside-inputs": 1}
        # followed, the link to /dev/zero is a device like any other
        done = run_cli("validate", str(folder), "--follow-links")
        assert done.returncode == 0, done.stderr
        assert "1 inputs, 1 reports" in done.stderr
        # named on the command line, a device is a root (followed) and still not opened
        done = run_cli("validate", str(tmp_path / "cmd.zip"), str(folder / "good.txt"))
        assert (done.returncode, done.stdout) == (0, ""), done.stderr
        assert "1 inputs, 1 reports" in done.stderr
        assert not any(canary.opened() for canary in made)


_SWAPPED = """
import os, sys
from bmaparse import _read
fifo, regular = sys.argv[1], os.stat(sys.argv[2])
real_stat = os.stat
# the check sees a regular file; by the time it is opened, it is a FIFO
_read.os.stat = lambda path, *a, **k: regular if path == fifo else real_stat(path, *a, **k)
try:
    _read.read_file_capped(fifo, _read.DEFAULT_LIMITS)
except OSError as exc:
    print(exc)
"""


@needs_fifo
def test_a_fifo_swapped_in_after_the_check_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo, regular = tmp_path / "a.txt", tmp_path / "b.txt"
    regular.write_bytes(SEED)
    with canaries([fifo]) as (canary,):
        done = subprocess.run(
            [sys.executable, "-c", _SWAPPED, str(fifo), str(regular)], capture_output=True,
            text=True, timeout=60, check=False, env=child_env())
        assert done.stdout == f"not a regular file: {fifo}\n", done.stderr
        assert canary.opened()  # opened (without blocking), then refused


# --- symbolic links ------------------------------------------------------------------------


def _linked_inputs(tmp_path: Path) -> tuple[Path, Path]:
    folder, outside = tmp_path / "in", tmp_path / "outside"
    (folder / "sub").mkdir(parents=True)
    (outside / "dir").mkdir(parents=True)
    (folder / "sub" / "real.txt").write_bytes(variant(1))
    (outside / "secret.txt").write_bytes(b"SECRET-LINE-TARGET\n" + variant(2))
    (outside / "dir" / "other.txt").write_bytes(variant(3))
    (folder / "leak.txt").symlink_to(outside / "secret.txt")
    (folder / "leak-dir").symlink_to(outside / "dir", target_is_directory=True)
    (folder / "inner.txt").symlink_to(folder / "sub" / "real.txt")
    (folder / "sub-alias").symlink_to("sub", target_is_directory=True)
    return folder, outside


def test_links_out_of_the_inputs_are_not_followed(tmp_path: Path) -> None:
    folder, _ = _linked_inputs(tmp_path)
    found = discover([folder])
    assert [t.source_path for t in found.tasks] == [str(folder / "inner.txt")]
    assert found.skipped == {"link-outside-inputs": 2, "repeated": 2}
    out = tmp_path / "out"
    summary = convert([folder], out, jobs=1, fmt="jsonl")
    assert summary.exit_code == 0 and summary.reports == 1
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["skipped_files"]["link-outside-inputs"] == 2
    assert not any(b"SECRET-LINE-TARGET" in p.read_bytes() for p in out.rglob("*") if p.is_file())


def test_links_out_of_the_inputs_are_followed_when_asked(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    folder, _ = _linked_inputs(tmp_path)
    found = discover([folder], follow_links=True)
    assert sorted(t.source_path for t in found.tasks) == sorted(
        str(folder / n) for n in ("inner.txt", "leak.txt", "leak-dir/other.txt"))
    summary = convert([folder], tmp_path / "out", jobs=1, follow_links=True)
    assert summary.reports == 3
    assert main(["validate", str(folder), "--follow-links"]) == 0
    assert "3 inputs, 3 reports" in capsys.readouterr().err
    assert main(["parse", str(folder / "leak-dir"), "--follow-links"]) == 0  # a root itself
    assert len(json.loads(capsys.readouterr().out)) == 1


def test_a_link_named_on_the_command_line_is_a_root(tmp_path: Path) -> None:
    folder, outside = _linked_inputs(tmp_path)
    found = discover([folder / "leak.txt", folder / "leak-dir"])
    assert sorted(t.source_path for t in found.tasks) == [
        str(folder / "leak-dir" / "other.txt"), str(folder / "leak.txt")]
    # a link inside the folder to a file also named on the command line is inside a root
    found = discover([folder, outside / "secret.txt"])
    assert str(folder / "leak.txt") in {t.source_path for t in found.tasks}


def test_link_loops_and_broken_links_end(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "a" / "b").mkdir(parents=True)
    (folder / "a" / "b" / "r.txt").write_bytes(SEED)
    (folder / "a" / "b" / "up").symlink_to("../..", target_is_directory=True)
    (folder / "loop").symlink_to(".", target_is_directory=True)
    (folder / "self.txt").symlink_to(folder / "self.txt")
    (folder / "ping.txt").symlink_to(folder / "pong.txt")
    (folder / "pong.txt").symlink_to(folder / "ping.txt")
    (folder / "gone.txt").symlink_to(folder / "nowhere.txt")
    # twenty folders, each with two links to the next: 2**20 paths, 20 folders
    for i in range(21):
        (folder / "chain" / f"c{i:02d}").mkdir(parents=True)
    for i in range(20):
        for name in ("x", "y"):
            (folder / "chain" / f"c{i:02d}" / name).symlink_to(
                f"../c{i + 1:02d}", target_is_directory=True)
    (folder / "chain" / "c20" / "end.txt").write_bytes(variant(1))
    found = discover([folder])
    # folders reached through links come last: end.txt keeps its own path, and
    # each of the 40 links finds its folder walked
    assert [t.source_path[len(str(folder)) + 1 :] for t in found.tasks] == [
        "a/b/r.txt", "chain/c20/end.txt"]
    assert found.skipped == {"link-loop": 2, "broken-link": 4, "repeated": 40}


def test_deep_folders_are_walked_without_recursion(tmp_path: Path) -> None:
    deep = tmp_path
    for _ in range(600):
        deep /= "d"
        deep.mkdir()
    (deep / "deep.txt").write_bytes(SEED)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 150)  # less than the folders are deep
    try:
        (task,) = discover([tmp_path / "d"]).tasks
    finally:
        sys.setrecursionlimit(limit)
    assert task.source_path.endswith("/d/deep.txt")


# --- an unreadable folder ------------------------------------------------------------------


def _as_unprivileged(work: Callable[[], int]) -> int:
    """``work()``, unable to read what file permissions forbid: as is when not root,
    else in a forked child that has become nobody (65534). Its exit status."""
    if os.geteuid() != 0:
        return work()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        status = 99
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            status = work()
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(status)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder that nobody (65534) can write in (pytest's tmp_path is root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="bmaparse-hostile-"))
    path.chmod(0o777)
    try:
        yield path
    finally:
        for sub in path.rglob("*"):
            if sub.is_dir() and not sub.is_symlink():
                sub.chmod(0o755)
        shutil.rmtree(path)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and chmod semantics")
def test_an_unreadable_folder_is_an_error_naming_it(shared_dir: Path) -> None:
    folder = shared_dir / "in"
    (folder / "locked").mkdir(parents=True)
    (folder / "open").mkdir()
    (folder / "open" / "a.txt").write_bytes(SEED)
    (folder / "locked" / "b.txt").write_bytes(variant(1))
    for path in (folder, folder / "open"):
        path.chmod(0o755)
    (folder / "open" / "a.txt").chmod(0o644)
    (folder / "locked").chmod(0)
    out, printed = shared_dir / "out", shared_dir / "validate.txt"
    convert([SEED_PATH], shared_dir / "warm", jobs=1)

    def work() -> int:
        summary = convert([folder], out, jobs=1)
        with printed.open("w", encoding="utf-8") as file, contextlib.redirect_stdout(file):
            status = main(["validate", str(folder), "--quiet"])
        return summary.exit_code * 10 + status

    assert _as_unprivileged(work) == 11
    locked = str(folder / "locked")
    assert printed.read_text(encoding="utf-8") == (
        f"{locked}:0:0: error unreadable-folder cannot list the folder (Permission denied):"
        " nothing in it was read\n")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    entries = {e["path"]: e for e in manifest["inputs"]}
    assert set(entries) == {locked, str(folder / "open" / "a.txt")}
    assert entries[locked]["outcome"] == "error" and entries[locked]["errors"] == 1
    import pyarrow.parquet as pq

    rows = pq.read_table(out / "diagnostics.parquet").to_pylist()
    assert [(r["source_path"], r["code"], r["severity"]) for r in rows] == [
        (locked, "unreadable-folder", "error")]


# --- archives ------------------------------------------------------------------------------


@pytest.fixture
def archive_opens(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], int]:
    """Count the times a file is opened (``open``, ``io.open`` as zipfile calls it,
    ``os.open``), by real path."""
    counts: Counter[str] = Counter()
    real_open, real_os_open = io.open, os.open

    def note(file: Any) -> None:
        if isinstance(file, str | bytes | os.PathLike):
            counts[os.path.realpath(file)] += 1

    def counted_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        note(file)
        return real_open(file, *args, **kwargs)

    def counted_os_open(file: Any, *args: Any, **kwargs: Any) -> int:
        note(file)
        return real_os_open(file, *args, **kwargs)

    monkeypatch.setattr(io, "open", counted_open)
    monkeypatch.setattr(builtins, "open", counted_open)
    monkeypatch.setattr(os, "open", counted_os_open)
    return lambda path: counts[os.path.realpath(path)]


def test_an_archive_is_opened_the_same_few_times_whatever_its_members(
    tmp_path: Path, archive_opens: Callable[[Path], int]
) -> None:
    inner = zip_bytes([("x.txt", SEED)])
    opens = []
    for n in (30, 120):
        archive = tmp_path / f"{n}.zip"
        archive.write_bytes(zip_bytes([*((f"n{i}.zip", inner) for i in range(n)),
                                       *((f"t{i}.txt", b"x") for i in range(n))]))
        before = archive_opens(archive)
        documents = list(iter_documents([archive]))
        assert len(documents) == 2 * n
        assert sum(codes(d).count("nested-archive-skipped") for d in documents) == n
        convert([archive], tmp_path / f"out{n}", jobs=1)
        opens.append(archive_opens(archive) - before)
    assert opens[0] == opens[1] <= 6  # discovery and reading, twice: not per member


def test_a_lying_end_record_cannot_lift_the_member_limit(tmp_path: Path) -> None:
    members = 30_000
    data = bytearray(zip_bytes([(f"{i}.txt", b"") for i in range(members)], zipfile.ZIP_STORED))
    struct.pack_into("<HH", data, data.rfind(b"PK\x05\x06") + 8, 2, 2)
    archive = tmp_path / "lying.zip"
    archive.write_bytes(bytes(data))
    tracemalloc.start()
    try:
        found = discover([archive], limits=Limits(max_archive_members=100))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    refused = [t for t in found.tasks if t.refusal is not None]
    assert len(found.tasks) == 101 and [n.refusal.code for n in refused if n.refusal] == ["too-many-members"]
    assert "holds more than 100 members (its end record declares 2)" in refused[0].refusal.message  # type: ignore[union-attr]
    # the directory (1.4 MB, 30,000 entries) was never held: only the 100 members read
    assert peak < 1_000_000, peak


def test_members_of_one_name_are_all_read(tmp_path: Path) -> None:
    archive = tmp_path / "dup.zip"
    # "a.txt#2" (not a text name, so not read) takes that label from the second a.txt
    archive.write_bytes(zip_bytes([("a.txt", variant(1)), ("a.txt", variant(2)),
                                   ("a.txt#2", variant(3)), ("a.txt", variant(4))]))
    found = discover([archive])
    assert found.skipped == {"not-text": 1}
    documents = list(iter_documents([archive]))
    expected = {f"{archive}!a.txt": variant(1), f"{archive}!a.txt#3": variant(2),
                f"{archive}!a.txt#4": variant(4)}
    assert [d.source_path for d in documents] == list(expected)
    assert {d.source_path: d.reports[0].report_key for d in documents} == {
        path: bmaparse.load(data).reports[0].report_key for path, data in expected.items()}
    summary = convert([archive], tmp_path / "out", jobs=1)
    assert (summary.inputs, summary.reports) == (3, 3)


def test_an_undecodable_member_name_costs_only_that_name(tmp_path: Path) -> None:
    data = bytearray(zip_bytes([("r\u00e9.txt", variant(1)), ("good.txt", variant(2))]))
    data = data.replace("r\u00e9".encode(), b"r\xff\xfe")  # the UTF-8 flag stays set
    archive = tmp_path / "bad-name.zip"
    archive.write_bytes(bytes(data))
    documents = {d.source_path: d for d in iter_documents([archive])}
    assert set(documents) == {f"{archive}!r\\xff\\xfe.txt", f"{archive}!good.txt"}
    assert all(len(d.reports) == 1 and d.ok for d in documents.values())


def test_a_directory_damaged_part_way_keeps_the_members_before(tmp_path: Path) -> None:
    data = bytearray(zip_bytes([(f"{i}.txt", variant(i)) for i in range(3)]))
    third = [i for i in range(len(data)) if data[i : i + 4] == b"PK\x01\x02"][2]
    data[third : third + 4] = b"XXXX"
    archive = tmp_path / "damaged.zip"
    archive.write_bytes(bytes(data))
    found = {d.source_path: codes(d) for d in iter_documents([archive])}
    assert found == {f"{archive}!0.txt": [], f"{archive}!1.txt": [], str(archive): ["unreadable-archive"]}


# --- names on a terminal -------------------------------------------------------------------


def test_printable_escapes_controls_and_keeps_text() -> None:
    assert printable("รายงาน ๒๕๖๖/โครงการ.txt") == "รายงาน ๒๕๖๖/โครงการ.txt"
    assert printable("a\nb\rc\td") == "a\\nb\\rc\\td"
    assert printable("\x1b[2J\x00\x7f\x85\x9b") == "\\x1b[2J\\x00\\x7f\\x85\\x9b"
    assert printable("a\u2028b\u2029c\u202ed\u2066") == "a\\u2028b\\u2029c\\u202ed\\u2066"
    assert printable("bad\udcff.txt") == "bad\\udcff.txt"
    assert printable("café\u200b") == "café\u200b"  # not a control: shown


def test_names_are_escaped_where_printed_and_kept_in_the_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    forged = "f.txt:1:1: error forged\nm.txt"
    (folder / forged).write_bytes(b"no report here")
    (folder / "names.zip").write_bytes(zip_bytes([("\x1b[31mred\x1b[0m.txt", b"no report"),
                                                  ("line\u2028sep.txt", b"no report")]))
    (folder / "รายงาน.txt").write_bytes(b"no report here")
    assert main(["validate", str(folder), "--quiet"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and all(line.startswith(f"{folder}/") for line in lines)
    assert not any(ch in "".join(lines) for ch in "\x1b\u2028\r")
    assert f"{folder}/f.txt:1:1: error forged\\nm.txt:1:1: error no-report-found" in lines[0]
    assert any("names.zip!\\x1b[31mred\\x1b[0m.txt:1:1:" in line for line in lines)
    assert any("names.zip!line\\u2028sep.txt:1:1:" in line for line in lines)
    assert any(f"{folder}/รายงาน.txt:1:1: error no-report-found" in line for line in lines)
    assert main(["parse", str(folder / forged)]) == 1
    (err,) = capsys.readouterr().err.splitlines()
    assert err.startswith(f"{folder}/f.txt:1:1: error forged\\nm.txt:1:1: error no-report-found")
    assert main(["validate", str(tmp_path / "missing\n\x1b[2J.txt")]) == 2
    assert capsys.readouterr().err == (
        f"bmaparse: error: input not found: {tmp_path}/missing\\n\\x1b[2J.txt\n")
    # the data keeps the real names
    summary = convert([folder], tmp_path / "out", jobs=1, fmt="jsonl")
    assert summary.errors == 4
    rows = [json.loads(line) for line in
            (tmp_path / "out" / "diagnostics.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {r["source_path"] for r in rows} == {
        str(folder / forged), f"{folder / 'names.zip'}!\x1b[31mred\x1b[0m.txt",
        f"{folder / 'names.zip'}!line\u2028sep.txt", str(folder / "รายงาน.txt")}


# --- the hostile corpus --------------------------------------------------------------------


def _snapshot(root: Path, skip: Path) -> dict[str, tuple[int, int, int]]:
    """(type, size, mtime) of everything under ``root`` but ``skip``, links not followed."""
    found = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if Path(folder, d) != skip]
        for name in (*dirs, *files):
            info = os.lstat(os.path.join(folder, name))
            found[os.path.join(folder, name)] = (stat.S_IFMT(info.st_mode), info.st_size,
                                                 info.st_mtime_ns)
    return found


_DRIVER = """
import contextlib, json, sys
from bmaparse._read import Limits
from bmaparse.batch import convert
from bmaparse.cli import main
inputs, out, printed, max_members = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
summary = convert([inputs], out, jobs=2, fmt="jsonl", limits=Limits(max_archive_members=max_members))
with open(printed, "w", encoding="utf-8") as file, contextlib.redirect_stdout(file):
    status = main(["validate", inputs, "--quiet"])
print(json.dumps({"convert": summary.exit_code, "validate": status}))
"""


@needs_fifo
def test_the_hostile_corpus(tmp_path: Path) -> None:
    corpus = CORPUS.make(tmp_path / "corpus")
    out, printed = tmp_path / "corpus" / "out", tmp_path / "validate.txt"
    before = _snapshot(tmp_path / "corpus", out)
    with canaries(corpus.fifos) as made:
        done = subprocess.run(
            [sys.executable, "-c", _DRIVER, str(corpus.inputs), str(out), str(printed),
             str(CORPUS.MAX_MEMBERS)],
            capture_output=True, text=True, timeout=120, preexec_fn=_limit_memory, check=False,
            env=child_env())
        assert done.returncode == 0, done.stderr
        assert not any(canary.opened() for canary in made), "a FIFO was opened"
    assert json.loads(done.stdout) == {"convert": 1, "validate": 1}

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["skipped_files"] == dict(corpus.skipped)
    paths = [e["path"] for e in manifest["inputs"]]
    assert len(paths) == len(set(paths))
    # every file is an input (through its own name or a link inside the folder),
    # every member named is one
    read = {os.path.realpath(p.split("!")[0]) for p in paths}  # display paths: \xNN kept
    files = {display_path(os.path.realpath(f)) for f in corpus.files}
    assert files <= read, files - read
    assert set(corpus.members) <= set(paths), set(corpus.members) - set(paths)
    inside = os.path.realpath(corpus.inputs) + os.sep
    assert all(r.startswith(inside) for r in read)
    outcomes = Counter(e["outcome"] for e in manifest["inputs"])
    assert outcomes["skipped"] == 200  # the nested archives

    # nothing from outside reached the output; nothing was written outside OUT
    for path in out.rglob("*"):
        if path.is_file():
            assert CORPUS.SECRET not in path.read_bytes(), path
    assert _snapshot(tmp_path / "corpus", out) == before

    # validate: one line per diagnostic, each naming a path inside the inputs
    lines = printed.read_text(encoding="utf-8").split("\n")
    assert lines.pop() == ""
    assert lines and all(line.startswith(f"{corpus.inputs}/") for line in lines)
    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for line in lines for ch in line)
    for shown in ("f.txt:1:1: error forged\\nm.txt:1:1:", "\\x1b[2J\\x1b[31mred.txt:1:1:",
                  "names.zip!two\\nlines.txt:1:1:", "names.zip!nul\\x00byte.txt:1:1:",
                  "names.zip!\\x9b31m.txt:1:1:", "line\\u2028sep.txt:1:1:"):
        assert sum(shown in line for line in lines) == 1, shown
