"""The export_items and import_items commands: files, output, exit status."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from openpyxl import load_workbook

from yiwang.catalog.management.commands.import_items import Command as ImportCommand
from yiwang.catalog.models import ItemVersion
from yiwang.catalog.tests.test_excel import cell, snapshot
from yiwang.org.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_today() -> Any:
    with (
        translation.override("en"),
        time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False),
    ):
        yield


@pytest.fixture
def items(licence: ItemVersion, registration: ItemVersion, other_licence: ItemVersion) -> list[ItemVersion]:
    return [licence, registration, other_licence]


def command(name: str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_export_writes_a_workbook(items: list[ItemVersion], tmp_path: Path) -> None:
    path = tmp_path / "items.xlsx"
    out, _err = command("export_items", str(path))
    assert f"Exported 3 items and 2 catalog entries to {path}." in out
    assert load_workbook(path)["事项"].max_row == 4


def test_export_of_one_region(items: list[ItemVersion], tmp_path: Path) -> None:
    path = tmp_path / "county.xlsx"
    out, _err = command("export_items", str(path), "--region", "130403")
    assert "Exported 1 items" in out
    assert [r[0].value for r in load_workbook(path)["事项"].iter_rows(min_row=2)] == ["130403-XK-0001"]


def test_export_with_an_unknown_region_fails(items: list[ItemVersion], tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No region has the code 999999"):
        command("export_items", str(tmp_path / "x.xlsx"), "--region", "999999")
    assert not (tmp_path / "x.xlsx").exists()


def test_import_of_an_export_reports_progress_and_changes_nothing(
    items: list[ItemVersion], tmp_path: Path
) -> None:
    path = tmp_path / "items.xlsx"
    command("export_items", str(path))
    before = snapshot()
    out, err = command("import_items", str(path))
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == f"Reading {path} …"
    assert "Checked 21 of 21 rows (100%)" in lines
    assert lines[-1] == (
        "21 rows checked, 3 items: 0 items created, 0 new versions published, 3 unchanged; "
        "catalog entries: 0 created, 0 updated."
    )
    assert snapshot() == before


def test_progress_every_n_rows(items: list[ItemVersion], tmp_path: Path) -> None:
    path = tmp_path / "items.xlsx"
    command("export_items", str(path))
    wb = load_workbook(path)
    for code in ("130402-XK-0001", "130403-XK-0001"):
        cell(wb, "事项", code, "承诺时限").value = 9
        cell(wb, "事项", code, "生效日期").value = dt.date(2026, 4, 1)
    wb.save(path)
    out, _err = command("import_items", str(path), "--progress-every", "10")
    progress = [line for line in out.splitlines() if line.startswith(("Checked", "Wrote"))]
    assert progress == [
        "Checked 10 of 21 rows (47%)",
        "Checked 20 of 21 rows (95%)",
        "Checked 21 of 21 rows (100%)",
        "Wrote 2 of 2 changed items (100%)",
    ]
    assert "2 new versions published, 1 unchanged" in out


def test_dry_run_says_so_and_saves_nothing(items: list[ItemVersion], tmp_path: Path) -> None:
    path = tmp_path / "items.xlsx"
    command("export_items", str(path))
    wb = load_workbook(path)
    cell(wb, "事项", "130402-XK-0001", "承诺时限").value = 9
    cell(wb, "事项", "130402-XK-0001", "生效日期").value = dt.date(2026, 4, 1)
    wb.save(path)
    before = snapshot()
    out, _err = command("import_items", str(path), "--dry-run")
    assert "1 new versions published" in out
    assert out.splitlines()[-1] == "Dry run: nothing was saved."
    assert snapshot() == before


def test_a_failed_import_lists_every_problem_and_fails(items: list[ItemVersion], tmp_path: Path) -> None:
    path = tmp_path / "items.xlsx"
    command("export_items", str(path))
    wb = load_workbook(path)
    cell(wb, "事项", "130402-XK-0001", "承诺时限").value = 30
    cell(wb, "事项", "130402-XK-0001", "生效日期").value = "2026-02-30"
    wb.save(path)
    before = snapshot()
    err = io.StringIO()
    with pytest.raises(
        CommandError, match=r"The import failed with 2 problems; nothing was imported\."
    ) as excinfo:
        call_command("import_items", str(path), stdout=io.StringIO(), stderr=err)
    assert excinfo.value.returncode == 1
    assert err.getvalue().splitlines() == [
        "事项 sheet, row 3, column 承诺时限: The promised limit (30) cannot exceed the statutory limit (20).",
        "事项 sheet, row 3, column 生效日期: “2026-02-30” is not a date; write it as 2025-01-31.",
    ]
    assert snapshot() == before


def test_a_missing_file_fails(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No such file"):
        command("import_items", str(tmp_path / "absent.xlsx"))


@pytest.mark.django_db(transaction=True)
def test_exit_status_from_the_command_line(
    tmp_path: Path, county: Region, capsys: pytest.CaptureFixture[str]
) -> None:
    # run as manage.py runs it: status 0 on success, 1 with the problems on stderr on failure
    from yiwang.catalog.tests.conftest import published_item
    from yiwang.org.factories import DepartmentFactory

    dept = DepartmentFactory(name="邯山区行政审批局", region=county)
    published_item(code="130402-S-1", name="某事项", department=dept)
    path = tmp_path / "items.xlsx"
    call_command("export_items", str(path), stdout=io.StringIO())
    with pytest.raises(SystemExit) as ok:
        ImportCommand().run_from_argv(["manage.py", "import_items", str(path)])
        raise SystemExit(0)
    assert ok.value.code == 0
    wb = load_workbook(path)
    cell(wb, "事项", "130402-S-1", "事项类型编码").value = "77"
    wb.save(path)
    with pytest.raises(SystemExit) as failed:
        ImportCommand().run_from_argv(["manage.py", "import_items", str(path)])
    assert failed.value.code == 1
    assert "事项 sheet, row 2, column 事项类型编码: Unknown item type code “77”" in capsys.readouterr().err
