"""Appointments for citizens; mounted at /book/."""

from django.urls import URLPattern, URLResolver, path

from yiwang.hall import views

app_name = "hall"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.mine, name="mine"),
    path("items/<str:code>/", views.book, name="book"),
    path("appointments/<str:code>/", views.appointment, name="appointment"),
    path("appointments/<str:code>/cancel/", views.cancel, name="cancel"),
]
