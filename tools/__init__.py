"""Project tooling, outside the runtime package: benchmarks (`make bench`), measurements,
translation evaluation and the builders of sample episodes (`make demo`, tests).

Run from the repository root: ``python -m tools.bench``, ``python -m tools.measure_asr`` ...
Nothing in ``altyazi/`` imports from here.
"""
