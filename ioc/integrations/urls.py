from django.urls import path

from ioc.integrations import views

app_name = "integrations"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("compliance/", views.compliance, name="compliance"),
    path("connections/", views.connection_list, name="connections"),
    path("connections/new/", views.connection_new, name="connection-new"),
    path("connections/<int:pk>/", views.connection_detail, name="connection"),
    path("connections/<int:pk>/edit/", views.connection_edit, name="connection-edit"),
    path("connections/<int:pk>/<str:action>/", views.connection_action, name="connection-action"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("<slug:slug>/", views.dataset_detail, name="dataset"),
    path("<slug:slug>/download/<str:fmt>/", views.download, name="download"),
    path("<slug:slug>/quarantine/", views.quarantine_view, name="quarantine"),
    path("<slug:slug>/quarantine/replay/", views.replay, name="replay"),
    path("<slug:slug>/upload/", views.upload, name="upload"),
    path("<slug:slug>/entry/", views.entry, name="entry"),
]
