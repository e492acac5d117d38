#!/usr/bin/env python3
"""A subject that speaks the protocol of spec/protocol.md (version 2, or PROTOCOL) correctly (answering every
fact with no outputs, whatever the profile of the header and reset lines) until fact AT (default 0)
of a trace, where it misbehaves as MODE says:

    crash            writes to stderr and exits with status 3
    hang             never answers
    garbage          writes a line that is not JSON
    early-exit       writes one output, then exits with status 0 before the delimiter
    wrong-delimiter  answers {"done": 7}
    version          (at the header) acknowledges protocol version 1, the version before the
                     tool's (2): a stale subject, refused with a `version` error
    noisy            writes 256 KiB to stderr, then answers correctly (never misbehaves)
    undeclared       declares it emits only events ("emits": ["review", "tool_item"]), then
                     writes a diagnostic anyway
    emits-nothing    (at the header) declares that it emits no output kind at all
    slow             answers every fact after 30 ms (never misbehaves)
    batching         reads AT facts before it answers them (hangs unless the tool writes AT
                     facts ahead of the delimiters)

Usage: misbehaving.py MODE [AT [PROTOCOL]]. Used by tests/it/protocol.rs and tests/it/cli.rs.
"""

import json
import sys
import time

mode = sys.argv[1]
at = int(sys.argv[2]) if len(sys.argv) > 2 else 0
out = sys.stdout


def answer(line):
    out.write(line + "\n")
    out.flush()


# The version acknowledged: 2 unless the third argument says otherwise (4: the tool pipelines).
PROTOCOL_VERSION = int(sys.argv[3]) if len(sys.argv) > 3 else 2
STALE_VERSION = 1

header = sys.stdin.readline()
acknowledgement = {"review_spec_protocol": STALE_VERSION if mode == "version" else PROTOCOL_VERSION}
if mode == "undeclared":
    acknowledgement["emits"] = ["review", "tool_item"]
if mode == "emits-nothing":
    acknowledgement["emits"] = []
answer(json.dumps(acknowledgement))
index = 0
for raw in sys.stdin:
    message = json.loads(raw)
    if "reset" in message:
        index = 0
        continue
    if mode == "slow":
        time.sleep(0.03)
    elif mode == "batching":
        # Reads the next `at` facts before it answers any: what a subject must not do, and what
        # works only when the tool writes that many facts ahead.
        batch = [message] + [json.loads(sys.stdin.readline()) for _ in range(at - 1)]
        for _ in batch:
            answer(json.dumps({"done": index}))
            index += 1
        continue
    if mode == "noisy":
        sys.stderr.write("x" * 262144)
        sys.stderr.flush()
    elif index == at:
        if mode == "crash":
            sys.stderr.write("boom: crashing on purpose at fact %d\n" % index)
            sys.exit(3)
        if mode == "hang":
            time.sleep(3600)
        if mode == "garbage":
            answer("this is not json")
        if mode == "early-exit":
            answer('{"event_type": "review_spec_diagnostic", "event_params": {"reason": "orphan_response", "connection_id": 1, "request_id": 7}}')
            sys.exit(0)
        if mode == "wrong-delimiter":
            answer('{"done": 7}')
        if mode == "undeclared":
            answer('{"event_type": "review_spec_diagnostic", "event_params": {"reason": "orphan_response", "connection_id": 1, "request_id": 7}}')
    answer(json.dumps({"done": index}))
    index += 1
