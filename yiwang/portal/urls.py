from django.urls import include, path

from yiwang.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("items/", views.item_list, name="item_list"),
    path("items/<str:code>/", views.item_guide, name="item_guide"),
    path("departments/", views.department_list, name="department_list"),
    path("lists/powers/", views.power_list, name="power_list"),
    path("lists/public-services/", views.public_service_list, name="public_service_list"),
    path("lists/fees/", views.fee_list, name="fee_list"),
    path("account/", include("yiwang.portal.account_urls")),
    path("apply/", include("yiwang.portal.apply_urls")),
    path("my/", include("yiwang.portal.my_urls")),
    path("consult/", include("yiwang.portal.consult_urls")),
    path("complaints/", include("yiwang.portal.complaint_urls")),
    path("rate/", include("yiwang.portal.rating_urls")),
]
