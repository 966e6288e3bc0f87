from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from accounts.models import StaffProfile


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    extra = 1
    max_num = 1


class StaffUserAdmin(UserAdmin):
    """Django's user admin, with the user's own settings (notification language) inline."""

    inlines = [*UserAdmin.inlines, StaffProfileInline]


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)
