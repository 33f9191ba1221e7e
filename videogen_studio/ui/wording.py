"""How the GUI words errors, failed jobs and preflight problems for the person in front of the window.

api/ and pipeline/ say neutrally what happened and give every error a stable `kind`; this module adds what
the user can do *in this window* (the menus, buttons and labels they see). The CLI has its own wording.
Every text that may carry server or OS text goes through `api.redact.redact` and loses raw "[Errno -2]"
prefixes before it is shown.
"""

from __future__ import annotations

import re
import socket
from typing import Any

from videogen_studio.api.redact import redact
from videogen_studio.pipeline.failures import kind_of

from .widgets.watermark import LABELS as WATERMARK_LABELS

_NO_WM = WATERMARK_LABELS.get("NONE", "No watermark")
_AUTO_WM = WATERMARK_LABELS.get("AUTO", "Automatic")
_VG_WM = WATERMARK_LABELS.get("VIDEO_GEN", "VideoGen watermark")

#: What to do, per error kind (api `ErrorKind` values and pipeline failure kinds). Only claims the app
#: keeps for real: free requests are retried by the client, a failed job waits for the user's Retry.
HINTS: dict[str, str] = {
    # api ErrorKind
    "auth": "Open File → Account… and enter a valid API key from app.videogen.io/developers.",
    "invalid_key_format": "The key contains characters an API key cannot have. Paste it again from "
    "app.videogen.io/developers.",
    "permission": "This API key has no access to that. Check the key's team in File → Account….",
    "insecure_url": "Use an https:// address in Settings (plain http:// only for this computer, e.g. "
    "http://127.0.0.1). Your key was not sent.",
    "insufficient_credits": "Add credits at app.videogen.io, then press Retry. The refused step was not "
    "charged.",
    "add_on_required": f"Choose “{_AUTO_WM}” or “{_VG_WM}” as the watermark, or buy the Production API "
    "add-on, then press Retry.",
    "upgrade_plan": "This needs a higher VideoGen plan; see app.videogen.io.",
    "invalid_parameters": "Check the script and the options, then press Retry.",
    "invalid_id": "The presenter or voice is not known to this service. Pick another one, then press Retry.",
    "not_found": "It may have been deleted or belong to another team. Reload with F5.",
    "conflict": "Reload with F5 and try again.",
    "rate_limited": "VideoGen asked us to slow down; the app waits and continues by itself.",
    "server": "VideoGen had a problem. Press Retry in a moment.",
    "network": "Check your internet connection, then press Retry.",
    "timeout": "VideoGen did not answer in time. Check your connection, then press Retry.",
    "malformed": "The service sent an unexpected answer. Press Retry in a moment.",
    "too_large": "The service sent far more data than expected; nothing was saved. Press Retry later.",
    "local_file": "Check that the output folder exists and is writable (File → Settings…), then press Retry.",
    "disk_full": "The disk is full. Free some space or choose another output folder in File → Settings…, "
    "then press Retry.",
    "signed_url_rejected": "The download link expired. Press Retry to fetch a fresh one.",
    "submission_uncertain": "We could not tell whether VideoGen accepted this render. Check your history at "
    "app.videogen.io before pressing Retry, or you may pay twice.",
    # pipeline failure kinds
    "uncertain": "We could not tell whether VideoGen accepted this render. Check your history at "
    "app.videogen.io before pressing Retry, or you may pay twice.",
    "execution_failed": "VideoGen could not render this. Press Retry, or change the script or presenter.",
    "approval_pending": "Waiting for approval of this render on your VideoGen account; it continues by "
    "itself once approved.",
    "avatar_refused_speech_kept": "The speech is kept (already paid); Retry renders only the video.",
    "cancelled_too_late": "It had already finished and was charged; the clip was downloaded.",
    "stalled": "The render is taking much longer than usual. Press Retry to keep waiting for it (nothing is "
    "paid again).",
    "no_result": "VideoGen finished without delivering the file. Press Retry.",
    "lost_id": "This job's saved record is damaged. Remove it and render again.",
    "held_elsewhere": "Another VideoGen Studio window or command on this computer is working on this render.",
    "internal": "Something unexpected went wrong. Press Retry; if it happens again, see the log file.",
}

#: The same kinds as short headlines, for notifications and the status bar.
TITLES: dict[str, str] = {
    "auth": "The API key was refused",
    "invalid_key_format": "That does not look like an API key",
    "insecure_url": "The service address is not secure",
    "permission": "Access denied",
    "insufficient_credits": "Not enough credits",
    "add_on_required": f"“{_NO_WM}” needs the Production API add-on",
    "upgrade_plan": "Your plan does not include this",
    "network": "No connection to VideoGen",
    "timeout": "VideoGen did not answer in time",
    "rate_limited": "Waiting for the rate limit",
    "server": "VideoGen had a problem",
    "disk_full": "The disk is full",
    "local_file": "Could not write the file",
    "submission_uncertain": "Not sure the render was accepted",
    "uncertain": "Not sure the render was accepted",
    "approval_pending": "Waiting for approval",
}

# Old job error codes (api codes stored before `error_kind`) mapped to kinds.
_CODE_KINDS = {
    "invalid_api_key": "auth",
    "missing_api_key": "auth",
    "insufficient_credits": "insufficient_credits",
    "add_on_required": "add_on_required",
    "purchase_add_on": "add_on_required",
    "upgrade_plan": "upgrade_plan",
    "rate_limit_exceeded": "rate_limited",
    "invalid_id": "invalid_id",
}

_ERRNO_PREFIX = re.compile(r"\[Errno\s+-?\d+\]\s*")
_API_CONSTANTS = {"NONE": _NO_WM, "AUTO": _AUTO_WM, "VIDEO_GEN": _VG_WM}


def error_kind(exc: BaseException) -> str:
    """The stable kind of an error (`failures.kind_of`: every api error carries its own `kind`)."""
    if not getattr(exc, "kind", None):
        # Plain Python errors from asyncio/sockets: kind_of would call them local file problems.
        if isinstance(exc, TimeoutError):
            return "timeout"
        if isinstance(exc, (socket.gaierror, ConnectionError)):
            return "network"
    return kind_of(exc) or "unknown"


def hint_for(kind: str | None) -> str:
    return HINTS.get(kind or "", "")


def title_for(kind: str | None, fallback: str = "Something went wrong") -> str:
    return TITLES.get(kind or "", fallback)


def clean(text: str) -> str:
    """Text from a server or the OS made fit to show: no key, no "[Errno -2]", no API constants."""
    text = _ERRNO_PREFIX.sub("", redact(text or "")).strip()
    if text == "Name or service not known" or text.startswith("Temporary failure in name resolution"):
        return "The server's address could not be found"
    for constant, words in _API_CONSTANTS.items():
        text = re.sub(rf"(?<![\w-])(watermark(?:Mode)?\s*[=:]?\s*)?{constant}(?![\w-])", words, text)
    return text


def _sentence(text: str) -> str:
    text = text.rstrip()
    return text + "." if text and text[-1] not in ".!?…" else text


def os_error_text(exc: OSError) -> str:
    """An OSError in words ("Permission denied: /x/y"), never "[Errno 13] …"."""
    reason = clean(exc.strerror or str(exc)) or "It failed"
    where = exc.filename if isinstance(exc.filename, str) else ""
    return f"{reason}: {where}" if where else reason


def describe_error(exc: BaseException, *, prefix: str = "") -> str:
    """One or two sentences for a banner: what happened and what to do here."""
    kind = error_kind(exc)
    if isinstance(exc, OSError) and not hasattr(exc, "kind"):
        what = os_error_text(exc)
    else:
        what = clean(str(getattr(exc, "message", "") or exc)) or title_for(kind)
    hint = hint_for(kind)
    text = f"{prefix}: {what}" if prefix else what
    return f"{_sentence(text)} {hint}".strip()


def job_failure(job: Any) -> tuple[str, str]:
    """(message, hint) for a failed job, worded for the GUI from its stored kind and message."""
    kind = getattr(job, "error_kind", None) or _CODE_KINDS.get(getattr(job, "error_code", None) or "", "")
    message = clean(getattr(job, "error_message", None) or "") or title_for(kind, "The render failed")
    hint = hint_for(kind)
    if not hint:
        stored = clean(getattr(job, "error_hint", None) or "")
        # Stored hints from older versions promised automatic retries that never happen for a failed job.
        hint = "" if "on its own" in stored or "the app will" in stored else stored
    return _sentence(message), hint or "Press Retry to try again."


def job_notice(job: Any) -> str:
    """A job's notice (e.g. cancel came too late) made fit to show, or ""."""
    return clean(getattr(job, "notice", None) or "")


#: Preflight problems by kind (`pipeline.preflight.ProblemKind` values), in the window's words; kinds not
#: listed show the problem's own (neutral) message.
PREFLIGHT: dict[str, str] = {
    "output_is_file": "The output folder is a file. Choose a folder in File → Settings….",
    "output_not_writable": "The output folder cannot be written. Choose another one in File → Settings….",
    "script_empty": "Type a script first.",
    "script_too_long": "The script is too long for one video. Shorten it or split it.",
    "speed_out_of_range": "Choose a speed within the allowed range.",
    "watermark_not_allowed": f"This account cannot use “{_NO_WM}”. Choose “{_AUTO_WM}” or “{_VG_WM}”.",
    "performer_missing": "Pick a presenter in the gallery first.",
    "performer_unknown": "This presenter is not offered by the service you are connected to. Pick another.",
    "performer_not_renderable": "This presenter cannot be rendered by this service. Pick another.",
    "form_unsupported": "This service renders with a different kind of presenter. Pick one from the gallery.",
    "voice_missing": "Pick a voice first.",
    "voice_unknown": "This voice is not offered by the service you are connected to. Pick another.",
    "voice_no_direct_tts": "This voice cannot speak a typed script directly. Pick another voice.",
    "audio_missing": "The audio file is gone. Choose it again.",
    "audio_unreadable": "The audio file cannot be read. Choose another one.",
    "audio_type": "Use a WAV, MP3 or M4A audio file.",
}


def preflight_text(problem: Any) -> str:
    code = getattr(problem, "code", None) or getattr(problem, "kind", None)
    if isinstance(code, str) and code in PREFLIGHT:
        return PREFLIGHT[code]
    return _sentence(clean(getattr(problem, "message", None) or str(problem)))


def preflight_summary(problems: list[Any]) -> str:
    texts = [preflight_text(p) for p in problems]
    return " ".join(texts) if texts else ""


def describe_key_error(exc: BaseException) -> str:
    """A failed key check, worded for the Account dialog itself (it is open: no "open Account…")."""
    kind = error_kind(exc)
    what = clean(str(getattr(exc, "message", "") or exc))
    hints = {
        "auth": "Copy the key again from app.videogen.io/developers.",
        "invalid_key_format": "Paste the key again from app.videogen.io/developers.",
        "permission": "This key has no access to the API. Check it at app.videogen.io/developers.",
    }
    hint = hints.get(kind) or hint_for(kind)
    if kind in ("network", "timeout", "server", "malformed", "rate_limited"):
        hint = "The key could not be checked right now; check your connection and press Check key again."
    return f"{_sentence(what)} {hint}".strip()
