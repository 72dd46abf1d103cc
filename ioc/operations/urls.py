from django.urls import path

from ioc.operations import views

app_name = "operations"
urlpatterns = [
    path("", views.inbox, name="inbox"),
]
