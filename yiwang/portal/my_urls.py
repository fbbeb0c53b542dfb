"""The signed-in applicant's own pages: my cases with their timelines, messages; mounted at /my/."""

from django.urls import URLPattern, URLResolver, path

from yiwang.portal import my_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("cases/", my_views.my_cases, name="my_cases"),
    path("cases/<str:number>/", my_views.my_case, name="my_case"),
    path("cases/<str:number>/files/<int:pk>/", my_views.my_case_file, name="my_case_file"),
    path("messages/", my_views.message_list, name="messages"),
    path("messages/read-all/", my_views.message_read_all, name="messages_read_all"),
    path("messages/<int:pk>/read/", my_views.message_read, name="message_read"),
    path("messages/<int:pk>/open/", my_views.message_open, name="message_open"),
]
