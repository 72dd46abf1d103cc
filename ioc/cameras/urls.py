from django.urls import path

from ioc.cameras import mjpeg, staff, views

app_name = "cameras"

urlpatterns = [
    path("", views.grid, name="grid"),
    path("wall/", views.wall, name="wall"),
    path("import/", staff.import_page, name="import"),
    path("grants/", views.grants, name="grants"),
    path("<int:pk>/", views.camera, name="camera"),
    path("<int:pk>/live/", views.live, name="live"),
    path("<int:pk>/s/<str:token>/frame.jpg", views.frame, name="frame"),
    path("<int:pk>/v/<str:token>/index.m3u8", views.playlist, name="playlist"),
    path("<int:pk>/v/<str:token>/<str:name>", views.segment, name="segment"),
    # Under ioc.asgi's async prefix (mjpeg.PREFIX): a long stream holds no thread.
    path("mjpeg/<int:pk>/<str:token>/", mjpeg.stream, name="mjpeg"),
]
