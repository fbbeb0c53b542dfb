"""The staff inbox, mounted at /work/inbox/."""

from django.urls import URLPattern, URLResolver, path

from yiwang.core import views

app_name = "core"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.mark_all_read, name="inbox_read_all"),
    path("<int:pk>/read/", views.mark_read, name="inbox_read"),
    path("<int:pk>/open/", views.open_notification, name="inbox_open"),
]
