"""`python -m tools.bench`: the side-by-side benchmark (see tools/bench/compare.py)."""

from tools.bench.compare import main

raise SystemExit(main())
