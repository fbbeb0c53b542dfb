"""Reads of the organisation."""

from __future__ import annotations

import pytest

from yiwang.org import selectors
from yiwang.org.factories import DepartmentFactory, StaffFactory, grant, region
from yiwang.org.models import RegionLevel, Role
from yiwang.org.tests.helpers import fresh

pytestmark = pytest.mark.django_db


def test_region_subtree_is_the_prefix_of_the_path(county, town, other_county, other_town, city):
    village = region("130402001001", "火磨村", RegionLevel.VILLAGE, town)
    assert list(selectors.region_subtree(county)) == [county, town, village]
    assert list(selectors.region_subtree(county, include_self=False)) == [town, village]
    assert set(selectors.region_subtree(city)) == {city, county, town, village, other_county, other_town}


def test_region_ancestors_in_one_query(django_assert_num_queries, province, city, county, town):
    village = region("130402001001", "火磨村", RegionLevel.VILLAGE, town)
    with django_assert_num_queries(1):
        assert list(selectors.region_ancestors(village)) == [province, city, county, town]
    assert list(selectors.region_ancestors(county, include_self=True)) == [province, city, county]


def test_regions_in_reach_of_a_department_grant(handler, county_supervisor, county, town, other_county):
    # a department grant reaches the department's region and below (for choices in forms)
    assert set(selectors.regions_in_reach(fresh(handler))) == {county, town}
    assert set(selectors.regions_in_reach(fresh(county_supervisor))) == {county, town}
    assert not selectors.regions_in_reach(fresh(handler), roles=[Role.APPROVER]).exists()


def test_department_subtree(market_dept, market_branch, tax_dept, town):
    deep = DepartmentFactory(name="火磨所一组", region=town, parent=market_branch)
    assert set(selectors.department_subtree(market_dept)) == {market_dept, market_branch, deep}


def test_visible_lists_join_what_they_show(
    django_assert_num_queries, county_supervisor, handler, market_dept
):
    user = fresh(county_supervisor)
    with django_assert_num_queries(2):  # the user's roles, then the list
        rows = list(selectors.staff_visible(user))
        assert {s.department.region.name for s in rows} == {"邯山区"}
        assert all(s.user.username for s in rows)
    assert market_dept in selectors.departments_visible(user)


def test_staff_holding_a_role_over_a_placement(
    county, town, city, other_county, market_dept, market_branch, tax_dept, county_supervisor, city_leader
):
    town_supervisor = StaffFactory(name="镇监察", department=market_branch)
    grant(town_supervisor, Role.SUPERVISOR, region=town)
    neighbour = StaffFactory(name="邻区监察", department=market_dept)
    grant(neighbour, Role.SUPERVISOR, region=other_county)
    market_supervisor = StaffFactory(name="局内监察", department=market_dept)
    grant(market_supervisor, Role.SUPERVISOR, department=market_dept)
    left = StaffFactory(name="已离职", department=market_dept, is_active=False)
    grant(left, Role.SUPERVISOR, region=county)

    # who watches a case of the market branch in the town?
    watchers = set(selectors.staff_holding(role=Role.SUPERVISOR, region=town, department=market_branch))
    assert watchers == {county_supervisor, town_supervisor, market_supervisor}
    # a tax case in the county: neither the town's nor the market bureau's supervisor
    assert set(selectors.staff_holding(role=Role.SUPERVISOR, region=county, department=tax_dept)) == {
        county_supervisor
    }
    assert set(selectors.staff_holding(role=Role.LEADER, region=county)) == {city_leader}


def test_supervision_room_is_the_nearest_one_up_the_tree(county, town, city, county_supervisor, other_county):
    room = county_supervisor.department
    assert selectors.supervision_room_for(town) == room
    assert selectors.supervision_room_for(other_county) is None
    city_room = DepartmentFactory(name="邯郸市电子监察室", region=city, is_supervision_room=True)
    assert selectors.supervision_room_for(other_county) == city_room
    assert selectors.supervision_room_for(county) == room
