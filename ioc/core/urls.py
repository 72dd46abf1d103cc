from django.urls import path

from ioc.core import views_agencies

app_name = "core"
urlpatterns = [
    path("ioc/agencies/", views_agencies.agency_list, name="agency-list"),
    path("ioc/agencies/<int:agency_id>/", views_agencies.agency_detail, name="agency-detail"),
    path("ioc/agencies/<int:agency_id>/edit/", views_agencies.agency_edit, name="agency-edit"),
]
