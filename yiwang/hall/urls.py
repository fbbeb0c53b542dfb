"""Appointments for citizens; mounted at /book/."""

from django.urls import URLPattern, URLResolver

app_name = "hall"

urlpatterns: list[URLPattern | URLResolver] = []
