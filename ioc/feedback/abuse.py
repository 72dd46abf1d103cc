"""Spam and abuse: rate limits per IP address and per account, an image captcha that works
offline (no third-party service) once a sender passes a threshold, a block list, and
automatic flagging of abusive words for the moderators.

* **Rate limits.** At most ``IOC_FEEDBACK_PER_HOUR`` reports an hour from one IP address
  (web form) or one account; the reports already stored are the counter, so the limit holds
  across processes and restarts.
* **Captcha.** From the ``IOC_FEEDBACK_CAPTCHA_AFTER``-th report in an hour, the form shows
  an image of five characters drawn by Pillow. The challenge travels in a token encrypted
  with the secret key (Fernet): nothing is stored until it is answered, a token is valid
  ten minutes and once (its nonce is remembered in the cache).
* **Block list.** :class:`~ioc.feedback.models.Blocked` IPs, phones and e-mails are refused,
  with a neutral message; a moderator blocks from a report's page.
* **Flagging.** A report whose text holds a word of ``ABUSIVE_WORDS`` is filed but kept out
  of public view (``flagged``) until a moderator looks at it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import random
import re
import secrets
import string
import unicodedata
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.cache import cache
from django.db import connection, models
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from ioc.core.memo import remember
from ioc.feedback.models import Blocked, Report

CAPTCHA_TTL = 600
CAPTCHA_CHARS = "".join(c for c in string.ascii_uppercase + string.digits if c not in "O0I1L")
# Insults and obscenities moderators see daily, matched as whole words of the lower-cased text
# WITH its diacritics: folded, "lồn" would be "lớn" (big) and "cặc" would be "các" (the).
ABUSIVE_WORDS = {
    "dm",
    "đm",
    "dmm",
    "đmm",
    "dcm",
    "đcm",
    "vcl",
    "vkl",
    "vl",
    "clgt",
    "địt",
    "djt",
    "lồn",
    "cặc",
    "đéo",
    "đĩ",
    "đụ má",
    "đù má",
    "mẹ mày",
    "con chó mày",
}


def per_hour() -> int:
    return int(getattr(settings, "IOC_FEEDBACK_PER_HOUR", 10))


def captcha_after() -> int:
    return int(getattr(settings, "IOC_FEEDBACK_CAPTCHA_AFTER", 3))


def recent(ip: str | None, user_id: int | None, now: dt.datetime | None = None) -> int:
    """Reports filed in the last hour from this IP address or this account.

    Counted up to what the limits need (a flood does not make each request slower), in one
    statement written out: every web report asks, and the ORM spent 0.8 ms of CPU building
    this count, a tenth of the request (benchmarks/README.md, citizen reports)."""
    if not ip and not user_id:
        return 0
    since = (now or timezone.now()) - dt.timedelta(hours=1)
    enough = max(per_hour(), captcha_after()) + 1
    who: list[str] = []
    params: list[Any] = []
    if ip:
        who.append(f"{_column('client_ip')} = %s")
        params.append(ip)
    if user_id:
        who.append(f"{_column('reporter')} = %s")
        params.append(user_id)
    table = connection.ops.quote_name(Report._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE ({' OR '.join(who)})"  # noqa: S608
            f" AND {_column('received_at')} >= %s LIMIT %s) AS recent",
            [*params, connection.ops.adapt_datetimefield_value(since), enough],
        )
        return int(cursor.fetchone()[0])


def _column(name: str) -> str:
    field = Report._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column
    return connection.ops.quote_name(field.column)


@remember(10, Blocked)
def blocklist() -> dict[tuple[str, str], dt.datetime | None]:
    """Every blocked sender and until when (None: for good), read once for every request of
    the next seconds: a new block reaches the other web processes within 10 s."""
    return {(k, v): until for k, v, until in Blocked.objects.values_list("kind", "value", "until")}


def blocked(ip: str | None, phone: str, email: str) -> bool:
    values = [
        ("ip", ip or ""),
        ("phone", "".join(c for c in phone if c.isdigit())),
        ("email", email.lower()),
    ]
    blocks = blocklist()
    now = timezone.now()
    for key in values:
        if key[1] and key in blocks:
            until = blocks[key]
            if until is None or until > now:
                return True
    return False


WORD = re.compile(r"[^\W_]+")


def is_abusive(text: str) -> bool:
    plain = unicodedata.normalize("NFC", text).lower()
    words = " " + " ".join(WORD.findall(plain)) + " "
    return any(f" {w} " in words for w in ABUSIVE_WORDS)


# --- captcha ---------------------------------------------------------------------------------


def _fernet() -> Fernet:
    key = hashlib.sha256(f"captcha:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def new_challenge() -> str:
    answer = "".join(secrets.choice(CAPTCHA_CHARS) for _ in range(5))
    payload = {"a": answer, "n": secrets.token_hex(8)}
    return _fernet().encrypt(json.dumps(payload).encode()).decode()


def _open(token: str, ttl: int = CAPTCHA_TTL) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(_fernet().decrypt(token.encode(), ttl=ttl))
    except (InvalidToken, ValueError, TypeError):
        return None
    return data


def image(token: str) -> bytes | None:
    """The challenge's picture: five characters, each shifted and turned, over noise."""
    data = _open(token)
    if data is None:
        return None
    rng = random.Random(data["n"])  # noqa: S311  (noise to draw, the same for one token)
    width, height = 200, 70
    picture = Image.new("RGB", (width, height), (245, 246, 248))
    draw = ImageDraw.Draw(picture)
    for _ in range(12):
        draw.line(
            [(rng.randint(0, width), rng.randint(0, height)) for _ in range(2)],
            fill=(rng.randint(120, 200), rng.randint(120, 200), rng.randint(120, 200)),
            width=2,
        )
    font = ImageFont.load_default(size=38)
    for i, char in enumerate(data["a"]):
        glyph = Image.new("RGBA", (48, 56), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((6, 2), char, font=font, fill=(20, 40, 70, 255))
        glyph = glyph.rotate(rng.uniform(-25, 25), expand=True)
        picture.paste(glyph, (8 + i * 37 + rng.randint(-3, 3), rng.randint(0, 12)), glyph)
    picture = picture.filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def solved(token: str, answer: str) -> bool:
    """The answer matches (any case, spaces ignored), in time, and the token is used once."""
    data = _open(token)
    if data is None:
        return False
    guess = "".join(str(answer or "").split()).upper()
    if not secrets.compare_digest(guess, data["a"]):
        return False
    return bool(cache.add(f"ioc:captcha:{data['n']}", 1, CAPTCHA_TTL + 60))
