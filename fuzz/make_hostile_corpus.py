"""Make a folder of hostile inputs for bmaparse (docs/robustness.md), and say what
each should become.

    python fuzz/make_hostile_corpus.py DIR
    bmaparse convert DIR/in -o OUT --format jsonl    # DIR/outside must never be read

``make(root)`` writes ``root/in`` (the input folder) and ``root/outside`` (what
links point to but bmaparse must never read or open) and returns a ``Corpus``:
the files that must be inputs, the member source paths that must be inputs, the
exact ``skipped_files`` counts, the secrets that must never reach an output, the
FIFOs that must never be opened. ``tests/test_hostile_inputs.py`` runs ``convert``
and ``validate`` over it and checks all of that.

What is in it: good reports (one 150 folders deep); special files (FIFOs named
``*.zip`` and ``*.txt``, a socket, a character device when this process may
make one); links out of the input (to a file, a folder, a FIFO, ``/dev/zero``),
links inside it (to a file, to a folder, eight to one folder, a chain of folders
that doubles at each step), loops (``.``, ``..``), dangling and self links;
names with a newline that forges a diagnostic line, ``ESC``, U+2028, bytes that
are not UTF-8, Thai; empty, binary and 2,000,000-character-line files; zips
with two members of one name, a member name that is not the UTF-8 it claims, a
central directory that holds 3,000 entries and declares 2, 200 nested archives,
a ratio bomb, overlapping members, an encrypted member, a directory damaged
after two members, a cut-short archive, control characters and traversal in
member names; hidden and non-text files.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import sys
import warnings
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = (ROOT / "samples" / "000_8c07428080a9c9ea.txt").read_bytes()
NOT_A_REPORT = b"not a report: its diagnostic line shows the name\n"
"""Text of the files with odd names: ``validate`` prints a line naming each."""
SECRET = b"OUTSIDE-THE-INPUTS-0c1d5e"
"""Text of the files outside the input folder: it must never appear in an output."""
LIE_MEMBERS = 3000
"""Entries of the lying central directory (its end record declares 2)."""
MAX_MEMBERS = 1000
"""The ``max_archive_members`` to convert the corpus with (cuts the lying directory)."""


def variant(i: int) -> bytes:
    """The seed with another amount: another report, another report_key."""
    return SEED.replace(b"1,324,600", f"{1000 + i:,}".encode())


@dataclass
class Corpus:
    """What ``make`` wrote and what each part must become."""

    root: Path
    inputs: Path
    """The folder to convert."""
    outside: Path
    """Links point here; nothing in it may be read."""
    files: list[Path] = field(default_factory=list)
    """Regular files that must be inputs (or, for archives, hold inputs)."""
    members: list[str] = field(default_factory=list)
    """Source paths of archive members that must be inputs."""
    skipped: Counter[str] = field(default_factory=Counter)
    """The exact ``skipped_files`` of a convert run (with ``MAX_MEMBERS``)."""
    fifos: list[Path] = field(default_factory=list)
    """FIFOs that must never be opened (inside and outside the input folder)."""
    device: bool = False
    """Whether a character device was made in the input folder (needs CAP_MKNOD)."""


def zip_bytes(members: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", method) as archive:
        warnings.simplefilter("ignore")  # "Duplicate name": on purpose
        for name, data in members:
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buffer.getvalue()


def _headers(data: bytes | bytearray, signature: bytes) -> list[int]:
    found, at = [], data.find(signature)
    while at >= 0:
        found.append(at)
        at = data.find(signature, at + 4)
    return found


def _zips(folder: Path, corpus: Corpus) -> None:
    def put(name: str, data: bytes, *members: str) -> None:
        path = folder / name
        path.write_bytes(data)
        corpus.files.append(path)
        corpus.members.extend(f"{path}!{m}" for m in members)

    # two members of one name, and one (not a text name) named like the second's label
    put("dup.zip", zip_bytes([("a.txt", variant(60)), ("a.txt", variant(61)),
                              ("a.txt#2", variant(62))]), "a.txt", "a.txt#3")
    corpus.skipped["not-text"] += 1
    # a member name that claims UTF-8 and is not
    data = bytearray(zip_bytes([("r\u00e9port.txt", variant(63)), ("good.txt", variant(64))]))
    data = data.replace("r\u00e9port".encode(), b"r\xff\xfeport")
    put("bad-name.zip", bytes(data), "r\\xff\\xfeport.txt", "good.txt")
    # a central directory of 3,000 entries whose end record declares 2
    data = bytearray(zip_bytes([(f"m{i}.bin", b"") for i in range(LIE_MEMBERS)],
                               zipfile.ZIP_STORED))
    struct.pack_into("<HH", data, data.rfind(b"PK\x05\x06") + 8, 2, 2)
    put("lying.zip", bytes(data))
    corpus.skipped["not-text"] += MAX_MEMBERS
    # nested archives
    inner = zip_bytes([("x.txt", variant(65))])
    nested = [(f"n{i:03d}.zip", inner) for i in range(200)]
    put("nested.zip", zip_bytes([*nested, ("top.txt", variant(66))]),
        *(n for n, _ in nested), "top.txt")
    # a ratio bomb beside a good member
    put("bomb.zip", zip_bytes([("bomb.txt", bytes(2 << 20)), ("kept.txt", variant(67))]),
        "bomb.txt", "kept.txt")
    # overlapping members: b.txt's data is a.txt's
    data = bytearray(zip_bytes([("a.txt", variant(68)), ("b.txt", variant(69))]))
    struct.pack_into("<I", data, _headers(data, b"PK\x01\x02")[1] + 42, 0)
    put("overlap.zip", bytes(data), "a.txt", "b.txt")
    # an encrypted member (flag bit 0), and a good one
    data = bytearray(zip_bytes([("locked.txt", variant(70)), ("open.txt", variant(71))]))
    struct.pack_into("<H", data, _headers(data, b"PK\x03\x04")[0] + 6, 1)
    struct.pack_into("<H", data, _headers(data, b"PK\x01\x02")[0] + 8, 1)
    put("encrypted.zip", bytes(data), "locked.txt", "open.txt")
    # a directory damaged after two members
    data = bytearray(zip_bytes([("d1.txt", variant(72)), ("d2.txt", variant(73)),
                                ("d3.txt", variant(74))]))
    data[_headers(data, b"PK\x01\x02")[2] : _headers(data, b"PK\x01\x02")[2] + 4] = b"XXXX"
    put("damaged.zip", bytes(data), "d1.txt", "d2.txt")
    # cut short
    put("cut.zip", zip_bytes([("a.txt", SEED)])[:200])
    # control characters and traversal in member names
    names = ["\x1b]0;pwned\x07.txt", "two\nlines.txt", "nul\x00byte.txt", "\x9b31m.txt",
             "../../escape.txt", "/etc/escape.txt"]
    written = [n.replace("\x00", "Z") for n in names]  # zipfile cuts a name at NUL
    data = zip_bytes([(n, NOT_A_REPORT) for n in written])
    put("names.zip", data.replace(b"nulZbyte", b"nul\x00byte"), *names)


def _files(folder: Path, corpus: Corpus) -> None:
    def put(name: str | bytes, data: bytes) -> None:
        path = Path(os.fsdecode(os.path.join(os.fsencode(folder), os.fsencode(name))))
        path.write_bytes(data)
        corpus.files.append(path)

    reports = folder / "reports"
    reports.mkdir()
    put("reports/good-1.txt", SEED)
    put("reports/50240000-7108.txt", variant(1))
    deep = reports.joinpath(*["d"] * 150)
    deep.mkdir(parents=True)
    put(str(deep.relative_to(folder) / "deep.txt"), variant(2))
    for name in ("f.txt:1:1: error forged\nm.txt", "\x1b[2J\x1b[31mred.txt", "line\u2028sep.txt",
                 "\u0e23\u0e32\u0e22\u0e07\u0e32\u0e19.txt", b"bad\xff.txt", "del\x7f.txt"):
        put(name, NOT_A_REPORT)
    put("empty.txt", b"")
    put("binary.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 16)
    put("huge-line.txt", b"x" * 2_000_000)
    put("UPPER.TXT", variant(8))
    (folder / ".hidden.txt").write_bytes(variant(9))
    (folder / ".git").mkdir()
    (folder / ".git" / "x.txt").write_bytes(variant(10))
    (folder / "__MACOSX").mkdir()
    corpus.skipped["hidden"] += 3
    (folder / "notes.md").write_text("not a report")
    (folder / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    corpus.skipped["not-text"] += 2


def _special(folder: Path, outside: Path, corpus: Corpus) -> None:
    for name in ("x.zip", "y.txt"):
        os.mkfifo(folder / name)
        corpus.fifos.append(folder / name)
    os.mknod(folder / "socket.txt", 0o600 | stat.S_IFSOCK)
    corpus.skipped["special-file"] += 3
    try:
        os.mknod(folder / "zero.zip", 0o600 | stat.S_IFCHR, os.makedev(1, 5))
    except (PermissionError, AttributeError):
        pass
    else:
        corpus.device = True
        corpus.skipped["special-file"] += 1
    os.mkfifo(outside / "canary.fifo")
    corpus.fifos.append(outside / "canary.fifo")


def _links(folder: Path, outside: Path, corpus: Corpus) -> None:
    (outside / "secret.txt").write_bytes(SECRET + b"\n" + variant(90))
    (outside / "dir").mkdir()
    (outside / "dir" / "secret.txt").write_bytes(SECRET + b"\n" + variant(91))
    # out of the input folder: never followed
    (folder / "leak.txt").symlink_to(outside / "secret.txt")
    (folder / "leak-dir").symlink_to(outside / "dir", target_is_directory=True)
    (folder / "leak-fifo.txt").symlink_to(outside / "canary.fifo")
    (folder / "dev-zero.zip").symlink_to("/dev/zero")
    corpus.skipped["link-outside-inputs"] += 4
    # dangling and looping links
    (folder / "dangling.txt").symlink_to(folder / "missing.txt")
    (folder / "self.txt").symlink_to(folder / "self.txt")
    corpus.skipped["broken-link"] += 2
    (folder / "loop").symlink_to(".", target_is_directory=True)
    (folder / "reports" / "up").symlink_to("..", target_is_directory=True)
    corpus.skipped["link-loop"] += 2
    # inside: followed, each file and folder read once
    (folder / "alias.txt").symlink_to(folder / "reports" / "good-1.txt")  # read as alias.txt
    corpus.skipped["repeated"] += 1  # reports/good-1.txt
    small = folder / "small"
    small.mkdir()
    (small / "s.txt").write_bytes(variant(11))
    corpus.files.append(small / "s.txt")
    (folder / "zlink").symlink_to("small", target_is_directory=True)
    fan = folder / "zfan"
    fan.mkdir()
    for i in range(8):
        (fan / f"a{i}").symlink_to("../small", target_is_directory=True)
    corpus.skipped["repeated"] += 1 + 8  # zlink, zfan/a0..a7: small was walked
    # a chain c0 -> c1 -> ... -> c5, two links per step: 2**5 paths, each folder walked once
    chain = folder / "zchain"
    for i in range(6):
        (chain / f"c{i}").mkdir(parents=True)
        if i:
            for link in ("x", "y"):
                (chain / f"c{i - 1}" / link).symlink_to(f"../c{i}", target_is_directory=True)
    (chain / "c5" / "e.txt").write_bytes(variant(12))
    corpus.files.append(chain / "c5" / "e.txt")
    # c0 ... c5 are walked by their own paths first; then each of the 10 links finds
    # its folder walked
    corpus.skipped["repeated"] += 10


def make(root: Path) -> Corpus:
    """Write the corpus under ``root`` (which must not exist or be empty)."""
    root.mkdir(parents=True, exist_ok=True)
    corpus = Corpus(root, root / "in", root / "outside")
    corpus.inputs.mkdir()
    corpus.outside.mkdir()
    _files(corpus.inputs, corpus)
    _zips(corpus.inputs, corpus)
    _special(corpus.inputs, corpus.outside, corpus)
    _links(corpus.inputs, corpus.outside, corpus)
    return corpus


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python fuzz/make_hostile_corpus.py DIR")
    made = make(Path(sys.argv[1]))
    print(f"{len(made.files)} files, {len(made.members)} members; skipped: {dict(made.skipped)}")
