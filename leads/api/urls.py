from django.urls import include, path
from rest_framework.routers import DefaultRouter

from .views import EventCaptureApi, LeadCaptureApi, LeadViewSet

router = DefaultRouter()
router.register("leads", LeadViewSet, basename="lead")

urlpatterns = [
    path("capture/", LeadCaptureApi.as_view(), name="lead-capture"),
    path("events/", EventCaptureApi.as_view(), name="lead-events"),
    path("", include(router.urls)),
]
