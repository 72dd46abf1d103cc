from django.urls import path

from ioc.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("ioc/", views.ioc_home, name="ioc-home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
]
