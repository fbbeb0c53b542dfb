"""E-licenses: verification by QR and the holder's own list; mounted at /licenses/."""

from django.urls import URLPattern, URLResolver

app_name = "licenses"

urlpatterns: list[URLPattern | URLResolver] = []
