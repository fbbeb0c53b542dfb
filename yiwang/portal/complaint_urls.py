"""Efficiency complaints filed online and tracked by the complainant; mounted at /complaints/."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
