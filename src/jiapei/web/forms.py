"""Form rendering for every end: Django's form-renderer API with the kit's templates, so each
form shows an error summary linked to its fields and each field its own errors in zh-hans
(the GOV.UK pattern of reference/ui.md §3), with no template tag of a third party."""

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    form_template_name = "web/forms/form.html"
    field_template_name = "web/forms/field.html"
