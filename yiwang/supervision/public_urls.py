"""Routes of the public performance pages (filled in by their module)."""

from django.urls import URLPattern, URLResolver

app_name = "performance"

urlpatterns: list[URLPattern | URLResolver] = []
