"""Call audio routing (no rclpy): while a call is up, the wearer's microphone goes up the phone
link and the far end's voice comes down to the speaker path.

The router follows the call state the agent publishes on ``phone/call``: it routes only while
the state is ``active`` (answered), for that call; before the answer (ringing, dialing) and
after the hang-up nothing is carried either way. Microphone chunks of any rate and channel
count of the audio convention are mixed to mono and resampled (soxr) to the link's rate;
the downlink comes in blocks of ``block_frames`` at that rate.
"""

from __future__ import annotations

import numpy as np

from glasses_agent.backends.phone import CALL_AUDIO_RATE, PhoneError, PhoneLink
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.audio_format import AudioCaps, to_mono_float
from glasses_bringup.foundation.audio_io import StreamResampler


class CallAudioRouter:
    def __init__(self, link: PhoneLink, rate: int = CALL_AUDIO_RATE, block_frames: int = 640):
        self.link, self.rate, self.block_frames = link, rate, block_frames
        self.call_id: int | None = None
        self._resampler = StreamResampler(rate)
        self.uplink_frames = 0
        self.downlink_frames = 0
        self.errors = 0

    @property
    def routing(self) -> bool:
        return self.call_id is not None

    def on_call_state(self, state: ev.CallState) -> bool:
        """Follow the call state; True while audio is routed."""
        call_id = state.call_id if state.state == "active" and state.call_id else None
        if call_id != self.call_id:
            self.call_id = call_id
            self._resampler.reset()
        return self.routing

    def on_mic(self, caps: AudioCaps, samples: np.ndarray) -> int:
        """Send one microphone chunk up the link (frames sent; 0 when no call is up)."""
        if self.call_id is None:
            return 0
        mono = self._resampler(to_mono_float(caps, samples), caps.rate)
        if mono.size == 0:
            return 0
        try:
            self.link.send_audio(self.call_id, mono)
        except PhoneError:
            self.errors += 1  # the link ended the call before its state came round: drop the chunk
            return 0
        self.uplink_frames += mono.size
        return mono.size

    def downlink(self, frames: int | None = None) -> np.ndarray | None:
        """The next ``frames`` (default a block) of the far end's voice for the speaker path (None: no call up)."""
        if self.call_id is None:
            return None
        try:
            block = self.link.receive_audio(self.call_id, frames or self.block_frames)
        except PhoneError:
            self.errors += 1
            return None
        self.downlink_frames += block.size
        return block
