from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from conversion import views as conversion_views
from crm.health import healthz
from leads.views import CaptureFormView, UnsubscribeView, workspace

# The split view serves its start-up script as a file, so scripts stay 'self' only; the page
# itself still has an inline <style> block and Swagger UI draws its icons from data: URLs.
swagger_ui = csp_update({"style-src": ["'unsafe-inline'"], "img-src": ["data:"]})(
    SpectacularSwaggerSplitView.as_view(url_name="schema")
)

api_v1 = [
    path("", include("leads.api.urls")),
    path("", include("scoring.api.urls")),
    path("", include("conversion.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", swagger_ui, name="swagger-ui"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", workspace.lead_queue, name="queue"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("leads/export.csv", workspace.lead_export, name="lead-export"),
    path("leads/<uuid:pk>/", workspace.lead_detail, name="lead-page"),
    path("leads/<uuid:pk>/log/", workspace.lead_log, name="page-lead-log"),
    path("leads/<uuid:pk>/status/", workspace.lead_status, name="page-lead-status"),
    path("leads/<uuid:pk>/qualify/", workspace.lead_qualify_view, name="page-lead-qualify"),
    path("leads/<uuid:pk>/assign/", workspace.lead_assign_view, name="page-lead-assign"),
    path("leads/<uuid:pk>/convert/", conversion_views.lead_convert_view, name="page-lead-convert"),
    path("tasks/", workspace.task_list, name="tasks"),
    path("tasks/<uuid:pk>/complete/", workspace.task_complete_view, name="page-task-complete"),
    path("contacts/<uuid:pk>/", conversion_views.contact_detail, name="contact-page"),
    path("dashboard/", conversion_views.dashboard, name="dashboard"),
    path("admin/", admin.site.urls),
    path("api-auth/", include("rest_framework.urls")),
    path("api/v1/", include(api_v1)),
    path("forms/<str:form_key>/", CaptureFormView.as_view(), name="capture-form"),
    path("unsubscribe/<str:token>/", UnsubscribeView.as_view(), name="unsubscribe"),
]

admin.site.site_header = "Lead CRM administration"
admin.site.site_title = "Lead CRM"
