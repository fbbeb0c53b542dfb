"""The citizen's booking pages and the staff's appointment pages: choices, refusals on the
page with nothing changed, scope (404 / 403), and fixed query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import NoReverseMatch, reverse

from yiwang.core.identifiers import build_resident_id
from yiwang.hall import services
from yiwang.hall.models import Appointment, AppointmentStatus, Slot, SlotRule
from yiwang.hall.tests.conftest import NOW, at, slot_at
from yiwang.org.factories import center, window
from yiwang.portal.factories import citizen_account

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def signed_in(client: Client, user: Any) -> Client:
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def citizen_client(client: Client, citizen: Any) -> Client:
    return signed_in(client, citizen.user)


def book_url(version: Any, **query: str) -> str:
    url = reverse("hall:book", args=[version.item.code])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def state() -> tuple[Any, ...]:
    return (
        sorted(Appointment.objects.values_list("pk", "status", "slot_id", "cancel_reason")),
        sorted(Slot.objects.values_list("pk", "booked")),
    )


# --------------------------------------------------------------------------- citizen


def test_anonymous_visitors_are_sent_to_sign_in(client, general_rule, bookable_item) -> None:
    try:
        login = reverse("portal:login")
    except NoReverseMatch:
        pytest.skip("portal:login is not mounted yet (the accounts part)")
    response = client.get(book_url(bookable_item))
    assert response.status_code == 302 and response["Location"].startswith(login)


def test_staff_without_an_account_cannot_book(client, general_rule, bookable_item, window_op) -> None:
    response = signed_in(client, window_op).get(book_url(bookable_item))
    assert response.status_code == 403
    assert "citizen or enterprise account" in response.content.decode()


def test_unknown_item_and_item_without_appointments(citizen_client, general_rule, plain_item) -> None:
    assert citizen_client.get(reverse("hall:book", args=["NO-SUCH-ITEM"])).status_code == 404
    response = citizen_client.get(book_url(plain_item))
    assert response.status_code == 404
    assert "does not take appointments online" in response.content.decode()


def test_single_center_lists_working_days_only(citizen_client, general_rule, bookable_item) -> None:
    response = citizen_client.get(book_url(bookable_item))
    assert response.status_code == 200
    days = [d.date for d in response.context["days"]]
    assert dt.date(2026, 2, 14) in days  # the make-up Saturday
    assert not any(dt.date(2026, 2, 15) <= d <= dt.date(2026, 2, 23) for d in days)
    assert days[-1] == dt.date(2026, 3, 4)
    html = response.content.decode()
    assert "邯山区政务服务中心" in html
    assert "make-up working day" in html
    assert 'href="?center=' in html


def test_day_lists_slots_with_places_left(citizen_client, general_rule, bookable_item, wangwu) -> None:
    citizen_client.get(book_url(bookable_item))
    services.book(
        account=wangwu, item=bookable_item.item, slot=slot_at(general_rule.center, "2026-02-13"), at=NOW
    )
    response = citizen_client.get(
        book_url(bookable_item, center=str(general_rule.center.pk), day="2026-02-13")
    )
    slots = response.context["slots"]
    assert [f"{s.start:%H:%M}" for s in slots][:2] == ["09:00", "09:30"]
    assert slots[0].remaining == 2
    html = response.content.decode()
    assert "2 places left" in html
    assert 'type="radio" name="slot"' in html
    # Today: the slots already begun are not offered.
    today = citizen_client.get(book_url(bookable_item, center=str(general_rule.center.pk), day="2026-02-12"))
    assert next(f"{s.start:%H:%M}" for s in today.context["slots"]) == "10:30"


def test_holiday_or_unknown_day_is_not_offered(citizen_client, general_rule, bookable_item) -> None:
    response = citizen_client.get(
        book_url(bookable_item, center=str(general_rule.center.pk), day="2026-02-17")
    )
    assert response.context["day"] is None and response.context["slots"] == []
    assert citizen_client.get(book_url(bookable_item, day="not-a-date")).status_code == 200


def test_unknown_year_message(client, citizen, general_rule, bookable_item) -> None:
    with time_machine.travel(at("2026-12-24"), tick=False):
        response = signed_in(client, citizen.user).get(book_url(bookable_item))
    assert response.context["unknown_years"] == [2027]
    assert all(d.date.year == 2026 for d in response.context["days"])
    assert "holiday schedule" in response.content.decode()


def test_several_centers_to_choose_from(
    citizen_client, general_rule, bookable_item, county, market_dept
) -> None:
    second = center(county, "邯山区市民之家", "邯山区陵西大街8号")
    window(second, "01", "综合窗口", [market_dept])
    SlotRule.objects.create(center=second, time_ranges="09:00-12:00", slot_minutes=60, capacity=2)
    response = citizen_client.get(book_url(bookable_item))
    assert response.context["center"] is None
    assert len(response.context["centers"]) == 2
    chosen = citizen_client.get(book_url(bookable_item, center=str(second.pk)))
    assert chosen.context["center"] == second
    assert chosen.context["days"][0].remaining == 2  # only 11:00-12:00 (two places) is left today
    bad = citizen_client.get(book_url(bookable_item, center="999999"))
    assert bad.context["bad_center"] and bad.context["center"] is None


def test_book_and_see_the_appointment(citizen_client, citizen, general_rule, bookable_item) -> None:
    citizen_client.get(book_url(bookable_item))
    slot = slot_at(general_rule.center, "2026-02-14", "14:00")
    response = citizen_client.post(book_url(bookable_item), {"slot": slot.pk, "note": "带齐材料"})
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("hall:appointment", args=[appointment.code])
    assert appointment.account == citizen and appointment.note == "带齐材料"
    page = citizen_client.get(response["Location"])
    html = page.content.decode()
    assert appointment.code in html
    assert "<svg" in html and "appointment-qr" in html
    assert "Your appointment is booked" in html
    assert "2026-02-14" in html
    mine = citizen_client.get(reverse("hall:mine"))
    assert appointment.code in mine.content.decode()
    assert mine.context["coming"] == [appointment]


def test_double_booking_shown_on_the_page(citizen_client, citizen, general_rule, bookable_item) -> None:
    citizen_client.get(book_url(bookable_item))
    services.book(
        account=citizen, item=bookable_item.item, slot=slot_at(general_rule.center, "2026-02-13"), at=NOW
    )
    before = state()
    response = citizen_client.post(
        book_url(bookable_item), {"slot": slot_at(general_rule.center, "2026-02-13", "15:00").pk}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "You already have an appointment for this service on 2026-02-13" in html
    assert 'aria-describedby="slot-error"' in html
    assert state() == before


@pytest.mark.parametrize("value", ["", "abc", "0", "99999999"])
def test_bad_slot_values(citizen_client, general_rule, bookable_item, value) -> None:
    citizen_client.get(book_url(bookable_item))
    before = state()
    response = citizen_client.post(book_url(bookable_item), {"slot": value})
    assert response.status_code == 422
    assert "time" in response.content.decode().lower()
    assert state() == before


def test_booking_another_regions_slot_by_id(
    citizen_client, general_rule, other_center, bookable_item
) -> None:
    services.open_bookable_slots(center=other_center, at=NOW)
    services.open_bookable_slots(center=general_rule.center, at=NOW)
    before = state()
    response = citizen_client.post(book_url(bookable_item), {"slot": slot_at(other_center, "2026-02-13").pk})
    assert response.status_code == 422
    assert "does not take appointments for this service" in response.content.decode()
    assert state() == before


def test_other_citizens_appointment_is_not_found(
    client, citizen, wangwu, general_rule, bookable_item
) -> None:
    services.open_bookable_slots(center=general_rule.center, at=NOW)
    theirs = services.book(
        account=wangwu, item=bookable_item.item, slot=slot_at(general_rule.center, "2026-02-13"), at=NOW
    )
    signed_in(client, citizen.user)
    assert client.get(reverse("hall:appointment", args=[theirs.code])).status_code == 404
    before = state()
    assert client.post(reverse("hall:cancel", args=[theirs.code])).status_code == 404
    assert state() == before


def test_cancel_own_appointment(citizen_client, citizen, general_rule, bookable_item) -> None:
    services.open_bookable_slots(center=general_rule.center, at=NOW)
    mine = services.book(
        account=citizen, item=bookable_item.item, slot=slot_at(general_rule.center, "2026-02-13"), at=NOW
    )
    page = citizen_client.get(reverse("hall:appointment", args=[mine.code]))
    assert 'id="cancel"' in page.content.decode()
    response = citizen_client.post(reverse("hall:cancel", args=[mine.code]), {"reason": "时间冲突"})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == AppointmentStatus.CANCELLED and mine.cancel_reason == "时间冲突"
    assert mine.slot.booked == 0
    again = citizen_client.post(reverse("hall:cancel", args=[mine.code]))
    assert again.status_code == 422
    assert "no longer possible" in again.content.decode()


def test_booking_page_query_count_is_fixed(
    citizen_client, general_rule, bookable_item, django_assert_max_num_queries
) -> None:
    url = book_url(bookable_item, center=str(general_rule.center.pk), day="2026-02-13")
    citizen_client.get(url)  # opens the slots
    with django_assert_max_num_queries(14) as first:
        citizen_client.get(url)
    for i in range(6):
        account = citizen_account(
            username=f"q{i}",
            name=f"市民{i}",
            id_number=build_resident_id("130402", dt.date(1990, 3, 1 + i), 31 + 2 * i),
            mobile=f"1370000{i:04d}",
        )
        services.book(
            account=account,
            item=bookable_item.item,
            slot=slot_at(
                general_rule.center, "2026-02-13", ["09:00", "09:30", "10:00", "10:30", "11:00", "14:00"][i]
            ),
            at=NOW,
        )
    with django_assert_max_num_queries(len(first.captured_queries)):
        citizen_client.get(url)


def test_my_appointments_query_count_is_fixed(
    citizen_client, citizen, general_rule, bookable_item, django_assert_max_num_queries
) -> None:
    services.open_bookable_slots(center=general_rule.center, at=NOW)
    services.book(
        account=citizen, item=bookable_item.item, slot=slot_at(general_rule.center, "2026-02-13"), at=NOW
    )
    with django_assert_max_num_queries(10) as first:
        citizen_client.get(reverse("hall:mine"))
    for day in ("2026-02-14", "2026-02-24", "2026-02-25", "2026-02-26"):
        services.book(
            account=citizen, item=bookable_item.item, slot=slot_at(general_rule.center, day), at=NOW
        )
    with django_assert_max_num_queries(len(first.captured_queries)):
        response = citizen_client.get(reverse("hall:mine"))
    assert len(response.context["coming"]) == 5


# --------------------------------------------------------------------------- staff


@pytest.fixture
def appointment(general_rule, bookable_item, citizen) -> Appointment:
    services.open_bookable_slots(center=general_rule.center, at=NOW)
    return services.book(
        account=citizen,
        item=bookable_item.item,
        slot=slot_at(general_rule.center, "2026-02-12", "14:00"),
        at=NOW,
    )


def test_staff_list_in_scope(
    client, appointment, window_op, dept_staff, other_window_op, other_dept_staff
) -> None:
    for user in (window_op, dept_staff):
        client.force_login(user)
        response = client.get(reverse("hall_staff:list"))
        assert response.status_code == 200
        assert list(response.context["page"].object_list) == [appointment]
        assert appointment.code in response.content.decode()
        assert "138****8000" in response.content.decode()  # the mobile, masked
        assert "13800138000" not in response.content.decode()
    for user in (other_window_op, other_dept_staff):
        client.force_login(user)
        assert list(client.get(reverse("hall_staff:list")).context["page"].object_list) == []
        assert client.get(reverse("hall_staff:detail", args=[appointment.code])).status_code == 404
        before = state()
        assert client.post(reverse("hall_staff:act", args=[appointment.code, "confirm"])).status_code == 404
        assert state() == before


def test_staff_list_forbidden_without_a_handling_role(client, appointment, supervisor_only, citizen) -> None:
    for user in (supervisor_only, citizen.user):
        client.force_login(user)
        assert client.get(reverse("hall_staff:list")).status_code == 403
        before = state()
        assert client.post(reverse("hall_staff:act", args=[appointment.code, "confirm"])).status_code == 403
        assert state() == before


def test_staff_list_filters(client, appointment, window_op, wangwu, bookable_item, general_rule) -> None:
    later = services.book(
        account=wangwu, item=bookable_item.item, slot=slot_at(general_rule.center, "2026-02-24"), at=NOW
    )
    signed_in(client, window_op)
    assert list(client.get(reverse("hall_staff:list")).context["page"].object_list) == [appointment]
    upcoming = client.get(reverse("hall_staff:list"), {"when": "upcoming"})
    assert list(upcoming.context["page"].object_list) == [later]
    by_code = client.get(reverse("hall_staff:list"), {"code": later.code.lower()})
    assert list(by_code.context["page"].object_list) == [later]
    confirmed = client.get(reverse("hall_staff:list"), {"when": "all", "status": "confirmed"})
    assert list(confirmed.context["page"].object_list) == []
    assert client.get(reverse("hall_staff:list"), {"status": "bogus"}).status_code == 400


def test_staff_actions(client, appointment, window_op) -> None:
    signed_in(client, window_op)
    detail = reverse("hall_staff:detail", args=[appointment.code])
    page = client.get(detail)
    assert (
        page.status_code == 200
        and 'action="' + reverse("hall_staff:act", args=[appointment.code, "confirm"])
        in page.content.decode()
    )
    response = client.post(reverse("hall_staff:act", args=[appointment.code, "confirm"]))
    assert response.status_code == 302 and response["Location"] == detail
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CONFIRMED
    before = state()
    no_reason = client.post(reverse("hall_staff:act", args=[appointment.code, "cancel"]), {"reason": ""})
    assert no_reason.status_code == 422
    assert "Tell the citizen why" in no_reason.content.decode()
    assert 'aria-describedby="reason-error"' in no_reason.content.decode()
    too_early = client.post(reverse("hall_staff:act", args=[appointment.code, "no-show"]))
    assert too_early.status_code == 422
    assert client.post(reverse("hall_staff:act", args=[appointment.code, "explode"])).status_code == 404
    assert state() == before
    assert client.post(reverse("hall_staff:act", args=[appointment.code, "check-in"])).status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.ATTENDED


def test_staff_cancel_with_reason(client, appointment, dept_staff) -> None:
    signed_in(client, dept_staff)
    response = client.post(
        reverse("hall_staff:act", args=[appointment.code, "cancel"]), {"reason": "系统维护"}
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED and appointment.cancel_reason == "系统维护"


def test_staff_list_query_count_is_fixed(
    client, appointment, window_op, general_rule, bookable_item, django_assert_max_num_queries
) -> None:
    signed_in(client, window_op)
    url = reverse("hall_staff:list") + "?when=all"
    with django_assert_max_num_queries(16) as first:
        client.get(url)
    for i in range(5):
        account = citizen_account(
            username=f"s{i}",
            name=f"市民{i}",
            id_number=build_resident_id("130402", dt.date(1989, 4, 1 + i), 41 + 2 * i),
            mobile=f"1350000{i:04d}",
        )
        services.book(
            account=account,
            item=bookable_item.item,
            slot=slot_at(general_rule.center, "2026-02-13", "16:00" if i < 3 else "16:30"),
            at=NOW,
        )
    with django_assert_max_num_queries(len(first.captured_queries)):
        response = client.get(url)
    assert response.context["page"].paginator.count == 6
