from typing import Any

from django import template

register = template.Library()


@register.filter
def get_answer(data: Any, name: str) -> str:
    """One posted value of a form (a QueryDict), for re-showing an extra question's answer."""
    return str(data.get(name, "")) if hasattr(data, "get") else ""
