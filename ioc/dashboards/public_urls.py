from django.urls import path

from ioc.dashboards import public

app_name = "public-dashboards"
urlpatterns = [
    path("", public.dashboard_list, name="list"),
    path("<slug:slug>/", public.dashboard, name="dashboard"),
    path("charts/<int:pk>/embed/", public.embed, name="embed"),
    path("charts/<int:pk>/data", public.data, name="data"),
]
