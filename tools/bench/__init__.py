"""Benchmark of the stub against Prism and a bare Starlette ceiling (`make bench`).

`python -m tools.bench` runs the side-by-side comparison; `python -m tools.bench.growth` measures
creates with many stored restores; `python -m tools.bench.profile` shows where a request's time goes;
`python -m tools.bench.chart` draws the chart of a report.
"""
