"""Online applications: form, materials, draft, review, receipt, supplement; mounted at /apply/."""

from django.urls import URLPattern, URLResolver, path

from yiwang.portal import apply_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("items/<str:code>/", apply_views.apply_start, name="apply_start"),
    path("drafts/", apply_views.drafts, name="drafts"),
    path("drafts/<int:pk>/", apply_views.apply_draft, name="apply_draft"),
    path("drafts/<int:pk>/review/", apply_views.apply_review, name="apply_review"),
    path("drafts/<int:pk>/delete/", apply_views.draft_delete, name="draft_delete"),
    path("drafts/<int:pk>/files/<int:file_pk>/", apply_views.draft_file, name="draft_file"),
    path("cases/<str:number>/receipt/", apply_views.apply_receipt, name="apply_receipt"),
    path("cases/<str:number>/supplement/", apply_views.supplement, name="supplement"),
]
