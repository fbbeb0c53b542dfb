"""Consultations on an item, asked signed in or anonymously; mounted at /consult/."""

from django.urls import URLPattern, URLResolver, path

from yiwang.portal import consult_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("mine/", consult_views.my_consultations, name="consultations"),
    path("ask/<str:code>/", consult_views.consult_ask, name="consult_ask"),
    # The token is the anonymous asker's key to their answer, not a personal identifier.
    path("q/<str:token>/", consult_views.consultation_page, name="consultation"),
]
