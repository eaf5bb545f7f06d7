"""Zip archives: the central directory read entry by entry, members read from where
they are.

Strategy: ``zipfile.ZipFile`` reads an archive's whole central directory into
memory before anything can be asked of it (however many members the end record
declares), fails the whole archive on one name that is not the UTF-8 it claims,
and keeps one member per name. Reading a member by name also needs that
directory, so every task that opened the archive again paid for all of it.
Here the archive is read in two separate steps:

- ``read_end`` reads the end record (ZIP64 too): the member count it declares
  and where the central directory is. ``read_directory`` then streams the
  directory one entry at a time, counting, and stops at ``max_members`` whatever
  the end record said: memory is bounded by the members kept, never by what the
  archive claims. Each name is decoded on its own; bytes that are not the
  UTF-8 the entry claims stay as ``\\xNN`` escapes (the member is still read). A
  directory damaged part way keeps the members before the damage
  (``Directory.damage`` says what broke).
- An ``Entry`` is all that reading a member needs, without the directory: where
  its local header is, its sizes, CRC, compression method and flags. Two
  members with the same name are two entries. ``open_member`` seeks to the
  local header, checks it, and has ``zipfile.ZipExtFile`` decompress and check
  the CRC; so a member costs the same whatever the size of its archive.
- ``Labels`` gives each member a name of its own for ``source_path`` (a second
  ``a.txt`` is ``a.txt#2``); ``overlapping_members`` finds the overlapping-entry
  zip bomb from the entries alone, before anything is decompressed.

Only regular files are opened (``_read.open_regular``); nothing here writes.
"""

from __future__ import annotations

import itertools
import struct
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, NamedTuple

_END = struct.Struct("<4s4H2LH")
"""End of central directory record: signature, disk numbers, member counts (this
disk, all), directory size and offset, comment length."""
_LOCATOR = struct.Struct("<4sLQL")
"""ZIP64 end record locator: signature, disk, offset of the ZIP64 record, disks."""
_END64 = struct.Struct("<4sQ2H2L4Q")
"""ZIP64 end record: signature, size, versions, disks, member counts, directory size
and offset."""
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
"""Central directory entry, before its name, extra field and comment."""
_LOCAL = struct.Struct("<4s2B4HL2L2H")
"""Local file header, before its name and extra field."""

_UTF8_NAME = 0x800
_ENCRYPTED = 0x1
_PATCHED = 0x20
_STRONG_ENCRYPTION = 0x40
_TAIL = _END.size + 0xFFFF + _LOCATOR.size + _END64.size
"""Bytes at the end of a file that hold the end records (the comment is at most 64 KiB)."""


class Entry(NamedTuple):
    """Where a member's data is and what its directory entry declares about it."""

    offset: int
    """Offset of its local header in the file."""
    compress_size: int
    """Bytes of compressed data."""
    file_size: int
    """Bytes once decompressed (as declared)."""
    crc: int
    """CRC-32 of the decompressed bytes."""
    method: int
    """Compression method (``zipfile.ZIP_DEFLATED`` ...)."""
    flags: int
    """General-purpose flag bits (encryption, UTF-8 name ...)."""


@dataclass(frozen=True, slots=True)
class Member:
    """One central directory entry."""

    name: str
    """The name; bytes that are not the UTF-8 the entry claims as ``\\xNN`` escapes."""
    entry: Entry
    problem: str | None = None
    """Why it cannot be read although its entry could be (a damaged ZIP64 field)."""


@dataclass(frozen=True, slots=True)
class End:
    """What the end record says."""

    declared: int
    """Members the end record declares (it may lie: ``read_directory`` counts)."""
    start: int
    """Offset of the central directory in the file."""
    size: int
    """Bytes of central directory the end record declares."""
    shift: int
    """Bytes in front of the archive (a self-extractor's stub); added to every offset."""


@dataclass(slots=True)
class Directory:
    """The members read from a central directory."""

    members: list[Member] = field(default_factory=list)
    """In directory order."""
    more: bool = False
    """True when the directory holds more entries than were read (the limit)."""
    damage: str | None = None
    """Why reading stopped before the end of the directory (it is damaged)."""


def read_end(file: BinaryIO) -> End:
    """The end record of the zip archive in ``file``; ``zipfile.BadZipFile`` when
    there is none (not a zip, or cut short)."""
    size = file.seek(0, 2)
    tail_start = max(0, size - _TAIL)
    file.seek(tail_start)
    tail = file.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _END.size:
        raise zipfile.BadZipFile("not a zip archive: no end of central directory record")
    _, _, _, _, declared, dir_size, dir_offset, _ = _END.unpack_from(tail, at)
    location = tail_start + at
    shift = location - dir_size - dir_offset
    locator, record = at - _LOCATOR.size, at - _LOCATOR.size - _END64.size
    if record >= 0 and tail[locator : locator + 4] == b"PK\x06\x07" \
            and tail[record : record + 4] == b"PK\x06\x06":
        fields = _END64.unpack_from(tail, record)
        declared, dir_size, dir_offset = fields[7], fields[8], fields[9]
        shift = location - _LOCATOR.size - _END64.size - dir_size - dir_offset
    start = dir_offset + shift
    if start < 0:
        raise zipfile.BadZipFile("not a zip archive: the central directory is not where"
                                 " the end record says")
    return End(declared, start, dir_size, shift)


def read_directory(file: BinaryIO, end: End, max_members: int) -> Directory:
    """The members of the central directory ``end`` points to, at most
    ``max_members`` of them, read one entry at a time."""
    found = Directory()
    file.seek(end.start)
    read = 0
    while read < end.size:
        if len(found.members) >= max_members:
            found.more = True
            break
        head = file.read(_CENTRAL.size)
        if len(head) < _CENTRAL.size or head[:4] != b"PK\x01\x02":
            found.damage = "an entry is missing or cut short"
            break
        fields = _CENTRAL.unpack(head)
        flags, method, crc, compressed, size = fields[5], fields[6], fields[9], fields[10], fields[11]
        name_length, extra_length, comment_length, offset = fields[12], fields[13], fields[14], fields[18]
        raw = file.read(name_length)
        extra = file.read(extra_length)
        file.seek(comment_length, 1)
        if len(raw) < name_length or len(extra) < extra_length:
            found.damage = "an entry is cut short"
            break
        read += _CENTRAL.size + name_length + extra_length + comment_length
        problem = None
        try:
            size, compressed, offset = _zip64_sizes(extra, size, compressed, offset)
        except struct.error:
            problem = "its ZIP64 extra field is damaged (sizes or offset missing)"
        entry = Entry(offset + end.shift, compressed, size, crc, method, flags)
        found.members.append(Member(member_name(raw, flags), entry, problem))
    return found


def member_name(raw: bytes, flags: int) -> str:
    """A member's name from its bytes: UTF-8 when the entry says so (bytes that are
    not UTF-8 become ``\\xNN``), else code page 437 (the zip default)."""
    if flags & _UTF8_NAME:
        return raw.decode("utf-8", "backslashreplace")
    return raw.decode("cp437")


def _zip64_sizes(extra: bytes, size: int, compressed: int, offset: int) -> tuple[int, int, int]:
    """(size, compressed size, offset), the ones at 0xFFFFFFFF taken from the ZIP64
    extra field (in that order, as zipfile reads them)."""
    at = 0
    while at + 4 <= len(extra):
        kind, length = struct.unpack_from("<HH", extra, at)
        if kind == 1:
            data = extra[at + 4 : at + 4 + length]
            taken = 0
            values = [size, compressed, offset]
            for i, value in enumerate(values):
                if value == 0xFFFFFFFF:
                    (values[i],) = struct.unpack_from("<Q", data, taken)
                    taken += 8
            return values[0], values[1], values[2]
        at += 4 + length
    return size, compressed, offset


def open_member(file: BinaryIO, name: str, entry: Entry) -> zipfile.ZipExtFile:
    """A reader of the member ``name`` at ``entry``, from ``file`` (left open).

    Raises ``zipfile.BadZipFile`` when the local header is not there or names
    another member, ``NotImplementedError`` for a compression zipfile cannot
    read, ``RuntimeError`` for an encrypted member (as zipfile does). Reading
    stops at the declared size; a CRC that does not match raises at the end.
    """
    file.seek(entry.offset)
    head = file.read(_LOCAL.size)
    if len(head) < _LOCAL.size or head[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("no member header where the central directory says")
    fields = _LOCAL.unpack(head)
    raw = file.read(fields[10])
    if member_name(raw, fields[3]) != name:
        raise zipfile.BadZipFile("the member's header names another member")
    file.seek(fields[11], 1)
    if entry.flags & _PATCHED:
        raise NotImplementedError("compressed patched data (flag bit 5)")
    if entry.flags & _STRONG_ENCRYPTION:
        raise NotImplementedError("strong encryption (flag bit 6)")
    if entry.flags & _ENCRYPTED:
        raise RuntimeError("the member is encrypted; bmaparse reads no password")
    info = zipfile.ZipInfo()
    info.filename = info.orig_filename = name
    info.compress_type, info.compress_size, info.file_size = entry.method, entry.compress_size, entry.file_size
    info.CRC, info.flag_bits = entry.crc, entry.flags
    return zipfile.ZipExtFile(file, "r", info)


class Labels:
    """Names for members in ``source_path``: a name the first time, then ``name#2``,
    ``#3`` ... (never one the archive already has), so that every member is a task of
    its own. Linear: the next number per name is kept."""

    def __init__(self, names: set[str]) -> None:
        self.names = names
        self.used: set[str] = set()
        self.last: Counter[str] = Counter()

    def label(self, name: str) -> str:
        """The name the member ``name`` goes by: ``name`` or ``name#N``."""
        if name not in self.used:
            self.used.add(name)
            return name
        n, label = self.last[name] or 1, name
        while label in self.used or label in self.names:
            n += 1
            label = f"{name}#{n}"
        self.last[name] = n
        self.used.add(label)
        return label


def overlapping_members(entries: Sequence[Entry]) -> set[int]:
    """Indexes of the members whose compressed data overlaps another member's local
    header (a legitimate archive never has this; overlapping-entry zip bombs do).
    A local header is at least 30 bytes plus the name; so a member ends no earlier
    than its offset + 30 + its compressed size."""
    ordered = sorted(range(len(entries)), key=lambda i: entries[i].offset)
    bad: set[int] = set()
    for here, after in itertools.pairwise(ordered):
        if entries[after].offset < entries[here].offset + 30 + entries[here].compress_size:
            bad.update((here, after))
    return bad
