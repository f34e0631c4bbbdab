from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from crm.health import healthz

# The split view serves its start-up script as a file, so scripts stay 'self' only; the page
# itself still has an inline <style> block and Swagger UI draws its icons from data: URLs.
swagger_ui = csp_update({"style-src": ["'unsafe-inline'"], "img-src": ["data:"]})(
    SpectacularSwaggerSplitView.as_view(url_name="schema")
)

api_v1: list[URLPattern | URLResolver] = [
    path("", include("leads.api.urls")),
    path("", include("scoring.api.urls")),
    path("", include("conversion.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", swagger_ui, name="swagger-ui"),
]

# Each app's pages sit in its own urls.py under its namespace ("leads:lead-detail"); the API's
# names stay without one, so a page and an endpoint on the same object never share a name.
urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("leads.urls")),
    path("", include("conversion.urls")),
    path("admin/", admin.site.urls),
    path("api-auth/", include("rest_framework.urls")),
    path("api/v1/", include(api_v1)),
]

admin.site.site_header = "Lead CRM administration"
admin.site.site_title = "Lead CRM"
