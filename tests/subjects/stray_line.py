#!/usr/bin/env python3
"""A subject that answers every fact with its delimiter and, in the same write, one more line:
a line after the delimiter, before the next fact, which spec/protocol.md says is garbage at the
next fact, never an output of it. Used by tests/it/hostile_subjects.rs.
"""

import json
import sys

sys.stdin.readline()
sys.stdout.write(json.dumps({"review_spec_protocol": 2}) + "\n")
sys.stdout.flush()
index = 0
for raw in sys.stdin:
    if "reset" in json.loads(raw):
        index = 0
        continue
    stray = {"event_type": "review_spec_diagnostic",
             "event_params": {"reason": "orphan_response", "connection_id": 1, "request_id": 7}}
    # One write: the delimiter and the stray line reach the tool together.
    sys.stdout.write(json.dumps({"done": index}) + "\n" + json.dumps(stray) + "\n")
    sys.stdout.flush()
    index += 1
