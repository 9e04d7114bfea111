"""Pause, resume, step and burst for a bag player thread (plain Python, no rclpy).

The player thread calls ``gate()`` before each message: it returns at once while
playing, blocks while paused, and lets ``step(n)`` messages through one at a time
while paused (rosbag2's play_next / burst). ``gate`` says whether the player was
held, so it can re-anchor its timing: after a pause or a step the next message
plays now and the rest keep their recorded spacing.
"""

from __future__ import annotations

import threading


class PlaybackControl:
    def __init__(self, paused: bool = False):
        self._cond = threading.Condition()
        self._paused = paused
        self._credits = 0  # messages allowed through while paused
        self._stepped = 0  # messages that went through on credits (for waiters)
        self._closed = False

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> bool:
        """Pause; False when already paused."""
        with self._cond:
            was, self._paused = self._paused, True
            self._cond.notify_all()
            return not was

    def resume(self) -> bool:
        """Resume; False when already playing."""
        with self._cond:
            was, self._paused = self._paused, False
            self._credits = 0
            self._cond.notify_all()
            return was

    def toggle(self) -> bool:
        """Toggle; returns the new paused state."""
        with self._cond:
            self._paused = not self._paused
            self._credits = 0
            self._cond.notify_all()
            return self._paused

    def step(self, n: int = 1, wait_s: float = 0.0) -> int:
        """Let n messages through while paused; waits up to wait_s for them; returns how many went.

        Nothing goes (0) while playing: stepping is a paused player's tool."""
        if n <= 0:
            return 0
        with self._cond:
            if not self._paused:
                return 0
            target = self._stepped + n
            self._credits += n
            self._cond.notify_all()
            if wait_s > 0:
                self._cond.wait_for(lambda: self._stepped >= target or self._closed or not self._paused, wait_s)
            return n - max(0, target - self._stepped) if wait_s > 0 else n

    def close(self) -> None:
        """Release a blocked player (stop / shutdown)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def gate(self) -> tuple[bool, bool]:
        """Before each message: (go, held). go False = closed; held = the player waited or stepped."""
        with self._cond:
            if not self._paused:
                return not self._closed, False
            self._cond.wait_for(lambda: self._closed or not self._paused or self._credits > 0)
            if self._closed:
                return False, True
            if self._paused:
                self._credits -= 1
            return True, True

    def stepped(self) -> None:
        """The player published a message it was let through on a credit."""
        with self._cond:
            self._stepped += 1
            self._cond.notify_all()
