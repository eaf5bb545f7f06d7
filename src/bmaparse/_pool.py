"""Running a ``convert``'s tasks: chunks of consecutive tasks in, worker chunks out, in order.

Strategy: tasks (sorted by source path) are cut into chunks (``chunks``, by the
number of tasks alone: the same cut for every ``--jobs``) and run by
``_worker.process``: in this process (``in_process``, ``--jobs 1``), or
in a process pool (``pooled``) whose workers get the run's ``WorkerConfig``
once, from the pool initializer. Chunks are taken back in task order (a window
of futures, at most four per worker in flight), so the rows written do not
depend on the number of workers, and the parent's memory stays flat: the task
feed waits for the parent to take results.

Nothing a worker meets may hang or lose the run:

- a worker that dies (killed, out of memory, a crash in a C extension) breaks
  the pool instead of hanging it; the chunks in flight then run again, each on a
  pool of its own, and the one that kills its worker again is run input by
  input, so only the input that kills a worker is lost (``internal-error``);
- an interrupted run (Ctrl-C, SIGTERM as one) ends its workers at once
  (``_stop``) instead of waiting on one that may be gone;
- SIGTERM is blocked while the pool may fork (``_submit``), so a worker not yet
  set up never runs the CLI's handler it inherited;
- workers end with the parent (``_worker.init_worker``).
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING

from ._discover import Task
from ._read_task import close_archives
from ._worker import Chunk, WorkerConfig, died, init_worker, process, process_in_pool

if TYPE_CHECKING:  # the pool's modules (~9 ms) are imported only by a run that pools
    from concurrent.futures import Future, ProcessPoolExecutor

Chunks = Generator[Chunk, None, None]

_CHUNK_TASKS = 64
"""Tasks per chunk at most (fewer when there are fewer than 256 tasks). 256 costs
no less: measured end to end (convert --jobs 1 of 4,000 files), the per-chunk
costs it saves (flatten, IPC, per-table bookkeeping, ~15 us a file) are lost
again to a larger working set."""


def chunks(tasks: Sequence[Task]) -> list[Sequence[Task]]:
    """Consecutive tasks in chunks: large enough to flatten cheaply, at least four.

    The cut depends on the tasks alone, never on the number of workers: a
    diagnostic made while flattening (a value that does not fit its column) is
    the last row of its chunk's diagnostics, so where chunks end is part of the
    output, which must be the same for every ``--jobs``.
    """
    size = max(1, min(_CHUNK_TASKS, len(tasks) // 4))
    return [tasks[i : i + size] for i in range(0, len(tasks), size)]


def in_process(tasks: Sequence[Task], config: WorkerConfig) -> Chunks:
    """The chunks of ``tasks``, run one after another in this process."""
    try:
        for chunk in chunks(tasks):
            yield process(config, chunk)
    finally:
        close_archives()


def pooled(tasks: Sequence[Task], jobs: int, config: WorkerConfig) -> Chunks:
    """Chunks through a pool of ``jobs`` processes, in order, at most a window of them
    in flight; a chunk whose worker dies runs again in isolation (``_isolated``)."""
    from concurrent.futures.process import BrokenProcessPool

    waiting = collections.deque(chunks(tasks))
    in_flight: collections.deque[tuple[Sequence[Task], Future[Chunk]]] = collections.deque()
    executor = _executor(jobs, config)
    stopped = False
    try:
        while waiting or in_flight:
            while waiting and len(in_flight) < jobs * 4:
                chunk = waiting.popleft()
                in_flight.append((chunk, _submit(executor, chunk)))
            try:
                result = in_flight[0][1].result()
            except BrokenProcessPool:
                executor.shutdown(wait=True, cancel_futures=True)
                for chunk, _ in in_flight:
                    yield from _isolated(chunk, config)
                in_flight.clear()
                executor = _executor(jobs, config)
                continue
            in_flight.popleft()
            yield result
    except BaseException:  # interrupted: do not wait on workers that may be gone
        stopped = True
        _stop(executor)
        raise
    finally:
        if not stopped:
            executor.shutdown(wait=True, cancel_futures=True)


def _submit(executor: ProcessPoolExecutor, chunk: Sequence[Task]) -> Future[Chunk]:
    """``executor.submit``, with SIGTERM blocked while it may fork a worker (the new
    worker ignores it before unblocking; the parent gets a pending one right after)."""
    if not hasattr(signal, "pthread_sigmask"):
        return executor.submit(process_in_pool, chunk)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        return executor.submit(process_in_pool, chunk)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


def _stop(executor: ProcessPoolExecutor) -> None:
    """End an interrupted pool now: cancel what waits, terminate the workers (they
    ignore SIGINT) and reap them, so that the shutdown cannot wait forever on a
    worker that died mid-result (a SIGTERM sent to the whole process group).
    (``_processes`` is the executor's own table of its workers: the standard
    library gives no public way to end them.)"""
    workers = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        with contextlib.suppress(Exception):
            worker.terminate()
    for worker in workers:
        with contextlib.suppress(Exception):
            worker.join(5)


def _executor(jobs: int, config: WorkerConfig) -> ProcessPoolExecutor:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    _load_what_workers_load()
    return ProcessPoolExecutor(jobs, multiprocessing.get_context(), init_worker,
                               (config, os.getpid()))


def _load_what_workers_load() -> None:
    """Import in the parent what every worker imports for its first table: pyarrow
    loads pandas (~0.17 s) the first time it builds an array from a list. Forked
    workers then share it instead of each loading it again."""
    import pyarrow as pa

    pa.array([0])


def _isolated(chunk: Sequence[Task], config: WorkerConfig) -> Chunks:
    """``chunk`` on a pool of its own; if that worker dies too, input by input, and
    an input that kills its worker becomes an internal-error row."""
    from concurrent.futures.process import BrokenProcessPool

    with _executor(1, config) as executor:
        try:
            yield _submit(executor, chunk).result()  # SIGTERM blocked while it forks
            return
        except BrokenProcessPool:
            pass
    if len(chunk) > 1:
        for task in chunk:
            yield from _isolated([task], config)
        return
    yield died(chunk[0])
