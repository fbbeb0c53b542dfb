"""The hash chain of case events.

Each event's hash is SHA-256 over a canonical JSON encoding of its content and the
previous event's hash (the first event chains to 64 zeros). Changing a payload, removing,
reordering or inserting an event breaks the chain, and ``verify_case`` names how.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from yiwang.cases.models import Case, CaseEvent

GENESIS = "0" * 64


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical(
    *,
    case_number: str,
    seq: int,
    type: str,
    actor_id: int | None,
    actor_name: str,
    role: str,
    department_id: int | None,
    occurred_at: dt.datetime,
    recorded_at: dt.datetime,
    payload: Mapping[str, Any],
    prev_hash: str,
) -> bytes:
    document = {
        "case": case_number,
        "seq": seq,
        "type": type,
        "actor": actor_id,
        "actor_name": actor_name,
        "role": role,
        "department": department_id,
        "occurred_at": _utc(occurred_at),
        "recorded_at": _utc(recorded_at),
        "payload": payload,
        "prev": prev_hash,
    }
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def event_hash(event: CaseEvent, case_number: str) -> str:
    return hashlib.sha256(
        canonical(
            case_number=case_number,
            seq=event.seq,
            type=event.type,
            actor_id=event.actor_id,
            actor_name=event.actor_name,
            role=event.role,
            department_id=event.department_id,
            occurred_at=event.occurred_at,
            recorded_at=event.recorded_at,
            payload=event.payload,
            prev_hash=event.prev_hash,
        )
    ).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    case_number: str
    seq: int | None
    problem: str

    def __str__(self) -> str:
        where = f"event {self.seq}" if self.seq is not None else "case"
        return f"{self.case_number} {where}: {self.problem}"


def verify_events(case: Case, events: Iterable[CaseEvent]) -> list[ChainProblem]:
    """Check one case's chain; events must be given in the order of their ``seq``."""
    problems: list[ChainProblem] = []
    expected_prev = GENESIS
    expected_seq = 1
    last_seq = 0
    last_hash = ""
    for event in events:
        if event.seq != expected_seq:
            kind = "missing or reordered" if event.seq > expected_seq else "duplicated or reordered"
            problems.append(ChainProblem(case.number, event.seq, f"sequence {kind}: expected {expected_seq}"))
        if event.prev_hash != expected_prev:
            problems.append(
                ChainProblem(
                    case.number, event.seq, "does not chain to the previous event (removed or inserted)"
                )
            )
        if event_hash(event, case.number) != event.hash:
            problems.append(ChainProblem(case.number, event.seq, "content altered: hash does not match"))
        expected_prev = event.hash
        expected_seq = event.seq + 1
        last_seq = event.seq
        last_hash = event.hash
    if last_seq == 0:
        problems.append(ChainProblem(case.number, None, "has no events"))
    elif case.last_seq != last_seq or case.last_hash != last_hash:
        problems.append(
            ChainProblem(
                case.number,
                None,
                f"the chain ends at event {last_seq} but the case recorded event {case.last_seq}"
                " (events removed from the end, or the case row altered)",
            )
        )
    return problems
