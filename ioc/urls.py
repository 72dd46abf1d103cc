from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from ioc.api import api
from ioc.feedback import webhook
from ioc.integrations import push_views
from ioc.portal.urls import page_urlpatterns

admin.site.site_header = "IOC"
admin.site.site_title = "IOC"

urlpatterns = [
    path("", include("ioc.web.urls")),
    path("", include("ioc.core.urls")),
    path("accounts/", include("ioc.accounts.urls")),
    path("ioc/events/", include("ioc.operations.urls")),
    path("ioc/data/", include("ioc.integrations.urls")),
    path("ioc/feedback/", include("ioc.feedback.staff_urls")),
    path("ioc/cameras/", include("ioc.cameras.urls")),
    path("feedback/", include("ioc.feedback.urls")),
    path("ioc/", include("ioc.dashboards.urls")),
    path("dashboards/", include("ioc.dashboards.public_urls")),
    path("", include("ioc.maps.urls")),
    path("ioc/units/", include("ioc.core.units.urls")),
    path("ioc/audit/", include("ioc.core.auditlog.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("open311/", include("ioc.feedback.open311_urls")),
    path("api/feedback/inbound/", webhook.inbound, name="feedback-inbound"),
    path("api/push/<int:pk>/", push_views.push, name="push"),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("cms/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("", include("ioc.portal.urls")),
]
# The portal's pages: last, since Wagtail answers every other address under /. Vietnamese
# at /..., other languages under their prefix (/en/...); see VietnameseFirstLocaleMiddleware.
urlpatterns += i18n_patterns(path("", include(page_urlpatterns)), prefix_default_language=False)

if settings.DEBUG:  # pragma: no cover
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler403 = "ioc.web.views.permission_denied"
handler404 = "ioc.web.views.page_not_found"
handler500 = "ioc.web.views.server_error"
