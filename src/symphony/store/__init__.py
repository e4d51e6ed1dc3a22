"""Storage seams: small protocols for what the domain needs, and their backends.

Protocols (each module's docstring is its contract; tests/store/ checks every backend):
- `log.AppendLog`: append-only, sequence-numbered rows appended under the head's lock
  (hash chains stay linear across writers), range and filtered reads.
- `counters.Counters`: windowed counters with atomic check-and-add and reservations
  (reserve → settle/release, expiry that charges the estimate), all-or-nothing across
  keys; `counters.TokenBuckets`: token buckets per key.
- `documents.Documents`: JSON documents by key with versions and compare-and-set.
- `pubsub.Feed`: pub/sub with ids and a bounded replay buffer.
- `lease.Leases`: named leases with a TTL, one holder, fencing tokens.

Backends: `memory_*` (one process), `sqlite_*` (a file; atomic across processes on one
machine, through `sqlite.SqliteWriter`'s group commit) and `json_files` (documents as
the JSON files data directories have always had).
"""
