from django.urls import path

from ioc.feedback import staff

app_name = "reports"
urlpatterns = [
    path("", staff.inbox, name="inbox"),
    path("new/", staff.hotline, name="hotline"),
    path("<int:pk>/", staff.detail, name="detail"),
    path("<int:pk>/<slug:action>/", staff.act, name="act"),
]
