#!/usr/bin/env python3
"""A deliberately broken variant of subject.py, for showing that review-spec catches a real bug.

The bug is the one upstream shipped before GRANT-1: an empty effective permission grant is
counted as an approval (resolution by scope) instead of a denial. Everything else is subject.py.

    review-spec check --subject-cmd "python3 examples/python/broken_subject.py"

fails (exit code 1) with a shrunk counterexample whose explanation names GRANT-1. GRANT-1 is not a
departure from upstream, so it fails under every profile (`--profile upstream`, `--depart ...`);
like subject.py it speaks protocol version 4 and takes `--events-only`.
"""

import os
import sys

# Importing subject.py must not leave a __pycache__/ in the examples folder.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import subject  # noqa: E402  (the path above makes the sibling module importable)


class BrokenReducer(subject.Reducer):
    """subject.Reducer with GRANT-1 broken: every effective grant is an approval."""

    def grant_decision(self, permissions, scope):
        return "approved", ("session_approval" if scope == "session" else "none")


if __name__ == "__main__":
    sys.exit(subject.serve(BrokenReducer))
