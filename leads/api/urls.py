from django.urls import include, path
from rest_framework.routers import DefaultRouter

from .views import EventCaptureApi, LeadCaptureApi, LeadViewSet, TaskViewSet

router = DefaultRouter()
router.register("leads", LeadViewSet, basename="lead")
router.register("tasks", TaskViewSet, basename="task")

urlpatterns = [
    path("capture/", LeadCaptureApi.as_view(), name="lead-capture"),
    path("events/", EventCaptureApi.as_view(), name="lead-events"),
    path("", include(router.urls)),
]
