"""The consent gate: one rule set, the same answer for one customer and for many."""

import smtplib
from datetime import timedelta

import pytest
from django.utils import timezone

from crm.models import Customer
from crm.services.email_failures import customer_record_email_failure, is_address_refused
from surveys import consent
from surveys.choices import ContactRefusal, DeliveryStatus
from tests.factories import CustomerFactory, InvitationFactory, SurveyFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _customers():
    """One customer per reason, plus one nobody refuses; several reasons at once give the first."""
    failed = CustomerFactory(email="gone@example.com")
    failed.email_failed_at, failed.email_failed_address = NOW, "gone@example.com"
    failed.save()
    corrected = CustomerFactory(email="new@example.com", email_failed_at=NOW, email_failed_address="old@example.com")
    recent = CustomerFactory()
    InvitationFactory(customer=recent, created_at=NOW - timedelta(days=10))
    long_ago = CustomerFactory()
    InvitationFactory(customer=long_ago, created_at=NOW - timedelta(days=200))
    never_reached = CustomerFactory()
    InvitationFactory(customer=never_reached, created_at=NOW - timedelta(days=1), delivery_status=DeliveryStatus.FAILED)
    return {
        CustomerFactory(erased_at=NOW, surveys_opted_out_at=NOW, email=""): ContactRefusal.ERASED,
        CustomerFactory(surveys_opted_out_at=NOW, email=""): ContactRefusal.UNSUBSCRIBED,
        CustomerFactory(email=""): ContactRefusal.NO_EMAIL,
        failed: ContactRefusal.EMAIL_FAILED,
        corrected: "",
        recent: ContactRefusal.RECENTLY_INVITED,
        long_ago: "",
        never_reached: "",
        CustomerFactory(): "",
    }


def test_one_customer_and_many_get_the_same_reasons():
    expected = _customers()
    survey = SurveyFactory()
    for customer, reason in expected.items():
        assert consent.contact_check(customer=customer, survey=survey, now=NOW).reason == reason, customer
    bulk = dict(
        consent.with_refusal(Customer.objects.all(), survey=survey, now=NOW).values_list("id", "contact_refusal")
    )
    assert bulk == {customer.id: reason for customer, reason in expected.items()}
    # And the test on a loaded row agrees with the filter, fatigue aside.
    for customer, reason in expected.items():
        assert (consent.profile_refusal(customer) or "") == (
            "" if reason == ContactRefusal.RECENTLY_INVITED else reason
        )


def test_counts_per_reason_in_one_query(django_assert_num_queries):
    _customers()
    with django_assert_num_queries(1):
        counts = consent.refusal_counts(Customer.objects.all(), survey=None, now=NOW)
    assert counts == {
        "": 4,
        ContactRefusal.ERASED: 1,
        ContactRefusal.UNSUBSCRIBED: 1,
        ContactRefusal.NO_EMAIL: 1,
        ContactRefusal.EMAIL_FAILED: 1,
        ContactRefusal.RECENTLY_INVITED: 1,
    }
    assert [code for code, _label, _n in consent.counts_by_label(counts)] == [
        "erased",
        "unsubscribed",
        "no_email",
        "email_failed",
        "recently_invited",
    ]


def test_fatigue_follows_the_survey_window_and_can_be_left_out():
    customer = CustomerFactory()
    InvitationFactory(customer=customer, created_at=NOW - timedelta(days=20))
    assert not consent.contact_check(customer=customer, survey=SurveyFactory(), now=NOW).allowed
    assert consent.contact_check(customer=customer, survey=SurveyFactory(contact_fatigue_days=14), now=NOW).allowed
    assert consent.contact_check(customer=customer, survey=SurveyFactory(contact_fatigue_days=0), now=NOW).allowed
    assert consent.contact_check(customer=customer, survey=None, now=NOW, fatigue=False).allowed
    check = consent.contact_check(customer=customer, survey=None, now=NOW)
    assert check.reason == "recently_invited" and "90-day contact-fatigue window" in check.message


def test_a_link_not_emailed_needs_no_working_address():
    customer = CustomerFactory(email="")
    assert consent.contact_check(customer=customer, survey=None, by_email=False).allowed
    unsubscribed = CustomerFactory(email="", surveys_opted_out_at=NOW)
    assert consent.contact_check(customer=unsubscribed, survey=None, by_email=False).reason == "unsubscribed"


def test_only_a_refused_recipient_is_a_permanent_address_failure():
    customer = CustomerFactory(email="gone@example.com")
    assert not customer_record_email_failure(customer=customer, exc=smtplib.SMTPServerDisconnected("lost"))
    assert not customer_record_email_failure(
        customer=customer, exc=smtplib.SMTPRecipientsRefused({"gone@example.com": (452, b"mailbox full")})
    )
    assert not is_address_refused(smtplib.SMTPDataError(554, b"spam"))
    assert customer_record_email_failure(
        customer=customer, exc=smtplib.SMTPRecipientsRefused({"gone@example.com": (550, b"no such user")})
    )
    customer.refresh_from_db()
    assert customer.email_failed_address == "gone@example.com" and "no such user" in customer.email_failure_reason
    assert consent.contact_check(customer=customer, survey=None).reason == "email_failed"
    # A corrected address lifts it, whoever corrects it.
    Customer.objects.filter(pk=customer.pk).update(email="back@example.com")
    assert consent.contact_check(customer=customer, survey=None).allowed


def test_erasure_forgets_the_refused_address(admin_user):
    from privacy import services as privacy

    customer = CustomerFactory(email="gone@example.com", email_failed_at=NOW, email_failed_address="gone@example.com")
    customer.email_failure_reason = "SMTPRecipientsRefused: gone@example.com unknown"
    customer.save()
    privacy.customer_erase(customer=customer, actor=admin_user)
    customer.refresh_from_db()
    assert (customer.email_failed_address, customer.email_failure_reason) == ("", "")
    assert consent.contact_check(customer=customer, survey=None).reason == "erased"
