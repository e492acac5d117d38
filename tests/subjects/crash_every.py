#!/usr/bin/env python3
"""A subject with the rules of examples/python/subject.py that crashes (exit 3) on the first fact
of the N-th trace its process runs, counting every trace of the process: any one trace in a fresh
process agrees with the model; the failure depends on what the process ran before.

Usage: crash_every.py N. Used by tests/it/cli.rs.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples", "python"))
import subject  # noqa: E402

CRASH_ON_TRACE = int(sys.argv[1])
traces_started = 0


class CrashingReducer(subject.Reducer):
    def __init__(self, *args, **kwargs):
        global traces_started
        traces_started += 1
        super().__init__(*args, **kwargs)

    def ingest(self, fact):
        if traces_started == CRASH_ON_TRACE:
            sys.exit(3)
        return super().ingest(fact)


if __name__ == "__main__":
    sys.exit(subject.serve(CrashingReducer, argv=[]))
