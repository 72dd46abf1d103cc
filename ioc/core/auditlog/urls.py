"""The audit log viewer at /ioc/audit/: read-only, GET routes only."""

from django.urls import path

from ioc.core.auditlog import views

app_name = "audit"
urlpatterns = [
    path("", views.entry_list, name="list"),
    path("export.csv", views.export_csv, name="export"),
    path("<int:pk>/", views.entry_detail, name="detail"),
]
