from rest_framework.permissions import BasePermission


class IsSalesUser(BasePermission):
    """Signed in as a rep or a manager: the people the leads API is for."""

    message = "Only sales reps and sales managers may use this API."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_rep or user.is_manager))


class IsManager(BasePermission):
    message = "Only sales managers may do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_manager)
