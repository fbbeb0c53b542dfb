"""Departments answer consultations and publish answers to the FAQ; mounted at /work/consultations/."""

from django.urls import URLPattern, URLResolver

app_name = "consult_staff"

urlpatterns: list[URLPattern | URLResolver] = []
