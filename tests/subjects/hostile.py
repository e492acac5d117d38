#!/usr/bin/env python3
"""A subject that acknowledges the header of spec/protocol.md (version 2) correctly, then, at the
first fact of a trace, turns hostile as MODE says:

    flood               writes valid output lines forever, never the delimiter
    trickle             writes a valid output line every 10 ms forever, never the delimiter
    long-line           writes one line that never ends (no line break, ever)
    crash-orphan FILE   forks a grandchild that keeps the subject's stdout open and sleeps, writes
                        the grandchild's pid to FILE, then exits with status 3 (a crash)
    hang-orphan FILE    forks such a grandchild, writes "<its own pid> <the grandchild's pid>" to
                        FILE, then never answers

The grandchildren sleep for at most a minute, so a failing test leaves nothing behind for long.
Usage: hostile.py MODE [FILE]. Used by tests/it/hostile_subjects.rs.
"""

import json
import os
import sys
import time

mode = sys.argv[1]
out = sys.stdout

OUTPUT = json.dumps(
    {
        "event_type": "review_spec_diagnostic",
        "event_params": {"reason": "orphan_response", "connection_id": 1, "request_id": 7},
    }
)


def write_atomically(path, text):
    """Writes `text` to `path` at once: a reader sees nothing or all of it."""
    with open(path + ".tmp", "w") as file:
        file.write(text)
    os.rename(path + ".tmp", path)


def fork_grandchild():
    """Forks a process that holds stdout open (inherited) and sleeps; returns its pid."""
    pid = os.fork()
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    return pid


sys.stdin.readline()
out.write(json.dumps({"review_spec_protocol": 2}) + "\n")
out.flush()
for raw in sys.stdin:
    message = json.loads(raw)
    if "reset" in message:
        continue
    if mode == "flood":
        while True:
            out.write(OUTPUT + "\n")
    if mode == "trickle":
        while True:
            out.write(OUTPUT + "\n")
            out.flush()
            time.sleep(0.01)
    if mode == "long-line":
        chunk = "x" * 65536
        while True:
            out.write(chunk)
    if mode == "crash-orphan":
        write_atomically(sys.argv[2], str(fork_grandchild()))
        sys.stderr.write("boom: crashing on purpose, a grandchild holds stdout\n")
        sys.stderr.flush()
        os._exit(3)
    if mode == "hang-orphan":
        grandchild = fork_grandchild()
        write_atomically(sys.argv[2], "%d %d" % (os.getpid(), grandchild))
        time.sleep(60)
    sys.exit("unknown mode " + mode)
