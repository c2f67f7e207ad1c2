"""The prompt bar: a follow-up for the selected agent."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.message import Message
from textual.widgets import Input


class PromptBar(Input):
    DEFAULT_CSS = """
    PromptBar { dock: bottom; border: tall $panel; }
    PromptBar:focus { border: tall $accent; }
    """

    @dataclass
    class Sent(Message):
        prompt_bar: PromptBar
        agent_id: str
        text: str

        @property
        def control(self) -> PromptBar:
            return self.prompt_bar

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="select an agent, then type a follow-up", id=id)
        self.agent_id: str | None = None

    def target(self, agent_id: str | None, name: str) -> None:
        self.agent_id = agent_id
        self.placeholder = f"> prompt for {name} (enter sends, esc leaves)" if agent_id else "the main checkout has no agent"

    @on(Input.Submitted)
    def _send(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if text and self.agent_id:
            self.post_message(self.Sent(self, self.agent_id, text))
            self.value = ""
