from django.urls import path

from ioc.operations import views

app_name = "operations"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("banner/", views.banner, name="banner"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<int:pk>/resolve/", views.resolve, name="resolve"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
]
