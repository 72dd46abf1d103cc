from django.urls import path

from ioc.feedback import feeds, views

app_name = "feedback"
urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.new, name="new"),
    path("track/", views.track, name="track"),
    path("captcha.png", views.captcha, name="captcha"),
    path("track/<str:code>/", views.tracked, name="tracked"),
    path("track/<str:code>/rate/", views.rate, name="rate"),
    path("track/<str:code>/reopen/", views.reopen, name="reopen"),
    path("mine/", views.mine, name="mine"),
    path("media/<int:pk>/", views.media, name="media"),
    path("<int:pk>/", views.public, name="public"),
    path("map/", views.public_map, name="map"),
    path("map.geojson", views.map_points, name="map-points"),
    path("feeds/new.xml", feeds.NewReports(), name="feed-new"),
    path("feeds/new.atom", feeds.NewReportsAtom(), name="feed-new-atom"),
    path("feeds/answered.xml", feeds.ResolvedReports(), name="feed-answered"),
    path("feeds/answered.atom", feeds.ResolvedReportsAtom(), name="feed-answered-atom"),
]
