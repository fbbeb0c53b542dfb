"""Routes of the public performance pages, mounted at /performance/ (namespace ``performance``)."""

from django.urls import URLPattern, URLResolver, path

from yiwang.supervision import public_views

app_name = "performance"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", public_views.performance, name="performance"),
]
