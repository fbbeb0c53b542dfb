"""Routes of the statistics pages, under /supervision/statistics/ (namespace ``supervision``)."""

from django.urls import URLPattern, URLResolver, path

from yiwang.supervision import stats_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", stats_views.statistics_page, name="statistics"),
    path("statistics.xlsx", stats_views.statistics_export, name="statistics_export"),
    path("cases/", stats_views.drill_page, name="statistics_drill"),
]
