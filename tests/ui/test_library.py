"""LibraryTab: local renders and the service's history (paginated as the list scrolls), merged without
duplicates; search (local text and the service's file search); play, reuse, rename, save as, re-download,
archive and share against the loopback sandbox."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import stat
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from videogen_studio.api.capabilities import probe_capabilities
from videogen_studio.api.client import VideoGenClient
from videogen_studio.api.retry import RetryPolicy
from videogen_studio.pipeline.jobs import JobState, RenderJob, RenderSpec
from videogen_studio.pipeline.queue import JobEvent, RenderQueue
from videogen_studio.pipeline.store import JobStore
from videogen_studio.sandbox import SandboxConfig, SandboxServer
from videogen_studio.ui.library import tab as tab_module
from videogen_studio.ui.library.items import Clip, clip_from_job, dedupe
from videogen_studio.ui.library.model import Column, LibraryModel
from videogen_studio.ui.library.tab import LibraryTab, available_actions
from videogen_studio.ui.results.file_actions import NORMAL_FILE_MODE


async def _until(predicate: Callable[[], bool], rounds: int = 1500) -> None:
    for _ in range(rounds):  # a hang guard, not a timing assertion
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


def titles(tab: LibraryTab) -> list[str]:
    return [tab.proxy.index(r, Column.TITLE).data() for r in range(tab.proxy.rowCount())]


def select(tab: LibraryTab, predicate: Callable[[Clip], bool]) -> Clip:
    clip = next(c for c in tab.model.clips() if predicate(c))
    assert tab.select_key(clip.key)
    return clip


class Studio:
    """A real client, store and queue on the sandbox; renders finish in well under a second."""

    def __init__(self, client: VideoGenClient, queue: RenderQueue) -> None:
        self.client, self.queue = client, queue

    async def render(self, title: str, script: str = "A line for the library.") -> RenderJob:
        presenter = (await self.client.list_presenters())[0]
        voices = await self.client.list_voices()
        voice = next(v for v in voices if v.supports_direct_tool_execution)
        job = self.queue.submit(
            RenderSpec(
                presenter_id=presenter.avatar_presenter_id,
                script=script,
                title=title,
                presenter_name="Ada",
                voice_id=voice.voice_id,
            )
        )
        await _until(lambda: (j := self.queue.get(job.job_id)) is not None and j.state.is_terminal)
        done = self.queue.get(job.job_id)
        assert done is not None and done.state == JobState.DONE, done
        return done


@contextlib.asynccontextmanager
async def _studio(sandbox: SandboxServer, tmp_path: Path) -> AsyncIterator[Studio]:
    async with VideoGenClient(
        sandbox.base_url, sandbox.api_key, retry=RetryPolicy(base_delay_s=0.01)
    ) as client:
        store = JobStore(tmp_path / "jobs.sqlite3")
        queue = RenderQueue(
            client, store, output_dir=tmp_path / "videos", poll_interval=0.02, max_poll_interval=0.1
        )
        await queue.start()
        try:
            yield Studio(client, queue)
        finally:
            await queue.aclose()
            store.close()


@pytest.fixture
async def studio(sandbox: SandboxServer, tmp_path: Path) -> AsyncIterator[Studio]:
    async with _studio(sandbox, tmp_path) as s:
        yield s


@pytest.fixture
def library(qtbot: QtBot) -> LibraryTab:
    tab = LibraryTab()
    qtbot.addWidget(tab)
    tab.resize(1000, 500)
    tab.show()
    return tab


async def _close(tab: LibraryTab) -> None:
    await tab.aclose()
    await asyncio.sleep(0)


# -- local and service, merged, paginated -----------------------------------------------------------------


async def test_local_renders_and_service_history_in_one_list_page_by_page(
    library: LibraryTab, studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tab_module, "PAGE_SIZE", 2)  # a few renders make several pages
    first = await studio.render("First take")
    library.attach(studio.queue)
    assert titles(library) == ["First take"]
    second = await studio.render("Second take")
    await _until(lambda: titles(library) == ["Second take", "First take"])  # followed by itself, newest first

    capabilities = await probe_capabilities(studio.client)
    asked: list[None] = []
    library.model.fetchMoreRequested.connect(lambda: asked.append(None))
    library.set_service(studio.client, capabilities=capabilities, output_dir=studio.queue.output_dir)
    # Later pages are asked for through Qt's fetchMore while the list's last row is in sight.
    await _until(lambda: not library.model.more_available() and not library.model._fetching)
    assert len(asked) >= 1  # pages of two files each: not everything came at once

    clips = library.model.clips()
    # The two local renders are also files on the service: one row each, marked as both.
    for job in (first, second):
        row = [c for c in clips if c.job_id == job.job_id]
        assert len(row) == 1 and row[0].origin == "both" and row[0].file_id == job.video_file_id
    assert len({c.key for c in clips}) == len(clips)
    assert all(c.file_id for c in clips)  # speech and image files are not clips
    await _close(library)


async def test_generation_a_has_no_executions_list_files_only(
    qtbot: QtBot, sandbox_assets: Path, tmp_path: Path
) -> None:
    server = SandboxServer(
        data_dir=tmp_path / "sandbox-a", assets_dir=sandbox_assets, config=SandboxConfig.fast("A")
    )
    server.start()
    tab = LibraryTab()
    qtbot.addWidget(tab)
    try:
        async with _studio(server, tmp_path) as studio:
            job = await studio.render("Old service")
            capabilities = await probe_capabilities(studio.client)
            assert not capabilities.has_history
            tab.set_service(studio.client, capabilities=capabilities)
            await _until(lambda: not tab.model._fetching and not tab.model.more_available())
            assert [c.file_id for c in tab.model.clips()] == [job.video_file_id]
            assert "no list of past renders" in tab.status_label.text()
            await _close(tab)
    finally:
        server.stop()


# -- actions ---------------------------------------------------------------------------------------------


async def test_play_reuse_and_rename_a_local_render(library: LibraryTab, studio: Studio) -> None:
    job = await studio.render("Board update", script="Revenue grew in every region.")
    library.attach(studio.queue)
    clip = select(library, lambda c: c.job_id == job.job_id)
    assert clip.presenter == "Ada" and clip.duration_s

    played: list[tuple[str, str, str]] = []
    library.playRequested.connect(lambda *args: played.append(args))
    library.play_action.trigger()
    assert played and played[0][0] == job.output_path and played[0][1] == "Board update"

    reused: list[RenderSpec] = []
    library.reuseRequested.connect(reused.append)
    library.reuse_action.trigger()
    assert reused == [job.spec]  # script, presenter, voice and options: the whole spec

    edited: list[tuple[str, str]] = []
    library.titleEdited.connect(lambda *args: edited.append(args))
    index = library.proxy.index(0, Column.TITLE)
    assert library.proxy.flags(index) & library.proxy.flags(index).ItemIsEditable
    assert library.proxy.setData(index, "  Board   update v2 ")
    assert edited == [(job.job_id, "Board update v2")]
    assert library.proxy.index(0, Column.TITLE).data() == "Board update v2"
    await _close(library)


async def test_search_filters_local_text_and_asks_the_service(library: LibraryTab, studio: Studio) -> None:
    await studio.render("Quarterly numbers", script="Revenue grew.")
    await studio.render("Welcome aboard", script="Hello new colleagues.")
    library.attach(studio.queue)
    library.set_service(studio.client, capabilities=await probe_capabilities(studio.client))
    await _until(lambda: not library.model._fetching)

    library.search("colleagues")  # matches a script, not a title
    assert titles(library) == ["Welcome aboard"]
    # After a pause in typing, VideoGen's own file search is asked too (its matches stay listed).
    await _until(lambda: "search" in library.status_label.text())
    assert "VideoGen's search found" in library.status_label.text(), library.status_label.text()
    assert "Welcome aboard" in titles(library)
    library.search("")
    assert len(titles(library)) == 2
    await _close(library)


async def test_share_link_redownload_and_archive(library: LibraryTab, studio: Studio, tmp_path: Path) -> None:
    asked: list[str] = []

    def yes(_parent: object, title: str, _text: str, on_answer: Callable[[bool], None]) -> None:
        asked.append(title)
        on_answer(True)

    library._confirm = yes
    job = await studio.render("Share me")
    library.attach(studio.queue)
    library.set_service(studio.client, output_dir=tmp_path / "again")
    await _until(lambda: not library.model._fetching)
    clip = select(library, lambda c: c.job_id == job.job_id)
    assert {"share", "redownload", "archive"} <= available_actions(clip, online=True)

    library.share_action.trigger()
    await _until(lambda: library.model.clip(clip.key).public_preview)  # type: ignore[union-attr]
    shared = library.model.clip(clip.key)
    assert shared is not None
    if shared.public_url:
        assert QApplication.clipboard().text() == shared.public_url
    library.share_action.trigger()
    await _until(lambda: not library.model.clip(clip.key).public_preview)  # type: ignore[union-attr]

    Path(job.output_path or "").unlink()  # lost locally: download it again into the same place
    select(library, lambda c: c.key == clip.key)
    library.redownload_action.trigger()
    await _until(lambda: Path(job.output_path or "").is_file())

    library.archive_action.trigger()
    assert asked == ["Archive this clip on VideoGen?"]
    await _until(lambda: library.model.clip(clip.key).file_id == "")  # type: ignore[union-attr]
    assert library.model.clip(clip.key).origin == "local"  # type: ignore[union-attr]
    await _close(library)


# -- no network ------------------------------------------------------------------------------------------


def _done(tmp_path: Path, title: str, created: float, file_id: str | None = None) -> RenderJob:
    video = tmp_path / f"{title}.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video")
    video.chmod(0o600)
    job = RenderJob(RenderSpec(presenter_id="p", script=f"Script of {title}", title=title))
    job = job.advance(JobState.DOWNLOADING).advance(
        JobState.DONE,
        output_path=str(video),
        video_file_id=file_id,
        video_file_ids=(file_id,) if file_id else (),
    )
    return dataclasses.replace(job, created_at=created)


def test_model_merges_sightings_and_orders_newest_first(tmp_path: Path) -> None:
    older, newer = _done(tmp_path, "older", 100.0, "f1"), _done(tmp_path, "newer", 200.0)
    service_only = Clip(key="file:f9", origin="service", title="From the website", file_id="f9")
    seen_on_service = Clip(
        key="file:f1", origin="service", title="server name", file_id="f1", public_preview=True
    )
    model = LibraryModel()
    model.upsert([service_only])
    model.upsert([c for c in (clip_from_job(older), clip_from_job(newer)) if c is not None])
    model.upsert([seen_on_service])
    assert [c.title for c in model.clips()] == ["newer", "older", "From the website"]
    merged = model.clip("file:f1")
    assert (
        merged is not None and merged.origin == "both" and merged.title == "older" and merged.public_preview
    )
    assert model.index(1, Column.WHERE).data() == "This computer + VideoGen · shared"
    assert model.index(2, Column.DATE).data() == "—"  # the service gives no date; none is invented
    assert len(dedupe([*model.clips(), seen_on_service])) == 3


def test_save_as_writes_a_normal_file_and_removed_renders_leave(qtbot: QtBot, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QFileDialog

    job = _done(tmp_path, "keep", 100.0)

    class Queue:
        def __init__(self) -> None:
            self.listeners: list[Callable[[JobEvent], None]] = []

        def jobs(self) -> list[RenderJob]:
            return [job, RenderJob(RenderSpec(presenter_id="p", script="still queued"))]

        def subscribe(self, listener: Callable[[JobEvent], None]) -> Callable[[], None]:
            self.listeners.append(listener)
            return lambda: self.listeners.remove(listener)

    queue = Queue()
    tab = LibraryTab()
    qtbot.addWidget(tab)
    tab.show()
    tab.attach(queue)
    assert titles(tab) == ["keep"]  # unfinished renders are the queue's business
    select(tab, lambda c: c.job_id == job.job_id)
    assert not tab.redownload_action.isEnabled()  # offline, and never on the service
    tab.save_as_action.trigger()
    dialog = tab.findChild(QFileDialog, "saveVideoDialog")
    assert dialog is not None and Path(dialog.directory().absolutePath()) == tmp_path.resolve()
    target = tmp_path / "out" / "copy.mp4"
    target.parent.mkdir()
    dialog.selectFile(str(target))
    dialog.accept()
    qtbot.waitUntil(lambda: tab.status_label.text() == f"Saved to {target}", timeout=10_000)
    assert stat.S_IMODE(os.stat(target).st_mode) == NORMAL_FILE_MODE

    queue.listeners[0](JobEvent("removed", job))
    assert titles(tab) == []
    assert tab.empty_label.isVisibleTo(tab)
    tab.detach()
    assert queue.listeners == []
