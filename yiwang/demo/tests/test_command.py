"""``manage.py seed_demo`` when something is in its way, and the login table it prints."""

from __future__ import annotations

import unicodedata
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils.translation import gettext as _

from yiwang.catalog.models import Item
from yiwang.demo.management.commands.seed_demo import login_table
from yiwang.demo.seed import DemoLogin, row_counts
from yiwang.org.factories import DepartmentFactory, region
from yiwang.org.models import Department, RegionLevel, Role


def test_given_a_department_of_the_same_name_with_another_uscc_when_seeding_then_it_fails_and_changes_nothing(
    db: None,
) -> None:
    province = region("130000", "河北省", RegionLevel.PROVINCE)
    city = region("130400", "邯郸市", RegionLevel.CITY, province)
    squatter = DepartmentFactory(name="邯郸市市场监督管理局", short_name="旧名称", region=city)
    before = row_counts()

    with pytest.raises(CommandError) as raised:
        call_command("seed_demo", stdout=StringIO())

    assert str(raised.value).startswith(
        _("The demo data could not be loaded and nothing was changed: %(error)s") % {"error": ""}
    )
    assert row_counts() == before
    assert not Item.objects.exists()
    assert not get_user_model().objects.filter(username="admin").exists()
    assert Department.objects.get().uscc == squatter.uscc


def test_the_login_table_lines_up_columns_holding_chinese_text() -> None:
    logins = (
        DemoLogin("admin", (), ""),
        DemoLogin("supervisor_hs", (Role.SUPERVISOR,), "邯山区"),
        DemoLogin("window", (Role.WINDOW_OPERATOR,), "邯郸市市民服务中心01号综合受理窗口"),
    )

    lines = login_table(logins)

    scopes = [_("Scope"), _("everything"), "邯山区", "邯郸市市民服务中心01号综合受理窗口"]
    assert len(lines) == len(scopes)
    assert all(line.endswith(scope) for line, scope in zip(lines, scopes, strict=True))
    starts = {display_width(line[: -len(scope)]) for line, scope in zip(lines, scopes, strict=True)}
    assert len(starts) == 1
    assert lines[2].startswith("supervisor_hs  ")


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
