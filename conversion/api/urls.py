from django.urls import include, path
from rest_framework.routers import DefaultRouter

from .views import (
    CompanyViewSet,
    ContactViewSet,
    DealViewSet,
    FunnelMetricsApi,
    LeadConvertApi,
)

router = DefaultRouter()
router.register("companies", CompanyViewSet, basename="company")
router.register("contacts", ContactViewSet, basename="contact")
router.register("deals", DealViewSet, basename="deal")

# <str:pk>, not <uuid:pk>: an id that is not a UUID answers the API's JSON 404, not Django's page.
urlpatterns = [
    path("leads/<str:pk>/convert/", LeadConvertApi.as_view(), name="lead-convert"),
    path("metrics/funnel/", FunnelMetricsApi.as_view(), name="metrics-funnel"),
    path("", include(router.urls)),
]
