import factory
from factory.django import DjangoModelFactory

from apps.accounts.models import User
from apps.titles.models import Title

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"player{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.test")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save_password(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save(update_fields=["password"])


class TitleFactory(DjangoModelFactory):
    class Meta:
        model = Title
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"title-{n}")
    name = factory.Sequence(lambda n: f"Title {n}")
    publisher = "Test Publisher"
