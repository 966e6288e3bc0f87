import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from crm import importer
from crm.importer import ImportFileError, import_customers_csv, iter_rows, read_header, report_lines
from crm.models import CustomAttribute, Customer
from privacy.choices import PrivacyAction
from privacy.models import PrivacyEvent
from tests.factories import CustomerFactory

HEADER = "external_id,email,first_name,last_name,newsletter_subscribed,birth_year,customer_since,plan"


def _file(text: str, *, encoding="utf-8") -> io.BytesIO:
    return io.BytesIO(text.encode(encoding))


def _import(text: str, **kwargs):
    return import_customers_csv(_file(text), **kwargs)


# --- The file, without a database -------------------------------------------------------


def test_header_names_are_trimmed_and_case_insensitive():
    header = read_header(" External_ID ,EMAIL,Attr:Points\r\n", ["Points"])
    assert header == importer.Header(columns=("external_id", "email", "attr:Points"), delimiter=",")


def test_semicolon_file_is_recognised_by_its_header():
    header, rows = iter_rows(io.StringIO("external_id;city\nC1;Paris, France\n"), [])
    assert header.delimiter == ";"
    assert list(rows) == [(2, {"external_id": "C1", "city": "Paris, France"})]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("", "The file is empty: its first line must name the columns."),
        ("email,first_name\n", "The file has no external_id column: it is how customers are matched."),
        ("external_id,mail,nom\n", "Unknown columns: mail, nom. The columns are: external_id, email,"),
        ("external_id,attr:colour\n", "Unknown custom attributes: attr:colour. Declare them in the admin first"),
        ("external_id,email,Email\n", "Columns named more than once: email."),
        ("external_id,,email,\n", "Columns 2, 4 have no name."),
    ],
)
def test_bad_headers_are_file_errors(line, message):
    with pytest.raises(ImportFileError) as caught:
        read_header(line, ["points"])
    assert any(m.startswith(message) for m in caught.value.messages), caught.value.messages


def test_old_mac_line_endings_are_a_file_error():
    with pytest.raises(ImportFileError, match="Line 1 cannot be read as CSV"):
        iter_rows(io.StringIO("external_id,city\rC1,Paris\r"), [])


def test_rows_carry_the_line_they_start_on():
    text = io.StringIO('external_id,city\nC1,Paris\n\nC2,"Saint-\nMalo"\n ,  \nC3,Lyon,extra\nC4,Lille\n')
    _header, rows = iter_rows(text, [])
    rows = list(rows)
    assert [line for line, _data in rows] == [2, 4, 7, 8]
    assert rows[0][1] == {"external_id": "C1", "city": "Paris"}
    assert rows[1][1] == {"external_id": "C2", "city": "Saint-\nMalo"}
    assert rows[2][1] == importer.RefusedRow(
        "C3", {"__all__": ["This line has 3 values but the header has 2 columns."]}
    )


def test_custom_attribute_columns_are_grouped():
    _header, rows = iter_rows(io.StringIO("external_id,attr:points,attr:store\nC1,3,\n"), ["points", "store"])
    assert list(rows) == [(2, {"external_id": "C1", "custom_attributes": {"points": "3", "store": ""}})]


def test_template_has_every_column_and_a_valid_example():
    text = importer.template_csv([("points", "number", []), ("store", "choice", ["Paris", "Lyon"])])
    header, example = list(csv.reader(io.StringIO(text)))
    assert header[:2] == ["external_id", "email"]
    assert header[-2:] == ["attr:points", "attr:store"]
    assert dict(zip(header, example, strict=True))["attr:store"] == "Paris"


# --- Importing --------------------------------------------------------------------------


def test_each_bad_value_is_reported_with_its_line_and_the_rest_is_imported(db):
    report = _import(
        f"{HEADER}\n"
        "C1,c1@example.com,Ana,Lopez,yes,1980,2020-01-31,basic\n"
        "C2,not-an-email,Bo,Ek,no,1980,2020-01-31,basic\n"
        "C3,c3@example.com,Cy,Di,maybe,1880,31/01/2020,gold\n"
        "C4,c4@example.com,Di,Fo,1,,,\n"
    )
    assert (report.created, report.updated, report.unchanged, report.invalid) == (2, 0, 0, 2)
    assert list(report_lines(report)) == [
        "line 3 (C2): email: Enter a valid email address.",
        "line 4 (C3): newsletter_subscribed: Enter yes or no (also accepted: true/false, 1/0).",
        f"line 4 (C3): birth_year: Enter a year between 1900 and {timezone.localdate().year}.",
        "line 4 (C3): customer_since: Enter a date as YYYY-MM-DD.",
        "line 4 (C3): plan: Choose one of: basic, standard, premium.",
    ]
    assert sorted(Customer.objects.values_list("external_id", flat=True)) == ["C1", "C4"]
    c4 = Customer.objects.get(external_id="C4")
    assert (c4.newsletter_subscribed, c4.birth_year, c4.customer_since, c4.plan) == (True, None, None, "")


def test_importing_twice_changes_nothing(db, django_assert_max_num_queries):
    CustomAttribute.objects.create(key="points", label="Points", type="number")
    text = "external_id,email,first_name,attr:points\n" + "".join(
        f"C{n},c{n}@example.com,Name {n},{n}\n" for n in range(50)
    )
    first = _import(text)
    assert first.created == 50
    stamps = dict(Customer.objects.values_list("external_id", "updated_at"))

    # The declared attributes, one SELECT of the 50, the audit row, and the savepoints of the import's
    # transaction and of the service's inside it; no write to customers.
    with django_assert_max_num_queries(7) as queries:
        second = _import(text)
    assert (second.created, second.updated, second.unchanged, second.invalid) == (0, 0, 50, 0)
    assert not [q["sql"] for q in queries if "crm_customer" in q["sql"] and not q["sql"].startswith("SELECT")]
    assert dict(Customer.objects.values_list("external_id", "updated_at")) == stamps


def test_a_changed_line_updates_only_that_customer(db):
    _import("external_id,first_name\nC1,Ana\nC2,Bo\n")
    before = Customer.objects.get(external_id="C1").updated_at
    report = _import("external_id,first_name\nC1,Ana\nC2,Bob\n")
    assert (report.updated, report.unchanged) == (1, 1)
    assert Customer.objects.get(external_id="C1").updated_at == before
    assert Customer.objects.get(external_id="C2").first_name == "Bob"


def test_absent_column_keeps_the_value_and_empty_cell_clears_it(db):
    CustomerFactory(external_id="C1", email="c1@example.com", first_name="Ana", city="Paris")
    _import("external_id,first_name,city\nC1,Anna,\n")
    customer = Customer.objects.get(external_id="C1")
    assert (customer.email, customer.first_name, customer.city) == ("c1@example.com", "Anna", "")


def test_the_same_external_id_twice_is_refused_on_its_second_line(db):
    report = _import("external_id,first_name\nC1,Ana\nC2,Bo\nC1,Other\n")
    assert list(report_lines(report)) == [
        "line 4 (C1): external_id: This external id is already on line 2: a customer may appear only once per file."
    ]
    assert Customer.objects.get(external_id="C1").first_name == "Ana"


def test_an_erased_customer_is_not_filled_in_again(db):
    CustomerFactory(external_id="erased-abc", first_name="", erased_at=timezone.now())
    report = _import("external_id,first_name\nerased-abc,Jeanne\nC2,Bo\n")
    assert list(report_lines(report)) == [
        "line 2 (erased-abc): external_id: This customer's personal data was erased: an import cannot fill it in again."
    ]
    assert Customer.objects.get(external_id="erased-abc").first_name == ""
    assert report.created == 1


def test_bom_and_semicolons_as_excel_writes_them(db):
    report = import_customers_csv(_file("\ufeffexternal_id;first_name;city\r\nC1;Zoé;Saint-Étienne\r\n"))
    assert report.created == 1
    assert Customer.objects.values_list("first_name", "city").get() == ("Zoé", "Saint-Étienne")


def test_a_file_that_is_not_utf8_is_refused_and_nothing_is_written(db, monkeypatch):
    monkeypatch.setattr("crm.services.customers.BATCH_SIZE", 10)
    text = "external_id,first_name\n" + "".join(f"C{n},Ana\n" for n in range(30)) + "C99,Zoé\n"
    with pytest.raises(ImportFileError) as caught:
        import_customers_csv(_file(text, encoding="latin-1"))
    assert caught.value.messages[0].startswith("The file is not UTF-8 text (first problem on line 32)")
    # The first batches had been written: the whole import is rolled back.
    assert not Customer.objects.exists()
    assert not PrivacyEvent.objects.exists()


def test_a_header_alone_is_a_file_error(db):
    with pytest.raises(ImportFileError, match="no customer rows"):
        _import("external_id,email\n\n")
    assert not PrivacyEvent.objects.exists()


def test_dry_run_counts_and_writes_nothing(db):
    CustomerFactory(external_id="C1", first_name="Ana")
    report = _import("external_id,first_name\nC1,Anna\nC2,Bo\nC3,\nC3,x\n", dry_run=True)
    assert (report.created, report.updated, report.invalid) == (2, 1, 1)
    assert list(Customer.objects.values_list("external_id", "first_name")) == [("C1", "Ana")]
    assert not PrivacyEvent.objects.exists()


def test_the_import_is_audited_without_personal_data(db, admin_user):
    _import("external_id,email\nC1,ana@example.com\nC2,bad\n", actor=admin_user, source="upload", filename="a.csv")
    event = PrivacyEvent.objects.get()
    assert (event.action, event.actor) == (PrivacyAction.IMPORT, admin_user)
    assert event.details == {"source": "upload", "file": "a.csv", "created": 1, "updated": 0, "unchanged": 0} | {
        "invalid": 1
    }


def test_account_owner_by_username(db, agent, outsider):
    report = _import("external_id,account_owner\nC1,alice\nC2,olivier\nC3,\n")
    assert list(report_lines(report)) == [
        "line 3 (C2): account_owner: There is no active staff user with the username “olivier”."
    ]
    assert Customer.objects.get(external_id="C1").account_owner == agent


# --- The command ------------------------------------------------------------------------


def test_command_prints_the_report(db, tmp_path, capsys):
    path = tmp_path / "customers.csv"
    path.write_text("external_id,email\nC1,c1@example.com\nC0042,nope\n", encoding="utf-8")
    call_command("import_customers", str(path))
    out = capsys.readouterr().out
    assert f"{path}: 2 rows: 1 created, 0 updated, 0 unchanged, 1 invalid." in out
    assert "line 3 (C0042): email: Enter a valid email address." in out
    assert Customer.objects.count() == 1
    assert PrivacyEvent.objects.get().details["source"] == "command"


def test_command_dry_run_writes_nothing(db, tmp_path, capsys):
    path = tmp_path / "customers.csv"
    path.write_text("external_id\nC1\n", encoding="utf-8")
    call_command("import_customers", str(path), "--dry-run")
    assert "1 created" in capsys.readouterr().out
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No such file or directory"),
        ("mail,name\nx,y\n", "The file has no external_id column"),
    ],
)
def test_command_exits_1_on_a_file_error(db, tmp_path, content, message):
    path = tmp_path / "customers.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    # manage.py prints a CommandError and exits with its returncode (run_from_argv).
    with pytest.raises(CommandError) as caught:
        call_command("import_customers", str(path))
    assert caught.value.returncode == 1
    assert message in str(caught.value)
    assert not Customer.objects.exists()
