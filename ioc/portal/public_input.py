"""What citizens send to the portal: questions (Q&A) and comments on drafts.

Both forms: plain text only (shown escaped), a hidden trap field that people leave empty,
at most ``PER_HOUR`` sendings an hour from one address (counted in the database, so across
processes and restarts), and nothing published before the board has looked at it. The
sender's e-mail is kept for the answer and never shown.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ioc.core.middleware import client_ip
from ioc.feedback.calendar import add_working_days, local_zone
from ioc.portal.models import ConsultationPage, DraftComment, Question, QuestionIndexPage

PER_HOUR = 5


class _Trap(forms.Form):
    website = forms.CharField(
        required=False,
        label=gettext_lazy("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean_website(self) -> str:
        if self.cleaned_data.get("website"):
            raise forms.ValidationError(_("This form was filled in by a program."))
        return ""


class QuestionForm(_Trap):
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=120)
    email = forms.EmailField(
        label=gettext_lazy("E-mail (for the answer; never published)"), max_length=254
    )
    topic = forms.CharField(label=gettext_lazy("Topic"), max_length=200, required=False)
    text = forms.CharField(
        label=gettext_lazy("Your question"),
        max_length=3000,
        min_length=10,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class CommentForm(_Trap):
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=120)
    email = forms.EmailField(label=gettext_lazy("E-mail (never published)"), max_length=254)
    organisation = forms.CharField(
        label=gettext_lazy("Organisation (if you write for one)"), max_length=200, required=False
    )
    text = forms.CharField(
        label=gettext_lazy("Your comment"),
        max_length=5000,
        min_length=10,
        widget=forms.Textarea(attrs={"rows": 8}),
    )


def _too_many(model: type[Question] | type[DraftComment], ip: str | None) -> bool:
    since = timezone.now() - dt.timedelta(hours=1)
    return ip is not None and model.objects.filter(ip=ip, created_at__gte=since).count() >= PER_HOUR


def _form_page(page: Any, request: HttpRequest, form: forms.Form, template: str) -> HttpResponse:
    response = page.render(request, template=template, context_overrides={"form": form})
    response.portal_cache = False  # the page holds this visitor's CSRF token
    return response


def ask(page: QuestionIndexPage, request: HttpRequest) -> HttpResponse:
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        if _too_many(Question, ip):
            form.add_error(None, _("Too many questions from this address in the last hour."))
        else:
            now = timezone.now()
            due = add_working_days(now.astimezone(local_zone()).date(), page.answer_days)
            Question.objects.create(
                page=page,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                topic=form.cleaned_data["topic"],
                text=form.cleaned_data["text"],
                due_at=dt.datetime.combine(due, dt.time(17), tzinfo=local_zone()),
                ip=ip,
            )
            messages.success(
                request,
                _("Thank you. The answer will be sent to your e-mail by %(day)s.")
                % {"day": due.strftime("%d/%m/%Y")},
            )
            return redirect(page.url)
    return _form_page(page, request, form, "portal/question_form.html")


def comment(page: ConsultationPage, request: HttpRequest) -> HttpResponse:
    if not page.is_open():
        messages.error(request, _("This draft is not open for comments now."))
        return redirect(page.url)
    form = CommentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        if _too_many(DraftComment, ip):
            form.add_error(None, _("Too many comments from this address in the last hour."))
        else:
            DraftComment.objects.create(
                page=page,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                organisation=form.cleaned_data["organisation"],
                text=form.cleaned_data["text"],
                ip=ip,
            )
            messages.success(
                request, _("Thank you. Your comment is published once the board has read it.")
            )
            return redirect(page.url)
    return _form_page(page, request, form, "portal/comment_form.html")
