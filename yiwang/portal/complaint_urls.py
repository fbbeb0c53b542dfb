"""Efficiency complaints filed online and tracked by the complainant; mounted at /complaints/."""

from django.urls import URLPattern, URLResolver, path

from yiwang.portal import complaint_pages

urlpatterns: list[URLPattern | URLResolver] = [
    path("", complaint_pages.complain, name="complain"),
    path("mine/", complaint_pages.my_complaints_page, name="my_complaints"),
    path("mine/<int:pk>/", complaint_pages.my_complaint, name="my_complaint"),
]
