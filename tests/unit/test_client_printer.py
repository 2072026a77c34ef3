"""The printer hands text to a running prompt or writes it at once, never both, never
neither, whatever the order of writes, prompt starts and prompt ends."""

from __future__ import annotations

import asyncio
import io
import threading

from prompt_toolkit.output.plain_text import PlainTextOutput

from chinwag.client.printer import Printer


def make() -> tuple[Printer, io.StringIO]:
    written = io.StringIO()
    return Printer(PlainTextOutput(written), delay=0.001), written


def test_without_a_prompt_text_is_written_at_once() -> None:
    printer, written = make()
    printer.write("one\n")
    printer.write("")
    printer.write("two\n")
    assert written.getvalue() == "one\ntwo\n"


def test_a_running_prompt_draws_what_is_written_from_another_thread() -> None:
    printer, written = make()
    seen: list[str] = []

    async def prompt() -> None:
        printer.attach(asyncio.get_running_loop())
        writer = threading.Thread(target=lambda: [printer.write(f"{i}\n") for i in range(50)])
        writer.start()
        await asyncio.to_thread(writer.join)
        while written.getvalue().count("\n") < 50:
            await asyncio.sleep(0.001)
        seen.append(written.getvalue())

    asyncio.run(prompt())
    printer.detach()
    assert seen == ["".join(f"{i}\n" for i in range(50))]  # drawn by the prompt's loop
    assert written.getvalue() == seen[0]  # and nothing again at the end


def test_what_an_ended_prompt_did_not_draw_is_written_when_it_is_detached() -> None:
    printer, written = make()
    loop = asyncio.new_event_loop()
    printer.attach(loop)
    printer.write("late\n")  # handed to a loop that never runs again
    assert written.getvalue() == ""
    loop.close()
    printer.write("later\n")  # the loop is closed: written at once, after what waited
    assert written.getvalue() == "late\nlater\n"
    printer.detach()
    printer.write("after\n")
    assert written.getvalue() == "late\nlater\nafter\n"


def test_lines_written_while_prompts_come_and_go_appear_once_and_in_order() -> None:
    printer, written = make()
    count = 3000
    done = threading.Event()

    def talk() -> None:
        for i in range(count):
            printer.write(f"{i}\n")
        done.set()

    async def one_prompt() -> None:
        printer.attach(asyncio.get_running_loop())
        await asyncio.sleep(0.002)

    talker = threading.Thread(target=talk)
    talker.start()
    while not done.is_set():
        asyncio.run(one_prompt())  # each prompt its own loop, closed when it returns
        printer.detach()
    talker.join()
    printer.detach()
    assert written.getvalue() == "".join(f"{i}\n" for i in range(count))
