"""Discovery and archives (bmaparse._discover): folders walked in a fixed order,
links and repeats seen once, archives read member by member; a bomb, a member over
the size limit, a lying size header, overlapping members, too many members and any
damage are each a diagnostic of that input, never an exception (docs/robustness.md)."""

from __future__ import annotations

import os
import struct
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bmaparse
from bmaparse import Limits, _read_task
from bmaparse._discover import discover
from bmaparse._read_task import iter_documents, read_task_bytes
from bmaparse.errors import InputTooLargeError, UsageError
from helpers import SEED, codes, variant, zip_bytes

# --- walking the inputs --------------------------------------------------------------------


def test_discover_walks_folders_and_archives_sorted(mixed_inputs: Path) -> None:
    folder = mixed_inputs
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "a.txt").write_bytes(SEED)
    (folder / ".dot.txt").write_bytes(SEED)
    (folder / "notes.md").write_text("x")
    (folder / "UPPER.TXT").write_bytes(SEED)
    found = discover([folder])
    names = [t.source_path for t in found.tasks]
    assert names == sorted(names)
    rel = [n[len(str(folder)) + 1 :] for n in names]
    assert rel == [
        "UPPER.TXT",
        "archive.zip!2566/50240000-7108.txt",
        "archive.zip!nested.zip",
        "copy/seed-copy.txt".replace("/", os.sep),
        "empty.txt",
        "garbage.txt",
        "seed.txt",
    ]
    nested = next(t for t in found.tasks if t.member == "nested.zip")
    assert nested.refusal is not None and nested.refusal.code == "nested-archive-skipped"
    assert found.skipped == {"hidden": 2, "not-text": 1}


def test_discover_order_and_repeats_do_not_matter(mixed_inputs: Path) -> None:
    folder = mixed_inputs
    one = discover([folder / "seed.txt", folder])
    two = discover([folder, folder / "seed.txt", folder / "archive.zip"])
    assert [t.source_path for t in one.tasks] == [t.source_path for t in two.tasks]
    assert two.skipped["repeated"] == 2


def test_discover_sees_a_file_through_links_once(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "real").mkdir(parents=True)
    (folder / "real" / "a.txt").write_bytes(SEED)
    (folder / "link.txt").symlink_to(folder / "real" / "a.txt")
    (tmp_path / "alias").symlink_to(folder, target_is_directory=True)
    found = discover([folder, tmp_path / "alias", folder / "real" / "a.txt"])
    assert [t.source_path for t in found.tasks] == [str(folder / "link.txt")]
    assert found.skipped["repeated"] == 4


def test_discover_reads_any_named_file_and_refuses_missing(tmp_path: Path) -> None:
    odd = tmp_path / "report.export"
    odd.write_bytes(SEED)
    assert [t.source_path for t in discover([odd]).tasks] == [str(odd)]
    with pytest.raises(UsageError, match="input not found"):
        discover([odd, tmp_path / "nope.txt"])


def test_unreadable_archive_is_a_refusal(tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    (task,) = discover([bad]).tasks
    assert task.refusal is not None and task.refusal.code == "unreadable-archive"


def test_member_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    archive.write_bytes(zip_bytes({"a.txt": SEED}))
    (task,) = discover([archive]).tasks
    assert read_task_bytes(task) == SEED
    _read_task.close_archives()
    with pytest.raises(InputTooLargeError):
        read_task_bytes(task, Limits(max_file_bytes=100))
    _read_task.close_archives()


# --- damaged and hostile archives ----------------------------------------------------------


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
    assert task.refusal is not None and task.refusal.code == "too-many-members"
    assert "declares 5 members" in task.refusal.message
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


def test_a_file_named_like_an_archive_member_beside_it_gets_a_name_of_its_own(
        tmp_path: Path) -> None:
    """``x.zip!m.txt`` (a file) next to ``x.zip`` holding ``m.txt``: two inputs, never one
    name (they shared a manifest entry and their diagnostics' key, found in review)."""
    from bmaparse._merge import merge
    from bmaparse._verify import verify
    from bmaparse.batch import convert

    folder = tmp_path / "in"
    folder.mkdir()
    # two members named m.txt: the archive names the second m.txt#2, so the file is #3
    (folder / "x.zip").write_bytes(zip_bytes([("m.txt", b""), ("m.txt", variant(2)),
                                              ("n.txt", variant(1))]))
    (folder / "x.zip!m.txt").write_bytes(b"")
    names = [t.source_path for t in discover([folder]).tasks]
    assert len(names) == len(set(names)) == 4
    assert sum(n.endswith("x.zip!m.txt") for n in names) == 1
    assert any(n.endswith("x.zip!m.txt#3") for n in names)
    out = tmp_path / "out"
    convert([folder], out, jobs=1)
    assert verify(out).ok, verify(out).problems
    manifest = bmaparse.batch.read_manifest(out)
    assert manifest is not None and len(manifest["inputs"]) == 4
    for n in (2, 3):  # every shard names the inputs as one discovery does
        parts = [tmp_path / f"s{n}" / str(k) for k in range(1, n + 1)]
        for k, part in enumerate(parts, 1):
            convert([folder], part, jobs=1, shard=(k, n))
        assert sorted(t.source_path for k in range(1, n + 1)
                      for t in discover([folder], shard=(k, n)).tasks) == sorted(names)
        merge(parts, tmp_path / f"m{n}", jobs=1)
        assert verify(tmp_path / f"m{n}").ok
