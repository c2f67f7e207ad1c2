"""The small dialogs give one answer each, and one is open at a time, however fast the keys come."""

from __future__ import annotations

from textual import events
from textual.app import App

from clct_tui.domain import ApprovalRequest
from clct_tui.tui.screens.approval import ApprovalScreen
from clct_tui.tui.screens.dialogs import ConfirmScreen, TextPromptScreen
from clct_tui.tui.screens.new_agent import NewAgentRequest, NewAgentScreen
from tests.tui.conftest import SIZE, engine_ready, wait_for


class Asking(App):
    """Asks through a dialog as ClctApp does (push_screen_wait in a worker), and keeps the answers."""

    def __init__(self, dialog) -> None:
        super().__init__()
        self.dialog = dialog
        self.answers: list[object] = []

    def on_mount(self) -> None:
        self.run_worker(self.ask())

    async def ask(self) -> None:
        self.answers.append(await self.push_screen_wait(self.dialog))

    def type_at_once(self, *keys: str) -> None:
        """Keys as a terminal sends them, all before the app handles the first (a fast typist, a paste)."""
        for key in keys:
            self._driver.send_message(events.Key(key, key if len(key) == 1 else None))


async def answered(app: Asking, *keys: str) -> Asking:
    async with app.run_test() as pilot:
        while app.screen is not app.dialog or app.focused is None:
            await pilot.pause()
        app.type_at_once(*keys)
        await pilot.pause()
        await pilot.pause()
        assert app.return_code is None, app._exception  # still running: nothing crashed
        assert len(app.screen_stack) == 1  # the dialog closed, and nothing under it
    return app


async def test_a_text_prompt_submitted_and_cancelled_at_once_answers_once():
    # Escape is handled first: Enter reaches the dialog as the input's message, after the key behind it.
    app = await answered(Asking(TextPromptScreen("Open a task file", value="tasks.toml")), "enter", "escape")
    assert app.answers == [None]


async def test_a_dialog_answered_twice_before_it_closes_keeps_the_first_answer():
    # Keys bound to the dialog are handled in order, after the first answer closed it; an input's Enter
    # or a button arrives as a message, and can come second (the tests above and below).
    app = Asking(ConfirmScreen("Merge?"))
    async with app.run_test() as pilot:
        while app.screen is not app.dialog:
            await pilot.pause()
        app.dialog.answer(True)
        app.dialog.answer(False)
        await pilot.pause()
        assert app.return_code is None, app._exception
        assert app.answers == [True] and len(app.screen_stack) == 1


async def test_an_approval_denied_with_a_reason_and_put_off_at_once_answers_once():
    request = ApprovalRequest("r1", "Bash", {"command": "pytest -x"})
    app = await answered(Asking(ApprovalScreen("auth", request, deny_first=True)), "n", "o", "enter", "escape")
    assert app.answers == [None]


async def test_a_new_agent_asked_for_and_cancelled_at_once_answers_once():
    app = await answered(Asking(NewAgentScreen()), "f", "i", "x", "enter", "escape")
    assert app.answers == [None]


async def test_a_new_agent_asked_for_is_started_with_its_prompt():
    app = await answered(Asking(NewAgentScreen()), "f", "i", "x", "enter")
    assert app.answers == [NewAgentRequest(prompt="fix", name=None, branch=None, base=None)]


async def test_a_key_that_asks_typed_twice_at_once_opens_one_dialog(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        for _ in range(2):
            app._driver.send_message(events.Key("t", "t"))  # open a task file, twice before the first shows
        await wait_for(pilot, lambda: isinstance(app.screen, TextPromptScreen), what="the task file dialog")
        await pilot.pause(0.3)
        assert [type(screen).__name__ for screen in app.screen_stack] == ["MainScreen", "TextPromptScreen"]
        await pilot.press("escape")
        assert app.screen is app.main
