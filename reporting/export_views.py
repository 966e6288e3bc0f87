"""CSV downloads of what the dashboard shows, with the same filters from the URL."""

from collections.abc import Callable, Iterable, Iterator

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from crm.segments import filter_choices
from npsapp import roles
from npsapp.replicas import reads_from_replica, stream_from_replica
from npsapp.roles import role_required
from reporting import exports
from surveys.filters import DashboardFilterForm, ResponseFilter

# Lines are sent in batches of about this many characters: one write per line would be a
# system call per row, one write for everything would hold the file in memory.
BATCH_CHARS = 64 * 1024


def _batched(lines: Iterable[str], size: int = BATCH_CHARS) -> Iterator[str]:
    batch, length = [], 0
    for line in lines:
        batch.append(line)
        length += len(line)
        if length >= size:
            yield "".join(batch)
            batch, length = [], 0
    if batch:
        yield "".join(batch)


def _invalid_filters(form: DashboardFilterForm) -> HttpResponse:
    # Plain text: the messages can repeat what was typed in the URL.
    lines = [_("These filters are not valid:")]
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        lines.extend(f"- {label}: {error}" if label else f"- {error}" for error in errors)
    return HttpResponse("\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8")


def _csv_download(request, name: str, export: Callable[[ResponseFilter], Iterator[str]]) -> HttpResponse:
    form = DashboardFilterForm(request.GET, **filter_choices())
    if not form.is_valid():
        return _invalid_filters(form)
    filters = ResponseFilter.from_form(form, today=timezone.localdate())
    response = StreamingHttpResponse(
        _batched(stream_from_replica(export(filters))), content_type="text/csv; charset=utf-8"
    )
    filename = f"npsapp-{name}-{filters.start.isoformat()}-{filters.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@role_required(roles.CAN_SEE_DASHBOARD)
@require_http_methods(["GET"])
@reads_from_replica
def export_responses(request):
    """The responses the dashboard's filters select, as a CSV file."""
    return _csv_download(request, "responses", exports.export_responses)


@role_required(roles.CAN_SEE_DASHBOARD)
@require_http_methods(["GET"])
@reads_from_replica
def export_cases(request):
    """The follow-up cases of the responses the dashboard's filters select, as a CSV file."""
    return _csv_download(request, "cases", exports.export_cases)
