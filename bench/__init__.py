"""Symphony's benchmark suite (issue 6): `python -m bench [--quick | --smoke]`.

It starts everything it measures as local subprocesses on free loopback ports - the
provider simulator as the upstream (bench/simulator.bench.yml: fast, no caps), Symphony on
its embedded defaults (ledger, audit, metrics, events on) with bench/bench.policy.yml, a
floor proxy (bench/floor.py) and a bare FastAPI endpoint (bench/bare.py) - drives load from
separate processes (wrk when on PATH, else bench/pyload.py), prints one table per scenario
and writes bench/results/latest.json with the machine it ran on.
"""
