from django.urls import path

from ioc.dashboards import live, views

app_name = "dashboards"
urlpatterns = [
    path("dashboards/", views.dashboard_list, name="list"),
    path("dashboards/usage/", views.usage_view, name="usage"),
    path("dashboards/files/export/", views.export_files, name="export"),
    path("dashboards/files/import/", views.import_files, name="import"),
    path("dashboards/<slug:slug>/", views.dashboard_detail, name="dashboard"),
    path("dashboards/<slug:slug>/pdf/", views.dashboard_pdf, name="pdf"),
    path("dashboards/<slug:slug>/charts/new/", views.chart_edit, name="chart-new"),
    path("dashboards/<slug:slug>/charts/preview/", views.chart_preview, name="chart-preview"),
    path("dashboards/<slug:slug>/charts/<int:pk>/", views.chart_edit, name="chart-edit"),
    path("dashboards/<slug:slug>/charts/<int:pk>/delete/", views.chart_delete, name="chart-delete"),
    path("wall/", views.wall, name="wall"),
    path("wall/<slug:slug>/", views.wall, name="wall-playlist"),
    path("live/", live.stream, name="live"),
]
