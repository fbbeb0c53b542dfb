"""Appointments for staff: confirm, check in; mounted at /work/appointments/."""

from django.urls import URLPattern, URLResolver, path

from yiwang.hall import staff_views

app_name = "hall_staff"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", staff_views.appointment_list, name="list"),
    path("<str:code>/", staff_views.detail, name="detail"),
    path("<str:code>/<str:action>/", staff_views.act, name="act"),
]
