"""The shell command runner in-process: what it keeps, how it decodes, the status, stopping.

Commands run in /bin/sh, never in Python, so these tests start no Python process. They
synchronise on the command's own output, never on time.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal

import pytest

from claudechat.attach.command import (
    CommandRun,
    CommandRunError,
    OutputBuffer,
    fence,
    run_command,
    user_shell,
)

SH = ["/bin/sh", "-c"]


@pytest.fixture(autouse=True)
def sigint_not_ignored():
    """SIGINT handled, as the chat handles it while a command runs.

    A test run started in the background of a shell without job control inherits SIGINT
    ignored, and an ignored signal stays ignored in every program started from it.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def run(command: str, **options) -> object:
    return asyncio.run(run_command(command, shell=SH, **options))


def seq_output(last: int) -> bytes:
    return b"".join(b"%d\n" % number for number in range(1, last + 1))


# --- what is kept ----------------------------------------------------------------------------


def test_stdout_and_stderr_come_in_the_order_written():
    result = run("printf 'one\\n'; printf 'two\\n' >&2; printf 'three\\n'")
    assert result.output == "one\ntwo\nthree\n"
    assert result.returncode == 0 and not result.stopped and result.cut == 0


def test_the_attachment_names_the_command_fences_the_output_and_gives_the_status():
    result = run("echo hi")
    attachment = result.attachment()
    assert attachment.kind == "command" and attachment.name == "echo hi"
    assert attachment.size == 3 and attachment.sha256 == hashlib.sha256(b"hi\n").hexdigest()
    assert "```sh\necho hi\n```" in attachment.text
    assert "```\nhi\n```" in attachment.text
    assert "exit status 0" in attachment.text


def test_a_fence_is_longer_than_any_backtick_run_in_the_output():
    result = run("printf 'a ```` b\\n'")
    assert "`````\na ```` b\n`````" in result.attachment().text
    assert fence("x") == "```\nx\n```"
    assert fence("``") == "```\n``\n```"


def test_a_command_with_no_output_says_so():
    result = run("true")
    assert result.size == 0
    assert "no output, exit status 0" in result.attachment().text


def test_invalid_utf8_is_replaced_and_the_bytes_are_hashed_as_written():
    result = run("printf 'caf\\303\\251 \\377\\376 ok\\n'")
    assert result.output == "café \ufffd\ufffd ok\n"
    assert result.size == 12
    assert result.sha256 == hashlib.sha256("café ".encode() + b"\xff\xfe ok\n").hexdigest()


def test_escape_sequences_are_kept_as_they_are_for_the_model():
    result = run("printf '\\033[31mred\\033[0m\\n'")
    assert "\x1b[31mred\x1b[0m\n" in result.attachment().text


# --- how it ended ----------------------------------------------------------------------------


def test_a_non_zero_exit_status_is_kept():
    result = run("echo failing >&2; exit 3")
    assert result.returncode == 3 and result.status == "exit status 3"
    assert "failing" in result.output and "exit status 3" in result.attachment().text


def test_a_command_ended_by_a_signal_says_which():
    result = run("kill -TERM $$")
    assert result.returncode == -signal.SIGTERM
    assert result.status == "ended by SIGTERM"


def test_a_command_not_found_is_recognised():
    result = run("no-such-command-here-xyz")
    assert result.returncode == 127 and result.not_found


def test_exit_127_after_real_output_is_not_taken_for_a_missing_command():
    result = run("echo line one; echo line two; exit 127")
    assert not result.not_found


def test_it_runs_in_the_given_directory(tmp_path):
    result = run("pwd", cwd=str(tmp_path))
    assert os.path.samefile(result.output.strip(), tmp_path)


def test_stdin_is_empty():
    result = run("cat; echo end")
    assert result.output == "end\n"


def test_a_missing_shell_is_one_error():
    with pytest.raises(CommandRunError, match="cannot run the command: /no/such/shell") as caught:
        asyncio.run(run_command("echo hi", shell=["/no/such/shell", "-c"]))
    assert "\n" not in str(caught.value)


def test_the_users_shell_is_used_when_it_exists_and_sh_otherwise(tmp_path):
    assert user_shell({"SHELL": "/bin/sh"}) == ["/bin/sh", "-c"]
    assert user_shell({}) == ["/bin/sh", "-c"]
    assert user_shell({"SHELL": str(tmp_path / "gone")}) == ["/bin/sh", "-c"]
    assert user_shell({"SHELL": "bash"}) == ["/bin/sh", "-c"]  # not a path: not trusted


def test_output_left_open_by_a_background_process_does_not_hold_the_result():
    # The background sleep keeps the pipe open after the shell has ended.
    result = run("sleep 5 & echo started", output_grace=0.05)
    assert result.output == "started\n"
    assert result.left_running and result.returncode == 0
    assert "still running" in result.attachment().text


# --- stopping --------------------------------------------------------------------------------


def stop_when_ready(command: str, **options) -> object:
    """Run `command`, stopping it once it has written "ready"; its result."""

    async def main():
        seen = bytearray()
        runner = None

        def on_output(data: bytes) -> None:
            seen.extend(data)
            if b"ready" in seen:
                runner.stop()

        runner = CommandRun(command, on_output, shell=SH, **options)
        return await runner.run()

    return asyncio.run(main())


def test_stop_sends_sigint_and_keeps_the_output_so_far(tmp_path):
    # "ready" comes from the program that then waits, so SIGINT finds it running: a shell
    # given SIGINT between two commands may wait for the next to end before it acts.
    (tmp_path / "log").write_text("ready\n")
    result = stop_when_ready("exec tail -f log", cwd=str(tmp_path))
    assert result.stopped and result.output == "ready\n"
    assert result.returncode == -signal.SIGINT
    assert "stopped by the user" in result.attachment().text


def test_a_command_ignoring_sigint_gets_sigterm_after_the_grace():
    result = stop_when_ready("trap '' INT; echo ready; sleep 100", grace=0.05)
    assert result.stopped and result.returncode == -signal.SIGTERM


def test_a_command_ignoring_sigint_and_sigterm_is_killed():
    result = stop_when_ready("trap '' INT TERM; echo ready; sleep 100", grace=0.05)
    assert result.stopped and result.returncode == -signal.SIGKILL


def test_stopping_reaches_what_the_shell_started():
    # The shell waits for a pipeline: every process of it is in the group that is signalled.
    result = stop_when_ready("echo ready; sleep 100 | cat; echo after")
    assert result.stopped and "after" not in result.output


def test_cancelling_the_run_ends_the_command_and_passes_the_cancellation_on():
    async def main():
        started = asyncio.Event()
        runner = CommandRun("echo ready; sleep 100", lambda data: started.set(), shell=SH)
        task = asyncio.create_task(runner.run())
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())


# --- the cap ---------------------------------------------------------------------------------


def test_output_over_the_cap_keeps_its_start_and_end_and_says_how_much_is_left_out():
    expected = seq_output(20000)  # 108,894 bytes
    result = run("seq 1 20000", limit=10_000)
    assert result.size == len(expected)
    assert result.sha256 == hashlib.sha256(expected).hexdigest()
    head, _, tail = result.output.partition(f"[… {result.cut:,} bytes left out …]\n")
    assert tail, result.output[:200]
    # Cut between lines: the start is whole lines from 1, the end whole lines up to 20000.
    assert expected.startswith(head.encode()) and head.endswith("\n")
    assert expected.endswith(tail.encode()) and tail.startswith(tuple("0123456789"))
    assert len(head) + len(tail) + result.cut == len(expected)
    assert 4000 < len(head) <= 5000 and 4000 < len(tail) <= 5000
    assert f"{result.cut:,} bytes in the middle were left out" in result.attachment().text


def test_the_pipe_is_drained_past_the_cap():
    # A command writing far more than the cap ends: nothing blocks it once the cap is reached.
    result = run("seq 1 300000; echo done", limit=1000)
    assert result.returncode == 0 and result.output.endswith("300000\ndone\n")


def buffer_of(data: bytes, limit: int, piece: int) -> OutputBuffer:
    buffer = OutputBuffer(limit)
    for start in range(0, len(data), piece):
        buffer.add(data[start : start + piece])
    return buffer


@pytest.mark.parametrize("piece", [1, 7, 100, 4096, 1 << 20])
def test_the_buffer_keeps_everything_within_the_cap_whatever_the_pieces(piece):
    data = bytes(range(256)) * 39  # 9,984 bytes
    head, tail, cut = buffer_of(data, 10_000, piece).parts()
    assert (head, tail, cut) == (data, b"", 0)


@pytest.mark.parametrize("piece", [1, 13, 4096, 1 << 20])
def test_the_buffer_past_the_cap_keeps_the_first_and_last_halves(piece):
    data = bytes(ord("a") + index % 26 for index in range(50_000))  # no line breaks
    buffer = buffer_of(data, 10_000, piece)
    head, tail, cut = buffer.parts()
    assert head == data[:5000] and tail == data[-5000:] and cut == 40_000
    assert buffer.total == 50_000 and buffer.sha256 == hashlib.sha256(data).hexdigest()


def test_the_buffer_cuts_between_characters_when_no_line_break_is_near():
    data = "é".encode() * 10_000  # two bytes each: both halves of the cap end inside one
    head, tail, cut = buffer_of(data, 10_002, 333).parts()
    assert head.decode() == "é" * 2500 and tail.decode() == "é" * 2500
    assert len(head) + len(tail) + cut == len(data)
