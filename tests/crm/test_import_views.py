import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.importer import import_customers_csv
from crm.models import CustomAttribute, Customer
from privacy.choices import PrivacyAction
from privacy.models import PrivacyEvent

IMPORT = reverse("crm:import")
TEMPLATE = reverse("crm:import_template")


def _upload(text: str, name="customers.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_admin_sees_the_form(client, admin_user):
    client.force_login(admin_user)
    page = client.get(IMPORT)
    assert page.status_code == 200
    html = page.content.decode()
    assert '<label class="form-label" for="id_file">CSV file</label>' in html
    assert "external_id, email, first_name" in html  # the columns, in the help text
    assert f'href="{TEMPLATE}"' in html


@pytest.mark.parametrize("who", ["manager", "agent", "outsider"])
def test_only_admins_may_import(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(IMPORT).status_code == 403
    assert client.post(IMPORT, {"file": _upload("external_id\nC1\n")}).status_code == 403
    assert client.get(TEMPLATE).status_code == 403
    assert not Customer.objects.exists()


def test_anonymous_is_sent_to_log_in(client, db):
    assert client.get(IMPORT).status_code == 302


def test_upload_shows_the_report_and_keeps_the_valid_lines(client, admin_user):
    client.force_login(admin_user)
    text = "external_id,email,first_name\nC1,c1@example.com,Ana\nC2,nope,Bo\nC3,c3@example.com,Cy\n"
    page = client.post(IMPORT, {"file": _upload(text)})
    assert page.status_code == 200
    report = page.context["report"]
    assert (report.created, report.updated, report.unchanged, report.invalid) == (2, 0, 0, 1)
    html = page.content.decode()
    assert "Import result" in html
    assert "1 line was refused" in html
    assert "<td>3</td>" in html and "<td>C2</td>" in html
    assert "<code>email</code>: Enter a valid email address." in html
    assert sorted(Customer.objects.values_list("external_id", flat=True)) == ["C1", "C3"]
    event = PrivacyEvent.objects.get()
    assert (event.action, event.actor) == (PrivacyAction.IMPORT, admin_user)
    assert event.details == {"source": "upload", "file": "customers.csv", "created": 2, "updated": 0} | {
        "unchanged": 0,
        "invalid": 1,
    }


def test_what_the_file_says_is_escaped_in_the_report(client, admin_user):
    client.force_login(admin_user)
    text = 'external_id,email,account_owner\n<script>alert(1)</script>,bad,"<img src=x onerror=alert(2)>"\n'
    html = client.post(IMPORT, {"file": _upload(text)}).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html


def test_a_file_error_is_shown_on_the_form_and_nothing_is_written(client, admin_user):
    client.force_login(admin_user)
    page = client.post(IMPORT, {"file": _upload("id,mail\n1,a@example.com\n")})
    assert page.status_code == 400
    html = page.content.decode()
    assert "The file has no external_id column" in html
    assert "Unknown columns: id, mail." in html
    assert "nothing was written" in html
    assert not Customer.objects.exists()
    assert not PrivacyEvent.objects.exists()


def test_no_file_chosen(client, admin_user):
    client.force_login(admin_user)
    page = client.post(IMPORT, {})
    assert page.status_code == 400
    assert "Choose the CSV file to import." in page.content.decode()


def test_a_large_file_is_sent_to_the_command(client, admin_user, monkeypatch):
    monkeypatch.setattr("crm.forms.IMPORT_MAX_BYTES", 20)
    client.force_login(admin_user)
    page = client.post(IMPORT, {"file": _upload("external_id,email\nC1,c1@example.com\n")})
    assert page.status_code == 400
    html = page.content.decode()
    assert "this page takes files up to 20\xa0bytes" in html
    assert "manage.py import_customers" in html
    assert not Customer.objects.exists()


def test_check_only_writes_nothing(client, admin_user):
    client.force_login(admin_user)
    page = client.post(IMPORT, {"file": _upload("external_id\nC1\nC2\n"), "dry_run": "on"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Check result: nothing was written" in html
    assert "Would be created" in html
    assert page.context["report"].created == 2
    assert not Customer.objects.exists()


def test_a_file_kept_on_disk_by_the_upload_handler_imports_too(client, admin_user, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every upload goes to a temporary file
    client.force_login(admin_user)
    page = client.post(IMPORT, {"file": _upload("\ufeffexternal_id;first_name\r\nC1;Zoé\r\n")})
    assert page.context["report"].created == 1
    assert Customer.objects.get().first_name == "Zoé"


def test_template_download_imports_as_is(client, admin_user):
    CustomAttribute.objects.create(key="store", label="Store", type="choice", choices="Paris\nLyon")
    client.force_login(admin_user)
    response = client.get(TEMPLATE)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="customers-template.csv"'
    header, example = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header[0] == "external_id" and header[-1] == "attr:store"
    report = import_customers_csv(io.BytesIO(response.content))
    assert (report.created, report.invalid) == (1, 0)
    assert Customer.objects.get().custom_attributes == {"store": "Paris"}


class _TrackedBody:
    """A request body that records every read: the view must refuse without reading it."""

    def __init__(self, data: bytes):
        self.stream = io.BytesIO(data)
        self.read_bytes = 0

    def read(self, size=-1):
        chunk = self.stream.read(size)
        self.read_bytes += len(chunk)
        return chunk

    def readline(self, size=-1):
        chunk = self.stream.readline(size)
        self.read_bytes += len(chunk)
        return chunk


def test_an_oversized_upload_is_refused_from_its_content_length_before_the_body_is_read(client, admin_user):
    client.force_login(admin_user)
    body = _TrackedBody(b"--x\r\n")
    page = client.post(
        IMPORT,
        data=b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(2 * 1024**3),  # 2 GB announced, a few bytes sent
        **{"wsgi.input": body},
    )
    assert page.status_code == 413
    assert body.read_bytes == 0
    html = page.content.decode()
    assert "this page takes files up to 5.0\xa0MB" in html
    assert "manage.py import_customers" in html
    assert not PrivacyEvent.objects.exists()


def test_an_upload_just_under_the_limit_is_read(client, admin_user, monkeypatch):
    # The allowance above the file's limit covers the multipart framing of a file at the limit.
    text = "external_id\n" + "".join(f"C{i:03}\n" for i in range(37))
    monkeypatch.setattr("crm.forms.IMPORT_MAX_BYTES", len(text))
    monkeypatch.setattr("crm.views.IMPORT_MAX_BYTES", len(text))
    client.force_login(admin_user)
    page = client.post(IMPORT, {"file": _upload(text)})
    assert page.status_code == 200
    assert page.context["report"].created == 37


def test_the_import_still_checks_the_csrf_token(admin_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.post(IMPORT, {"file": _upload("external_id\nC1\n")}).status_code == 403
    assert not Customer.objects.exists()
