from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from crm.services.rows import CUSTOMER_FIELDS

# Bigger files take longer than a web request should: the command has no such limit.
IMPORT_MAX_BYTES = 5 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        # format_lazy: translated when shown, in the language of the request.
        help_text=format_lazy(
            _(
                "UTF-8, comma- or semicolon-separated, one customer per line, column names on the first line. "
                "Columns (only external_id is required): {columns}, and attr:<key> for each custom attribute. "
                "Dates as YYYY-MM-DD, yes/no for the newsletter, a staff username as account owner. "
                "A missing column leaves that field as it is; an empty cell empties it."
            ),
            columns=", ".join(CUSTOMER_FIELDS),
        ),
        error_messages={
            "required": _("Choose the CSV file to import."),
            "empty": _("This file is empty."),
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    dry_run = forms.BooleanField(
        label=_("Check only: report what would change, write nothing"),
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise import_too_large_error(upload.size)
        return upload

    @classmethod
    def refused_as_too_large(cls, size: int) -> "ImportForm":
        """The form as shown for an upload refused before its body was read: only the size error."""
        form = cls(data={}, files={})
        form.full_clean()
        form.errors.clear()
        form.add_error("file", import_too_large_error(size))
        return form


def import_too_large_error(size: int) -> forms.ValidationError:
    """`size`: the file's, or the whole upload's when it is refused from its Content-Length."""
    return forms.ValidationError(
        _(
            "This file is %(size)s; this page takes files up to %(limit)s. Import it on the server with "
            "the command: python manage.py import_customers <file>"
        ),
        code="too_large",
        params={"size": filesizeformat(size), "limit": filesizeformat(IMPORT_MAX_BYTES)},
    )
