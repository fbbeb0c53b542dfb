"""Fee orders for staff; mounted at /work/payments/."""

from django.urls import URLPattern, URLResolver

app_name = "payments_staff"

urlpatterns: list[URLPattern | URLResolver] = []
