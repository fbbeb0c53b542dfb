"""Poor-rating follow-ups and revisits; mounted at /work/ratings/."""

from django.urls import URLPattern, URLResolver, path

from yiwang.portal import rating_staff_views as views

app_name = "rating_staff"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.follow_up_list, name="list"),
    path("<int:pk>/", views.follow_up_detail, name="detail"),
    path("<int:pk>/answer/", views.follow_up_answer, name="answer"),
    path("<int:pk>/revisit/", views.follow_up_revisit, name="revisit"),
]
