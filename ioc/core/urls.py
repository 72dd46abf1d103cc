from django.urls import path

from ioc.core import views, views_agencies

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("ioc/", views.ioc_home, name="ioc-home"),
    path("feedback/", views.feedback_home, name="feedback-home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("ioc/agencies/", views_agencies.agency_list, name="agency-list"),
    path("ioc/agencies/<int:agency_id>/", views_agencies.agency_detail, name="agency-detail"),
    path("ioc/agencies/<int:agency_id>/edit/", views_agencies.agency_edit, name="agency-edit"),
]
