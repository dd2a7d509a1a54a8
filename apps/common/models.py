from django.db import models


class BaseModel(models.Model):
    """Every domain model records when it was created and last changed (UTC, indexed)."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True
