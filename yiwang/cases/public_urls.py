"""The public progress pages, mounted at /progress/ (no login)."""

from django.urls import URLPattern, URLResolver, path

from yiwang.cases import public_views

app_name = "progress"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", public_views.progress_index, name="index"),
    path("<str:token>/", public_views.progress_detail, name="detail"),
    path("<str:token>/qr.svg", public_views.progress_qr, name="qr"),
]
