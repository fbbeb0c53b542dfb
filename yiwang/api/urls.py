"""Mounted at /api/: the versioned API under v1/, its OpenAPI schema and docs page.

Any other path under /api/ answers with a problem+json 404, like the API itself.
"""

from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from yiwang.api import docs, views
from yiwang.api.actions import ACTIONS

app_name = "api"

v1: list[URLPattern | URLResolver] = [
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("cases/", views.CaseListView.as_view(), name="cases"),
    path("cases/<str:number>/", views.CaseDetailView.as_view(), name="case-detail"),
    path("cases/<str:number>/events/", views.CaseEventsView.as_view(), name="case-events"),
    *(
        path(
            f"cases/<str:number>/actions/{name}/",
            views.action_view(spec).as_view(),
            name=f"case-{name}",
        )
        for name, spec in ACTIONS.items()
    ),
    path("cases/<str:number>/actions/<str:action>/", views.UnknownActionView.as_view()),
    path("items/", views.ItemListView.as_view(), name="items"),
    path("items/<str:code>/", views.ItemDetailView.as_view(), name="item-detail"),
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("v1/", include((v1, "v1"))),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs.docs, name="docs"),
    re_path(r"^.*$", views.not_found, name="not-found"),
]
