"""Skills: one module per task. Each turns an intent (plus what the camera saw) into
replies, agent actions and, for anything that spends money, a ``Proposal`` that the
dialogue manager executes only after an explicit confirmation."""

from glasses_agent.skills.base import Outcome, Proposal

__all__ = ["Outcome", "Proposal"]
