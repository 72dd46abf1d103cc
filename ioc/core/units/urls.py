from django.urls import path

from ioc.core.units import views

app_name = "units"
urlpatterns = [
    path("", views.unit_list, name="list"),
    path("<int:pk>/", views.unit_detail, name="detail"),
]
