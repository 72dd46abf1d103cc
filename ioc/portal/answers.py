"""The answer to a citizen's question goes to the e-mail they gave, once, after the answer is
saved (a background task: a mail server that is down does not stop the board's work, and
the task's failure shows in the jobs' history; ``answer_sent_at`` records the sending)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from ioc.jobs.queue import enqueue_with_commit
from ioc.portal.choices import QuestionStatus
from ioc.portal.models import Question

ANSWERED = {QuestionStatus.PUBLISHED, QuestionStatus.ANSWERED}


def answer_saved(question: Question) -> None:
    if question.status in ANSWERED and question.answer_sent_at is None:
        enqueue_with_commit(send_answer, question.pk)


@task()
def send_answer(question_id: int) -> bool:
    question = Question.objects.select_related("page").filter(pk=question_id).first()
    if question is None or question.answer_sent_at is not None or question.status not in ANSWERED:
        return False
    with translation.override(settings.LANGUAGE_CODE):  # citizens are written to in Vietnamese
        subject = _("Answer to your question to %(portal)s") % {
            "portal": settings.WAGTAIL_SITE_NAME
        }
        body = "\n\n".join(
            [
                _("Dear %(name)s,") % {"name": question.name},
                _("Your question:") + "\n" + question.text,
                _("The answer:") + "\n" + question.answer,
                _("Published answers: %(url)s")
                % {"url": settings.IOC_PUBLIC_URL + question.page.url}
                if question.status == QuestionStatus.PUBLISHED
                else "",
                settings.WAGTAIL_SITE_NAME,
            ]
        )
    send_mail(subject, body.strip(), None, [question.email])
    Question.objects.filter(pk=question.pk).update(answer_sent_at=timezone.now())
    return True
