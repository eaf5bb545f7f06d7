"""Hostile and damaged inputs: limits, zip bombs and traversal names, output-folder
safety, formula-free CSV and valid JSON, and a fault-injected batch in which every
good report is kept and every bad file is a diagnostic (docs/robustness.md)."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import struct
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bmaparse
from bmaparse._discover import discover
from bmaparse._read import DEFAULT_LIMITS, Limits
from bmaparse._read_task import iter_documents
from bmaparse.batch import convert
from bmaparse.cli import main
from bmaparse.tables import SCHEMAS

ROOT = Path(__file__).resolve().parents[1]
SEED = (ROOT / "samples" / "000_8c07428080a9c9ea.txt").read_bytes()
SEPARATOR = "------------------&&&--------------------"


def variant(i: int) -> bytes:
    """The seed with another amount: another report, another report_key."""
    return SEED.replace(b"1,324,600", f"{1000 + i:,}".encode())


def key_of(data: bytes, limits: Limits = DEFAULT_LIMITS) -> str:
    (report,) = bmaparse.load(data, limits=limits).reports
    return report.report_key


def zip_bytes(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buffer.getvalue()


def codes(document: bmaparse.Document) -> list[str]:
    return [d.code for d in (*document.diagnostics, *(d for r in document.reports for d in r.diagnostics))]


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


# --- limits -------------------------------------------------------------------------------


def test_limits_defaults_and_validation() -> None:
    assert Limits() == Limits(64 * 1024 * 1024, 1_000_000, 100_000, 200)
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="max_file_bytes"):
            Limits(max_file_bytes=bad)  # type: ignore[arg-type]


def test_input_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    limits = Limits(max_file_bytes=10_000)
    path = tmp_path / "big.txt"
    path.write_bytes(SEED)
    for source in (SEED, path):
        document = bmaparse.load(source, limits=limits)
        (problem,) = document.diagnostics
        assert (problem.severity, problem.code, document.reports) == ("error", "input-too-large", ())
        assert f"{len(SEED):,} bytes; the limit is 10,000 bytes" in problem.message
        with pytest.raises(bmaparse.ParseError, match="input-too-large"):
            bmaparse.load(source, limits=limits, strict=True)
    assert list(bmaparse.read(path, limits=limits)) == []
    assert len(bmaparse.load(path, limits=Limits(max_file_bytes=len(SEED))).reports) == 1


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_is_never_read() -> None:
    (problem,) = bmaparse.load("/dev/zero").diagnostics
    assert problem.code == "unreadable-input" and "not a regular file" in problem.message


def test_long_line_is_cut_with_a_warning_and_the_rest_parses() -> None:
    lines = SEED.decode().split("\n")
    lines[4] += "ก" * 5000
    document = bmaparse.load("\n".join(lines).encode(), limits=Limits(max_line_chars=2000))
    (report,) = document.reports
    (cut,) = [d for d in report.diagnostics if d.code == "line-too-long"]
    dropped = len(lines[4]) - 2000
    assert (cut.severity, cut.line, cut.col) == ("warning", 5, 2001)
    assert f"{dropped:,} characters dropped" in cut.message and "limit of 2,000" in cut.message
    seed = bmaparse.load(SEED).reports[0]
    assert (report.progress_percent, report.project_id, len(report.progress_updates)) == (
        seed.progress_percent, seed.project_id, len(seed.progress_updates))


def test_lines_before_the_first_report_are_kept() -> None:
    text = "stray note\nความคืบหน้าโครงการ/กิจกรรม\nBack Home\nโครงการ ก : 50990000-4321\nความคืบหน้าโครงการ ร้อยละ 60\n"
    (report,) = bmaparse.load(text.encode()).reports
    (stray,) = [d for d in report.diagnostics if d.line == 1]
    assert (stray.code, stray.raw) == ("unrecognized-line", "stray note")


def test_nul_bytes_are_removed_with_a_warning_and_the_report_is_the_same() -> None:
    document = bmaparse.load(SEED.replace(b"\n", b"\x00\n", 5))
    assert "nul-bytes" in codes(document)
    assert document.reports[0].report_key == key_of(SEED)


@pytest.mark.slow
def test_fifty_megabyte_line_is_bounded() -> None:
    document = bmaparse.load(SEED + b"x" * 50_000_000)
    (report,) = document.reports
    (cut,) = [d for d in report.diagnostics if d.code == "line-too-long"]
    assert "49,000,000 characters dropped" in cut.message or "characters dropped" in cut.message
    assert bmaparse.to_tables([document])["reports"].num_rows == 1
    alone = bmaparse.load(b"x" * 50_000_000)
    assert codes(alone) == ["line-too-long", "no-report-found"]


@pytest.mark.slow
def test_a_hundred_thousand_separators_are_bounded() -> None:
    only = bmaparse.load((SEPARATOR + "\n").encode() * 100_000)
    assert codes(only) == ["no-report-found"]
    document = bmaparse.load(SEED + ("\n" + SEPARATOR).encode() * 100_000)
    (report,) = document.reports
    seed_lines = SEED.count(b"\n") + 1
    reported = {d.line for d in report.diagnostics}
    # every separator but one closing the last block is reported, none is lost
    assert sum(1 for n in range(seed_lines + 1, seed_lines + 100_001) if n not in reported) <= 1
    assert bmaparse.to_tables([document])["diagnostics"].num_rows == len(report.diagnostics)


# --- zip archives ------------------------------------------------------------------------


TRAVERSAL = ["../../escape-1.txt", "/tmp/escape-2.txt", "..\\..\\escape-3.txt",
             "C:/escape-4.txt", "ok/../../escape-5.txt"]


def test_traversal_names_are_read_but_never_used_as_paths(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "in").mkdir(parents=True)
    archive = work / "in" / "evil.zip"
    archive.write_bytes(zip_bytes({name: variant(i) for i, name in enumerate(TRAVERSAL)}))
    before, cwd_before = tree(tmp_path), set(os.listdir(os.getcwd()))
    out = work / "out"
    summary = convert([archive], out, jobs=1)
    assert summary.reports == len(TRAVERSAL) and summary.exit_code == 0
    reports = pq.read_table(out / "reports.parquet")
    assert sorted(reports["source_path"].to_pylist()) == sorted(f"{archive}!{n}" for n in TRAVERSAL)
    assert sorted(reports["report_key"].to_pylist()) == sorted(key_of(variant(i)) for i in range(5))
    created = tree(tmp_path) - before
    assert all(p.startswith(os.path.join("work", "out")) for p in created), created
    assert {p.name for p in out.iterdir()} <= {".bmaparse", "manifest.json", *(
        f"{t}.parquet" for t in SCHEMAS)}
    assert set(os.listdir(os.getcwd())) == cwd_before
    assert not any(Path(p).exists() for p in ("/tmp/escape-2.txt",))


def test_zip_bomb_by_ratio_is_refused_before_decompressing(tmp_path: Path) -> None:
    archive = tmp_path / "bomb.zip"
    archive.write_bytes(zip_bytes({"bomb.txt": b"a" * (8 << 20), "good.txt": SEED}))
    documents = {d.source_path: d for d in iter_documents([archive])}
    bomb = documents[f"{archive}!bomb.txt"]
    assert codes(bomb) == ["zip-bomb"] and "max_compression_ratio" in bomb.diagnostics[0].message
    assert len(documents[f"{archive}!good.txt"].reports) == 1  # the rest is still read


def test_member_over_the_size_limit_is_refused_by_its_declared_size(tmp_path: Path) -> None:
    archive = tmp_path / "big.zip"
    archive.write_bytes(zip_bytes({"big.txt": os.urandom(50_000), "good.txt": SEED},
                                  zipfile.ZIP_STORED))
    limits = Limits(max_file_bytes=20_000)
    documents = {d.source_path: d for d in iter_documents([archive], limits=limits)}
    big = documents[f"{archive}!big.txt"]
    assert codes(big) == ["input-too-large"] and "member declares 50,000 bytes" in big.diagnostics[0].message
    assert len(documents[f"{archive}!good.txt"].reports) == 1


def _patch_sizes(data: bytes, name: bytes, size: int) -> bytes:
    """Make a member's headers (local and central) lie about its decompressed size."""
    out = bytearray(data)
    at = out.find(b"PK\x03\x04")
    struct.pack_into("<I", out, at + 22, size)
    central = out.find(b"PK\x01\x02")
    while central >= 0:
        length = struct.unpack_from("<H", out, central + 28)[0]
        if out[central + 46 : central + 46 + length] == name:
            struct.pack_into("<I", out, central + 24, size)
        central = out.find(b"PK\x01\x02", central + 4)
    return bytes(out)


def test_a_lying_size_header_is_caught_by_the_read(tmp_path: Path) -> None:
    archive = tmp_path / "liar.zip"
    archive.write_bytes(_patch_sizes(zip_bytes({"liar.txt": b"x" * 200_000, "good.txt": SEED}),
                                     b"liar.txt", 1000))
    documents = {d.source_path: d for d in iter_documents([archive])}
    assert codes(documents[f"{archive}!liar.txt"]) == ["unreadable-member"]
    assert len(documents[f"{archive}!good.txt"].reports) == 1


def test_overlapping_members_are_refused(tmp_path: Path) -> None:
    data = bytearray(zip_bytes({"a.txt": SEED, "b.txt": variant(1)}))
    centrals = []
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        centrals.append(at)
        at = data.find(b"PK\x01\x02", at + 4)
    struct.pack_into("<I", data, centrals[1] + 42, 0)  # b.txt's data is a.txt's
    archive = tmp_path / "overlap.zip"
    archive.write_bytes(bytes(data))
    assert sorted({c for d in iter_documents([archive]) for c in codes(d)}) == ["zip-bomb"]


def test_member_count_is_capped(tmp_path: Path) -> None:
    members = {f"{i}.txt": variant(i) for i in range(5)}
    archive = tmp_path / "many.zip"
    archive.write_bytes(zip_bytes(members))
    (task,) = discover([archive], limits=Limits(max_archive_members=3)).tasks
    assert task.note is not None and task.note.code == "too-many-members"
    assert "declares 5 members" in task.note.message
    # an end record that under-declares: zipfile reads all 5, only 3 are taken
    data = bytearray(archive.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 2, 2)
    archive.write_bytes(bytes(data))
    documents = list(iter_documents([archive], limits=Limits(max_archive_members=3)))
    assert sum(len(d.reports) for d in documents) == 3
    assert [c for d in documents for c in codes(d)].count("too-many-members") == 1


def test_damaged_archives_never_stop_the_reading(tmp_path: Path) -> None:
    good = zip_bytes({"a.txt": SEED, "b.txt": variant(1), "inner.zip": zip_bytes({"c.txt": SEED})})
    (tmp_path / "cut.zip").write_bytes(good[: len(good) // 2])
    flipped = bytearray(good)
    at = flipped.find(b"PK\x03\x04") + 30 + len("a.txt") + 5
    flipped[at : at + 20] = bytes(20)
    (tmp_path / "flipped.zip").write_bytes(bytes(flipped))
    (tmp_path / "nested.zip").write_bytes(good)
    found = {d.source_path: codes(d) for d in iter_documents([tmp_path])}
    assert found[str(tmp_path / "cut.zip")] == ["unreadable-archive"]
    assert found[f"{tmp_path / 'flipped.zip'}!a.txt"] == ["unreadable-member"]
    assert found[f"{tmp_path / 'nested.zip'}!inner.zip"] == ["nested-archive-skipped"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_any_damage_to_an_archive_is_a_diagnostic(tmp_path: Path, data: st.DataObject) -> None:
    good = bytearray(zip_bytes({"a.txt": SEED, "sub/b.txt": variant(2), "z.zip": b"PK\x03\x04"}))
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(good) - 1))
        good[at : at + data.draw(st.integers(0, 4))] = data.draw(st.binary(max_size=4))
    if data.draw(st.booleans()):
        good = good[: data.draw(st.integers(0, len(good)))]
    path = tmp_path / "damaged.zip"
    path.write_bytes(bytes(good))
    for document in iter_documents([path]):
        assert document.source_path is not None and document.source_path.startswith(str(path))
        assert "internal-error" not in codes(document)
        bmaparse.to_tables([document])


# --- output safety -----------------------------------------------------------------------


def test_a_forged_manifest_cannot_remove_files_outside_out(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    forged = {"tool": "bmaparse", "files": {"a": "../victim.txt", "b": str(victim), "c": "."}}
    (out / "manifest.json").write_text(json.dumps(forged))
    convert([ROOT / "samples" / "000_8c07428080a9c9ea.txt"], out, jobs=1)
    assert victim.read_text() == "precious"


def test_a_foreign_manifest_does_not_make_a_folder_ours(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"tool": "something-else"}))
    with pytest.raises(bmaparse.batch.UsageError, match="--force"):
        convert([ROOT / "samples" / "000_8c07428080a9c9ea.txt"], out, jobs=1)
    assert [p.name for p in out.iterdir()] == ["manifest.json"]


def test_a_planted_marker_symlink_is_not_followed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = tmp_path / "outside.txt"
    (out / ".bmaparse").symlink_to(target)  # dangling: writing through it would create it
    convert([ROOT / "samples" / "000_8c07428080a9c9ea.txt"], out, jobs=1, force=True)
    assert not target.exists()


# --- CSV and JSON output -----------------------------------------------------------------

RISKY = ("=", "+", "-", "@", "\t", "\r")


def _hostile_folder(root: Path) -> Path:
    folder = root / "in"
    folder.mkdir()
    text = SEED.decode()
    text = text.replace("นายพงศ์ภานุ", "=HYPERLINK(\"http://x\")", 1)
    lines = text.split("\n")
    lines.insert(6, "@SUM(1+1)\u2028-2+3\x85+cmd|' /C calc'!A0")
    (folder / "=cmd.txt").write_text("\n".join(lines), encoding="utf-8")
    (folder / "-minus.txt").write_bytes(variant(3))
    (folder / "+plus.zip").write_bytes(zip_bytes({"@at.txt": variant(4), "\tTab.txt": variant(5)}))
    (folder / os.fsdecode(b"bad\xff-name.txt")).write_bytes(variant(6))
    return folder


def test_csv_cells_never_start_a_formula(tmp_path: Path) -> None:
    out = tmp_path / "out"
    convert([_hostile_folder(tmp_path)], out, fmt="csv", jobs=1)
    seen = 0
    for path in out.glob("*.csv"):
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        for row in csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")):
            for cell in row:
                seen += 1
                assert not cell.startswith(RISKY), (path.name, cell[:40])
    assert seen > 100
    reports = (out / "reports.csv").read_text(encoding="utf-8-sig")
    assert "'=cmd.txt" not in reports  # a path is neutralised as a whole cell, not inside it
    assert "bad\\xff-name.txt" in reports  # an undecodable file-name byte is its escape


def test_jsonl_and_manifest_are_always_valid_json(tmp_path: Path) -> None:
    out = tmp_path / "out"
    convert([_hostile_folder(tmp_path)], out, fmt="jsonl", jobs=1)
    rows = 0
    for path in out.glob("*.jsonl"):
        for line in path.read_bytes().split(b"\n")[:-1]:
            assert isinstance(json.loads(line.decode("utf-8")), dict)
            rows += 1
    assert rows > 10
    manifest = json.loads((out / "manifest.json").read_bytes().decode("utf-8"))
    assert len(manifest["inputs"]) == 5 and manifest["limits"] == Limits().as_dict()


def test_parse_and_validate_print_valid_output_for_odd_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _hostile_folder(tmp_path)
    assert main(["parse", str(folder)]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 5
    assert main(["validate", str(folder), "--max-line-length", "50"]) == 0
    assert "line-too-long" in capsys.readouterr().out


def test_cli_limit_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed = str(ROOT / "samples" / "000_8c07428080a9c9ea.txt")
    out = tmp_path / "out"
    assert main(["convert", seed, "-o", str(out), "--max-file-size", "1K", "--quiet"]) == 1
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["limits"]["max_file_bytes"] == 1024
    assert manifest["inputs"][0]["outcome"] == "error"
    assert main(["convert", seed, "-o", str(out), "--max-file-size", "64MiB", "--quiet"]) == 0
    for bad in (["--max-file-size", "lots"], ["--max-file-size", "0"], ["--max-line-length", "0"]):
        assert main(["convert", seed, "-o", str(out), *bad]) == 2
    capsys.readouterr()


# --- a fault-injected batch ----------------------------------------------------------------

BATCH_LIMITS = Limits(max_file_bytes=6 << 20, max_line_chars=100_000)


def _fault_folder(root: Path) -> tuple[Path, dict[str, bytes], dict[str, str]]:
    """(folder, good inputs -> bytes, bad inputs -> the code each must have)."""
    folder = root / "in"
    (folder / "sub").mkdir(parents=True)
    rng = random.Random(7)
    good: dict[str, bytes] = {}
    bad: dict[str, str] = {}

    def put(name: str, data: bytes) -> str:
        (folder / name).write_bytes(data)
        return str(folder / name)

    good[put("seed.txt", SEED)] = SEED
    for i in range(1, 9):
        good[put(f"sub/{50240000 + i}-7108.txt", variant(i))] = variant(i)
    cp874 = variant(20).decode().encode("cp874")
    good[put("cp874.txt", cp874)] = cp874
    utf16 = variant(21).decode().encode("utf-16")
    good[put("utf16.txt", utf16)] = utf16
    nul = variant(22).replace(b"\n", b"\n\x00", 3)
    good[put("nul.txt", nul)] = nul
    long_line = variant(23) + b"\n" + "ข".encode() * 300_000
    good[put("long-line.txt", long_line)] = long_line

    bad[put("binary.txt", b"\x89PNG\r\n\x1a\n" + rng.randbytes(4000))] = "binary-input"
    bad[put("empty.txt", b"")] = "empty-input"
    bad[put("undecodable.txt", bytes(rng.randrange(128, 256) for _ in range(3000)))] = "binary-input"
    bad[put("no-report.txt", "Minutes of the meeting\nนัดประชุมวันจันทร์\n".encode() * 50)] = "no-report-found"
    bad[put("over-size.txt", b"a" * ((6 << 20) + 1))] = "input-too-large"
    bad[put("separators.txt", (SEPARATOR + "\n").encode() * 100_000)] = "no-report-found"
    bad[put("truncated.zip", zip_bytes({"a.txt": SEED})[:200])] = "unreadable-archive"

    good_member = variant(30)
    archive = folder / "bomb.zip"
    archive.write_bytes(zip_bytes({"bomb.txt": b"a" * (5 << 20), "kept.txt": good_member}))
    bad[f"{archive}!bomb.txt"] = "zip-bomb"
    good[f"{archive}!kept.txt"] = good_member

    traversal = {name: variant(40 + i) for i, name in enumerate(TRAVERSAL)}
    archive = folder / "traversal.zip"
    archive.write_bytes(zip_bytes(traversal))
    good.update({f"{archive}!{name}": data for name, data in traversal.items()})

    archive = folder / "nested.zip"
    archive.write_bytes(zip_bytes({"inner.zip": zip_bytes({"x.txt": variant(50)})}))
    bad[f"{archive}!inner.zip"] = "nested-archive-skipped"
    return folder, good, bad


@pytest.mark.slow
def test_fault_injected_batch_keeps_every_good_report(tmp_path: Path) -> None:
    folder, good, bad = _fault_folder(tmp_path)
    expected = {key_of(data, BATCH_LIMITS): path for path, data in good.items()}
    assert len(expected) == len(good)  # every good input is a different report
    out = tmp_path / "out"
    summary = convert([folder], out, jobs=2, limits=BATCH_LIMITS)

    reports = pq.read_table(out / "reports.parquet").to_pylist()
    assert sorted(r["report_key"] for r in reports) == sorted(expected)
    assert {r["report_key"]: r["source_path"] for r in reports} == expected

    diagnostics = pq.read_table(out / "diagnostics.parquet").to_pylist()
    for path, code in bad.items():
        rows = [d for d in diagnostics if d["source_path"] == path]
        assert [d["code"] for d in rows if d["report_key"] is None] == [code], (path, rows)
    file_level = {d["source_path"] for d in diagnostics if d["report_key"] is None}
    assert file_level == set(bad)  # no good input has a file-level problem
    by_path = {d["source_path"]: d for d in diagnostics if d["code"] == "line-too-long"}
    assert set(by_path) == {str(folder / "long-line.txt")}
    assert "nul-bytes" in {d["code"] for d in diagnostics if d["source_path"] == str(folder / "nul.txt")}

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    outcomes = {e["path"]: e["outcome"] for e in manifest["inputs"]}
    assert set(outcomes) == set(good) | set(bad)
    assert {p: outcomes[p] for p in good} == dict.fromkeys(good, "ok")
    assert {p: outcomes[p] for p in bad} == {
        p: "skipped" if code == "nested-archive-skipped" else "error" for p, code in bad.items()}
    errors = sum(1 for c in bad.values() if c != "nested-archive-skipped")
    assert (summary.inputs, summary.reports, summary.errors, summary.skipped, summary.duplicates) == (
        len(good) + len(bad), len(good), errors, 1, 0)
    assert manifest["totals"] == {
        "inputs": len(good) + len(bad), "reports": len(good), "errors": errors,
        "rows": manifest["run"]["rows"]}
    assert sum(e.get("written", 0) for e in manifest["inputs"]) == len(reports)
    assert manifest["run"]["rows"]["diagnostics"] == len(diagnostics)
    assert summary.exit_code == 1


# --- a parser bug this work found, fixed: a unit cell is never lost ---------------------------


@pytest.mark.parametrize("text", [
    "** ผลการประเมินโครงการ (รายไตรมาส) **\n(ร้อยละ)",
    "** ผลการประเมินโครงการ (รายไตรมาส) **\n(ก)\n(ร้อยละ)\n1\n45.00\n100\n100 / 100",
])
def test_quarterly_unit_cell_is_not_lost(text: str) -> None:
    report = bmaparse.parse(text)
    units = {q.result_unit for q in report.quarterly_results}
    reported = {d.line for d in report.diagnostics}
    assert 2 in reported or text.split("\n")[1].strip("()") in units

