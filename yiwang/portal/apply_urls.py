"""Online applications: form, materials, draft, review, receipt, supplement; mounted at /apply/."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
