"""Shards: ``convert --shard K/N`` partitions the inputs (each in exactly one shard,
whatever the machine or mount point), and ``merge`` of the N folders equals one
convert of the same inputs, table by table after sorting and manifest entry by
entry; the merged folder passes ``verify``; merge refuses parts that do not form
one set and is one transaction, like convert."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import bmaparse
from bmaparse import _commit, synth, writers
from bmaparse._discover import discover, shard_of
from bmaparse._formats import FORMATS
from bmaparse._merge import merge
from bmaparse._verify import verify
from bmaparse.batch import convert
from bmaparse.cli import main
from bmaparse.errors import OutputError, UsageError
from bmaparse.tables import SCHEMAS
from helpers import DATA, SAMPLES, SEPARATOR, zip_bytes

N = 4
FORK = multiprocessing.get_context("fork")


def _copy_into(folder: Path, name: str, data: bytes, avoid: int, base: Path) -> Path:
    """``data`` as ``folder/<i>_name``, the first ``i`` whose shard (of N) is not ``avoid``."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(100):
        path = folder / f"{i}_{name}"
        if shard_of(path.relative_to(base).as_posix(), N) != avoid:
            path.write_bytes(data)
            return path
    raise AssertionError("no name in another shard")  # pragma: no cover


def build_corpus(root: Path) -> Path:
    """samples/, tests/data, a synth archive with history (320 reports), copies of some
    files in other shards (sorting before and after the original), a multi-report
    file holding a copy at another line, a zip archive with a copy, an empty file
    and a file of junk."""
    root.mkdir(parents=True)
    shutil.copytree(SAMPLES, root / "samples")
    (root / "data").mkdir()
    for path in sorted(DATA.glob("*.txt")):
        shutil.copy(path, root / "data" / path.name)
    synth_dir = root / "synth"
    synth_dir.mkdir()
    texts = list(synth.corpus(320, 11, layouts=("page", "export", "view", "kpi"), history=True))
    for i, text in enumerate(texts):
        (synth_dir / f"h{i:04}.txt").write_text(text, encoding="utf-8")
    for i in range(0, 60, 6):  # copies that win (aa/ sorts first) and that lose (zz/)
        original = synth_dir / f"h{i:04}.txt"
        home = shard_of(original.relative_to(root).as_posix(), N)
        folder = root / ("aa" if i % 12 == 0 else "zz")
        _copy_into(folder, original.name, original.read_bytes(), home, root)
    # the same report at another line of a multi-report file, in another shard
    original = synth_dir / "h0100.txt"
    multi = (texts[101].rstrip("\n") + f"\n{SEPARATOR}\n" + texts[100]).encode("utf-8")
    _copy_into(root / "aa", "multi.txt", multi, shard_of("synth/h0100.txt", N), root)
    members = {f"m/{j}.txt": texts[200 + j].encode("utf-8") for j in range(6)}
    members["m/copy.txt"] = (synth_dir / "h0030.txt").read_bytes()
    (root / "archive.zip").write_bytes(zip_bytes(members))
    (root / "bad").mkdir()
    (root / "bad" / "empty.txt").write_bytes(b"")
    (root / "bad" / "junk.txt").write_bytes(bytes(range(256)) * 4)
    return root


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_corpus(tmp_path_factory.mktemp("shards") / "in")


def shards(corpus: Path, base: Path, n: int = N, fmt: str = "parquet",
           **options: Any) -> list[Path]:
    parts = [base / f"part{k}" for k in range(1, n + 1)]
    for k, part in enumerate(parts, 1):
        convert([corpus], part, fmt=fmt, jobs=1, shard=(k, n), **options)
    return parts


def sorted_table(out: Path, fmt: str, name: str) -> pa.Table:
    table = writers.read_existing(fmt, out, name, SCHEMAS[name])
    assert table is not None, name
    if not table.num_rows:
        return table
    return table.take(pc.sort_indices(table, sort_keys=[(c, "ascending")
                                                        for c in table.column_names]))


def assert_same_tables(a: Path, b: Path, fmt: str, fmt_b: str | None = None) -> None:
    for name in SCHEMAS:
        left, right = sorted_table(a, fmt, name), sorted_table(b, fmt_b or fmt, name)
        assert left.schema == right.schema, name
        assert left.to_pylist() == right.to_pylist(), name
        assert left.equals(right), name


def manifest(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return data


def snapshot(out: Path) -> dict[str, bytes]:
    """Every file in ``out`` but the lock: what a stopped merge must leave as it was."""
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())
            if p.is_file() and p.name != ".bmaparse.lock"}


# --- the partition ----------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7])
def test_every_input_lands_in_exactly_one_shard(corpus: Path, n: int) -> None:
    whole = [t.source_path for t in discover([corpus]).tasks]
    assert any("!" in p for p in whole)  # archive members are inputs of their own
    found = [discover([corpus], shard=(k, n)) for k in range(1, n + 1)]
    every = [t.source_path for f in found for t in f.tasks]
    assert sorted(every) == sorted(whole)
    assert len(set(every)) == len(every)
    assert {json.dumps({**f.shard, "index": 0}) for f in found if f.shard} == {
        json.dumps({"index": 0, "count": n, "inputs_total": len(whole),
                    "inputs_digest": found[0].shard["inputs_digest"]})}  # type: ignore[index]
    if n == N:
        assert all(f.tasks for f in found)  # a few hundred inputs: no shard is empty
        holding = [k for k, f in enumerate(found) if any("archive.zip!" in t.source_path
                                                         for t in f.tasks)]
        assert len(holding) > 1  # an archive is split per member


def test_shards_do_not_depend_on_the_mount_point_or_the_argument_order(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "mnt" / "exports"
    shutil.copytree(corpus, elsewhere)
    parts = [corpus / "synth", corpus / "archive.zip", corpus / "aa"]
    moved = [elsewhere / "archive.zip", elsewhere / "aa", elsewhere / "synth"]
    monkeypatch.chdir(elsewhere)
    relative = [Path("synth"), Path("aa"), Path("archive.zip")]
    for k in range(1, N + 1):
        names = [{os.path.relpath(t.path, root) + (t.member or "")
                  for t in discover(inputs, shard=(k, N)).tasks}
                 for inputs, root in ((parts, corpus), (moved, elsewhere), (relative, "."))]
        assert names[0] == names[1] == names[2]
        digests = {str(discover(i, shard=(k, N)).shard) for i in (parts, moved, relative)}
        assert len(digests) == 1


# --- merge equals one convert -----------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_shards_merged_equal_one_convert(corpus: Path, tmp_path: Path, fmt: str) -> None:
    whole = tmp_path / "whole"
    one = convert([corpus], whole, fmt=fmt, jobs=1)
    parts = shards(corpus, tmp_path, fmt=fmt)
    # the copies really are split: some report is in two parts
    keys = [set(sorted_table(p, fmt, "reports")["report_key"].to_pylist()) for p in parts]
    assert any(keys[i] & keys[j] for i in range(N) for j in range(i + 1, N))
    merged = tmp_path / "merged"
    summary = bmaparse.merge(parts, merged)
    assert summary.fmt == fmt
    assert_same_tables(whole, merged, fmt)
    a, b = manifest(whole), manifest(merged)
    assert b["inputs"] == a["inputs"]  # every entry: outcome, written, duplicates, sha256 ...
    assert b["totals"] == a["totals"]
    assert b["skipped_files"] == a["skipped_files"]
    assert b["shard"]["indexes"] == list(range(1, N + 1)) and b["shard"]["complete"]
    for key in ("inputs", "reports", "duplicates", "skipped", "errors", "warned", "rows"):
        assert getattr(summary, key) == getattr(one, key), key
    assert summary.exit_code == one.exit_code == 1  # the junk and empty files
    found = verify(merged)
    assert found.ok, found.lines()
    if fmt in ("csv", "jsonl"):  # the files themselves, line by line after sorting
        for name in SCHEMAS:
            x = (whole / f"{name}.{fmt}").read_bytes().splitlines()
            y = (merged / f"{name}.{fmt}").read_bytes().splitlines()
            assert sorted(x) == sorted(y), name
            if fmt == "csv":
                assert x[0] == y[0], name  # the header


def test_one_shard_of_one_equals_a_plain_convert(corpus: Path, tmp_path: Path) -> None:
    convert([corpus], tmp_path / "whole", jobs=1)
    (part,) = shards(corpus, tmp_path, n=1)
    assert_same_tables(tmp_path / "whole", part, "parquet")
    assert manifest(part)["inputs"] == manifest(tmp_path / "whole")["inputs"]
    bmaparse.merge([part], tmp_path / "merged")
    assert_same_tables(tmp_path / "whole", tmp_path / "merged", "parquet")


def test_merge_is_idempotent_and_merges_of_merges_compose(corpus: Path, tmp_path: Path) -> None:
    parts = shards(corpus, tmp_path)
    out = tmp_path / "out"
    bmaparse.merge(parts, out)
    first = {name: sorted_table(out, "parquet", name) for name in SCHEMAS}
    entries = manifest(out)["inputs"]
    bmaparse.merge(parts, out)  # again, into the same folder
    assert all(sorted_table(out, "parquet", n).equals(t) for n, t in first.items())
    assert manifest(out)["inputs"] == entries
    low, high = tmp_path / "low", tmp_path / "high"
    bmaparse.merge(parts[:2], low, partial=True)
    bmaparse.merge(parts[2:], high, partial=True)
    assert manifest(low)["shard"]["complete"] is False
    with pytest.raises(UsageError, match="shards missing: 3/4, 4/4"):
        bmaparse.merge([low], tmp_path / "nope")
    bmaparse.merge([high, low], tmp_path / "both")
    assert_same_tables(out, tmp_path / "both", "parquet")
    assert manifest(tmp_path / "both")["inputs"] == entries
    assert verify(tmp_path / "both").ok


def test_merge_into_another_format(corpus: Path, tmp_path: Path) -> None:
    convert([corpus], tmp_path / "whole", fmt="duckdb", jobs=1)
    parts = shards(corpus, tmp_path, n=2, fmt="jsonl")
    code = main(["merge", *map(str, parts), "-o", str(tmp_path / "out"), "--format", "duckdb",
                 "--quiet"])
    assert code == 1  # the junk file, as convert says
    assert_same_tables(tmp_path / "whole", tmp_path / "out", "duckdb")
    assert verify(tmp_path / "out").ok


# --- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0/4", "5/4", "4", "a/b", "-1/2", "1/0", "1/2/3", ""])
def test_bad_shard_values_are_one_line_usage_errors(
    corpus: Path, tmp_path: Path, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["convert", str(corpus), "-o", str(tmp_path / "out"), f"--shard={value}"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "--shard" in err and "K/N" in err, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("shard", [(0, 4), (5, 4), (1, 0), (1,), "1/4", (1.0, 4), (True, 1)])
def test_bad_shard_values_from_python(corpus: Path, tmp_path: Path, shard: Any) -> None:
    with pytest.raises(UsageError, match="shard"):
        convert([corpus], tmp_path / "out", shard=shard)
    assert not (tmp_path / "out").exists()


def test_shard_with_incremental_is_refused(corpus: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["convert", str(corpus), "-o", str(tmp_path / "out"), "--shard", "1/2",
                 "--incremental"])
    err = capsys.readouterr().err
    assert code == 2 and "--incremental" in err and err.count("\n") == 1, err


@pytest.fixture(scope="module")
def parts(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return shards(corpus, tmp_path_factory.mktemp("parts"))


def refused(args: list[str], capsys: pytest.CaptureFixture[str], code: int = 2) -> str:
    status = main(["merge", *args, "--quiet"])
    err = capsys.readouterr().err
    assert status == code, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_a_missing_or_repeated_shard_is_refused(parts: list[Path], tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "out")
    err = refused([str(parts[0]), str(parts[1]), str(parts[3]), "-o", out], capsys)
    assert "shards missing: 3/4" in err and "--partial" in err
    assert not (tmp_path / "out").exists()
    copy = tmp_path / "copy"
    shutil.copytree(parts[1], copy)
    err = refused([*map(str, parts), str(copy), "-o", out], capsys)
    assert "shard 2/4 is in both" in err
    err = refused([str(parts[0]), str(parts[0]), "-o", out], capsys)
    assert "given twice" in err
    assert main(["merge", str(parts[0]), str(parts[2]), "-o", out, "--partial", "--quiet",
                 "--fail-on", "never"]) == 0
    head = manifest(tmp_path / "out")
    assert head["shard"]["indexes"] == [1, 3] and not head["shard"]["complete"]
    assert verify(tmp_path / "out").ok


def _edited(part: Path, into: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    shutil.copytree(part, into)
    data = manifest(into)
    edit(data)
    (into / "manifest.json").write_text(json.dumps(data, ensure_ascii=False, indent=2),
                                        encoding="utf-8")
    return into


@pytest.mark.parametrize(("field", "edit", "says"), [
    ("schema", lambda m: m.update(schema_version="0"), "schema_version"),
    ("parser", lambda m: m.update(parser_version="0.0.1"), "parser_version"),
    ("strict", lambda m: m.update(strict=True), "strict"),
    ("limits", lambda m: m["limits"].update(max_file_bytes=1), "limits"),
    ("count", lambda m: m["shard"].update(count=5), "another N"),
    ("inputs", lambda m: m["shard"].update(inputs_digest="0" * 64), "other inputs"),
    ("no shard", lambda m: m.pop("shard"), "not written by convert --shard"),
    ("no index", lambda m: m["shard"].pop("index"), "shard record is damaged"),
    ("index text", lambda m: m["shard"].update(index="x"), "shard record is damaged"),
    ("index past N", lambda m: m["shard"].update(index=9), "shard record is damaged"),
])
def test_parts_that_are_not_one_set_are_refused(
    parts: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    field: str, edit: Callable[[dict[str, Any]], None], says: str,
) -> None:
    odd = _edited(parts[3], tmp_path / "odd", edit)
    err = refused([*map(str, parts[:3]), str(odd), "-o", str(tmp_path / "out")], capsys)
    assert says in err and str(odd) in err, err
    assert not (tmp_path / "out").exists()


def test_parts_of_another_format_or_a_plain_convert_are_refused(
    corpus: Path, parts: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_part = tmp_path / "csv"
    convert([corpus], csv_part, fmt="csv", jobs=1, shard=(4, N))
    err = refused([*map(str, parts[:3]), str(csv_part), "-o", str(tmp_path / "out")], capsys)
    assert "format 'csv'" in err
    plain = tmp_path / "plain"
    convert([corpus / "samples"], plain, jobs=1)
    err = refused([str(plain), "-o", str(tmp_path / "out")], capsys)
    assert "not written by convert --shard" in err
    err = refused([str(tmp_path / "nowhere"), "-o", str(tmp_path / "out")], capsys)
    assert "not found" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    err = refused([str(empty), "-o", str(tmp_path / "out")], capsys)
    assert "no bmaparse manifest.json" in err


def test_a_part_that_disagrees_with_its_manifest_fails_the_merge(
    parts: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(parts[2], damaged)
    (damaged / "kpis.parquet").unlink()
    out = tmp_path / "out"
    bmaparse.merge(parts, out)
    before = snapshot(out)
    err = refused([*map(str, (parts[0], parts[1], damaged, parts[3])), "-o", str(out)], capsys,
                  code=1)
    assert "kpis" in err and "bmaparse verify" in err and str(damaged) in err
    assert snapshot(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".bmaparse-tmp")]


def test_output_folder_rules_are_convert_s(
    parts: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    err = refused([*map(str, parts), "-o", str(foreign)], capsys)
    assert "--force" in err
    assert main(["merge", *map(str, parts), "-o", str(foreign), "--force", "--quiet",
                 "--fail-on", "never"]) == 0
    assert (foreign / "notes.txt").read_text() == "mine" and verify(foreign).ok
    err = refused([*map(str, parts), "-o", str(parts[0])], capsys)
    assert "one of the parts" in err
    # a folder bmaparse wrote in another format is replaced whole: its files go
    old = tmp_path / "old"
    convert([SAMPLES], old, fmt="csv", jobs=1)
    bmaparse.merge(parts, old)
    assert not list(old.glob("*.csv")) and manifest(old)["format"] == "parquet"
    assert verify(old).ok


# --- one transaction --------------------------------------------------------------------


def in_child(work: Callable[[], Any], stop_at: str) -> int:
    """``work`` in a forked process that ends at once (as if killed) at commit step ``stop_at``."""
    def child() -> None:
        def hook(step: str) -> None:
            if step == stop_at:
                os._exit(86)
        _commit.fault_hook = hook
        try:
            work()
        except BaseException:
            os._exit(1)
        os._exit(0)

    process = FORK.Process(target=child)
    process.start()
    process.join(120)
    assert process.exitcode is not None, "the child hung"
    return process.exitcode


@pytest.mark.parametrize("stop_at", ["staged", "journal"])
def test_a_killed_merge_leaves_one_whole_state(parts: list[Path], tmp_path: Path,
                                               stop_at: str) -> None:
    out = tmp_path / "out"
    bmaparse.merge(parts[:2], out, partial=True)
    before = snapshot(out)
    expected = tmp_path / "expected"
    bmaparse.merge(parts, expected)
    assert in_child(lambda: bmaparse.merge(parts, out), stop_at) == 86
    found = verify(out)  # finishes (journal written) or undoes (not yet) the commit
    assert found.ok, found.lines()
    if stop_at == "staged":
        assert snapshot(out) == before
    else:
        assert_same_tables(expected, out, "parquet")
        assert manifest(out)["inputs"] == manifest(expected)["inputs"]
    assert not [p for p in out.iterdir() if p.name.startswith(".bmaparse-tmp")]


def test_a_part_being_written_is_not_merged(parts: list[Path], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from bmaparse._lock import OutputLock

    with OutputLock(parts[1], "convert"):
        with pytest.raises(OutputError, match="in use"):
            bmaparse.merge(parts, tmp_path / "out")
        err = refused([*map(str, parts), "-o", str(tmp_path / "out")], capsys, code=1)
        assert "in use by another bmaparse process" in err


def test_merge_result_is_data(parts: list[Path], tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["merge", *map(str, parts), "-o", str(tmp_path / "out"), "--json",
                 "--fail-on", "never"]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    failed = [e["path"] for e in manifest(tmp_path / "out")["inputs"] if e["outcome"] == "error"]
    assert result["exit_code"] == 0 and result["reports"] > 300
    assert result["errors"] == len(failed) and any(p.endswith("junk.txt") for p in failed)
    assert result["files"]["reports"] == "reports.parquet"
    assert "bmaparse:" in captured.err and "inputs with errors" in captured.err
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="not a folder"):
        bmaparse.merge(parts, tmp_path / "file")


def test_a_merged_folder_can_be_brought_up_to_date_incrementally(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    shutil.copytree(SAMPLES, inputs)
    out = tmp_path / "out"
    bmaparse.merge(shards(inputs, tmp_path, n=2), out)
    before = manifest(out)["totals"]
    (inputs / "new.txt").write_text(next(synth.corpus(1, 99)), encoding="utf-8")
    summary = convert([inputs], out, jobs=1, incremental=True)
    assert summary.reports == 1 and summary.skipped == before["inputs"]
    assert manifest(out)["totals"]["inputs"] == before["inputs"] + 1
    found = verify(out)
    assert found.ok, found.lines()


def test_the_merged_manifest_does_not_depend_on_the_order_of_the_parts(tmp_path: Path) -> None:
    """Parts written inside the input folder see each other as skipped files (each a
    different count); merge takes the parts in shard order, however they are given."""
    inputs = tmp_path / "in"
    shutil.copytree(SAMPLES, inputs)
    parts = [inputs / "parts" / str(k) for k in (1, 2)]
    for k, part in enumerate(parts, 1):
        convert([inputs], part, jobs=1, shard=(k, 2))
    assert manifest(parts[0])["skipped_files"] != manifest(parts[1])["skipped_files"]
    merge(parts, tmp_path / "a", jobs=1)
    merge(parts[::-1], tmp_path / "b", jobs=1)
    timing = ("started_at", "finished_at", "seconds")
    a, b = manifest(tmp_path / "a"), manifest(tmp_path / "b")
    assert {k: v for k, v in a.items() if k not in timing} == {
        k: v for k, v in b.items() if k not in timing}
