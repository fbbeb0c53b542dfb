"""E-licenses: verification by QR and the holder's own list; mounted at /licenses/."""

from django.urls import URLPattern, URLResolver, path

from yiwang.licenses import views

app_name = "licenses"

urlpatterns: list[URLPattern | URLResolver] = [
    path("mine/", views.mine, name="mine"),
    path("mine/<int:pk>/pdf/", views.pdf, name="pdf"),
    path("verify/<str:token>/", views.verify, name="verify"),
    path("verify/<str:token>/qr.svg", views.qr_code, name="qr"),
]
