from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ioc.accounts.access import AuditedAdminMixin, ScopedAdminMixin
from ioc.cameras.models import PROBED_FIELDS, Camera, CameraGroup, CameraView
from ioc.cameras.sources import set_password, split_credentials


class CameraForm(forms.ModelForm[Camera]):
    password = forms.CharField(
        label=_("password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored encrypted and never shown again; leave empty to keep the stored one."),
    )
    clear_password = forms.BooleanField(label=_("remove the stored password"), required=False)

    class Meta:
        model = Camera
        fields = [
            "code",
            "name",
            "groups",
            "unit",
            "agency",
            "vendor",
            "lat",
            "lon",
            "rtsp_url",
            "hls_url",
            "mjpeg_url",
            "snapshot_url",
            "username",
            "enabled",
            "analytics",
            "zone",
            "activity_threshold",
        ]

    def clean_zone(self) -> Any:
        from ioc.cameras.analytics import check_zone

        try:
            return check_zone(self.cleaned_data.get("zone"))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for key in ("rtsp_url", "hls_url", "mjpeg_url", "snapshot_url"):
            clean, user, secret = split_credentials(data.get(key) or "")
            data[key] = clean
            if user and not data.get("username"):
                data["username"] = user
            if secret and not data.get("password"):
                data["password"] = secret
        if not any(data.get(k) for k in ("rtsp_url", "hls_url", "mjpeg_url", "snapshot_url")):
            raise forms.ValidationError(_("A camera needs at least one address."))
        return data

    def save(self, commit: bool = True) -> Camera:
        camera: Camera = super().save(commit=False)
        for key in ("rtsp_url", "hls_url", "mjpeg_url", "snapshot_url", "username"):
            setattr(camera, key, self.cleaned_data.get(key, ""))
        if self.cleaned_data.get("clear_password"):
            set_password(camera, "")
        elif self.cleaned_data.get("password"):
            set_password(camera, self.cleaned_data["password"])
        if commit:
            camera.save()
            self.save_m2m()
        return camera


@admin.register(Camera)
class CameraAdmin(AuditedAdminMixin, ScopedAdminMixin, admin.ModelAdmin[Camera]):
    form = CameraForm
    list_display = ["code", "name", "status", "unit", "agency", "last_frame_at", "enabled"]
    list_filter = ["status", "enabled", "groups"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["unit", "agency"]
    readonly_fields = PROBED_FIELDS


@admin.register(CameraGroup)
class CameraGroupAdmin(AuditedAdminMixin, admin.ModelAdmin[CameraGroup]):
    list_display = ["code", "name", "sector", "order"]
    filter_horizontal = ["roles"]


@admin.register(CameraView)
class CameraViewAdmin(admin.ModelAdmin[CameraView]):
    list_display = ["camera", "user", "kind", "started_at", "last_seen_at", "seconds", "ended"]
    list_filter = ["kind", "ended"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
