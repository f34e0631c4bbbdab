"""The pages of conversion: converting a lead, a contact, the managers' dashboard.

Names are `conversion:<entity>-<action>`, as the views are `<entity>_<action>_view`.
"""

from django.urls import path

from . import views

app_name = "conversion"

urlpatterns = [
    path("leads/<uuid:pk>/convert/", views.lead_convert_view, name="lead-convert"),
    path("contacts/<uuid:pk>/", views.contact_detail_view, name="contact-detail"),
    path("dashboard/", views.dashboard_view, name="dashboard"),
]
