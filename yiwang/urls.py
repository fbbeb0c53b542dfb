from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Yiwang administration")
admin.site.site_title = _("Yiwang")
admin.site.index_title = _("Master data")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("yiwang.api.urls")),
    path("work/", include("yiwang.cases.urls")),
    path("progress/", include("yiwang.cases.public_urls")),
    path("", include("yiwang.portal.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
