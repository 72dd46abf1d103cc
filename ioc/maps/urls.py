from django.urls import path

from ioc.maps import ogc, views

app_name = "maps"

urlpatterns = [
    path("ioc/map/", views.map_page, name="map"),
    path("ioc/map/<slug:slug>/", views.map_page, name="saved"),
    path("ogc/", ogc.landing, name="ogc"),
    path("ogc/conformance", ogc.conformance, name="ogc-conformance"),
    path("ogc/collections", ogc.collections, name="ogc-collections"),
    path("ogc/collections/<slug:cid>", ogc.collection, name="ogc-collection"),
    path("ogc/collections/<slug:cid>/items", ogc.items, name="ogc-items"),
    path("ogc/collections/<slug:cid>/items/<str:fid>", ogc.items, name="ogc-item"),
]
