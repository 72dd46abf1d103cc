"""Events: a diacritics-free copy of the headline for search, and one unresolved event per
deduplication key (what raise_event() relies on under concurrency)."""

from django.db import migrations, models


def fill_headline_folded(apps, schema_editor):
    from ioc.core.text import fold

    Event = apps.get_model("operations", "Event")
    batch = []
    for event in Event.objects.only("id", "headline").iterator(chunk_size=2000):
        event.headline_folded = fold(event.headline)[:300]
        batch.append(event)
        if len(batch) >= 2000:
            Event.objects.bulk_update(batch, ["headline_folded"])
            batch = []
    if batch:
        Event.objects.bulk_update(batch, ["headline_folded"])


class Migration(migrations.Migration):
    dependencies = [
        ("operations", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="event",
            name="headline_folded",
            field=models.CharField(blank=True, editable=False, max_length=300),
        ),
        migrations.RunPython(fill_headline_folded, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ("open", "acknowledged")))
                & ~models.Q(dedup_key=""),
                fields=("dedup_key",),
                name="event_unresolved_dedup_key_unique",
            ),
        ),
    ]
