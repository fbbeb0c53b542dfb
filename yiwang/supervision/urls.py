"""The supervision console, under /supervision/."""

from django.urls import URLPattern, URLResolver, include, path

from yiwang.supervision import complaint_views, talk_views, views

app_name = "supervision"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.console, name="console"),
    path("cases/<str:number>/", views.case_page, name="case"),
    path("cases/<str:number>/notices/", views.notice_issue, name="notice_issue"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:pk>/", views.alert_page, name="alert"),
    path("alerts/<int:pk>/explain/", views.alert_explain, name="alert_explain"),
    path("alerts/<int:pk>/conclude/", views.alert_conclude, name="alert_conclude"),
    path("notices/<int:pk>.pdf", views.notice_pdf, name="notice_pdf"),
    path("irregularities/", views.irregularities, name="irregularities"),
    path("screen/", views.dashboard, name="dashboard"),
    path("screen/data.json", views.dashboard_data, name="dashboard_data"),
    path("talks/", talk_views.talk_list, name="talks"),
    path("talks/new/", talk_views.talk_new, name="talk_new"),
    path("talks/<int:pk>/", talk_views.talk_page, name="talk"),
    path("talks/<int:pk>/record/", talk_views.talk_held, name="talk_held"),
    path("talks/<int:pk>/missed/", talk_views.talk_missed, name="talk_missed"),
    path("talks/<int:pk>/cancel/", talk_views.talk_cancel, name="talk_cancel"),
    path("complaints/", complaint_views.complaint_list, name="complaints"),
    path("complaints/new/", complaint_views.complaint_new, name="complaint_new"),
    path("complaints/statistics/", complaint_views.complaint_stats_page, name="complaint_stats"),
    path("complaints/<int:pk>/", complaint_views.complaint_page, name="complaint"),
    path("complaints/<int:pk>/registration.pdf", complaint_views.registration_pdf, name="complaint_form_pdf"),
    path("complaints/<int:pk>/archive.zip", complaint_views.archive_download, name="complaint_archive"),
    path("complaints/<int:pk>/<slug:action>/", complaint_views.complaint_action, name="complaint_action"),
    path("complaint-documents/<int:pk>/", complaint_views.document_download, name="complaint_document"),
    path("reports/", include("yiwang.supervision.report_urls")),
    path("statistics/", include("yiwang.supervision.stats_urls")),
]
