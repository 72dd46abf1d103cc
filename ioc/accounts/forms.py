"""Forms of the account pages: log in, citizen sign-up, authenticator codes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm, UsernameField
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from ioc.accounts.choices import AccountKind
from ioc.accounts.models import User


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "The user name or password is not right. Both are case-sensitive. After "
            "several failed attempts, logging in is locked for a while."
        ),
        "inactive": _("This account is disabled. Ask an administrator."),
    }


if TYPE_CHECKING:
    _CreationForm = UserCreationForm[User]
else:
    _CreationForm = UserCreationForm


class SignupForm(_CreationForm):
    """A citizen's own account: no roles, no scope, never staff.

    The form tells as little as it can about other people's accounts: a user name in use is
    only "not available", and an email address in use is not an error at all. The form is
    valid, ``email_in_use`` is set, and the sign-up view creates no second account while
    answering exactly as for a new address (see ``ioc.accounts.views.signup``)."""

    email_in_use = False

    email = forms.EmailField(
        label=_("Email"),
        required=True,
        help_text=_("We write to you here about your reports."),
    )

    class Meta:
        model = User
        fields = ("username", "first_name", "last_name", "email", "phone")
        field_classes = {"username": UsernameField}
        labels = {"first_name": _("Given name"), "last_name": _("Family name")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["email"].widget.attrs["autocomplete"] = "email"

    def clean_username(self) -> str:
        username: str = self.cleaned_data.get("username") or ""
        if username and User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(
                _("This user name is not available. Please choose another one."),
                code="unavailable",
            )
        return username

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].strip()
        self.email_in_use = User.objects.filter(email__iexact=email).exists()
        return email

    def save(self, commit: bool = True) -> User:
        user: User = super().save(commit=False)
        user.kind = AccountKind.CITIZEN
        user.is_staff = False
        user.is_superuser = False
        user.scope_all = False
        if commit:
            user.save()
        return user


class CodeForm(forms.Form):
    """A code from an authenticator app (six digits)."""

    token = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=12,
        validators=[RegexValidator(r"^\s*\d{6,8}\s*$", _("Enter the 6 digits shown in your app."))],
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "autofocus": True,
            }
        ),
    )
