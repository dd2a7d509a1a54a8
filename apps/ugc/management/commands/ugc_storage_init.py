"""Create the private UGC container on Azure Blob Storage (idempotent) and check that it is
private. Run once per environment (and by the test fixtures); a local filesystem storage
needs nothing."""

from django.core.management.base import BaseCommand, CommandError

from apps.ugc.storage import storage_is_azure, ugc_storage


class Command(BaseCommand):
    help = "Create the private UGC blob container if missing, and refuse a public one."

    def handle(self, *args: object, **options: object) -> None:
        storage = ugc_storage()
        if not storage_is_azure(storage):
            self.stdout.write("ugc storage: local filesystem, nothing to create")
            return
        from azure.core.exceptions import ResourceExistsError

        container = storage.client  # type: ignore[attr-defined]
        try:
            container.create_container()  # no public_access: private
            self.stdout.write(f"ugc storage: created private container {container.container_name}")
        except ResourceExistsError:
            self.stdout.write(f"ugc storage: container {container.container_name} exists")
        access = container.get_container_properties().public_access
        if access:
            raise CommandError(
                f"container {container.container_name} allows public access ({access}); "
                "UGC is only served through signed URLs: make it private"
            )
