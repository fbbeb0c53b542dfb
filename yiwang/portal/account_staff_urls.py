"""Window staff: find an account and verify its identity on site; mounted at /work/citizens/."""

from django.urls import URLPattern, URLResolver

app_name = "citizens"

urlpatterns: list[URLPattern | URLResolver] = []
