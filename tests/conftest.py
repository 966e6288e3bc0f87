import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import caches
from django.utils import translation

from integrations import events as webhook_events
from npsapp import celery_app, generations, roles
from surveys import selectors


@pytest.fixture(autouse=True)
def _eager_celery(request):
    """Unit tests run tasks inline; integration tests talk to a real worker."""
    if request.node.get_closest_marker("integration"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _surveys_forgotten():
    """Each process keeps the survey pages' surveys, checked by their updated_at: a rolled-back
    test leaves its ids to the next, and a frozen clock could repeat a stamp. The same goes for
    the page fragments each process keeps rendered, by survey id and stamp."""
    yield
    selectors.surveys_forget()
    caches["fragments"].clear()


@pytest.fixture(autouse=True)
def _language_reset():
    """A request's LocaleMiddleware leaves its language active in the thread: the next test
    (a pure one that renders text) would read French."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_generations():
    """Values kept in the cache under a generation (the filter choices, "no webhook is active")
    outlive the database each test rolls back: each test starts with them stale. The webhook
    outbox's memo trusts its generation for a second: it is dropped too."""
    generations.bump_all()
    webhook_events.subscriptions_changed()


def _user(username: str, *role_names: str, **extra) -> User:
    user = User.objects.create_user(username=username, password="pw", first_name=username.title(), **extra)
    # get_or_create: the role groups come from a data migration, but transactional tests
    # (the real-stack ones) flush every table when they finish.
    user.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in role_names))
    return user


@pytest.fixture
def agent(db):
    return _user("alice", roles.AGENT)


@pytest.fixture
def other_agent(db):
    return _user("bob", roles.AGENT)


@pytest.fixture
def manager(db):
    return _user("maria", roles.MANAGER)


@pytest.fixture
def admin_user(db):
    return _user("root", roles.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def outsider(db):
    """Logged in, but with no role at all."""
    return _user("olivier")


@pytest.fixture
def survey(db):
    from tests.factories import SurveyFactory

    return SurveyFactory(name="Post-purchase")


@pytest.fixture
def customer(db):
    from tests.factories import CustomerFactory

    return CustomerFactory(first_name="Jeanne", last_name="Moreau", email="jeanne@example.com")


@pytest.fixture
def invitation(survey, customer):
    from surveys.services import invitation_create

    return invitation_create(survey=survey, customer=customer)
