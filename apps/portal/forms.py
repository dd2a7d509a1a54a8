from django.forms.renderers import DjangoTemplates


class PortalFormRenderer(DjangoTemplates):
    """Every form's field errors under their own field, tied to it by ``aria-describedby``
    (Django's default puts them above the label, where they read like a page banner)."""

    form_template_name = "portal/forms/div.html"
    field_template_name = "portal/forms/field.html"
