"""The ledger: append-only in code and in PostgreSQL, tampering named by verify_ledger,
and the case rows rebuilt exactly from the events."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from yiwang.cases import services
from yiwang.cases.ledger import GENESIS
from yiwang.cases.models import Case, CaseEvent, Channel, LedgerViolation
from yiwang.cases.services import PROJECTED_FIELDS
from yiwang.cases.tests.conftest import APPLICANT_ID, at


@pytest.fixture
def cases(food_licence, window_user, handler_user, reviewer_user, approver_user) -> list[Case]:
    made = []
    for n, day in enumerate(["2025-06-02", "2025-06-03", "2025-06-04"]):
        case = services.case_file(
            version=food_licence,
            channel=Channel.WINDOW,
            applicant_kind="individual",
            applicant_name=f"申请人{n}",
            applicant_id_number=APPLICANT_ID,
            user=window_user,
            at=at(day),
        )
        services.case_accept(case=case, user=window_user, at=at(day, "10:00"))
        services.case_pass_step(case=case, user=handler_user, opinion="同意", at=at(day, "11:00"))
        services.case_pass_step(case=case, user=reviewer_user, opinion="同意", at=at(day, "14:00"))
        made.append(case)
    return made


def _tamper(sql: str, params: list[object]) -> None:
    """Change the ledger behind the application's back, as an intruder with database
    access would (on PostgreSQL, as a superuser who switches triggers off for the session)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def _verify(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        call_command("verify_ledger")
    return int(exited.value.code or 0), capsys.readouterr().err


@pytest.mark.django_db
def test_an_intact_ledger_verifies(cases: list[Case], capsys: pytest.CaptureFixture[str]) -> None:
    call_command("verify_ledger")
    assert "ledger verified: 3 cases" in capsys.readouterr().out


@pytest.mark.django_db
def test_events_cannot_be_changed_or_deleted_through_the_application(cases: list[Case]) -> None:
    event = CaseEvent.objects.filter(case=cases[0]).first()
    event.payload = {"note": "改过"}
    with pytest.raises(LedgerViolation):
        event.save()
    with pytest.raises(LedgerViolation):
        event.delete()
    with pytest.raises(LedgerViolation):
        CaseEvent.objects.filter(case=cases[0]).update(payload={})
    with pytest.raises(LedgerViolation):
        CaseEvent.objects.filter(case=cases[0]).delete()
    assert CaseEvent.objects.filter(case=cases[0]).count() == 4


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_postgresql_refuses_update_and_delete_on_the_ledger(cases: list[Case]) -> None:
    for statement in (
        "UPDATE cases_caseevent SET payload = '{}' WHERE case_id = %s",
        "DELETE FROM cases_caseevent WHERE case_id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [cases[0].pk])
    assert CaseEvent.objects.filter(case=cases[0]).count() == 4


@pytest.mark.django_db
def test_an_altered_payload_is_named(cases: list[Case], capsys: pytest.CaptureFixture[str]) -> None:
    target = CaseEvent.objects.get(case=cases[1], seq=3)
    _tamper(
        "UPDATE cases_caseevent SET payload = %s WHERE id = %s",
        [json.dumps({"step": 0, "opinion": "不同意"}), target.pk],
    )
    code, err = _verify(capsys)
    assert code == 1
    assert f"TAMPERED {cases[1].number} event 3: content altered" in err
    assert cases[0].number not in err and cases[2].number not in err


@pytest.mark.django_db
def test_a_deleted_event_is_named(cases: list[Case], capsys: pytest.CaptureFixture[str]) -> None:
    _tamper("DELETE FROM cases_caseevent WHERE case_id = %s AND seq = 2", [cases[2].pk])
    code, err = _verify(capsys)
    assert code == 1
    assert f"TAMPERED {cases[2].number} event 3: sequence missing or reordered" in err


@pytest.mark.django_db
def test_an_event_removed_from_the_end_is_named(
    cases: list[Case], capsys: pytest.CaptureFixture[str]
) -> None:
    _tamper("DELETE FROM cases_caseevent WHERE case_id = %s AND seq = 4", [cases[0].pk])
    code, err = _verify(capsys)
    assert code == 1
    assert f"TAMPERED {cases[0].number} case: the chain ends at event 3" in err


@pytest.mark.django_db
def test_an_inserted_event_is_named(cases: list[Case], capsys: pytest.CaptureFixture[str]) -> None:
    # an intruder shifts the later events up and slips a forged one in at seq 2
    case = cases[0]
    _tamper("UPDATE cases_caseevent SET seq = seq + 100 WHERE case_id = %s AND seq >= 2", [case.pk])
    first = CaseEvent.objects.get(case=case, seq=1)
    _tamper(
        "INSERT INTO cases_caseevent (case_id, seq, type, actor_name, role, occurred_at, recorded_at, payload,"
        " prev_hash, hash) VALUES (%s, 2, 'refuse', '', '', %s, %s, %s, %s, %s)",
        [case.pk, first.occurred_at, first.recorded_at, json.dumps({"reason": "伪造"}), first.hash, "f" * 64],
    )
    code, err = _verify(capsys)
    assert code == 1
    assert f"TAMPERED {case.number} event 2: content altered" in err
    assert f"TAMPERED {case.number} event 102" in err


@pytest.mark.django_db
def test_reordered_events_are_named(cases: list[Case], capsys: pytest.CaptureFixture[str]) -> None:
    case = cases[1]
    _tamper("UPDATE cases_caseevent SET seq = 100 WHERE case_id = %s AND seq = 2", [case.pk])
    _tamper("UPDATE cases_caseevent SET seq = 2 WHERE case_id = %s AND seq = 3", [case.pk])
    _tamper("UPDATE cases_caseevent SET seq = 3 WHERE case_id = %s AND seq = 100", [case.pk])
    code, err = _verify(capsys)
    assert code == 1
    assert f"TAMPERED {case.number} event 2" in err


@pytest.mark.django_db
def test_first_event_chains_to_genesis(cases: list[Case]) -> None:
    assert CaseEvent.objects.get(case=cases[0], seq=1).prev_hash == GENESIS


def _projection(case: Case) -> dict[str, object]:
    case.refresh_from_db()
    return {name: getattr(case, name) for name in [*PROJECTED_FIELDS, "last_seq", "last_hash"]}


@pytest.fixture
def snapshot(cases: list[Case]) -> Iterator[dict[int, dict[str, object]]]:
    yield {case.pk: _projection(case) for case in cases}


@pytest.mark.django_db
def test_rebuild_reproduces_every_case_row_exactly(
    cases: list[Case], snapshot: dict[int, dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given case rows damaged behind the services' back
    Case.objects.filter(pk=cases[0].pk).update(state="decided", due_date=None, step_index=None)
    Case.objects.filter(pk=cases[1].pk).update(extension_days=7, clock_stopped=True)
    # When the projection is rebuilt from the events
    call_command("rebuild_cases")
    # Then each row is exactly what the events say, and an intact row is untouched
    assert "rebuilt 3 cases; 2 differed" in capsys.readouterr().out
    for case in cases:
        assert _projection(case) == snapshot[case.pk]
