"""Window staff: find an account and verify its identity on site; mounted at /work/citizens/."""

from django.urls import URLPattern, URLResolver, path

from yiwang.portal import account_staff_views as views

app_name = "citizens"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.find, name="find"),
    path("<int:pk>/verify/", views.verify, name="verify"),
]
