"""Receivers that revoke a user's API tokens when the account changes (core.tokens), and the one
that counts failed logins per client address (core.login_limits).

Revocation hangs on the model, not on a view: a password changed in the admin, on the password
change page, with `changepassword` or `set_password()` in a shell, an account deactivated anywhere,
a role taken away in the admin or by `staff_create` — each one revokes.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_save

from core.login_limits import login_failure_record
from core.tokens import api_tokens_revoke_all

_REVOKE_REASON = "_kudus_token_revoke_reason"


def _remember_account_change(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    if raw or instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return  # e.g. last_login on every sign-in: nothing that matters here
    before = sender._default_manager.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    if before["password"] != instance.password:
        setattr(instance, _REVOKE_REASON, "password changed")
    elif before["is_active"] and not instance.is_active:
        setattr(instance, _REVOKE_REASON, "account deactivated")


def _revoke_after_account_change(sender, instance, raw=False, **kwargs) -> None:
    reason = instance.__dict__.pop(_REVOKE_REASON, None)
    if reason and not raw:
        api_tokens_revoke_all(user=instance, reason=reason)


def _revoke_on_role_removal(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """A group (role) taken away from a user, from either side of the relation."""
    if action not in ("pre_remove", "pre_clear"):
        return
    user_model = get_user_model()
    if not reverse:  # user.groups.remove(...) / .clear() / .set(...)
        if action == "pre_clear" and not instance.groups.exists():
            return
        users = [instance]
    else:  # group.user_set.remove(...) / .clear()
        users = list(user_model.objects.filter(pk__in=pk_set)) if pk_set else list(instance.user_set.all())
    for user in users:
        # In the transaction of the membership change: both stand or fall together.
        api_tokens_revoke_all(user=user, reason="role removed")


def _count_failed_login(sender, credentials, request=None, **kwargs) -> None:
    login_failure_record(request=request, username=(credentials or {}).get("username", ""))


def connect() -> None:
    user_model = get_user_model()
    pre_save.connect(_remember_account_change, sender=user_model, dispatch_uid="kudus_token_pre_save")
    post_save.connect(_revoke_after_account_change, sender=user_model, dispatch_uid="kudus_token_post_save")
    user_login_failed.connect(_count_failed_login, dispatch_uid="kudus_login_failures_per_address")
    m2m_changed.connect(
        _revoke_on_role_removal, sender=user_model.groups.through, dispatch_uid="kudus_token_role_removed"
    )
