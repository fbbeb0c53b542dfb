"""The signed-in applicant's own pages: my cases with their timelines, messages; mounted at /my/."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
