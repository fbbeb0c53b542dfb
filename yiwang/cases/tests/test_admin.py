"""The cases admin: read-only for everyone, scoped, ID numbers masked."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from yiwang.cases import services
from yiwang.cases.models import Case, CaseEvent, CaseFile, Channel
from yiwang.cases.services import Upload
from yiwang.cases.tests.conftest import APPLICANT_ID, _staff
from yiwang.org.factories import UserFactory
from yiwang.org.models import Role

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def file_case(version: Any, user: Any, *, uploads: Any = (), name: str = "张晓梅") -> Case:
    return services.case_file(
        version=version,
        channel=Channel.WINDOW,
        applicant_kind="individual",
        applicant_name=name,
        applicant_id_number=APPLICANT_ID,
        applicant_mobile="13831012345",
        uploads=list(uploads),
        user=user,
    )


def as_user(user: Any) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


@pytest.fixture
def neighbour_supervisor(other_county: Any) -> Any:
    from yiwang.org.factories import DepartmentFactory

    room = DepartmentFactory(name="丛台区电子监察室", region=other_county, is_supervision_room=True)
    return _staff("supervisor_ct", "丛监察", room, Role.SUPERVISOR, region=other_county)


@pytest.fixture
def case(food_licence: Any, materials: Any, window_user: Any) -> Case:
    case = file_case(
        food_licence, window_user, uploads=[Upload(SimpleUploadedFile("申请书.pdf", PDF), materials[0])]
    )
    services.case_accept(case=case, user=window_user)
    return Case.objects.get(pk=case.pk)


def test_a_supervisor_reads_the_cases_of_their_county_masked(case: Case, county_supervisor: Any) -> None:
    client = as_user(county_supervisor.user)
    listing = client.get("/admin/cases/case/")
    assert listing.status_code == 200
    assert case.number in listing.content.decode()
    page = client.get(f"/admin/cases/case/{case.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "130402********2310" in html and APPLICANT_ID not in html
    assert "138****2345" in html and "13831012345" not in html
    assert f'href="/work/cases/{case.number}/"' in html
    assert "accept" in html  # the events inline
    assert 'name="_save"' not in html  # nothing to save


def test_another_countys_supervisor_sees_nothing(case: Case, neighbour_supervisor: Any) -> None:
    client = as_user(neighbour_supervisor)
    assert case.number not in client.get("/admin/cases/case/").content.decode()
    assert client.get(f"/admin/cases/case/{case.pk}/change/").status_code == 404
    event = CaseEvent.objects.filter(case=case).first()
    stored = CaseFile.objects.get(case=case)
    assert client.get(f"/admin/cases/caseevent/{event.pk}/change/").status_code == 404
    assert client.get(f"/admin/cases/casefile/{stored.pk}/change/").status_code == 404
    assert case.number not in client.get("/admin/cases/caseevent/").content.decode()


def test_nobody_adds_changes_or_deletes_cases_events_or_files(case: Case, county_supervisor: Any) -> None:
    superuser = UserFactory(username="root", is_superuser=True)
    event = CaseEvent.objects.filter(case=case).first()
    stored = CaseFile.objects.get(case=case)
    before = (
        Case.objects.get(pk=case.pk).applicant_name,
        CaseEvent.objects.count(),
        CaseFile.objects.count(),
    )
    for user in (superuser, county_supervisor.user):
        client = as_user(user)
        for model, pk in (("case", case.pk), ("caseevent", event.pk), ("casefile", stored.pk)):
            assert client.get(f"/admin/cases/{model}/add/").status_code == 403
            assert client.post(f"/admin/cases/{model}/{pk}/delete/", {"post": "yes"}).status_code == 403
            assert client.get(f"/admin/cases/{model}/{pk}/change/").status_code == 200  # view only
        response = client.post(f"/admin/cases/case/{case.pk}/change/", {"applicant_name": "篡改"})
        assert response.status_code == 403
    after = (Case.objects.get(pk=case.pk).applicant_name, CaseEvent.objects.count(), CaseFile.objects.count())
    assert after == before


def test_case_workers_do_not_use_the_admin_for_cases(case: Case, handler_user: Any) -> None:
    client = as_user(handler_user)
    assert client.get("/admin/cases/case/").status_code == 403
    assert client.get("/admin/cases/caseevent/").status_code == 403


def test_files_download_through_the_workbench(case: Case, county_supervisor: Any) -> None:
    stored = CaseFile.objects.get(case=case)
    html = as_user(county_supervisor.user).get(f"/admin/cases/casefile/{stored.pk}/change/").content.decode()
    assert f'href="/work/cases/{case.number}/files/{stored.pk}/?download=1"' in html
    assert "/media/" not in html


def test_the_case_list_takes_constant_queries(
    food_licence: Any, window_user: Any, county_supervisor: Any
) -> None:
    def measure() -> int:
        client = as_user(get_user_model().objects.get(pk=county_supervisor.user.pk))
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/admin/cases/case/").status_code == 200
        return len(captured.captured_queries)

    for i in range(3):
        file_case(food_licence, window_user, name=f"甲{i}")
    small = measure()
    for i in range(27):
        file_case(food_licence, window_user, name=f"乙{i}")
    assert measure() == small
