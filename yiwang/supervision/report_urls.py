"""Routes of the report pages (``report_views``), under /supervision/reports/."""

from django.urls import URLPattern, URLResolver, path, re_path

from yiwang.supervision import report_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", report_views.dashboard, name="reports"),
    path("show/", report_views.choose, name="report_choose"),
    re_path(
        r"^(?P<kind>[a-z]+)/(?P<value>[^/]+)\.(?P<fmt>xlsx|pdf)$",
        report_views.summary_export,
        name="report_export",
    ),
    path("<str:kind>/<str:value>/", report_views.summary_page, name="report_summary"),
    path(
        "<str:kind>/<str:value>/departments/<int:pk>/",
        report_views.department_page,
        name="report_department",
    ),
]
