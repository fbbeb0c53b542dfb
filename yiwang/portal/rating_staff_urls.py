"""Poor-rating follow-ups and revisits; mounted at /work/ratings/."""

from django.urls import URLPattern, URLResolver

app_name = "rating_staff"

urlpatterns: list[URLPattern | URLResolver] = []
