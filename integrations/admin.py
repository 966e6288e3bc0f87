import json

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from integrations import events, services
from integrations.choices import SubscriptionKind, WebhookEvent
from integrations.models import ApiToken, WebhookDelivery, WebhookSubscription


class ApiTokenAddForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ("name", "scope")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created here (the key is shown once) and revoked, never edited or deleted: the row is the audit."""

    list_display = ("name", "prefix", "scope", "created_by", "created_at", "last_used_at", "revoked_at")
    list_filter = ("scope", ("revoked_at", admin.EmptyFieldListFilter))
    list_select_related = ("created_by",)
    search_fields = ("name", "prefix")
    actions = ("revoke_selected",)
    add_form = ApiTokenAddForm
    readonly_fields = ("name", "prefix", "scope", "created_by", "created_at", "last_used_at", "revoked_at")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request, obj=None):
        return ("name", "scope") if obj is None else self.readonly_fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        read_only = {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False}
        return super().change_view(request, object_id, form_url, {**read_only, **(extra_context or {})})

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return  # every field is read-only once created
        token, key = services.api_token_create(
            name=form.cleaned_data["name"], scope=form.cleaned_data["scope"], created_by=request.user
        )
        # The admin goes on with `obj` (its log entry and the redirect): make it the created row.
        obj.pk, obj.prefix, obj.key_hash, obj.created_by, obj.created_at = (
            token.pk,
            token.prefix,
            token.key_hash,
            token.created_by,
            token.created_at,
        )
        self.message_user(
            request,
            _(
                "The key of “%(name)s” is %(key)s. Copy it now: it is not stored and cannot be shown again. "
                "Send it as the header Authorization: Bearer <key>."
            )
            % {"name": token.name, "key": key},
            messages.SUCCESS,
        )

    @admin.action(description=_("Revoke selected tokens"), permissions=["change"])
    def revoke_selected(self, request, queryset):
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            services.api_token_revoke(token=token)
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", len(tokens)) % {"count": len(tokens)},
            messages.SUCCESS,
        )


# --- Webhooks ------------------------------------------------------------------------------------


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The events this receiver is sent."),
    )

    class Meta:
        model = WebhookSubscription
        fields = ("name", "url", "events", "is_active", "allow_private_addresses")


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    """The URL is checked on save (model clean): http(s) only, and no private or loopback address unless allowed."""

    form = WebhookSubscriptionForm
    list_display = ("name", "url", "event_list", "is_active", "allow_private_addresses", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "url")
    readonly_fields = ("secret", "signature_help", "deliveries_link", "created_at")

    def get_queryset(self, request):
        # Chat destinations are subscriptions too, edited on their own page (Chat alerts).
        return super().get_queryset(request).filter(kind=SubscriptionKind.STANDARD)

    def get_fields(self, request, obj=None):
        fields = list(self.form.Meta.fields)
        # The secret exists once saved: showing a default here would not be the one stored.
        return fields if obj is None else [*fields, *self.readonly_fields]

    @admin.display(description=_("events"))
    def event_list(self, obj) -> str:
        labels = dict(WebhookEvent.choices)
        return ", ".join(str(labels.get(event, event)) for event in obj.events)

    @admin.display(description=_("verifying requests"))
    def signature_help(self, obj) -> str:
        return _(
            "Requests are signed as the Standard Webhooks specification says (webhook-id, webhook-timestamp, "
            "webhook-signature): verify them with the standardwebhooks library of your language and this "
            "secret (see the Webhooks section of the README)."
        )

    @admin.display(description=_("deliveries"))
    def deliveries_link(self, obj):
        url = reverse("admin:integrations_webhookdelivery_changelist") + f"?subscription__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("Delivery log"))


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: read-only. A delivery is sent again with the Replay action (a new row)."""

    list_display = (
        "event",
        "subscription",
        "status",
        "attempts",
        "response_status",
        "short_error",
        "created_at",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "event", "subscription")
    list_select_related = ("subscription",)
    search_fields = ("=public_id",)
    actions = ("replay_selected",)
    fields = (
        "public_id",
        "subscription",
        "event",
        "status",
        "attempts",
        "response_status",
        "last_error",
        "created_at",
        "next_attempt_at",
        "delivered_at",
        "replay_of",
        "payload_json",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_replay_permission(self, request) -> bool:
        # A replay adds a delivery.
        return request.user.has_perm("integrations.add_webhookdelivery")

    @admin.display(description=_("last error"))
    def short_error(self, obj) -> str:
        return obj.last_error if len(obj.last_error) <= 80 else obj.last_error[:79] + "…"

    @admin.display(description=_("payload"))
    def payload_json(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, sort_keys=True, ensure_ascii=False))

    @admin.action(description=_("Replay selected deliveries"), permissions=["replay"])
    def replay_selected(self, request, queryset):
        replays = [events.webhook_delivery_replay(delivery=delivery) for delivery in queryset]
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery queued again, as a new delivery with the same payload.",
                "%(count)d deliveries queued again, as new deliveries with the same payload.",
                len(replays),
            )
            % {"count": len(replays)},
            messages.SUCCESS,
        )
