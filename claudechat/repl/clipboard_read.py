"""Reading the system clipboard: the image on it if there is one, else its text.

A terminal can paste only text, so an image is read with the system's own program, the first
that works here: wl-paste (Wayland), xclip (X11), pngpaste or osascript (macOS), or Windows
PowerShell (Windows and WSL). Each is asked what the clipboard holds first (its list of types),
so text is never mistaken for an image. Every run has a time limit: a clipboard owner that
does not answer must not hang the prompt.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from claudechat.errors import UsageError
from claudechat.sanitize import one_line

__all__ = ["ClipboardContent", "ClipboardError", "IMAGE_TYPES", "clipboard_readers", "read_clipboard"]

IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")  # best first, what can be sent
_LIST_TIMEOUT = 3.0  # s: asking for the types is quick when the owner answers at all
_READ_TIMEOUT = 10.0  # s: a big screenshot takes a moment to come over
_POWERSHELL_TIMEOUT = 20.0  # s: PowerShell itself takes seconds to start
_MOST = 100 * 1024 * 1024


class ClipboardError(UsageError):
    """The clipboard cannot be read; nothing was pasted."""


@dataclass(frozen=True)
class ClipboardContent:
    image: bytes | None = None  # PNG, JPEG, WebP or GIF data
    text: str | None = None
    source: str = ""  # the program that read it

    @property
    def empty(self) -> bool:
        return not self.image and not self.text


Reader = Callable[[str, Mapping[str, str]], ClipboardContent]


def _run(command: list[str], env: Mapping[str, str], timeout: float) -> subprocess.CompletedProcess[bytes]:
    name = os.path.basename(command[0])
    try:
        result = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,  # the terminal is ours: a helper must not read keys
            capture_output=True,
            env=dict(env),
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ClipboardError(f"{name} did not answer within {timeout:g} s; the clipboard was not read") from None
    except OSError as exc:
        raise ClipboardError(f"cannot run {name}: {one_line(exc.strerror or str(exc))}") from None
    if len(result.stdout) > _MOST:
        raise ClipboardError(f"what {name} read from the clipboard is over {_MOST // 1024 // 1024} MB")
    return result


def _failure(result: subprocess.CompletedProcess[bytes], command: list[str]) -> ClipboardError:
    said = one_line(result.stderr.decode("utf-8", "replace"), 200) or f"exit status {result.returncode}"
    return ClipboardError(f"{os.path.basename(command[0])} could not read the clipboard: {said}")


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _from_types(
    types: list[str], fetch: Callable[[str], bytes], fetch_text: Callable[[], bytes], source: str
) -> ClipboardContent:
    for media_type in IMAGE_TYPES:
        if media_type in types:
            return ClipboardContent(image=fetch(media_type), source=source)
    others = [kind for kind in types if kind.startswith("image/")]
    if others and not any(_is_text(kind) for kind in types):
        raise ClipboardError(
            f"the clipboard holds an image as {one_line(others[0], 40)}, which cannot be sent",
            hint="copy it as PNG or JPEG, or save it and use /image PATH",
        )
    if any(_is_text(kind) for kind in types):
        return ClipboardContent(text=_text(fetch_text()), source=source)
    return ClipboardContent(source=source)


def _is_text(kind: str) -> bool:
    return kind.startswith("text/") or kind in ("UTF8_STRING", "STRING", "TEXT", "COMPOUND_TEXT")


def _wl_paste(program: str, env: Mapping[str, str]) -> ClipboardContent:
    listed = _run([program, "--list-types"], env, _LIST_TIMEOUT)
    if listed.returncode != 0:
        said = _text(listed.stderr).lower()
        if "nothing" in said or "no selection" in said:  # "Nothing is copied"
            return ClipboardContent(source="wl-paste")
        raise _failure(listed, [program])  # no compositor to ask, say

    def fetch(media_type: str) -> bytes:
        command = [program, "--type", media_type]
        result = _run(command, env, _READ_TIMEOUT)
        if result.returncode != 0:
            raise _failure(result, command)
        return result.stdout

    def fetch_text() -> bytes:
        # "text" is wl-paste's word for any text type; without --no-newline it adds one.
        command = [program, "--no-newline", "--type", "text"]
        result = _run(command, env, _READ_TIMEOUT)
        if result.returncode != 0:
            raise _failure(result, command)
        return result.stdout

    return _from_types(_text(listed.stdout).split(), fetch, fetch_text, "wl-paste")


def _xclip(program: str, env: Mapping[str, str]) -> ClipboardContent:
    base = [program, "-selection", "clipboard"]
    listed = _run([*base, "-t", "TARGETS", "-o"], env, _LIST_TIMEOUT)
    if listed.returncode != 0:
        said = _text(listed.stderr)
        if "display" in said.lower():  # "Can't open display": no X here at all
            raise _failure(listed, base)
        return ClipboardContent(source="xclip")  # no owner: nothing is copied

    def fetch(target: str | None) -> bytes:
        command = [*base, *(("-t", target) if target else ()), "-o"]
        result = _run(command, env, _READ_TIMEOUT)
        if result.returncode != 0:
            raise _failure(result, command)
        return result.stdout

    targets = _text(listed.stdout).split()
    text_target = "UTF8_STRING" if "UTF8_STRING" in targets else None
    return _from_types(targets, fetch, lambda: fetch(text_target), "xclip")


def _macos(program: str, env: Mapping[str, str]) -> ClipboardContent:
    """pngpaste when installed, else osascript (always there), for the image; pbpaste for text."""
    path = env.get("PATH")
    pngpaste = shutil.which("pngpaste", path=path)
    if pngpaste:
        result = _run([pngpaste, "-"], env, _READ_TIMEOUT)
        if result.returncode == 0 and result.stdout:
            return ClipboardContent(image=result.stdout, source="pngpaste")
    elif shutil.which("osascript", path=path):
        # An image on the clipboard comes back as «data PNGf89504E47...»; anything else fails.
        result = _run(["osascript", "-e", "the clipboard as «class PNGf»"], env, _READ_TIMEOUT)
        found = re.search(rb"\xc2\xabdata PNGf([0-9A-Fa-f]+)\xc2\xbb", result.stdout)
        if result.returncode == 0 and found:
            return ClipboardContent(image=bytes.fromhex(found.group(1).decode("ascii")), source="osascript")
    pbpaste = shutil.which("pbpaste", path=path)
    if pbpaste is None:
        return ClipboardContent(source="pngpaste")
    result = _run([pbpaste], env, _READ_TIMEOUT)
    if result.returncode != 0:
        raise _failure(result, [pbpaste])
    return ClipboardContent(text=_text(result.stdout), source="pbpaste")


# Windows PowerShell (not pwsh: Get-Clipboard -Format Image is only there). The answer goes as
# base64 on one line: PowerShell's own output encoding would mangle raw bytes and non-ASCII text.
_POWERSHELL_SCRIPT = """
$ErrorActionPreference = 'Stop'
Add-Type -AssemblyName System.Drawing
$image = Get-Clipboard -Format Image
if ($image) {
    $stream = New-Object System.IO.MemoryStream
    $image.Save($stream, [System.Drawing.Imaging.ImageFormat]::Png)
    [Console]::Out.Write('image:' + [Convert]::ToBase64String($stream.ToArray()))
    exit 0
}
$text = Get-Clipboard -Raw
if ($text) { [Console]::Out.Write('text:' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($text))) }
"""


def _powershell(program: str, env: Mapping[str, str]) -> ClipboardContent:
    encoded = base64.b64encode(_POWERSHELL_SCRIPT.encode("utf-16-le")).decode("ascii")
    command = [program, "-NoProfile", "-NonInteractive", "-STA", "-EncodedCommand", encoded]
    result = _run(command, env, _POWERSHELL_TIMEOUT)
    if result.returncode != 0:
        raise _failure(result, command)
    kind, _, payload = _text(result.stdout).strip().partition(":")
    try:
        data = base64.b64decode(payload, validate=True)
    except ValueError:
        raise ClipboardError("PowerShell's answer about the clipboard could not be read") from None
    if kind == "image":
        return ClipboardContent(image=data, source="powershell")
    if kind == "text":
        return ClipboardContent(text=_text(data), source="powershell")
    return ClipboardContent(source="powershell")


def _is_wsl(env: Mapping[str, str]) -> bool:
    return bool(env.get("WSL_DISTRO_NAME") or env.get("WSL_INTEROP"))


def clipboard_readers(env: Mapping[str, str], platform: str = sys.platform) -> list[tuple[str, Reader]]:
    """The programs that can read the clipboard here, best first, with how to use each."""
    path = env.get("PATH")
    found: list[tuple[str, Reader]] = []
    if env.get("WAYLAND_DISPLAY") and (program := shutil.which("wl-paste", path=path)):
        found.append((program, _wl_paste))
    if env.get("DISPLAY") and (program := shutil.which("xclip", path=path)):
        found.append((program, _xclip))
    if platform == "darwin" and (program := shutil.which("pbpaste", path=path) or shutil.which("pngpaste", path=path)):
        found.append((program, _macos))
    if platform == "win32" or _is_wsl(env):
        program = shutil.which("powershell.exe", path=path) or shutil.which("powershell", path=path)
        if program:
            found.append((program, _powershell))
    return found


def _install_hint(env: Mapping[str, str], platform: str) -> str:
    if platform == "darwin":
        return "cannot read the clipboard: pbpaste is missing; to paste images, install pngpaste (brew install pngpaste)"
    if platform == "win32" or _is_wsl(env):
        return "cannot read the clipboard: powershell.exe is not on PATH (in WSL, interop must be on)"
    if env.get("WAYLAND_DISPLAY"):
        return "cannot read the clipboard: install wl-clipboard (it has wl-paste), or xclip"
    if env.get("DISPLAY"):
        return "cannot read the clipboard: install xclip (or wl-clipboard on Wayland)"
    return (
        "cannot read the clipboard: no graphical session here (DISPLAY and WAYLAND_DISPLAY are unset); "
        "save the image and attach it with /image PATH"
    )


def read_clipboard(env: Mapping[str, str] | None = None, platform: str = sys.platform) -> ClipboardContent:
    """What the clipboard holds: its image if it has one, else its text; empty if neither.

    Raises ClipboardError, saying what to install, when no program here can read it.
    """
    env = os.environ if env is None else env
    readers = clipboard_readers(env, platform)
    if not readers:
        raise ClipboardError(_install_hint(env, platform))
    first_error: ClipboardError | None = None
    for program, reader in readers:
        try:
            return reader(program, env)
        except ClipboardError as err:  # the next program may still work (XWayland, say)
            first_error = first_error or err
    assert first_error is not None
    raise first_error
