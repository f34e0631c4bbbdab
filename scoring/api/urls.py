from django.urls import path

from .views import LeadScoreApi

urlpatterns = [
    path("leads/<uuid:pk>/score/", LeadScoreApi.as_view(), name="lead-score"),
]
