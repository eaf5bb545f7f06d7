"""The bmaparse command, through main([...]): exit codes, stdout and stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import bmaparse
from bmaparse import _read
from bmaparse.cli import _dumps, _jsonable, main
from bmaparse.model import PARSER_VERSION
from bmaparse.tables import SCHEMAS
from helpers import SEED, SEED_PATH, variant

Capture = pytest.CaptureFixture[str]


def run(capsys: Capture, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# --- usage --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["convert"],
        ["convert", "samples"],  # no -o
        ["convert", "samples", "-o", "x", "--format", "xlsx"],
        ["convert", "samples", "-o", "x", "--jobs", "0"],
        ["convert", "samples", "-o", "x", "--jobs", "many"],
        ["convert", "samples", "-o", "x", "--bogus"],
        ["parse"],
        ["validate"],
        ["schema", "--format", "html"],
    ],
)
def test_usage_errors_exit_2(capsys: Capture, argv: list[str]) -> None:
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert out == ""
    assert "error:" in err and "Traceback" not in err


def test_help_and_version_exit_0(capsys: Capture) -> None:
    status, out, _ = run(capsys, "--help")
    assert status == 0 and "convert" in out and "validate" in out
    status, out, _ = run(capsys, "convert", "--help")
    assert status == 0 and "--incremental" in out
    status, out, _ = run(capsys, "--version")
    assert (status, out.strip()) == (0, f"bmaparse {PARSER_VERSION} ({bmaparse.implementation})")


@pytest.mark.parametrize("command", ["parse", "validate", "convert"])
def test_missing_input_is_a_usage_error(capsys: Capture, tmp_path: Path, command: str) -> None:
    argv = [command, str(tmp_path / "nope.txt")]
    if command == "convert":
        argv += ["-o", str(tmp_path / "out")]
    status, out, err = run(capsys, *argv)
    assert (status, out) == (2, "")
    assert err == f"bmaparse: error: input not found: {tmp_path / 'nope.txt'}\n"
    assert not (tmp_path / "out").exists()


# --- schema -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["markdown", "text"])
def test_schema_prints_every_table(capsys: Capture, fmt: str) -> None:
    status, out, _ = run(capsys, "schema", "--format", fmt)
    assert status == 0
    for table in SCHEMAS:
        assert table in out
    assert ("## reports" in out) == (fmt == "markdown")


# --- parse --------------------------------------------------------------------------------


def test_parse_prints_reports_as_json(capsys: Capture) -> None:
    status, out, _ = run(capsys, "parse", str(SEED_PATH))
    assert status == 0
    reports = json.loads(out, parse_float=Decimal)
    (report,) = reports
    expected = _read.load(SEED_PATH).reports[0]
    assert report["report_key"] == expected.report_key
    assert "ฝ่ายพัฒนาชุมชนและสวัสดิการสังคม" in out  # Thai unescaped
    assert "\\u0e" not in out
    assert report["progress_updates"][0]["reported_on"] == "2023-04-27"
    assert report["progress_updates"][0]["percent"] == Decimal("100.00")
    assert '"percent": 100.00' in out  # written exactly, as a number
    assert report["budget_figures"][0]["amount_thb"] == Decimal("1324600")
    assert report["budget_figures"][0]["kind"] == "spent"  # a derived column is written too
    assert isinstance(report["objectives"], list) and report["objectives"][0]["ordinal"] == 1


def test_parse_a_zip_and_a_bad_file(capsys: Capture, tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("50240000-7108.txt", SEED)
    status, out, _ = run(capsys, "parse", str(archive))
    assert status == 0
    (report,) = json.loads(out)
    assert report["source_path"] == f"{archive}!50240000-7108.txt"
    assert report["project_id"] == "50240000-7108"

    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    status, out, err = run(capsys, "parse", str(empty))
    assert (status, json.loads(out)) == (1, [])
    assert err.startswith(f"{empty}:") and " error " in err


def test_json_writer_is_exact() -> None:
    value = _jsonable({"a": (Decimal("1324600.00"), Decimal("1E+3"), Decimal("NaN")), "b": {}})
    text = _dumps(value)
    assert text == '{\n  "a": [\n    1324600.00,\n    1000,\n    null\n  ],\n  "b": {}\n}'
    assert json.loads(text) == {"a": [1324600.0, 1000, None], "b": {}}


# --- validate -----------------------------------------------------------------------------


def test_validate_prints_every_diagnostic(capsys: Capture, tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_bytes(SEED)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 4)
    status, out, err = run(capsys, "validate", str(tmp_path))
    assert status == 1
    lines = out.splitlines()
    expected = [d.format() for path in sorted(tmp_path.iterdir())
                for doc in [_read.load(path)]
                for d in (*doc.diagnostics, *(d for r in doc.reports for d in r.diagnostics))]
    assert lines == expected
    assert any(line.startswith(f"{tmp_path / 'empty.txt'}:") and " error " in line
               for line in lines)
    assert err.startswith("bmaparse: 3 inputs, 1 reports,")


def test_validate_clean_input_exits_0(capsys: Capture) -> None:
    status, out, err = run(capsys, "validate", "--quiet", str(SEED_PATH))
    assert (status, err) == (0, "")
    assert all(" error " not in line for line in out.splitlines())


# --- convert ------------------------------------------------------------------------------


def test_convert_summary_and_exit_1(capsys: Capture, tmp_path: Path, mixed_inputs: Path) -> None:
    folder, out_dir = mixed_inputs, tmp_path / "out"
    status, out, err = run(capsys, "convert", str(folder), "-o", str(out_dir), "--jobs", "2")
    assert status == 1 and out == ""
    line, failures = err.splitlines()  # no progress bar: stderr is not a terminal
    assert line.startswith("bmaparse: 6 inputs (2 with errors, 2 duplicate reports, 1 skipped)")
    assert f"wrote parquet to {out_dir}" in line and "reports 1" in line
    assert failures == (f"bmaparse: inputs with errors: {folder}/empty.txt, {folder}/garbage.txt"
                        f' (all of them: outcome "error" in {out_dir}/manifest.json;'
                        " why: the diagnostics table)")
    assert pq.read_table(out_dir / "reports.parquet").num_rows == 1


def test_convert_json_and_quiet(capsys: Capture, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    status, out, err = run(capsys, "convert", str(SEED_PATH), "-o", str(out_dir),
                           "--format", "jsonl", "--json", "--quiet", "--jobs", "1")
    assert err == ""
    summary = json.loads(out)
    assert out.count("\n") == 1
    assert summary["exit_code"] == status
    assert (summary["reports"], summary["format"], summary["out"]) == (1, "jsonl", str(out_dir))
    assert set(summary["rows"]) == set(SCHEMAS)
    assert summary["manifest"] == str(out_dir / "manifest.json")


def test_convert_refuses_a_foreign_folder(capsys: Capture, tmp_path: Path) -> None:
    out_dir = tmp_path / "docs"
    out_dir.mkdir()
    (out_dir / "notes.txt").write_text("mine")
    status, out, err = run(capsys, "convert", str(SEED_PATH), "-o", str(out_dir))
    assert (status, out) == (2, "")
    assert err.startswith("bmaparse: error: output folder") and "--force" in err
    assert str(out_dir) in err
    status, _, _ = run(capsys, "convert", str(SEED_PATH), "-o", str(out_dir), "--force",
                       "--jobs", "1")
    assert status in (0, 1) and (out_dir / "manifest.json").is_file()


def test_convert_incremental(capsys: Capture, tmp_path: Path) -> None:
    folder, out_dir = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    (folder / "a.txt").write_bytes(SEED)
    args = ["convert", str(folder), "-o", str(out_dir), "--incremental", "--json", "--jobs", "1"]
    run(capsys, *args)
    (folder / "b.txt").write_bytes(variant(1))
    _, out, _ = run(capsys, *args)
    summary = json.loads(out)
    assert (summary["inputs"], summary["skipped"], summary["reports"]) == (2, 1, 1)
    assert pq.read_table(out_dir / "reports.parquet").num_rows == 2


_POOL_PROBE = (
    "from bmaparse.cli import _lean_arrow_allocator; _lean_arrow_allocator(); "
    "import pyarrow as pa; print(pa.default_memory_pool().backend_name)"
)


@pytest.mark.skipif(sys.platform == "win32", reason="pyarrow's Windows wheels have no jemalloc")
@pytest.mark.parametrize(("preset", "expected"), [(None, "jemalloc"), ("system", "system")])
def test_convert_picks_jemalloc_unless_told(preset: str | None, expected: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if preset is not None:
        env["ARROW_DEFAULT_MEMORY_POOL"] = preset
    if "jemalloc" not in __import__("pyarrow").supported_memory_backends():
        pytest.skip("this pyarrow was built without jemalloc")
    done = subprocess.run([sys.executable, "-c", _POOL_PROBE], env=env, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == expected


# --- odd file names and the limit options -------------------------------------------------


def test_parse_and_validate_print_valid_output_for_odd_names(
    hostile_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = hostile_folder
    assert main(["parse", str(folder)]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 5
    assert main(["validate", str(folder), "--max-line-length", "50"]) == 0
    assert "line-too-long" in capsys.readouterr().out


def test_cli_limit_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed = str(SEED_PATH)
    out = tmp_path / "out"
    assert main(["convert", seed, "-o", str(out), "--max-file-size", "1K", "--quiet"]) == 1
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["limits"]["max_file_bytes"] == 1024
    assert manifest["inputs"][0]["outcome"] == "error"
    assert main(["convert", seed, "-o", str(out), "--max-file-size", "64MiB", "--quiet"]) == 0
    for bad in (["--max-file-size", "lots"], ["--max-file-size", "0"], ["--max-line-length", "0"]):
        assert main(["convert", seed, "-o", str(out), *bad]) == 2
    capsys.readouterr()
