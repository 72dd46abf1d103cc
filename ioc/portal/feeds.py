"""RSS 2.0 and Atom feeds of the news: the whole site, and one per section."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed

from ioc.portal.models import ArticlePage, SectionPage
from ioc.portal.selectors import articles
from ioc.portal.setup import portal_name

ITEMS = 30


class NewsFeed(Feed):
    feed_type: type[SyndicationFeed] = Rss201rev2Feed

    def get_object(self, request: HttpRequest, section: str | None = None) -> SectionPage | None:
        self.request = request
        if section is None:
            return None
        found = SectionPage.objects.live().public().filter(slug=section).first()
        if found is None:
            raise Http404(section)
        return found

    def title(self, obj: SectionPage | None) -> str:
        return f"{obj.title} · {portal_name()}" if obj else portal_name()

    def link(self, obj: SectionPage | None) -> str:
        return obj.url if obj else "/"

    def description(self, obj: SectionPage | None) -> str:
        return (obj.intro if obj else "") or portal_name()

    def items(self, obj: SectionPage | None) -> Any:
        found = articles()
        if obj is not None:
            found = found.child_of(obj)
        return found[:ITEMS]

    def item_title(self, item: ArticlePage) -> str:
        return item.title

    def item_description(self, item: ArticlePage) -> str:
        return item.summary

    def item_link(self, item: ArticlePage) -> str:
        return item.get_url(request=self.request) or "/"

    def item_pubdate(self, item: ArticlePage) -> dt.datetime:
        return item.date

    def item_updateddate(self, item: ArticlePage) -> dt.datetime:
        return item.last_published_at or item.date

    def item_author_name(self, item: ArticlePage) -> str:
        return item.author

    def item_categories(self, item: ArticlePage) -> list[str]:
        parent = item.get_parent()
        return [parent.title] if parent else []


class AtomNewsFeed(NewsFeed):
    feed_type = Atom1Feed

    def subtitle(self, obj: SectionPage | None) -> str:
        return self.description(obj)
