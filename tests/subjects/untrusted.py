#!/usr/bin/env python3
"""A subject whose text must reach the user safe and short, as MODE says:

    terminal      at the first fact, writes to stderr and then to stdout a line with NUL, an OSC
                  sequence (retitles a terminal) and a CSI sequence (clears it)
    long-string   at the first fact, writes a valid-looking output whose event_params is a string
                  of about 1 MiB (serde's message quotes it)
    array-ack     acknowledges the header with an array, [2, ["review"]]
    double-done   answers the first fact with {"done": 0, "done": 0}

Usage: untrusted.py MODE. Used by tests/it/hostile_subjects.rs.
"""

import json
import sys

mode = sys.argv[1]
out = sys.stdout
sys.stdin.readline()
if mode == "array-ack":
    out.write('[2, ["review"]]\n')
else:
    out.write(json.dumps({"review_spec_protocol": 2}) + "\n")
out.flush()
for raw in sys.stdin:
    if "reset" in json.loads(raw):
        continue
    if mode == "terminal":
        hostile = "bad\x00line \x1b]0;pwned\x07 \x1b[2J\x1b[31mred \u202eevil"
        sys.stderr.write(hostile + "\n")
        sys.stderr.flush()
        out.write(hostile + "\n")
    elif mode == "long-string":
        out.write(json.dumps({"event_type": "codex_review_event",
                              "event_params": "x" * ((1 << 20) - 100)}) + "\n")
    elif mode == "double-done":
        out.write('{"done": 0, "done": 0}\n')
    out.flush()
    sys.stdin.read()
    sys.exit(0)
