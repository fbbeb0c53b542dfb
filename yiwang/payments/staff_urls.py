"""Fee orders for staff; mounted at /work/payments/."""

from django.urls import URLPattern, URLResolver, path

from yiwang.payments import staff_views

app_name = "payments_staff"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", staff_views.order_list, name="list"),
    path("cases/<str:number>/issue/", staff_views.issue, name="issue"),
    path("orders/<str:number>/", staff_views.order_detail, name="order"),
    path("orders/<str:number>/cancel/", staff_views.cancel, name="cancel"),
]
