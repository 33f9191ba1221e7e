"""Tool routes: text-to-speech, generate-avatar (presenter and actor forms), executions (get, cancel, list).

Paid POSTs charge credits when the execution is created (accounts.py); what each generation accepts is
decided by its flags (generations.py): `voiceId` required from B on, the actor form on C.
"""

from __future__ import annotations

import re
from typing import Any

from videogen_studio.sandbox.config import SandboxConfig
from videogen_studio.sandbox.failures import ApiFailure
from videogen_studio.sandbox.faults import FaultInjector
from videogen_studio.sandbox.files import FILE_PREFIX, StoredFile
from videogen_studio.sandbox.generations import EXECUTION_PREFIXES
from videogen_studio.sandbox.handler import Request, Response, json_response
from videogen_studio.sandbox.pagination import Pager, newest_first_position
from videogen_studio.sandbox.renders import QUALITY_SCALE, AvatarOrder, SpeechOrder
from videogen_studio.sandbox.resource_routes import list_response
from videogen_studio.sandbox.state import SandboxState
from videogen_studio.sandbox.validation import (
    Route,
    check_id,
    invalid,
    json_body,
    optional_bool,
    optional_int,
    optional_number,
    optional_string,
    query_bool,
    replacements,
    required_string,
    route,
)

WATERMARK_MODES = ("AUTO", "VIDEO_GEN", "NONE")
AVATAR_QUALITIES = tuple(QUALITY_SCALE)
VOICE_SPEED_RANGE = (0.5, 2.0)  # sandbox choice: the real range is undocumented
NUM_RESULTS_RANGE = (1, 100)
_LANGUAGE_CODE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


class ToolRoutes:
    def __init__(
        self, state: SandboxState, faults: FaultInjector, config: SandboxConfig, pager: Pager
    ) -> None:
        self.state = state
        self.faults = faults
        self.config = config
        self.pager = pager

    def routes(self) -> list[Route]:
        table = [
            route("GET", r"^/v1/tools/executions/(?P<id>[^/]+)$", "executions", self._execution),
            route("POST", r"^/v1/tools/executions/(?P<id>[^/]+)/cancel$", "executions", self._cancel),
            route("POST", r"^/v1/tools/text-to-speech$", "tools", self._tts),
            route("POST", r"^/v1/tools/generate-avatar$", "tools", self._avatar),
            route("POST", r"^/v1/tools/(?!executions$)(?P<tool>[^/]+)$", "tools", self._other_tool),
        ]
        if self.state.generation.execution_list:
            table.append(route("GET", r"^/v1/tools/executions$", "executions", self._list))
        return table

    # -- text-to-speech ----------------------------------------------------------------------------
    def _tts(self, request: Request, key: str, match: re.Match[str]) -> Response:
        body = json_body(request)
        text = required_string(body, "ttsText")
        if len(text) > self.config.max_tts_chars:
            raise invalid(
                f"ttsText is {len(text)} characters long; "
                f"the maximum is {self.config.max_tts_chars} characters."
            )
        if self.state.generation.voice_required:
            voice_id: str | None = required_string(body, "voiceId")
        else:
            voice_id = optional_string(body, "voiceId")
        voice = self.state.voices(include_deprecated=True)[0]  # generation A's default voice
        if voice_id is not None:
            found = self.state.voice(voice_id)
            if found is None:
                raise invalid(f"voiceId {voice_id!r} is not a known voice.")
            if not found.direct:
                raise invalid(
                    f"voiceId {voice_id!r} ({found.display_name}) does not support direct tool execution; "
                    "pick a voice with supportsDirectToolExecution=true."
                )
            voice = found
        language = optional_string(body, "speechLanguageCode")
        if language is not None and not _LANGUAGE_CODE.match(language):
            raise invalid(f"speechLanguageCode {language!r} is not a language code such as 'en' or 'es'.")
        order = SpeechOrder(
            text=text,
            voice=voice,
            language=language,
            replacements=replacements(body),
            auto_expand=optional_bool(body, "autoExpandPronunciationReplacements", False),
            speed=optional_number(body, "voiceSpeed", 1.0, VOICE_SPEED_RANGE),
            num_results=optional_int(body, "numResults", 1, NUM_RESULTS_RANGE),
            temporary=optional_bool(body, "isOutputTemporary", False),
        )
        execution_id = self.state.submit_tts(
            key, order, lambda: self.faults.take_execution_failure(request.path)
        )
        return json_response(202, {"toolExecutionId": execution_id})

    # -- generate-avatar ---------------------------------------------------------------------------
    def _avatar(self, request: Request, key: str, match: re.Match[str]) -> Response:
        body = json_body(request)
        generation = self.state.generation
        actor_form = body.get("actorEntityId") is not None
        if actor_form and not generation.actor_avatar:
            raise invalid(
                "actorEntityId is not accepted here; send avatarPresenterId and audioStorageFileId."
            )
        if not actor_form and generation.actor_avatar and not self.config.c_accepts_presenter_form:
            if body.get("avatarPresenterId") is not None:
                raise invalid(
                    "avatarPresenterId is no longer accepted; send actorEntityId (an ACTOR entity from "
                    "GET /v1/entities?entityType=ACTOR), audioFileId and avatarQuality."
                )
            required_string(body, "actorEntityId")  # raises: the actor form's id is missing
        order = self._actor_order(key, body) if actor_form else self._presenter_order(key, body)
        account = self.state.authenticate(key)
        if order.watermark_mode == "NONE" and not (account is not None and account.production_addon):
            # sandbox choice: rejected synchronously with 403 (the real status is undocumented); code and
            # requirement type as the spec's ApiError names them.
            raise ApiFailure(
                403,
                "Removing the watermark requires the Production API add-on.",
                "add_on_required",
                {"type": "purchase_add_on", "details": {"addOn": "production_api"}},
            )
        execution_id = self.state.submit_avatar(
            key, order, lambda: self.faults.take_execution_failure(request.path)
        )
        return json_response(202, {"toolExecutionId": execution_id})

    def _presenter_order(self, key: str, body: dict[str, Any]) -> AvatarOrder:
        presenter_id = required_string(body, "avatarPresenterId")
        presenter = self.state.presenter(presenter_id)
        if presenter is None:
            raise invalid(f"avatarPresenterId {presenter_id!r} is not a known presenter.")
        audio = self._audio(key, body, "audioStorageFileId")
        return AvatarOrder(
            presenter=presenter,
            audio_file_id=audio.file_id,
            watermark_mode=_watermark_mode(body),
            num_results=optional_int(body, "numResults", 1, NUM_RESULTS_RANGE),
            temporary=optional_bool(body, "isOutputTemporary", False),
        )

    def _actor_order(self, key: str, body: dict[str, Any]) -> AvatarOrder:
        entity_id = required_string(body, "actorEntityId")
        actor = self.state.actor(entity_id)
        if actor is None:
            raise invalid(f"actorEntityId {entity_id!r} is not a known ACTOR entity.")
        if not actor.has_avatar:
            raise invalid(f"actorEntityId {entity_id!r} ({actor.name}) has no avatar presenter configured.")
        quality = optional_string(body, "avatarQuality") or "STANDARD"
        if quality not in AVATAR_QUALITIES:
            raise invalid(f"avatarQuality must be one of {', '.join(AVATAR_QUALITIES)} (got {quality!r}).")
        audio = self._audio(key, body, "audioFileId")
        return AvatarOrder(
            presenter=actor.presenter,
            audio_file_id=audio.file_id,
            watermark_mode=_watermark_mode(body),
            num_results=optional_int(body, "numResults", 1, NUM_RESULTS_RANGE),
            temporary=optional_bool(body, "isOutputTemporary", False),
            quality=quality,
            actor_entity_id=actor.entity_id,
        )

    def _audio(self, key: str, body: dict[str, Any], field: str) -> StoredFile:
        audio_id = check_id(required_string(body, field), FILE_PREFIX, "file")
        audio = self.state.get_file(key, audio_id)
        if audio.type != "AUDIO" or audio.source("download").status != "ready":
            raise invalid(f"{field} {audio_id!r} must reference a ready AUDIO file.")
        return audio

    def _other_tool(self, request: Request, key: str, match: re.Match[str]) -> Response:
        # sandbox choice: the era's other tools exist on the real API but are not simulated here.
        raise ApiFailure(404, f"The sandbox does not implement POST /v1/tools/{match['tool']}.", "not_found")

    # -- executions --------------------------------------------------------------------------------
    def _execution(self, request: Request, key: str, match: re.Match[str]) -> Response:
        execution_id = check_id(match["id"], EXECUTION_PREFIXES, "tool execution")
        execution = self.state.get_execution(key, execution_id)
        return json_response(200, self.state.execution_json(execution))

    def _cancel(self, request: Request, key: str, match: re.Match[str]) -> Response:
        execution_id = check_id(match["id"], EXECUTION_PREFIXES, "tool execution")
        self.state.cancel_execution(key, execution_id)
        return json_response(202, {"toolExecutionId": execution_id})

    def _list(self, request: Request, key: str, match: re.Match[str]) -> Response:
        self_only = query_bool(request, "selfOnly", False)
        return list_response(
            self.state,
            self.pager,
            request,
            f"executions:{self_only}",
            "toolExecutions",
            self.state.list_executions(key, self_only),
            lambda e: newest_first_position(e.created_at, e.execution_id),
            self.state.execution_json,
        )


def _watermark_mode(body: dict[str, Any]) -> str:
    mode = optional_string(body, "watermarkMode")
    mode = WATERMARK_MODES[0] if mode is None else mode  # the default, AUTO
    if mode not in WATERMARK_MODES:
        raise invalid(f"watermarkMode must be one of {', '.join(WATERMARK_MODES)} (got {mode!r}).")
    return mode
