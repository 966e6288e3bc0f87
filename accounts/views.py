from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import selectors, services
from accounts.forms import StaffSettingsForm


@login_required
@require_http_methods(["GET", "POST"])
def staff_settings(request):
    """A staff user's own settings: the language of the emails the app sends them."""
    if request.method == "POST":
        form = StaffSettingsForm(request.POST)
        if form.is_valid():
            services.staff_language_set(user=request.user, language=form.cleaned_data["language"])
            messages.success(request, _("Your settings are saved."))
            return HttpResponseRedirect(request.path)
        status = 400
    else:
        form = StaffSettingsForm(initial={"language": selectors.staff_language(request.user)})
        status = 200
    return render(request, "accounts/settings.html", {"form": form}, status=status)
