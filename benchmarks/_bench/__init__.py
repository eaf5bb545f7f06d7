"""The parts of ``benchmarks/bench.py``, one module per stage of a run.

``env`` finds the code to measure and the processes' environment (per mode:
pure Python or compiled); ``corpus`` writes or reuses the synth corpora;
``measure`` times floor, parse, load, py floor, the TextFSM baseline (``fsm``)
and the convert CLI in each mode; ``pathological`` times inputs built to blow
up; ``report`` prints the tables and checks the targets, ``baseline`` the pure
mode against its recorded figures; ``profiles`` is the ``--profile`` mode.
``bench.py`` is the one entry point: it parses the options, runs the stages in
that order and is also the helper process the stages start (``_measure``,
``_inprocess``, ``_path``).
"""
