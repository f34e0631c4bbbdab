from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from leads.views import CaptureFormView

api_v1 = [
    path("", include("leads.api.urls")),
    path("", include("scoring.api.urls")),
    path("", include("conversion.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
]

urlpatterns = [
    path("", RedirectView.as_view(url="/api/v1/leads/", permanent=False), name="home"),
    path("admin/", admin.site.urls),
    path("api-auth/", include("rest_framework.urls")),
    path("api/v1/", include(api_v1)),
    path("forms/<str:form_key>/", CaptureFormView.as_view(), name="capture-form"),
]

admin.site.site_header = "Lead CRM administration"
admin.site.site_title = "Lead CRM"
