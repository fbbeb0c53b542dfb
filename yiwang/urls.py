from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from django.views.static import serve

admin.site.site_header = _("Yiwang administration")
admin.site.site_title = _("Yiwang")
admin.site.index_title = _("Master data")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("yiwang.api.urls")),
    path("work/inbox/", include("yiwang.core.urls")),
    path("work/citizens/", include("yiwang.portal.account_staff_urls")),
    path("work/consultations/", include("yiwang.portal.consult_staff_urls")),
    path("work/ratings/", include("yiwang.portal.rating_staff_urls")),
    path("work/payments/", include("yiwang.payments.staff_urls")),
    path("work/appointments/", include("yiwang.hall.staff_urls")),
    path("work/", include("yiwang.cases.urls")),
    path("progress/", include("yiwang.cases.public_urls")),
    path("supervision/", include("yiwang.supervision.urls")),
    path("performance/", include("yiwang.supervision.public_urls")),
    path("pay/", include("yiwang.payments.urls")),
    path("book/", include("yiwang.hall.urls")),
    path("licenses/", include("yiwang.licenses.urls")),
    path("", include("yiwang.portal.urls")),
]

if settings.DEBUG:
    # Only the catalog's public files (blank forms, samples) are served straight from
    # storage; case files go through the workbench, which checks who may read them.
    urlpatterns += [
        re_path(
            rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>catalog/.*)$",
            lambda request, path: serve(request, path, document_root=settings.MEDIA_ROOT),
        )
    ]
