from typing import Any, TypeVar

from django.db import models

ModelT = TypeVar("ModelT", bound=models.Model)


def model_update(
    *, instance: ModelT, fields: list[str], data: dict[str, Any]
) -> tuple[ModelT, bool]:
    """Set the given ``fields`` from ``data`` and save only what changed.

    Returns the instance and whether anything was written. ``updated_at`` is saved along with
    any change when the model has it.
    """
    changed = [
        field for field in fields if field in data and getattr(instance, field) != data[field]
    ]
    for field in changed:
        setattr(instance, field, data[field])
    if not changed:
        return instance, False
    instance.full_clean(exclude=[f.name for f in instance._meta.fields if f.name not in changed])
    update_fields = list(changed)
    if any(f.name == "updated_at" for f in instance._meta.fields):
        update_fields.append("updated_at")
    instance.save(update_fields=update_fields)
    return instance, True
