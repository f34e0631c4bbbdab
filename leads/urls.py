"""The pages of leads: the reps' workspace, the public web-to-lead form, the unsubscribe link.

Names are `leads:<entity>-<action>`, as the views are `<entity>_<action>_view`.
"""

from django.urls import path

from .views import CaptureFormView, UnsubscribeView, workspace

app_name = "leads"

urlpatterns = [
    path("", workspace.lead_queue_view, name="lead-queue"),
    path("leads/export.csv", workspace.lead_export_view, name="lead-export"),
    path("leads/<uuid:pk>/", workspace.lead_detail_view, name="lead-detail"),
    path("leads/<uuid:pk>/log/", workspace.lead_log_view, name="lead-log"),
    path("leads/<uuid:pk>/status/", workspace.lead_status_view, name="lead-status"),
    path("leads/<uuid:pk>/qualify/", workspace.lead_qualify_view, name="lead-qualify"),
    path("leads/<uuid:pk>/assign/", workspace.lead_assign_view, name="lead-assign"),
    path("tasks/", workspace.task_list_view, name="task-list"),
    path("tasks/<uuid:pk>/complete/", workspace.task_complete_view, name="task-complete"),
    path("forms/<str:form_key>/", CaptureFormView.as_view(), name="capture-form"),
    path("unsubscribe/<str:token>/", UnsubscribeView.as_view(), name="unsubscribe"),
]
