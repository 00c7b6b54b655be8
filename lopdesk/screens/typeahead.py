"""Type-ahead never lost: keys typed in one burst are handled one after the other, each only
once the one before it has done what it does.

A terminal delivers a fast typist's keys (or a paste) all at once. Textual hands each key to
the focused widget's queue and goes on with the next at once, so a key that opens a dialog
does so only after the keys behind it went to the screen below. The app therefore holds the
keys that follow while

- the key before them is still on its way through the widgets (it reaches the app's own key
  handler when no widget stopped it; a character the focused field consumes needs no wait);
- the screen on top is not mounted yet (a dialog just pushed sets its focus in `on_mount`);
- a dialog is on its way: its data is read first (`expect_dialog`, see base.db_then_dialog);
- the command palette runs the command chosen with Enter: it closes first, then the command
  opens what the keys that follow are meant for (`palette_closed` ends the wait after it).

Held keys are replayed in the order typed. Every wait is bounded (HOLD_AT_MOST, KEY_AT_MOST):
a dialog that never comes, or a key a widget swallowed, releases the keys that follow.
"""

from __future__ import annotations

import time
from typing import Any

from textual import events
from textual.app import ScreenStackError
from textual.timer import Timer

HOLD_AT_MOST = 3.0  # seconds a dialog on its way may hold the keys typed for it
# Seconds one key may take through the widgets before the next goes: only a key that a
# widget stops (never reaching the app) waits this long; under load a key that bubbles up
# takes a few tenths of a second, and the next must not overtake it (its binding is looked
# up from the focus at the time it arrives).
KEY_AT_MOST = 1.5
POLL = 0.01  # seconds between checks while keys are held


class TypeAhead:
    """Mixed into the App (before textual's App): holds and replays Key events."""

    _held: list[events.Key]
    _expecting_until: float | None = None
    _in_flight: events.Key | None = None
    _in_flight_until: float = 0.0
    _retry: Timer | None = None

    # -- what the screens say ------------------------------------------------------------

    def expect_dialog(self) -> None:
        """A dialog opens as soon as its data is read: keys typed meanwhile wait for it."""
        self._expecting_until = time.monotonic() + HOLD_AT_MOST

    def palette_closed(self) -> None:
        """The palette is gone; its command runs next (both are queued on the app in that
        order), then the held keys may follow, to whatever the command opened."""
        self.call_later(self.dialog_settled)  # type: ignore[attr-defined]

    def dialog_settled(self) -> None:
        """The awaited dialog is pushed (or will not come): the held keys go on."""
        self._expecting_until = None
        self._schedule(0)

    # -- the gate ------------------------------------------------------------------------

    def keys_wait(self) -> bool:
        """True while a key typed now would reach the wrong place."""
        now = time.monotonic()
        if self._expecting_until is not None:
            if now < self._expecting_until:
                return True
            self._expecting_until = None
        if self._in_flight is not None:
            if now < self._in_flight_until:
                return True
            self._in_flight = None
        try:
            screen: Any = self.screen  # type: ignore[attr-defined]
        except ScreenStackError:
            return False
        return not screen.is_mounted

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            held = getattr(self, "_held", None)
            if held is None:
                held = self._held = []
            if held or self.keys_wait():
                held.append(event)
                self._schedule(POLL)
                return
            await self._dispatch_key(event)
            return
        await super().on_event(event)  # type: ignore[misc]

    async def _dispatch_key(self, event: events.Key) -> None:
        focused = self.focused  # type: ignore[attr-defined]
        runs_on_enter = getattr(self.screen, "runs_on_enter", None)  # type: ignore[attr-defined]
        if event.key == "enter" and runs_on_enter is not None and runs_on_enter():
            self.expect_dialog()
        # A character typed into a field is the field's own (Input.check_consume_key): the
        # next key may follow at once, it queues behind it in the same widget.
        if focused is None or not focused.check_consume_key(event.key, event.character):
            self._in_flight = event
            self._in_flight_until = time.monotonic() + KEY_AT_MOST
        await super().on_event(event)  # type: ignore[misc]
        if self._in_flight is event and not event.is_forwarded:
            self._in_flight = None  # a priority binding handled it on the spot

    def on_key(self, event: events.Key) -> None:
        """A key reached the app (no widget stopped it): its binding runs next, then the
        held keys may follow."""
        if event is self._in_flight:
            self._in_flight = None
            self._schedule(0)

    def _schedule(self, delay: float) -> None:
        if self._retry is None and getattr(self, "_held", None):
            self._retry = self.set_timer(delay, self._replay)  # type: ignore[attr-defined]

    async def _replay(self) -> None:
        self._retry = None
        while self._held:
            if self.keys_wait():
                self._schedule(POLL)
                return
            await self._dispatch_key(self._held.pop(0))
