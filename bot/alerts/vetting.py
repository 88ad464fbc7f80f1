"""Who may do what with an alert: the two-person rule, region permissions, Update and Cancel.

Anchored in public alerting practice: a second person approves, nobody approves their own alert,
and a partner can touch only its own alerts in the regions it is registered for.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from bot.alerts.errors import AlertRequestError, forbidden, invalid
from bot.alerts.lifecycle import Alert, AlertDraft
from bot.regions import Regions
from bot.store.alerts import TransitionError
from bot.store.partners import Caller
from bot.store.store import Store


def not_found() -> AlertRequestError:
    return AlertRequestError(404, "not_found", "no such alert")


def conflict(state: str) -> AlertRequestError:
    return AlertRequestError(409, "invalid_state", f"the alert is {state}")


class Vetting:
    """The alert workflow; `wake` tells the broadcaster there is work."""

    def __init__(self, store: Store, regions: Regions, wake: Callable[[], None]) -> None:
        self.store = store
        self.regions = regions
        self.wake = wake

    def _check_regions(self, caller: Caller, draft: AlertDraft) -> None:
        for code in draft.regions:
            if code not in self.regions:
                raise invalid("unknown_region", f"unknown region code {code[:40]!r}")
            if not self.regions.covers(caller.partner.regions, code):
                raise forbidden("region_forbidden", f"this partner may not warn region {code!r}")

    async def _own_alert(self, caller: Caller, alert_id: str) -> Alert:
        alert = await self.store.alerts.get(alert_id)
        if alert is None:
            raise not_found()
        if alert.partner_id != caller.partner.id:
            # Same answer as a missing alert would leak which ids exist; but a partner acting on
            # another's alert is an attack worth a clear refusal in the audit trail.
            raise forbidden("other_partner", "this alert belongs to another partner")
        return alert

    async def submit(
        self, caller: Caller, draft: AlertDraft, *, idempotency_key: str, request_hash: str
    ) -> tuple[Alert, bool]:
        if "author" not in caller.credential.roles:
            raise forbidden("role_required", "this credential may not create alerts")
        if draft.msg_type == "Cancel":
            raise invalid("use_cancel", "send a Cancel to /v1/alerts/{id}/cancel")
        if draft.msg_type == "Update" and draft.refers_to is not None:
            original = await self._own_alert(caller, draft.refers_to)
            if original.state in ("rejected", "cancelled", "expired"):
                raise conflict(original.state)
        self._check_regions(caller, draft)
        instant = caller.partner.trust == "instant"
        try:
            alert, created = await self.store.alerts.create(
                draft,
                partner_id=caller.partner.id,
                author=caller.credential.id,
                state="approved" if instant else "pending",
                idempotency_key=idempotency_key,
                request_hash=request_hash,
            )
        except KeyError:
            raise AlertRequestError(
                422, "idempotency_mismatch", "this Idempotency-Key was used for another request"
            ) from None
        if created and instant:
            alert = await self.publish(alert, actor=caller.actor)
        return alert, created

    async def approve(self, caller: Caller, alert_id: str) -> Alert:
        alert = await self._decidable(caller, alert_id)
        if alert.author == caller.credential.id:
            raise forbidden("self_approval", "an alert must be approved by someone else")
        alert = await self._move(alert_id, "approved", caller, decision=True)
        return await self.publish(alert, actor=caller.actor)

    async def reject(self, caller: Caller, alert_id: str, reason: str) -> Alert:
        await self._decidable(caller, alert_id)
        return await self._move(alert_id, "rejected", caller, decision=True, reason=reason[:500])

    async def cancel(self, caller: Caller, alert_id: str) -> Alert:
        """Any credential of the owning partner may cancel: stopping a warning must be fast."""
        await self._own_alert(caller, alert_id)
        alert = await self._move(alert_id, "cancelled", caller, decision=False)
        await self.store.outbox.cancel(alert_id)
        if await self.store.outbox.delivered(alert_id, limit=1):
            cancel_notice = await self._follow_up(alert, caller)
            await self.store.outbox.enqueue_followers(cancel_notice.id, alert_id, priority=0)
            await self.store.alerts.move(cancel_notice.id, "sending", actor=caller.actor)
            self.wake()
        return alert

    async def _follow_up(self, alert: Alert, caller: Caller) -> Alert:
        """A Cancel record whose outbox edits every message the cancelled alert delivered."""
        draft = dataclasses.replace(
            alert.draft,
            msg_type="Cancel",
            refers_to=alert.id,
            cap=None,
            expires_at=max(alert.draft.expires_at, int(time.time()) + 3600),
        )
        created, _ = await self.store.alerts.create(
            draft,
            partner_id=alert.partner_id,
            author=caller.credential.id,
            state="approved",
            idempotency_key=f"cancel:{alert.id}",
            request_hash=alert.id,
        )
        return created

    async def _decidable(self, caller: Caller, alert_id: str) -> Alert:
        if "approver" not in caller.credential.roles:
            raise forbidden("role_required", "this credential may not approve or reject")
        alert = await self._own_alert(caller, alert_id)
        if alert.state != "pending":
            raise conflict(alert.state)
        return alert

    async def _move(
        self, alert_id: str, to: str, caller: Caller, *, decision: bool, reason: str | None = None
    ) -> Alert:
        try:
            return await self.store.alerts.move(
                alert_id, to, actor=caller.actor, decision=decision, reason=reason
            )
        except TransitionError as exc:
            raise conflict(exc.state) from None

    async def publish(self, alert: Alert, *, actor: str) -> Alert:
        """Queue an approved alert for its audience; non-Actual messages reach no civilian."""
        if not alert.draft.civilian_facing:
            alert = await self.store.alerts.move(alert.id, "sending", actor=actor)
            return await self.store.alerts.move(alert.id, "sent", actor=actor)
        audience = self.regions.audience(alert.draft.regions)
        await self.store.outbox.enqueue(alert.id, audience, alert.priority)
        alert = await self.store.alerts.move(alert.id, "sending", actor=actor)
        self.wake()
        return alert

    async def expire_due(self) -> int:
        """Expired alerts stop at once: nothing queued for them is ever sent late."""
        due = await self.store.alerts.due_for_expiry(int(time.time()))
        for alert_id in due:
            try:
                await self.store.alerts.move(alert_id, "expired", actor="system")
            except TransitionError:
                continue
            await self.store.outbox.cancel(alert_id)
        return len(due)
