import pytest
from django.test import Client


@pytest.mark.django_db
def test_site_is_chinese_even_for_an_english_browser() -> None:
    response = Client().get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "zh-hans"
    assert "用户名" in response.content.decode()


@pytest.mark.django_db
def test_language_switch_cookie_selects_english() -> None:
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.get("/admin/login/")
    assert response["Content-Language"] == "en"
    assert "Username" in response.content.decode()


@pytest.mark.django_db
def test_unknown_language_cookie_falls_back_to_chinese() -> None:
    client = Client()
    client.cookies["django_language"] = "xx"
    assert client.get("/admin/login/")["Content-Language"] == "zh-hans"


@pytest.mark.django_db
def test_admin_site_title_is_translated() -> None:
    response = Client().get("/admin/login/")
    assert "一网通办管理后台" in response.content.decode()


@pytest.fixture
def debug_urls(settings):  # type: ignore[no-untyped-def]
    """The URL configuration as `make run` (DEBUG) builds it."""
    import importlib

    from django.urls import clear_url_caches

    import yiwang.urls

    settings.DEBUG = True
    importlib.reload(yiwang.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(yiwang.urls)
    clear_url_caches()


@pytest.mark.django_db
def test_case_files_are_not_served_from_storage(settings, tmp_path, debug_urls) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "a.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "form.pdf").write_bytes(b"%PDF-1.4")
    settings.MEDIA_ROOT = str(tmp_path)
    client = Client()
    assert client.get("/media/cases/a.pdf").status_code == 404
    assert client.get("/media/catalog/form.pdf").status_code == 200
