#!/usr/bin/env python3
"""A complete implementation of spec/rules.md in Python 3 (standard library only), speaking the
review-spec process protocol of spec/protocol.md on stdin and stdout.

Run it under the tool:

    review-spec vectors --subject-cmd "python3 examples/python/subject.py"
    review-spec check   --subject-cmd "python3 examples/python/subject.py"

    review-spec check   --profile upstream --subject-cmd "python3 examples/python/subject.py"
    review-spec check   --profile upstream --subject-cmd "python3 examples/python/subject.py --events-only"

It is an example of a subject in another language, written for the reader: one method per fact
type, the rule IDs in the comments, state in six bounded tables (CAP-1). It follows any profile
(spec/rules.md, "Departures from upstream"): `Profile.upstream(rule)` says which side of each
departure a reduction follows, and each `UP-...` switch is marked in the comments.
`Reducer.ingest(fact)` returns the outputs of one fact, each
`{"event_type": ..., "event_params": {...}}`; `serve()` speaks the protocol.
`broken_subject.py` subclasses `Reducer` with one deliberate bug.

With `--events-only` the subject behaves as a reducer that, like upstream's, emits no
diagnostics: it declares `"emits": ["review", "tool_item"]` in its acknowledgement and writes
only events (the tool then compares events alone).
"""

import json
import os
import sys
from collections import OrderedDict, deque

PROTOCOL_VERSION = 4
# Answers are flushed at least this often while more facts are already read (spec/protocol.md,
# "Pipelining"), and always before waiting for input.
FLUSH_EVERY = 16
DIAGNOSTIC_EVENT_TYPE = "review_spec_diagnostic"
EVENT_KINDS = ["review", "tool_item"]
DEFAULT_TABLE_ENTRIES_MAX = 4096

CLIENT_FIELDS = (
    "product_client_id",
    "client_name",
    "client_version",
    "rpc_transport",
    "experimental_api_enabled",
)
RUNTIME_FIELDS = ("codex_rs_version", "runtime_os", "runtime_os_version", "runtime_arch")
ITEM_SUBJECT_KINDS = ("command_execution", "file_change", "mcp_tool_call")
RESPONSE_KINDS = {
    "command_execution_response": "command_execution",
    "file_change_response": "file_change",
    "effective_permissions_response": "permissions",
}
REQUEST_KINDS = {
    "command_execution_request": "command_execution",
    "file_change_request": "file_change",
    "permissions_request": "permissions",
}
CLOSING_FACTS = ("request_aborted", "malformed_response", *RESPONSE_KINDS)


# The rules on which the spec departs from upstream (spec/rules.md, "Departures from upstream").
DEPARTURES = (
    "CAP-1",
    "CTX-2",
    "DEC-4",
    "DEDUP-1",
    "ITEM-4",
    "ITEM-5",
    "ITEM-6",
    "LIFE-3",
    "LIFE-5",
    "SUM-6",
    "TIME-2",
    "TURN-1",
)
BASES = ("spec", "upstream")


class ProfileError(Exception):
    """A profile this subject cannot follow (unknown base or departure)."""


class Profile:
    """Which side of each departure a reduction follows: upstream's on departure D iff the base is
    `upstream` XOR D is listed in `depart`."""

    def __init__(self, wire=None):
        wire = wire or {}
        self.base = wire.get("base") or "spec"
        if self.base not in BASES:
            raise ProfileError("unknown profile base %r (expected spec or upstream)" % (self.base,))
        self.depart = set()
        for name in wire.get("depart") or ():
            rule = str(name).strip().upper()
            if rule.startswith("UP-"):
                rule = rule[3:]
            if rule not in DEPARTURES:
                raise ProfileError("unknown departure %r in the profile" % (name,))
            self.depart.add(rule)
        self.follows_upstream = {
            rule: (self.base == "upstream") != (rule in self.depart) for rule in DEPARTURES
        }

    def upstream(self, rule):
        """True where this profile follows upstream's behaviour on `rule` (`"DEDUP-1"`)."""
        return self.follows_upstream[rule]


def diagnostic(reason, **fields):
    """FATE-1: a diagnostic carries its reason and only the fields that have a value."""
    params = {"reason": reason}
    params.update({key: value for key, value in fields.items() if value is not None})
    return {"event_type": "review_spec_diagnostic", "event_params": params}


def identity(fact):
    """FATE-1: the identity fields of a fact, carried by diagnostics about it."""
    kind = fact["type"]
    if kind == "turn_completed":
        keys = ("thread_id", "turn_id")
    elif kind == "initialize":
        keys = ("connection_id",)
    elif kind == "thread_bound":
        keys = ("connection_id", "thread_id")
    elif kind == "subagent_thread_started":
        keys = ("thread_id",)
    elif kind in ("item_started", "item_completed"):
        keys = ("connection_id", "thread_id", "turn_id", "item_id")
    elif kind in REQUEST_KINDS:
        keys = ("connection_id", "request_id", "thread_id", "turn_id", "item_id")
    elif kind == "guardian_review_completed":
        return {
            "connection_id": fact["connection_id"],
            "thread_id": fact["thread_id"],
            "turn_id": fact["turn_id"],
            "item_id": fact.get("target_item_id"),
            "review_id": fact["review_id"],
        }
    else:
        keys = ("connection_id", "request_id")
    return {key: fact[key] for key in keys}


def duration_ms(started_at_ms, completed_at_ms):
    """TIME-1: never negative, never wrapped."""
    return completed_at_ms - started_at_ms if completed_at_ms >= started_at_ms else None


def network_enabled(profile):
    return (profile.get("network") or {}).get("enabled") is True


def is_empty_profile(profile):
    """GRANT-3: a profile is empty iff both network and file_system are absent."""
    return profile.get("network") is None and profile.get("file_system") is None


def subject(kind, name, trigger, additional, network):
    return {
        "kind": kind,
        "name": name,
        "trigger": trigger,
        "requested_additional_permissions": additional,
        "requested_network_access": network,
    }


def command_subject(fact):
    """SUBJ-1..3: subject, trigger and flags of a command-execution request."""
    has_context = fact.get("network_approval_context") is not None
    amendments = fact.get("proposed_network_policy_amendments")
    extra = fact.get("additional_permissions")
    network = has_context or bool(amendments) or (extra is not None and network_enabled(extra))
    additional = extra is not None
    if fact.get("approval_id") is not None:
        trigger = "execve_intercept"
    elif network:
        trigger = "network_policy_denial"
    elif additional:
        trigger = "sandbox_denial"
    else:
        trigger = "initial"
    kind = "network_access" if has_context else "command_execution"
    return subject(kind, kind, trigger, additional, network)


def file_change_subject(fact):
    """SUBJ-4: a file change; a grant root means a sandbox denial."""
    escapes = fact.get("grant_root") is not None
    trigger = "sandbox_denial" if escapes else "initial"
    return subject("file_change", "apply_patch", trigger, escapes, False)


def permissions_subject(profile):
    """SUBJ-5 (and GUARD-1/2 for request_permissions actions)."""
    network = network_enabled(profile)
    additional = network or profile.get("file_system") is not None
    if network:
        trigger = "network_policy_denial"
    elif additional:
        trigger = "sandbox_denial"
    else:
        trigger = "initial"
    return subject("permissions", "permissions", trigger, additional, network)


def guardian_subject(action):
    """GUARD-1, GUARD-2: subject, trigger and flags by guardian action."""
    kind = action["type"]
    if kind == "command":
        return subject("command_execution", "command_execution", "initial", False, False)
    if kind == "execve":
        return subject("command_execution", "command_execution", "execve_intercept", False, False)
    if kind == "apply_patch":
        return subject("file_change", "apply_patch", "sandbox_denial", True, False)
    if kind == "network_access":
        return subject("network_access", "network_access", "network_policy_denial", True, True)
    if kind == "mcp_tool_call":
        return subject("mcp_tool_call", action["tool_name"], "initial", False, False)
    return permissions_subject(action["permissions"])


def command_decision(decision):
    """DEC-1: status and resolution of a command decision."""
    name = decision["decision"]
    if name == "apply_network_policy_amendment":
        allowed = decision["network_policy_amendment"]["action"] == "allow"
        return ("approved" if allowed else "denied"), "network_policy_amendment"
    return {
        "accept": ("approved", "none"),
        "accept_for_session": ("approved", "session_approval"),
        "accept_with_execpolicy_amendment": ("approved", "exec_policy_amendment"),
        "decline": ("denied", "none"),
        "cancel": ("aborted", "none"),
    }[name]


def file_change_decision(decision):
    """DEC-2: status and resolution of a file-change decision."""
    return {
        "accept": ("approved", "none"),
        "accept_for_session": ("approved", "session_approval"),
        "decline": ("denied", "none"),
        "cancel": ("aborted", "none"),
    }[decision]


def outcome(reviewer, status, resolution):
    """SUM-4: the approval outcome of a review."""
    if reviewer == "guardian":
        return {"approved": "guardian_approved", "denied": "guardian_denied"}.get(
            status, "guardian_aborted"
        )
    if status == "approved":
        return "user_approved_for_session" if resolution == "session_approval" else "user_approved"
    return "user_denied" if status == "denied" else "user_aborted"


def empty_summary():
    return {
        "review_count": 0,
        "guardian_review_count": 0,
        "user_review_count": 0,
        "final_approval_outcome": "unknown",
        "requested_additional_permissions": False,
        "requested_network_access": False,
    }


class Table:
    """CAP-1: a state table of at most `entries_max` entries, evicting the oldest insertion.
    `entries_max` None is an unbounded table (UP-CAP-1): nothing is ever evicted."""

    def __init__(self, name, entries_max):
        self.name = name
        self.entries_max = None if entries_max is None else max(entries_max, 1)
        self.entries = OrderedDict()

    def get(self, key):
        return self.entries.get(key)

    def pop(self, key):
        return self.entries.pop(key, None)

    def put(self, key, value):
        """Updates a present key in place, or inserts it; returns the evicted (key, value)."""
        if key in self.entries:
            self.entries[key] = value
            return None
        evicted = None
        if self.entries_max is not None and len(self.entries) >= self.entries_max:
            evicted = self.entries.popitem(last=False)
        self.entries[key] = value
        return evicted

    def release(self, keep):
        """Removes the entries for which `keep(key, value)` is false, in insertion order."""
        released = [(k, v) for k, v in self.entries.items() if not keep(k, v)]
        for key, _ in released:
            del self.entries[key]
        return released


class Reducer:
    """The rules of spec/rules.md, one fact at a time."""

    def __init__(self, limits, profile=None):
        self.profile = profile if profile is not None else Profile()
        entries_max = (limits or {}).get("table_entries_max") or DEFAULT_TABLE_ENTRIES_MAX
        if self.profile.upstream("CAP-1"):
            entries_max = None  # UP-CAP-1: no bound; `limits` is read and ignored
        self.connections = Table("connections", entries_max)
        self.threads = Table("threads", entries_max)
        self.pending_requests = Table("pending_requests", entries_max)
        self.guardian_completions = Table("guardian_completions", entries_max)
        self.item_starts = Table("item_starts", entries_max)
        self.item_summaries = Table("item_summaries", entries_max)
        self.outputs = []

    def ingest(self, fact):
        """ORDER-1: the outputs of one fact, in rule order."""
        self.outputs = []
        if any(fact.get(key) is not None and fact[key] < 0 for key in ("started_at_ms", "completed_at_ms")):
            if fact["type"] == "item_completed" and self.profile.upstream("TIME-2"):
                # UP-TIME-2: the rejected completion first consumes the item's start (not the
                # summary).
                self.item_starts.pop(item_key(fact))
            self.emit(diagnostic("negative_timestamp", **identity(fact)))  # TIME-2
            return self.outputs
        kind = fact["type"]
        if kind in REQUEST_KINDS:
            self.open_request(fact)
        elif kind in CLOSING_FACTS:
            self.close_request(fact)
        else:
            getattr(self, kind)(fact)
        return self.outputs

    def emit(self, output):
        self.outputs.append(output)

    def put(self, table, key, value, evicted_fields):
        """CAP-1: inserts or updates; an eviction is reported before anything else of the fact."""
        evicted = table.put(key, value)
        if evicted is not None:
            self.emit(diagnostic("evicted", table=table.name, **evicted_fields(*evicted)))

    # CTX-1, CTX-2

    def initialize(self, fact):
        client = fact.get("app_server_client") or {}
        runtime = fact.get("runtime") or {}
        meta = (
            {key: client.get(key) for key in CLIENT_FIELDS},
            {key: runtime.get(key) for key in RUNTIME_FIELDS},
        )
        self.put(self.connections, fact["connection_id"], meta, lambda k, _: {"connection_id": k})

    def thread_bound(self, fact):
        if self.profile.upstream("CTX-2") and self.connections.get(fact["connection_id"]) is None:
            # UP-CTX-2: a binding from a connection without metadata changes nothing.
            self.emit(diagnostic("uninitialized_connection", **identity(fact)))
            return
        earlier = self.threads.get(fact["thread_id"])
        originator = fact.get("originator")
        if originator is None and earlier is not None:
            originator = earlier["originator"]  # CTX-4: a binding without one keeps the thread's
        context = {
            "connection_id": fact["connection_id"],
            "thread_source": fact.get("thread_source"),
            "subagent_source": fact.get("subagent_source"),
            "parent_thread_id": fact.get("parent_thread_id"),
            "originator": originator,
        }
        self.put(self.threads, fact["thread_id"], context, lambda k, _: {"thread_id": k})

    def subagent_thread_started(self, fact):
        """CTX-5: the parent's connection, as it is now, where the thread has none; metadata and
        originator only where it has none."""
        parent_id = fact.get("parent_thread_id")
        parent = self.threads.get(parent_id) if parent_id is not None else None
        lent = parent["connection_id"] if parent is not None else None
        known = self.threads.get(fact["thread_id"])
        if known is not None:
            if known["connection_id"] is None:
                known["connection_id"] = lent
            if known["originator"] is None:
                known["originator"] = fact.get("originator")
            return
        context = {
            "connection_id": lent,
            "thread_source": "subagent",
            "subagent_source": fact["subagent_source"],
            "parent_thread_id": parent_id,
            "originator": fact.get("originator"),
        }
        self.put(self.threads, fact["thread_id"], context, lambda k, _: {"thread_id": k})

    def context(self, thread_id, dropped):
        """CTX-3: the thread's context, or None after emitting the diagnostic that replaces the
        event."""
        thread = self.threads.get(thread_id)
        if thread is None or thread["connection_id"] is None:
            # Unknown, or a sub-agent thread whose parent lent it no connection (CTX-5).
            self.emit(diagnostic("missing_thread", **dropped))
            return None
        connection = self.connections.get(thread["connection_id"])
        if connection is None:
            self.emit(diagnostic("missing_connection", connection_id=thread["connection_id"], **dropped))
            return None
        client, runtime = connection
        client = dict(client)
        if thread["originator"] is not None:
            client["product_client_id"] = thread["originator"]  # CTX-4
        return {
            "app_server_client": client,
            "runtime": dict(runtime),
            "thread_source": thread["thread_source"],
            "subagent_source": thread["subagent_source"],
            "parent_thread_id": thread["parent_thread_id"],
        }

    # LIFE: user reviews

    def open_request(self, fact):
        """LIFE-1..3: open a pending review, absorb an identical copy, refuse a conflict."""
        kind = REQUEST_KINDS[fact["type"]]
        if kind == "command_execution":
            derived = command_subject(fact)
        elif kind == "file_change":
            derived = file_change_subject(fact)
        else:
            derived = permissions_subject(fact["permissions"])
        review = {
            "request_kind": kind,
            "thread_id": fact["thread_id"],
            "turn_id": fact["turn_id"],
            "item_id": fact["item_id"],
            "subject": derived,
            "started_at_ms": fact["started_at_ms"],
        }
        request_id = fact["request_id"]
        pending = self.pending_requests.get(request_id)
        if pending is not None:
            if pending == review:
                self.emit(diagnostic("duplicate_request", **identity(fact)))  # LIFE-2
                return
            self.emit(diagnostic("conflicting_request", **identity(fact)))  # LIFE-3
            if not self.profile.upstream("LIFE-3"):
                return
            # UP-LIFE-3: the conflicting request replaces the pending one, as a new entry.
            self.pending_requests.pop(request_id)
        self.put(
            self.pending_requests,
            request_id,
            review,
            lambda k, v: {
                "request_id": k,
                "thread_id": v["thread_id"],
                "turn_id": v["turn_id"],
                "item_id": v["item_id"],
            },
        )

    def close_request(self, fact):
        """LIFE-4, LIFE-5, DEC-1..4, GRANT-1..3, TIME-3: the first closing fact completes the
        review."""
        kind = fact["type"]
        request_id = fact["request_id"]
        pending = self.pending_requests.get(request_id)
        permissions_pending = pending is not None and pending["request_kind"] == "permissions"
        if (
            kind == "malformed_response"
            and not permissions_pending
            and self.profile.upstream("DEC-4")
        ):
            # UP-DEC-4: nothing is recorded for a command or file-change request; the review (if
            # any) stays pending. A permissions review closes as DEC-4 says (upstream's handler
            # records an empty grant).
            self.emit(diagnostic("malformed_response", **identity(fact)))
            return
        if pending is None:
            self.emit(diagnostic("orphan_response", **identity(fact)))
            return
        expected_kind = RESPONSE_KINDS.get(kind)
        if (
            expected_kind is not None
            and expected_kind != pending["request_kind"]
            and not self.profile.upstream("LIFE-5")  # UP-LIFE-5: any response closes any review
        ):
            self.emit(diagnostic("mismatched_response", **identity(fact)))
            return
        self.pending_requests.pop(request_id)
        if kind == "request_aborted":
            status, resolution = "aborted", "none"  # DEC-3
        elif kind == "malformed_response":
            status, resolution = "denied", "none"  # DEC-4
        elif kind == "command_execution_response":
            status, resolution = command_decision(fact["decision"])
        elif kind == "file_change_response":
            status, resolution = file_change_decision(fact["decision"])
        else:
            status, resolution = self.grant_decision(fact["permissions"], fact["scope"])
        self.complete_review(
            thread_id=pending["thread_id"],
            turn_id=pending["turn_id"],
            item_id=pending["item_id"],
            review_id="user:%d" % request_id,  # ID-1
            derived=pending["subject"],
            reviewer="user",
            status=status,
            resolution=resolution,
            started_at_ms=pending["started_at_ms"],
            completed_at_ms=fact["completed_at_ms"],
        )
        if kind == "malformed_response":
            self.emit(diagnostic("malformed_response", **identity(fact)))

    def grant_decision(self, permissions, scope):
        """GRANT-1..3: an empty effective grant is a denial whatever its scope; a non-empty one
        an approval, resolution by scope."""
        if is_empty_profile(permissions):
            return "denied", "none"
        return "approved", ("session_approval" if scope == "session" else "none")

    # GUARD, DEDUP: guardian reviews

    def guardian_review_completed(self, fact):
        """GUARD-4, DEDUP-1, DEDUP-2, then GUARD-1..5."""
        if fact["status"] == "in_progress":
            self.emit(diagnostic("guardian_in_progress", **identity(fact)))
            return
        if not self.profile.upstream("DEDUP-1"):  # UP-DEDUP-1: nothing is remembered
            key = (fact["thread_id"], fact["review_id"])
            if self.guardian_completions.get(key) is not None:
                self.emit(diagnostic("duplicate_guardian_completion", **identity(fact)))
                return
            self.put(
                self.guardian_completions,
                key,
                fact["turn_id"],
                lambda k, turn: {"thread_id": k[0], "turn_id": turn, "review_id": k[1]},
            )
        self.complete_review(
            thread_id=fact["thread_id"],
            turn_id=fact["turn_id"],
            item_id=fact.get("target_item_id"),
            review_id=fact["review_id"],  # ID-2
            derived=guardian_subject(fact["action"]),
            reviewer="guardian",
            status=fact["status"],  # GUARD-3
            resolution="none",
            started_at_ms=fact["started_at_ms"],  # GUARD-5
            completed_at_ms=fact["completed_at_ms"],
        )

    # SUM, CTX-3: completing a review

    def complete_review(self, thread_id, turn_id, item_id, review_id, derived, reviewer, status,
                        resolution, started_at_ms, completed_at_ms):
        """SUM-1..5, then the review event (CTX-3)."""
        if derived["kind"] in ITEM_SUBJECT_KINDS and item_id is not None:
            key = (thread_id, turn_id, item_id)
            summary = dict(self.item_summaries.get(key) or empty_summary())
            summary["review_count"] += 1
            summary["%s_review_count" % reviewer] += 1
            summary["final_approval_outcome"] = outcome(reviewer, status, resolution)
            for flag in ("requested_additional_permissions", "requested_network_access"):
                summary[flag] = summary[flag] or derived[flag]
            self.put(self.item_summaries, key, summary, item_fields)
        dropped = {
            "thread_id": thread_id,
            "turn_id": turn_id,
            "item_id": item_id,
            "review_id": review_id,
            "dropped_event": "codex_review_event",
        }
        context = self.context(thread_id, dropped)
        if context is None:
            return
        params = {
            "thread_id": thread_id,
            "turn_id": turn_id,
            "item_id": item_id,
            "review_id": review_id,
            **context,
            "subject_kind": derived["kind"],
            "subject_name": derived["name"],
            "reviewer": reviewer,
            "trigger": derived["trigger"],
            "status": status,
            "resolution": resolution,
            "started_at_ms": started_at_ms,
            "completed_at_ms": completed_at_ms,
            "duration_ms": duration_ms(started_at_ms, completed_at_ms),
        }
        self.emit({"event_type": "codex_review_event", "event_params": params})

    # ITEM: tool items

    def item_started(self, fact):
        """ITEM-1, ITEM-6."""
        key = item_key(fact)
        if self.item_starts.get(key) is not None:
            self.emit(diagnostic("duplicate_item_start", **identity(fact)))
            if not self.profile.upstream("ITEM-6"):
                return
            # UP-ITEM-6: the last start wins, recorded as the newest entry.
            self.item_starts.pop(key)
        self.put(self.item_starts, key, fact["started_at_ms"], item_fields)

    def item_completed(self, fact):
        """ITEM-2..5, SUM-6."""
        status = fact["status"]
        if (
            fact["kind"] == "image_generation"
            and status in ("in_progress", "declined")
            and self.profile.upstream("ITEM-4")
        ):
            status = "completed"  # UP-ITEM-4: all but a failed image generation completed
        in_progress = status == "in_progress"
        if in_progress and not self.profile.upstream("ITEM-5"):
            self.emit(diagnostic("item_not_terminal", **identity(fact)))  # ITEM-5
            return
        # UP-ITEM-5: an in-progress completion goes through the terminal steps up to the event.
        key = item_key(fact)
        started_at_ms = self.item_starts.pop(key)
        if started_at_ms is None:
            self.emit(diagnostic("item_not_started", **identity(fact)))  # ITEM-3
            return
        if in_progress:
            self.consume_summary(key, fact["thread_id"])
            self.emit(diagnostic("item_not_terminal", **identity(fact)))
            return
        event_type = "codex_%s_event" % fact["kind"]
        if self.profile.upstream("SUM-6"):
            # UP-SUM-6: the summary is consumed only when the context resolves.
            summary = self.summary_if_context(key, fact["thread_id"])
        else:
            summary = self.item_summaries.pop(key)
        summary = summary or empty_summary()
        dropped = dict(item_fields(key, None), dropped_event=event_type)
        context = self.context(fact["thread_id"], dropped)
        if context is None:
            return
        terminal_status, failure_kind = {
            "completed": ("completed", None),
            "failed": ("failed", "tool_error"),
            "declined": ("rejected", "approval_denied"),
        }[status]
        completed_at_ms = fact["completed_at_ms"]
        params = {
            "thread_id": fact["thread_id"],
            "turn_id": fact["turn_id"],
            "item_id": fact["item_id"],
            **context,
            "terminal_status": terminal_status,
            "failure_kind": failure_kind,
            "started_at_ms": started_at_ms,
            "completed_at_ms": completed_at_ms,
            "duration_ms": duration_ms(started_at_ms, completed_at_ms),
            **summary,
        }
        self.emit({"event_type": event_type, "event_params": params})

    def has_context(self, thread_id):
        """CTX-3 without the diagnostic: whether the thread's context resolves."""
        thread = self.threads.get(thread_id)
        return (
            thread is not None
            and thread["connection_id"] is not None
            and self.connections.get(thread["connection_id"]) is not None
        )

    def summary_if_context(self, key, thread_id):
        """UP-SUM-6: removes and returns the item's summary only when the thread's context
        resolves; otherwise the summary stays (and None is returned)."""
        if self.has_context(thread_id):
            return self.item_summaries.pop(key)
        return None

    def consume_summary(self, key, thread_id):
        """SUM-6 for an in-progress completion under UP-ITEM-5: the summary goes, unless the
        profile also follows upstream on SUM-6 and the context is missing."""
        if self.profile.upstream("SUM-6"):
            self.summary_if_context(key, thread_id)
        else:
            self.item_summaries.pop(key)

    # TURN-1

    def turn_completed(self, fact):
        """TURN-1: release the turn's pending requests, item starts, summaries, and (silently,
        DEDUP-2) its seen guardian completions."""
        if self.profile.upstream("TURN-1"):
            return  # UP-TURN-1: a turn's end releases nothing, and says nothing
        thread_id, turn_id = fact["thread_id"], fact["turn_id"]
        for request_id, pending in self.pending_requests.release(
            lambda _, v: (v["thread_id"], v["turn_id"]) != (thread_id, turn_id)
        ):
            self.emit(
                diagnostic(
                    "unanswered_request",
                    request_id=request_id,
                    thread_id=thread_id,
                    turn_id=turn_id,
                    item_id=pending["item_id"],
                )
            )
        in_other_turn = lambda k, _: k[:2] != (thread_id, turn_id)  # noqa: E731
        for key, value in self.item_starts.release(in_other_turn):
            self.emit(diagnostic("item_never_completed", **item_fields(key, value)))
        for key, value in self.item_summaries.release(in_other_turn):
            self.emit(diagnostic("unconsumed_summary", **item_fields(key, value)))
        self.guardian_completions.release(lambda k, turn: (k[0], turn) != (thread_id, turn_id))


def item_key(fact):
    """ISO-1: an item's key."""
    return (fact["thread_id"], fact["turn_id"], fact["item_id"])


def item_fields(key, _value):
    """ISO-1: the fields of an item key."""
    return {"thread_id": key[0], "turn_id": key[1], "item_id": key[2]}


def write_line(stdout, value):
    stdout.write(json.dumps(value, separators=(",", ":")))
    stdout.write("\n")


class Lines:
    """The lines of a file descriptor, read in large chunks as they come. `before_waiting` is
    called before each read that may wait: the tool writes facts ahead of the answers it has read
    (spec/protocol.md, "Pipelining"), so answers may stay buffered while more facts are there to
    read, but never while the subject waits for input."""

    def __init__(self, fd, before_waiting=lambda: None):
        self.fd = fd
        self.before_waiting = before_waiting
        self.lines = deque()
        self.partial = b""
        self.ended = False

    def __iter__(self):
        return self

    def __next__(self):
        while not self.lines:
            if self.ended:
                raise StopIteration
            self.before_waiting()
            chunk = os.read(self.fd, 1 << 16)  # what is there, waiting only when nothing is
            if not chunk:
                self.ended = True
                if self.partial:
                    self.lines.append(self.partial)
                    self.partial = b""
                continue
            parts = (self.partial + chunk).split(b"\n")
            self.partial = parts.pop()
            self.lines.extend(parts)
        return self.lines.popleft()


def serve(reducer_class=Reducer, stdin=None, stdout=None, argv=None):
    """The process protocol (spec/protocol.md): acknowledge the header, then answer each fact
    with its outputs and the delimiter {"done": <fact index>}; a reset line starts a new trace
    with new limits and a new profile. `argv` (default: the command line) may hold
    `--events-only`: declare and write events only, no diagnostics."""
    # Buffered whatever PYTHONUNBUFFERED says: answers are flushed when they must be, below.
    stdout = stdout or open(sys.stdout.fileno(), "w", buffering=1 << 16, encoding="utf-8", newline="\n", closefd=False)
    # Any iterable of lines serves; from stdin, answers are also flushed before a read that may
    # wait, else after each answer.
    stdin = stdin or Lines(sys.stdin.fileno(), before_waiting=stdout.flush)
    flush_every = FLUSH_EVERY if isinstance(stdin, Lines) else 1
    argv = sys.argv[1:] if argv is None else argv
    events_only = False
    for argument in argv:
        if argument == "--events-only":
            events_only = True
        else:
            sys.stderr.write("unknown argument %r (the only option is --events-only)\n" % argument)
            return 2
    header = None
    for raw in stdin:
        if raw.strip():
            header = json.loads(raw)
            break
    if header is None:
        return 0
    version = header.get("review_spec_protocol")
    if not isinstance(version, int) or version < 2:
        sys.stderr.write("unsupported protocol version %r, this subject speaks 2 to %d\n" % (version, PROTOCOL_VERSION))
        return 2
    # A newer tool is answered with this subject's version; an older one (2), with its own.
    version = min(version, PROTOCOL_VERSION)

    def new_reducer(message):
        try:
            return reducer_class(message.get("limits"), Profile(message.get("profile")))
        except ProfileError as error:
            sys.stderr.write("cannot follow the profile %s: %s\n" % (json.dumps(message.get("profile")), error))
            sys.exit(2)

    reducer = new_reducer(header)
    acknowledgement = {"review_spec_protocol": version}
    if events_only:
        acknowledgement["emits"] = EVENT_KINDS
    write_line(stdout, acknowledgement)
    stdout.flush()
    fact_index = 0
    unflushed = 0
    for raw in stdin:
        if not raw.strip():
            continue
        message = json.loads(raw)
        if "reset" in message:
            reducer = new_reducer(message["reset"])
            fact_index = 0
            continue
        for output in reducer.ingest(message):
            if events_only and output["event_type"] == DIAGNOSTIC_EVENT_TYPE:
                continue
            write_line(stdout, output)
        write_line(stdout, {"done": fact_index})
        unflushed += 1
        if unflushed == flush_every:
            # Every few answers, so that the tool compares while this subject reduces the facts
            # it wrote ahead (and before any wait for input, in `Lines`).
            stdout.flush()
            unflushed = 0
        fact_index += 1
    stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(serve())
