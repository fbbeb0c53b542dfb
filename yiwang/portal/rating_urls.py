"""Rating a completed case; mounted at /rate/ (inside the ``portal`` namespace)."""

from django.urls import URLPattern, URLResolver, path

from yiwang.portal import rating_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("<str:number>/", rating_views.rate, name="rate"),
]
