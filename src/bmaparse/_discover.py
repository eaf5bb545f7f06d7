"""Discovery: command-line inputs in, a sorted list of tasks (one per input text) out.

Strategy: discovery only looks at names, file types and zip central directories;
it never reads or decodes a text. A *task* is a small picklable descriptor (a
file path, or an archive path plus a member's name and ``Entry``: where its data
is) that a worker turns into a Document itself (``_read_task``). The rules it
keeps:

- A file named on the command line is read whatever its name, except ``*.zip``,
  which is opened as an archive. Folders are walked recursively for ``*.txt``
  and ``*.zip`` (any case); hidden files and folders (a name starting with
  ``.``) are skipped and counted, and so is every other file.
- Only regular files are ever opened. A FIFO, device or socket, named on the
  command line or found in a walk, is skipped and counted (``special-file``);
  files are opened with ``O_NONBLOCK`` and checked again once open
  (``_read.open_regular``), so one swapped in later cannot hang a worker either.
- Symbolic links are followed only within the inputs. The *roots* are the real
  paths of the inputs named on the command line (a file named there is a root
  itself). A link found in a walk whose real target is outside every root is
  skipped and counted (``link-outside-inputs``) unless ``follow_links``. Also
  skipped and counted: a dangling or looping link (``broken-link``), a link to
  a folder it is in (``link-loop``), a link to a folder already walked
  (``repeated``): through links, each folder is walked at most once, and after
  the folders found without links, so a folder keeps its own name if it can.
- A folder that cannot be listed becomes a refusal task with an
  ``unreadable-folder`` error naming it: never a silent gap in the data.
- Archive members are read in place (never extracted to disk): ``*.txt``
  members only. A nested archive is not followed; it becomes a *refusal* task that
  yields one ``nested-archive-skipped`` diagnostic. An archive that cannot be
  opened becomes a refusal task with an ``unreadable-archive`` error; so does one
  whose central directory is damaged part way, and the members before the
  damage are still read. A member whose data overlaps another member's (an
  overlapping-entry zip bomb) becomes a refusal task with a ``zip-bomb`` error.
- An archive's directory is read once, here (``_archive``); a member's task
  carries its ``Entry``, and a worker seeks straight to its data: archive work
  is linear in the members. Tasks are keyed by entry, not name: two members
  with one name are both read, the second named ``name#2`` in ``source_path``
  (``#3`` ..., never a name the archive already has); so is a file whose name is
  that of an archive member beside it (``a.zip!b.txt`` next to ``a.zip``). A name whose bytes are
  not the UTF-8 the archive claims keeps them as ``\\xNN`` escapes. An archive
  is read only up to ``Limits.max_archive_members`` members
  (``too-many-members``), counted while its directory is read, so an end
  record that declares fewer than it holds cannot lift the limit; one whose
  end record declares more is not read at all.
- ``source_path`` is the path as the user wrote it, joined with the walk
  (``exports/2566/a.txt``), and ``exports/a.zip!dir/b.txt`` inside archives.
  Tasks are deduplicated by real path and sorted by ``source_path``, so the
  order of the inputs on the command line never changes the output. A walk
  resolves each folder's real path once; a file's is that plus its name unless
  the file is a symbolic link (``realpath`` per file cost ~30 us).
- A path that does not exist is a ``UsageError`` raised before any work.
- Member names are data only: they become ``source_path`` and nothing is ever
  written, created or opened by a member's name (``../x``, ``/etc/x`` included).
- Shards (``convert --shard K/N``): every task has a *shard key*, its path
  relative to the INPUT argument it was found under (POSIX separators; a file
  named on the command line: its name), and for archive members that key plus
  ``!member``; a task belongs to shard ``1 + int(sha256(key)[:8 bytes]) % N``.
  The key does not depend on where the inputs are mounted, the order of the
  arguments or the machine, so shards run anywhere partition the same inputs.
  Archives are sharded per member, not whole (one large archive of a quarter's
  exports would otherwise be one shard's work); every shard reads the archive's
  central directory (cheap: no member is decompressed), and the archive's own
  refusals (``unreadable-archive``, ``too-many-members``) go with the archive's
  key. Discovery is done whole in every shard: ``Discovery.shard`` records the
  count and a digest of every key, so ``merge`` can tell that its parts saw the
  same inputs.
"""

from __future__ import annotations

import hashlib
import lzma
import os
import stat
import struct
import zipfile
import zlib
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ._archive import (
    Entry,
    Labels,
    Member,
    overlapping_members,
    read_directory,
    read_end,
)
from ._read import DEFAULT_LIMITS, Limits, display_path, open_regular
from .errors import UsageError
from .model import Severity

READ_FAILURES = (
    OSError, zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, RuntimeError, KeyError,
    NotImplementedError, ValueError, struct.error,
)
"""What reading a file or an archive member raises when the bytes are bad (a damaged
archive, an unsupported compression method, an encrypted member ...)."""

ARCHIVE_SEPARATOR = "!"
"""Joins an archive path and a member name in ``source_path``."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """A diagnostic that discovery already knows, in place of a text to parse."""

    severity: Severity
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Task:
    """One unit of work: a text file, a text member of an archive, or a refusal."""

    source_path: str
    """What diagnostics and tables call the input (``a.zip!dir/b.txt`` in archives)."""
    path: str
    """The file on disk (the archive, for members; the folder, for an unreadable one)."""
    member: str | None = None
    """The member name inside the archive at ``path``; None for plain files."""
    refusal: Refusal | None = None
    """Why the input is not parsed (a nested or unreadable archive ...): its one diagnostic."""
    entry: Entry | None = None
    """Where the member is in the archive (set with ``member``): what reads it."""


@dataclass(slots=True)
class Discovery:
    """The tasks found under some inputs and what was passed over."""

    tasks: list[Task] = field(default_factory=list)
    """Sorted by ``source_path``."""
    skipped: Counter[str] = field(default_factory=Counter)
    """Files passed over, by reason: ``hidden``, ``not-text``, ``repeated``,
    ``special-file`` (FIFO, device, socket), ``link-outside-inputs``,
    ``broken-link``, ``link-loop``."""
    shard: dict[str, object] | None = None
    """With ``shard=(K, N)``: ``{"index": K, "count": N, "inputs_total": T,
    "inputs_digest": D}``, T the tasks of every shard and D the sha256 of their
    sorted shard keys (what ``merge`` checks its parts against); else None."""


Shard = tuple[int, int]
"""(K, N): the K-th of N shards, 1 <= K <= N."""


def check_shard(shard: Shard) -> Shard:
    """``shard`` if it is a valid (K, N), else ``UsageError``."""
    try:
        index, count = shard
    except (TypeError, ValueError):
        raise UsageError(f"shard must be (K, N), not {shard!r}") from None
    whole = all(isinstance(v, int) and not isinstance(v, bool) for v in (index, count))
    if not (whole and 1 <= index <= count):
        raise UsageError(f"shard {index}/{count}: K must be a whole number from 1 to N")
    return index, count


def shard_of(key: str, count: int) -> int:
    """The shard (1 to ``count``) of the task whose shard key is ``key``."""
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
    return 1 + int.from_bytes(digest[:8], "big") % count


def _shard_key(found: str, argument: str) -> str:
    """The part of ``found`` (a path discovery found under the INPUT ``argument``, or
    ``argument`` itself) that names it whatever the machine: below the argument, or
    the argument's own name."""
    if found == argument:
        relative = os.path.basename(os.path.normpath(argument))
    else:
        relative = os.path.relpath(found, argument)
    return display_path(relative).replace(os.sep, "/")


def _is_hidden(name: str) -> bool:
    return name.startswith(".") or name == "__MACOSX"


def _is_text_name(name: str) -> bool:
    return name.lower().endswith(".txt")


def _is_zip_name(name: str) -> bool:
    return name.lower().endswith(".zip")


def discover(
    inputs: Sequence[str | os.PathLike[str]],
    *,
    exclude: Path | None = None,
    limits: Limits = DEFAULT_LIMITS,
    follow_links: bool = False,
    shard: Shard | None = None,
) -> Discovery:
    """Expand files, folders and ``.zip`` archives into sorted tasks.

    ``exclude`` is a folder never walked into (the output folder); ``limits``
    bounds the members read from one archive; ``follow_links`` follows symbolic
    links whose target is outside every input (by default they are skipped);
    ``shard`` (K, N) keeps only the tasks of shard K of N (see the module's
    docstring). Raises ``UsageError`` when an input does not exist, before
    looking at any other.
    """
    if shard is not None:
        shard = check_shard(shard)
    paths = [os.fspath(p) for p in inputs]
    modes = [_mode(p) for p in paths]
    missing = [p for p, mode in zip(paths, modes, strict=True) if mode is None]
    if missing:
        raise UsageError(f"input not found: {missing[0]}")
    found = Discovery()
    seen: set[str] = set()
    walker = _Walker(
        roots=frozenset(os.path.realpath(p) for p in paths),
        excluded=os.path.realpath(exclude) if exclude is not None else None,
        follow_links=follow_links,
        skipped=found.skipped,
    )

    keys: list[str] = []  # every task's shard key (with ``shard``)
    named: set[str] = set()  # every task's source_path so far, in discovery order

    def add(path: str, real: str, argument: str, error: OSError | None = None) -> None:
        if real in seen:
            found.skipped["repeated"] += 1
            return
        seen.add(real)
        if error is not None:
            tasks = [_unreadable_folder(path, error)]
        elif _is_zip_name(path):
            tasks = _archive_tasks(path, found.skipped, limits)
        else:
            tasks = [Task(source_path=display_path(path), path=path)]
        key, shown = _shard_key(path, argument) if shard else "", display_path(path)
        for task in tasks:  # a member's source_path is the archive's plus "!member"
            suffix = task.source_path[len(shown):]
            task = _named_once(task, named)
            if shard is None:
                found.tasks.append(task)
                continue
            keys.append(key + suffix + task.source_path[len(shown) + len(suffix):])
            if shard_of(keys[-1], shard[1]) == shard[0]:
                found.tasks.append(task)

    for path, mode in zip(paths, modes, strict=True):
        if stat.S_ISDIR(mode or 0):
            for file, real, error in walker.walk(path):
                add(file, real, path, error)
        elif stat.S_ISREG(mode or 0):
            add(path, os.path.realpath(path), path)
        else:
            found.skipped["special-file"] += 1
    found.tasks.sort(key=lambda t: t.source_path)
    if shard is not None:
        digest = hashlib.sha256()
        for key in sorted(keys):
            digest.update(key.encode("utf-8", "surrogatepass") + b"\n")
        found.shard = {"index": shard[0], "count": shard[1], "inputs_total": len(keys),
                       "inputs_digest": digest.hexdigest()}
    return found


def _named_once(task: Task, named: set[str]) -> Task:
    """``task``, its ``source_path`` made unique among the tasks discovered before it
    (``named``, updated): a file named ``a.zip!b.txt`` beside ``a.zip`` holding ``b.txt``
    would otherwise share one name with that member, and the two inputs would share
    their manifest entry and their diagnostics' key. The later one is ``name#2`` (``#3``
    ..., never a name already taken), as two archive members with one name are."""
    name, n = task.source_path, 1
    while name in named:
        n += 1
        name = f"{task.source_path}#{n}"
    named.add(name)
    return task if n == 1 else replace(task, source_path=name)


def _mode(path: str) -> int | None:
    """The file type and mode of ``path`` (links followed); None when it does not exist."""
    try:
        return os.stat(path).st_mode
    except (OSError, ValueError):
        return None


def _unreadable_folder(path: str, error: OSError) -> Task:
    reason = error.strerror or type(error).__name__
    message = f"cannot list the folder ({reason}): nothing in it was read"
    return Task(display_path(path), path, refusal=Refusal("error", "unreadable-folder", message))


def _within(path: str, folder: str) -> bool:
    """True when ``path`` is ``folder`` or under it (both real paths)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


@dataclass(slots=True)
class _Walker:
    """Walks folders by the rules of discovery; ``walked`` is shared by every walk of
    one discovery, so a folder reached through links is walked once."""

    roots: frozenset[str]
    """Real paths of the inputs: links are followed only to under one of them."""
    excluded: str | None
    follow_links: bool
    skipped: Counter[str]
    walked: set[str] = field(default_factory=set)
    """Real paths of the folders walked so far."""

    def walk(self, top: str) -> Iterator[tuple[str, str, OSError | None]]:
        """(path, real path, None) of the text and zip files under ``top``, a folder's
        files before its folders, by name, and the folders reached through links
        last (a folder found both ways is named by its own path); (folder, real
        path, error) for a folder that cannot be listed. Iterative: a deep tree
        costs no recursion."""
        stack = [(top, os.path.realpath(top), False)]
        linked: deque[tuple[str, str, bool]] = deque()
        while stack or linked:
            folder, real, through_link = stack.pop() if stack else linked.popleft()
            if through_link and real in self.walked:
                self.skipped["repeated"] += 1
                continue
            self.walked.add(real)
            try:
                with os.scandir(folder) as listing:
                    entries = sorted(listing, key=lambda e: e.name)
            except OSError as exc:
                yield folder, real, exc
                continue
            below = []
            for entry in entries:
                name = entry.name
                if _is_hidden(name):
                    self.skipped["hidden"] += 1
                    continue
                link = entry.is_symlink()
                if link:
                    target, mode = self._follow(entry.path)
                    if mode is None:
                        continue
                    is_folder, is_file = stat.S_ISDIR(mode), stat.S_ISREG(mode)
                else:
                    target = os.path.join(real, name)
                    is_folder = entry.is_dir(follow_symlinks=False)
                    is_file = entry.is_file(follow_symlinks=False)
                if is_folder:
                    if target == self.excluded:
                        continue
                    if not link:
                        below.append((entry.path, target, False))
                    elif _within(real, target):
                        self.skipped["link-loop"] += 1
                    else:
                        linked.append((entry.path, target, True))
                elif not (_is_text_name(name) or _is_zip_name(name)):
                    self.skipped["not-text"] += 1
                elif not is_file:
                    self.skipped["special-file"] += 1
                else:
                    yield entry.path, target, None
            stack.extend(reversed(below))

    def _follow(self, path: str) -> tuple[str, int | None]:
        """(real path, mode) of the link at ``path``; mode None (and the reason
        counted) when it is not followed."""
        target = os.path.realpath(path)
        if not self.follow_links and not self._inside(target):
            self.skipped["link-outside-inputs"] += 1
            return target, None
        try:
            return target, os.stat(path).st_mode
        except (OSError, ValueError):
            self.skipped["broken-link"] += 1
            return target, None

    def _inside(self, path: str) -> bool:
        """True when the real path ``path`` is a root or under one."""
        while path not in self.roots:
            parent = os.path.dirname(path)
            if parent == path:
                return False
            path = parent
        return True


def _archive_tasks(path: str, skipped: Counter[str], limits: Limits) -> list[Task]:
    shown = display_path(path)
    limit = limits.max_archive_members
    try:
        with open_regular(path) as file:
            end = read_end(file)
            if end.declared > limit:
                message = (f"the archive declares {end.declared:,} members; the limit is"
                           f" {limit:,} (max_archive_members): archive not read")
                return [Task(shown, path, refusal=Refusal("error", "too-many-members", message))]
            directory = read_directory(file, end, limit)
    except READ_FAILURES as exc:
        message = display_path(f"cannot open the zip archive: {exc}")
        return [Task(shown, path, refusal=Refusal("error", "unreadable-archive", message))]
    tasks = []
    if directory.more:
        message = (f"the archive holds more than {limit:,} members (its end record declares"
                   f" {end.declared:,}); only the first {limit:,} were read (max_archive_members)")
        tasks.append(Task(shown, path, refusal=Refusal("error", "too-many-members", message)))
    if directory.damage:
        message = (f"the archive's central directory is damaged after"
                   f" {len(directory.members):,} members ({directory.damage});"
                   " the members before the damage were read")
        tasks.append(Task(shown, path, refusal=Refusal("error", "unreadable-archive", message)))
    tasks.extend(_member_tasks(path, shown, directory.members, skipped))
    return tasks


def _member_tasks(path: str, shown: str, members: Sequence[Member],
                  skipped: Counter[str]) -> Iterator[Task]:
    labels = Labels({m.name for m in members})
    overlapping = overlapping_members([m.entry for m in members])
    for index, member in enumerate(members):
        name = member.name
        if name.endswith("/"):  # a folder entry
            continue
        source_path = f"{shown}{ARCHIVE_SEPARATOR}{labels.label(name)}"
        # "." and ".." are not hidden names: a member "../a.txt" is read (its name is data)
        parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..")]
        refusal = None
        if any(_is_hidden(p) for p in parts):
            skipped["hidden"] += 1
            continue
        if not (_is_text_name(name) or _is_zip_name(name)):
            skipped["not-text"] += 1
            continue
        if member.problem is not None:
            refusal = Refusal("error", "unreadable-member", f"member not read: {member.problem}")
        elif _is_text_name(name) and index in overlapping:
            refusal = Refusal("error", "zip-bomb", "member refused: its data overlaps another member's"
                        " (an overlapping-entry zip bomb); not decompressed")
        elif _is_zip_name(name):
            refusal = Refusal(
                "info",
                "nested-archive-skipped",
                "an archive inside an archive is not read; extract it and convert it on its own",
            )
        yield Task(source_path, path, member=name, refusal=refusal, entry=member.entry)
