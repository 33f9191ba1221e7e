"""How the command line words errors and job states: one line, what happened and what to type next.

api/ and pipeline/ give every error a stable `kind` and a neutral message; each surface says what to do in
its own words. The GUI talks about dialogs and buttons, this module about commands and options. Every text
that may carry server words passes through `redact()` before it is shown.
"""

from __future__ import annotations

from ..api.errors import VideoGenError
from ..api.redact import redact
from ..pipeline.failures import kind_of

PROG = "videogen-studio"

#: What to do, per error kind, in command-line words. Kinds come from api.errors.ErrorKind and
#: pipeline.failures; unknown kinds fall back to the error's own neutral hint.
HINTS: dict[str, str] = {
    "auth": f"set a valid key in VIDEOGEN_API_KEY (from app.videogen.io/developers) and run {PROG} again",
    "invalid_key_format": "copy the key again from app.videogen.io/developers into VIDEOGEN_API_KEY",
    "insecure_url": "use an https:// --base-url; plain http:// only for this machine "
    "(127.0.0.1, ::1 or localhost)",
    "permission": "this API key has no access to that; use a key of the account that owns it",
    "insufficient_credits": "add credits at app.videogen.io, then rerun the same command "
    "(the steps already paid are not paid again)",
    "add_on_required": "use --watermark AUTO or VIDEO_GEN, or buy the Production API add-on",
    "upgrade_plan": "this needs a higher plan; see app.videogen.io",
    "invalid_parameters": "check the options of this command (see --help)",
    "invalid_id": f"check the id; list valid ones with `{PROG} presenters`, `voices` or `actors`",
    "not_found": "it may have been deleted or belong to another team",
    "conflict": "run the command again",
    "rate_limited": "VideoGen is limiting requests; wait a minute, then rerun the same command",
    "server": "VideoGen had a problem; rerun the same command in a few minutes",
    "network": "check the connection, then rerun the same command (it continues where it stopped)",
    "timeout": "VideoGen did not answer in time; rerun the same command (it continues where it stopped)",
    "malformed": "the service sent an unexpected answer; rerun the same command",
    "too_large": "the service sent more data than expected; rerun later or report it",
    "local_file": "check the folder's permissions or choose another --out folder, then rerun",
    "disk_full": "free some disk space, then rerun the same command (it continues where it stopped)",
    "signed_url_rejected": "the download link expired; rerun the same command to fetch a fresh one",
    "submission_uncertain": "see the job with `{prog} jobs`",
    "uncertain": "see the job with `{prog} jobs`",
    "execution_failed": "VideoGen could not render it; rerun the same command or `{prog} retry {job}`",
    "approval_pending": "the render waits for approval on app.videogen.io; then `{prog} resume {job}`",
    "avatar_refused_speech_kept": "the paid speech is kept: `{prog} retry {job}` with --watermark, "
    "--presenter or --actor changed as needed renders only the avatar again",
    "stalled": "VideoGen is taking very long; `{prog} resume {job}` keeps waiting (nothing is paid again)",
    "no_result": "VideoGen finished without a file; `{prog} retry {job}`",
    "lost_id": "the saved render is damaged; run the same `render` command with --new to start it again",
    "held_elsewhere": "another process is driving this render; let it finish",
    "internal": "this is a bug; `{prog} retry {job}` (nothing paid is paid again), and please report it",
}


def error_kind(exc: BaseException) -> str | None:
    return kind_of(exc)


def hint_for(kind: str | None, fallback: str | None = None, *, job_id: str = "ID") -> str:
    text = HINTS.get(kind or "")
    if text is None:
        return _neutral(fallback or "")
    return text.format(prog=PROG, job=job_id)


def sentence(text: str) -> str:
    text = " ".join(text.split()).rstrip()
    if text and text[-1] not in ".!?":
        text += "."
    return text


def error_line(message: str, hint: str = "") -> str:
    """`error: <what happened>; <what to do>.` on one line, redacted."""
    message = " ".join(redact(message).split()).rstrip(" .")
    hint = " ".join(redact(hint).split()).rstrip(" .")
    return f"error: {message}; {hint}." if hint else f"error: {message}."


def describe_error(exc: BaseException, *, job_id: str = "ID") -> str:
    """One line for any error from api/ or pipeline/, worded for the command line by its kind."""
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    fallback = exc.hint if isinstance(exc, VideoGenError) else ""
    return error_line(message, hint_for(error_kind(exc), fallback, job_id=job_id))


def _neutral(hint: str) -> str:
    """Old hints speak GUI (dialogs, buttons): never print those words on a terminal."""
    gui_words = ("Open Account", "press Retry", "Press Retry", "the app ", "Retry.")
    return "" if any(word in hint for word in gui_words) else hint


# ------------------------------------------------------------------------------------------- jobs
def failure_hint(kind: str | None, code: str | None, message: str, fallback: str | None, job_id: str) -> str:
    """What to do about a failed job; an avatar refused for want of the add-on says exactly what to type."""
    add_on = code in ("add_on_required", "purchase_add_on") or "add-on" in message.lower()
    if add_on and kind in ("avatar_refused_speech_kept", "add_on_required"):
        return (
            f"`{PROG} retry {job_id} --watermark AUTO` renders it with the watermark and keeps the paid "
            "speech, or buy the Production API add-on"
        )
    return hint_for(kind, fallback, job_id=job_id)


def uncertain_advice(job_id: str, kind: str | None = None) -> str:
    """What to do about a job whose paid request may or may not have reached VideoGen.

    `kind` "lost_id": the step was paid and its execution id saved, but VideoGen answered 404 for that id
    while the render was followed (another key or account, or removed there); the id stays saved.
    """
    if kind == "lost_id":
        return (
            f"VideoGen answered 404 for the paid step of render {job_id}: it no longer knows that execution "
            "(the API key or account may have changed, or it was removed there); its id is kept and nothing "
            f"was sent again; check `{PROG} history` or app.videogen.io with the key that started it, then "
            f"either `{PROG} retry {job_id} --confirm` to send that step again (it is charged again) "
            "or leave it as it is (nothing more is charged)"
        )
    return (
        f"render {job_id} may already have been sent to VideoGen (the connection or the process stopped "
        f"mid-request), so sending it again could charge twice; check `{PROG} history` or "
        f"app.videogen.io, then either `{PROG} retry {job_id} --confirm` to send it again "
        f"or `{PROG} cancel {job_id}` to drop it"
    )


def resume_advice(job_id: str) -> str:
    return f"continue it with `{PROG} resume {job_id}` (nothing paid is paid again)"
