#!/usr/bin/env python3
"""A subject that is not deterministic across processes: the rules of examples/python/subject.py,
except that every other process it is started as (counted in the file COUNTER) forgets every
tool-item event. So a failure reproduces in about half of the fresh processes: flaky.

Usage: flaky.py COUNTER. Used by tests/it/cli.rs.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples", "python"))
import subject  # noqa: E402

counter_path = sys.argv[1]
try:
    with open(counter_path) as counter:
        started = int(counter.read() or "0")
except FileNotFoundError:
    started = 0
started += 1
with open(counter_path, "w") as counter:
    counter.write(str(started))
BROKEN = started % 2 == 1


class FlakyReducer(subject.Reducer):
    def ingest(self, fact):
        outputs = super().ingest(fact)
        if BROKEN:
            outputs = [o for o in outputs if not o["event_type"].endswith("_event") or o["event_type"] == "codex_review_event"]
        return outputs


if __name__ == "__main__":
    sys.exit(subject.serve(FlakyReducer, argv=[]))
