from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from chatalerts.choices import CHAT_EVENTS
from chatalerts.models import ChatDestination


class ChatDestinationForm(forms.ModelForm):
    url = forms.URLField(
        label=_("incoming webhook URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("The incoming-webhook URL the chat platform gave for the channel."),
    )
    events = forms.MultipleChoiceField(
        label=_("alerts"),
        choices=CHAT_EVENTS,
        initial=[event for event, _label in CHAT_EVENTS],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What the channel is told of, for this team's cases only."),
    )

    class Meta:
        model = ChatDestination
        fields = ("name", "team", "platform", "url", "events", "is_active", "allow_private_addresses")


@admin.register(ChatDestination)
class ChatDestinationAdmin(admin.ModelAdmin):
    """The URL is checked on save as a webhook's is (model clean): no private or loopback address unless allowed."""

    form = ChatDestinationForm
    list_display = ("name", "team", "platform", "alert_list", "is_active", "created_at")
    list_filter = ("platform", "team", "is_active")
    list_select_related = ("team",)
    search_fields = ("name", "url", "team__name")
    readonly_fields = ("deliveries_link", "created_at")

    def get_fields(self, request, obj=None):
        fields = list(self.form.Meta.fields)
        return fields if obj is None else [*fields, *self.readonly_fields]

    @admin.display(description=_("alerts"))
    def alert_list(self, obj) -> str:
        labels = dict(CHAT_EVENTS)
        return ", ".join(str(labels.get(event, event)) for event in obj.events)

    @admin.display(description=_("deliveries"))
    def deliveries_link(self, obj):
        url = reverse("admin:integrations_webhookdelivery_changelist") + f"?subscription__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("Delivery log"))
