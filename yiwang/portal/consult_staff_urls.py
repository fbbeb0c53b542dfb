"""Departments answer consultations and publish answers to the FAQ; mounted at /work/consultations/."""

from django.urls import URLPattern, URLResolver, path

from yiwang.portal import consult_staff_views as views

app_name = "consult_staff"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.queue, name="queue"),
    path("<int:pk>/", views.answer, name="answer"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/unpublish/", views.unpublish, name="unpublish"),
    path("<int:pk>/close/", views.close, name="close"),
]
