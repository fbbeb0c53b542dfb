"""The staff workbench, mounted at /work/."""

from django.urls import URLPattern, URLResolver, path

from yiwang.cases import views

app_name = "cases"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.queue, name="queue"),
    path("done/", views.done, name="done"),
    path("search/", views.search, name="search"),
    path("intake/", views.intake, name="intake"),
    path("cases/<str:number>/", views.case_page, name="case"),
    path("cases/<str:number>/actions/<str:action>/", views.case_action, name="action"),
    path("cases/<str:number>/files/<int:pk>/", views.case_file, name="file"),
    path("cases/<str:number>/documents/<str:kind>.pdf", views.case_document, name="document"),
]
