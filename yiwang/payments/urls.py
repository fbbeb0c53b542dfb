"""Fee orders for the applicant: pay, callbacks, receipts; mounted at /pay/."""

from django.urls import URLPattern, URLResolver, path

from yiwang.payments import views

app_name = "payments"

urlpatterns: list[URLPattern | URLResolver] = [
    path("cases/<str:number>/", views.case_orders, name="case_orders"),
    path("orders/<str:number>/", views.order_page, name="order"),
    path("orders/<str:number>/pay/", views.pay, name="pay"),
    path("orders/<str:number>/returned/", views.returned, name="returned"),
    path("orders/<str:number>/receipt/", views.receipt, name="receipt"),
    path("orders/<str:number>/receipt.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("callback/<str:gateway>/", views.callback, name="callback"),
    path("sandbox/cashier/", views.sandbox_cashier, name="sandbox_cashier"),
]
