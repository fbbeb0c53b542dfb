"""Consultations on an item, asked signed in or anonymously; mounted at /consult/."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
