#!/usr/bin/env python3
"""A subject that answers every fact with no output and its delimiter, and crashes (exit 3) on
the N-th fact it is sent (counted from 1 over every trace of the process, resets included), so a
test can crash it inside a vector case's `history`. Usage: crash_at.py N. Used by
tests/it/hostile_subjects.rs.
"""

import json
import sys

crash_at = int(sys.argv[1])
sys.stdin.readline()
sys.stdout.write(json.dumps({"review_spec_protocol": 2}) + "\n")
sys.stdout.flush()
index = 0
seen = 0
for raw in sys.stdin:
    if "reset" in json.loads(raw):
        index = 0
        continue
    seen += 1
    if seen == crash_at:
        sys.stderr.write("crashing on fact %d of the process\n" % seen)
        sys.exit(3)
    sys.stdout.write(json.dumps({"done": index}) + "\n")
    sys.stdout.flush()
    index += 1
