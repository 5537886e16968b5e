from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.health import healthz
from core.login import StaffAuthenticationForm
from core.privacy import privacy_notice
from dashboard.views.desk_offline import ClearSiteDataLogoutView, desk_service_worker
from kudus_capil import api_urls

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # The privacy notice (UU 27/2022), linked from every public form and confirmation.
    path("privacy/", privacy_notice, name="privacy"),
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=StaffAuthenticationForm),
        name="login",
    ),
    # Logging out deletes what the offline desk keeps in this browser (issue 17).
    path("accounts/logout/", ClearSiteDataLogoutView.as_view(), name="logout"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("desk-sw.js", desk_service_worker, name="desk-sw"),
    path("dashboard/", include("dashboard.urls")),
    path("api/v1/", include(api_urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("schedules.urls")),
]

handler400 = "core.error_pages.bad_request"
handler403 = "core.error_pages.permission_denied"
handler404 = "core.error_pages.page_not_found"
handler500 = "core.error_pages.server_error"

admin.site.site_header = "kudus-capil"
admin.site.site_title = "kudus-capil"
