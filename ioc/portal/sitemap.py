"""sitemap.xml: every published page in every language, each with its translations
(hreflang alternates), so search engines pair /gioi-thieu/ with /en/introduction/."""

from __future__ import annotations

import operator
from collections import defaultdict
from functools import reduce
from typing import Any

from django.db.models import Q
from wagtail.contrib.sitemaps import Sitemap
from wagtail.models import Page


class PortalSitemap(Sitemap):
    def items(self) -> Any:
        roots = self.get_wagtail_site().root_page.get_translations(inclusive=True)
        under_a_home = reduce(operator.or_, (Q(path__startswith=r.path) for r in roots))
        return (
            Page.objects.filter(under_a_home)
            .live()
            .public()
            .order_by("path")
            .defer_streamfields()
            .select_related("locale")
            .specific()
        )

    def _urls(self, page: int, protocol: str, domain: str) -> list[dict[str, Any]]:
        pages = list(self.paginator.page(page).object_list)
        translations: dict[Any, list[Any]] = defaultdict(list)
        for each in pages:
            translations[each.translation_key].append(each)
        urls, last_mods = [], set()
        for each in pages:
            together = translations[each.translation_key]
            for info in each.get_sitemap_urls(self.request):
                if len(together) > 1:
                    info["alternates"] = [
                        {
                            "location": t.get_full_url(self.request),
                            "lang_code": t.locale.language_code,
                        }
                        for t in together
                    ]
                urls.append(info)
                last_mods.add(info.get("lastmod"))
        if last_mods and None not in last_mods:
            self.latest_lastmod = max(last_mods)
        return urls
