from django.urls import path, re_path

from ioc.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("ioc/", views.ioc_home, name="ioc-home"),
    re_path(r"^i18n/(?P<code>[a-z]{2})/$", views.switch_language, name="switch-language"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
]
