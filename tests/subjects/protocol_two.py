#!/usr/bin/env python3
"""A subject of protocol version 2: the rules of examples/python/subject.py, acknowledging
version 2, and refusing (exit 3, with the fact on stderr) any fact of trace format 3 (a
`subagent_thread_started`, a `thread_bound` with an `originator`), which the tool must not send
it. Used by tests/it/cli.rs.
"""

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
    arguments = [argument for argument in sys.argv[1:] if argument != "--claim-three"]
    sys.exit(subject.serve(reducer_class=ProtocolTwoReducer, argv=arguments))
