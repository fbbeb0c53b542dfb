"""Chinese search: jieba words, every word must match, name matches first."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from yiwang.catalog import selectors
from yiwang.catalog.factories import published_item
from yiwang.catalog.models import ItemVersion
from yiwang.org.models import Department
from yiwang.portal.search import MAX_QUERY_LENGTH, query_tokens, search_versions

pytestmark = pytest.mark.django_db


def names(query: str) -> list[str]:
    queryset = selectors.items_in_force(on=timezone.localdate())
    return [v.name for v in search_versions(queryset, query)]


class TestQueryTokens:
    def test_spaces_and_run_together_words_give_the_same_words(self) -> None:
        assert query_tokens("食品 许可") == ["食品", "许可"]
        assert query_tokens("食品许可") == ["食品", "许可"]

    def test_filler_words_around_the_request_are_dropped(self) -> None:
        tokens = query_tokens("我想办理食品经营许可怎么申请")
        assert {"食品", "经营", "许可"} <= set(tokens)
        assert not {"我想", "办理", "怎么", "申请"} & set(tokens)

    def test_a_query_of_filler_words_only_keeps_them(self) -> None:
        assert query_tokens("申请") == ["申请"]

    def test_parts_of_a_longer_word_are_implied_by_it(self) -> None:
        # jieba's search mode yields 管理 and 管理局; 管理局 alone says the same.
        assert query_tokens("市场监督管理局") == ["市场", "监督", "管理局"]

    def test_blank_and_punctuation_give_no_words(self) -> None:
        assert query_tokens("") == []
        assert query_tokens("   ") == []
        assert query_tokens("%_？！") == []

    def test_overlong_queries_are_cut(self) -> None:
        assert len("".join(query_tokens("食品" * 500))) <= MAX_QUERY_LENGTH


class TestSearch:
    @pytest.mark.parametrize(
        "query", ["食品 许可", "食品许可", "食品经营许可", "  食品   许可 ", "许可 食品"]
    )
    def test_finds_the_food_licence_however_it_is_typed(self, catalog: list[ItemVersion], query: str) -> None:
        assert names(query) == ["食品经营许可"]

    def test_finds_by_the_result_document(self, catalog: list[ItemVersion]) -> None:
        assert names("食品经营许可证") == ["食品经营许可"]

    @pytest.mark.parametrize("query", ["市场监督管理局", "邯山区市场监督管理局", "区市场监管局"])
    def test_a_department_name_or_short_name_finds_its_items(
        self, catalog: list[ItemVersion], query: str
    ) -> None:
        assert sorted(names(query)) == sorted(["食品经营许可", "印章刻制备案"])

    @pytest.mark.parametrize("query", ["药品许可", "许可 养老", "火车票"])
    def test_every_word_must_match(self, catalog: list[ItemVersion], query: str) -> None:
        assert names(query) == []

    @pytest.mark.parametrize("query", ["", "   ", None])
    def test_an_empty_query_lists_everything(self, catalog: list[ItemVersion], query: str | None) -> None:
        assert len(names(query)) == 3  # type: ignore[arg-type]

    def test_finds_by_item_code_and_region(self, catalog: list[ItemVersion]) -> None:
        assert names("HS-SCJG-002") == ["印章刻制备案"]
        assert names("hs-scjg-002") == ["印章刻制备案"]
        assert names("丛台区") == ["城乡居民养老保险参保登记"]

    def test_the_wildcards_of_sql_are_plain_characters(self, catalog: list[ItemVersion]) -> None:
        assert names("食品%许可") == ["食品经营许可"]
        assert names("100%") == []

    def test_name_matches_come_before_matches_elsewhere(self, market_dept: Department) -> None:
        # given one item whose *handling unit* mentions 登记 and sorts first by code, and
        # one whose *name* does
        published_item(
            code="A-001",
            name="营业执照核发",
            department=market_dept,
            fields={"handling_unit": "登记注册科"},
        )
        published_item(code="Z-001", name="个体工商户登记", department=market_dept)
        # then the name match ranks first
        assert names("登记") == ["个体工商户登记", "营业执照核发"]

    def test_exact_and_shorter_names_rank_first(self, market_dept: Department) -> None:
        published_item(code="A-002", name="食品经营许可延续", department=market_dept)
        published_item(code="B-002", name="食品经营许可（仅销售预包装食品）备案", department=market_dept)
        published_item(code="C-002", name="食品经营许可", department=market_dept)
        assert names("食品经营许可") == [
            "食品经营许可",
            "食品经营许可延续",
            "食品经营许可（仅销售预包装食品）备案",
        ]


class TestSearchPage:
    def test_search_from_the_list_page(self, client: Client, catalog: list[ItemVersion]) -> None:
        response = client.get("/items/", {"q": "食品 许可"})
        assert response.status_code == 200
        content = response.content.decode()
        assert "食品经营许可" in content
        assert "印章刻制备案" not in content
        assert "找到 1 个与“食品 许可”相关的事项" in content

    def test_no_match_explains_what_to_try(self, client: Client, catalog: list[ItemVersion]) -> None:
        content = client.get("/items/", {"q": "药品许可"}).content.decode()
        assert "没有找到符合条件的事项" in content
        assert "12345" in content

    def test_a_query_longer_than_allowed_is_refused_with_a_message(
        self, client: Client, catalog: list[ItemVersion]
    ) -> None:
        content = client.get("/items/", {"q": "食" * (MAX_QUERY_LENGTH + 1)}).content.decode()
        assert "部分筛选条件有误" in content
        assert 'class="item-card"' not in content

    def test_the_query_is_escaped_in_the_page(self, client: Client, catalog: list[ItemVersion]) -> None:
        content = client.get("/items/", {"q": "<script>alert(1)</script>"}).content.decode()
        assert "<script>alert(1)</script>" not in content
        assert "&lt;script&gt;" in content
