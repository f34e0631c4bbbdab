from django.urls import path

from .views import LeadScoreApi

# <str:pk>, not <uuid:pk>: an id that is not a UUID answers the API's JSON 404, not Django's page.
urlpatterns = [
    path("leads/<str:pk>/score/", LeadScoreApi.as_view(), name="lead-score"),
]
