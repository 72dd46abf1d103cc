"""A record of each `ioc demo` run: a database with one is a demo database."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DemoLoad(models.Model):
    scale = models.CharField(_("scale"), max_length=10)
    loaded_at = models.DateTimeField(_("loaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("demo load")
        verbose_name_plural = _("demo loads")
        ordering = ["-loaded_at"]

    def __str__(self) -> str:
        return f"{self.scale} {self.loaded_at:%Y-%m-%d %H:%M}"
