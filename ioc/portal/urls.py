from django.urls import path, re_path
from wagtail import urls as wagtail_urls
from wagtail.contrib.sitemaps.views import sitemap

from ioc.portal import feeds, views
from ioc.portal.cache import publicly_cached
from ioc.portal.sitemap import PortalSitemap

app_name = "portal"
urlpatterns = [
    path("search/", views.search, name="search"),
    path("feeds/rss.xml", publicly_cached(feeds.NewsFeed()), name="rss"),
    path("feeds/atom.xml", publicly_cached(feeds.AtomNewsFeed()), name="atom"),
    path("feeds/<slug:section>/rss.xml", publicly_cached(feeds.NewsFeed()), name="section-rss"),
    path(
        "feeds/<slug:section>/atom.xml",
        publicly_cached(feeds.AtomNewsFeed()),
        name="section-atom",
    ),
    path(
        "sitemap.xml",
        publicly_cached(sitemap),
        {"sitemaps": {"pages": PortalSitemap}},
        name="sitemap",
    ),
    path("robots.txt", views.robots, name="robots"),
    re_path(r"^media/images/(?P<name>[^/]+)$", views.rendition, name="rendition"),
    path(
        "media/renditions/<str:signature>/<int:image_id>/<str:spec>/<str:name>",
        views.picture,
        name="picture",
    ),
]

# The pages themselves, included by the root URLconf inside i18n_patterns (no namespace:
# Wagtail reverses "wagtail_serve"), so that an English page's address is /en/...
page_urlpatterns = [
    *(p for p in wagtail_urls.urlpatterns if getattr(p, "name", None) != "wagtail_serve"),
    re_path(wagtail_urls.serve_pattern, views.serve, name="wagtail_serve"),
]
