"""Appointments for staff: confirm, check in; mounted at /work/appointments/."""

from django.urls import URLPattern, URLResolver

app_name = "hall_staff"

urlpatterns: list[URLPattern | URLResolver] = []
