"""The parts of ``benchmarks/bench.py``, one module per stage of a run.

``env`` finds the code to measure and the processes' environment; ``corpus``
writes or reuses the synth corpora; ``measure`` times floor, parse, load and the
convert CLI; ``pathological`` times inputs built to blow up; ``report`` prints
the tables and checks the targets; ``profiles`` is the ``--profile`` mode.
``bench.py`` is the one entry point: it parses the options, runs the stages in
that order and is also the helper process the stages start (``_measure``,
``_inprocess``, ``_path``).
"""
