#!/usr/bin/env python3
"""A subject of protocol version 2: the rules of examples/python/subject.py, acknowledging
version 2, and refusing (exit 3, with the fact on stderr) any fact of trace format 3 (a
`subagent_thread_started`, a `thread_bound` with an `originator`), which the tool must not send
it. With --strict it refuses any header but version 2, as subjects written for version 2 alone
do. Used by tests/it/cli.rs.
"""

import itertools
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples", "python"))
import subject  # noqa: E402

# With --claim-three it acknowledges version 3 instead (and still refuses the newer facts): the
# negative control showing that the tool does send them to a version 3 subject.
CLAIM_THREE = "--claim-three" in sys.argv[1:]
subject.PROTOCOL_VERSION = 3 if CLAIM_THREE else 2


class ProtocolTwoReducer(subject.Reducer):
    def ingest(self, fact):
        if fact["type"] == "subagent_thread_started" or fact.get("originator") is not None:
            sys.stderr.write("a fact of trace format 3 reached a protocol 2 subject: %s\n" % json.dumps(fact))
            sys.exit(3)
        return super().ingest(fact)


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a not in ("--claim-three", "--strict")]
    stdin = sys.stdin.buffer
    if "--strict" in sys.argv[1:]:
        # As a subject written for version 2 alone: any other header version is refused.
        header = next((raw for raw in stdin if raw.strip()), None)
        if header is None or json.loads(header).get("review_spec_protocol") != 2:
            sys.stderr.write("unsupported protocol version, this subject speaks 2\n")
            sys.exit(2)
        stdin = itertools.chain([header], stdin)
    sys.exit(subject.serve(reducer_class=ProtocolTwoReducer, stdin=stdin, argv=arguments))
