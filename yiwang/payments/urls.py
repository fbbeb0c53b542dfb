"""Fee orders for the applicant: pay, callbacks, receipts; mounted at /pay/."""

from django.urls import URLPattern, URLResolver

app_name = "payments"

urlpatterns: list[URLPattern | URLResolver] = []
