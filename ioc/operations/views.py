from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ioc.accounts.scope import visible
from ioc.operations.models import Event


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    events = visible(request.user, Event.objects.all())
    return render(request, "operations/inbox.html", {"events": events[:100]})
