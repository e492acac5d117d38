#!/usr/bin/env python3
"""A subject whose bug depends on what its process saw before: the rules of
examples/python/subject.py, except that from the process's 4th trace on (state that survives a
reset) it forgets every tool-item event. Any one trace, in a fresh process, agrees with the model.

Usage: history_dependent.py. Used by tests/it/cli.rs.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples", "python"))
import subject  # noqa: E402

TRACES_BEFORE_THE_BUG = 3
traces_started = 0


class HistoryDependentReducer(subject.Reducer):
    def __init__(self, *args, **kwargs):
        global traces_started
        traces_started += 1
        super().__init__(*args, **kwargs)

    def ingest(self, fact):
        outputs = super().ingest(fact)
        if traces_started > TRACES_BEFORE_THE_BUG:
            outputs = [o for o in outputs if not o["event_type"].endswith("_event") or o["event_type"] == "codex_review_event"]
        return outputs


if __name__ == "__main__":
    sys.exit(subject.serve(HistoryDependentReducer, argv=[]))
