"""Corpus runs on a real local Dask cluster (2 worker processes) over copies of the sample
clips, with the real offline model: outputs, failures, a killed worker, an interrupted run.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time

import pandas as pd
import pytest
from corpus_cases import FAST, GOOD

from emohelpers.analysis.table import Analysis
from emohelpers.corpus import dataset
from emohelpers.corpus.engine import run_corpus
from emohelpers.corpus.manifest import read_inputs
from emohelpers.corpus.task import TaskSettings

pytestmark = pytest.mark.slow


def test_good_clips_done_bad_ones_recorded_with_reasons(corpus):
    run, out, _ = corpus
    status = {r["clip"]: (r["status"], r.get("error")) for r in run.rows}
    assert [r["clip"] for r in run.rows] == [*GOOD, "empty_room", "corrupt", "zero", "gone"]
    for name in [*GOOD, "empty_room"]:
        assert status[name] == ("ok", None)
    assert "corrupt.mp4: cannot be read as a video" in status["corrupt"][1]
    assert "zero.mp4: the file is empty (0 bytes)" in status["zero"][1]
    assert status["gone"][1] == "videos/gone.mp4: no such file (manifest.csv, line 8)"
    assert not run.ok and not run.interrupted
    assert run.summary_line().startswith("7 clip(s): 4 done, 0 skipped, 3 failed in ")
    # Two worker processes at most, each loading the model once for all its clips.
    pids = [r["pid"] for r in run.rows if r["status"] == "ok"]
    loads = [r["pid"] for r in run.rows if r.get("model_loaded")]
    assert 1 <= len(set(pids)) <= 2 and sorted(loads) == sorted(set(pids))


def test_dataset_is_readable_by_pandas_and_pyarrow_with_each_clips_rows(corpus):
    import pyarrow.dataset as ds

    run, out, _ = corpus
    root = dataset.dataset_dir(out)
    by_pandas = pd.read_parquet(root)
    by_arrow = ds.dataset(root, format="parquet", partitioning="hive").to_table().to_pandas()
    assert sorted(p.name for p in root.iterdir()) == [
        f"clip={c}" for c in sorted([*GOOD, "empty_room"])
    ]
    for df in (by_pandas, by_arrow):
        counts = df["clip"].astype(str).value_counts().to_dict()
        for name in [*GOOD, "empty_room"]:
            table = Analysis.load(out / "clips" / name).table
            assert counts[name] == len(table) > 0
    frame = dataset.read_emotions(out)
    ann = frame.loc[frame["clip"] == "debate_a"]
    assert set(ann["speaker"]) == {"Ann"} and set(ann["debate_id"]) == {"d1"}
    lecture = frame.loc[frame["clip"] == "lecture_c"]
    assert lecture["debate_id"].isna().all()
    # The no-face clip: one row per analysed frame, all without a face.
    room = frame.loc[frame["clip"] == "empty_room"]
    assert len(room) > 0 and room["face"].isna().all()


def test_clips_table_agrees_with_the_per_clip_tables(corpus):
    run, out, _ = corpus
    clips = dataset.read_clips(out).set_index("clip")
    assert list(clips.index) == [r["clip"] for r in run.rows]
    assert list(clips.columns[-2:]) == ["speaker", "debate_id"]
    for name in [*GOOD, "empty_room"]:
        table, prov = Analysis.load(out / "clips" / name)
        row = clips.loc[name]
        face_frames = table.loc[table["face"].notna(), "frame"].nunique()
        assert row["status"] == "ok" and row["frames_analysed"] == table["frame"].nunique()
        assert row["frames_with_face"] == face_frames
        assert row["face_coverage"] == pytest.approx(face_frames / table["frame"].nunique())
        assert row["video_sha256"] == prov.video_sha256
        assert row["model"] == "mini-xception" and row["seconds"] > 0
    assert clips.loc["debate_a", "dominant"] in (
        "angry",
        "disgust",
        "fear",
        "happy",
        "neutral",
        "sad",
        "surprise",
    )
    assert clips.loc["debate_a", "verdict"] in ("positive", "neutral", "negative")
    assert pd.isna(clips.loc["empty_room", "dominant"]) and clips.loc["empty_room", "persons"] == 0
    assert clips.loc["corrupt", "status"] == "failed"
    assert "corrupt.mp4" in clips.loc["corrupt", "error"] and pd.isna(clips.loc["corrupt", "fps"])


def test_rerun_skips_finished_clips_and_retries_failed_ones(corpus, tmp_path):
    _, shared, manifest = corpus
    out = shutil.copytree(shared, tmp_path / "out")  # the shared run stays as it was
    files = [dataset.partition_path(out, n) for n in GOOD] + [
        out / "clips" / n / "emotions.parquet" for n in GOOD
    ]
    before = {f: f.stat().st_mtime_ns for f in files}
    again = run_corpus(read_inputs([manifest]), out, FAST, workers=0, progress=False)
    assert again.summary_line().startswith("7 clip(s): 0 done, 4 skipped, 3 failed")
    assert {f: f.stat().st_mtime_ns for f in files} == before
    # Other settings: nothing is skipped.
    other = TaskSettings(analysis={"model": "mini-xception", "every_n": 12})
    clips = [c for c in read_inputs([manifest]) if c.name == "debate_a"]
    row = run_corpus(clips, out, other, workers=0, progress=False).rows[0]
    assert row["status"] == "ok" and not row["skipped"]
    assert dataset.partition_path(out, "debate_a").stat().st_mtime_ns > before[files[0]]
    # A run over fewer clips leaves the dataset with exactly its finished clips.
    assert sorted(dataset.read_emotions(out)["clip"].unique()) == ["debate_a"]


def _model_loaded() -> bool:
    from emohelpers.corpus import task

    return bool(task._ANALYZERS)


def kill_mid_clip(times: int, killed: list):
    """An `on_start` hook: SIGKILL the worker running a clip (model loaded), `times` times."""

    def start(client):
        def watch():
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and len(killed) < times:
                for worker, keys in client.processing().items():
                    # Mid-clip: the worker has a clip and has loaded the model for it.
                    if keys and client.run(_model_loaded, workers=[worker]).get(worker):
                        pid = client.run(os.getpid, workers=[worker])[worker]
                        os.kill(pid, signal.SIGKILL)
                        killed.append(pid)
                        time.sleep(1.0)  # let the scheduler notice before looking again
                        break
                time.sleep(0.1)

        threading.Thread(target=watch, daemon=True).start()

    return start


def test_a_worker_killed_mid_clip_is_retried_and_nothing_is_lost_or_doubled(sample_dir, tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    for i in range(2):  # 20 s clips, every 6th frame: seconds each
        shutil.copy(sample_dir / "WolfgangLanger_Pexels.mp4", videos / f"long_{i}.mp4")
    killed: list[int] = []

    settings = TaskSettings(analysis={"model": "mini-xception", "every_n": 6})
    out = tmp_path / "out"
    run = run_corpus(
        read_inputs([videos]),
        out,
        settings,
        workers=2,
        progress=False,
        on_start=kill_mid_clip(1, killed),
    )
    assert len(killed) == 1, "no worker was killed mid-clip"
    assert run.ok, [r.get("error") for r in run.rows]
    assert sorted(r["clip"] for r in run.rows) == ["long_0", "long_1"]
    assert killed[0] not in {r["pid"] for r in run.rows}  # its clip ran elsewhere
    frame = dataset.read_emotions(out)
    for name in ["long_0", "long_1"]:
        parts = list(dataset.partition_path(out, name).parent.iterdir())
        assert [p.name for p in parts if not p.name.startswith(".")] == ["part-0.parquet"]
        table = Analysis.load(out / "clips" / name).table
        rows = frame.loc[frame["clip"] == name]
        assert len(rows) == len(table) and not rows.duplicated(["frame", "face"]).any()
        assert rows["frame"].nunique() == 79  # 472 frames, every 6th


def test_a_clip_whose_worker_dies_twice_is_recorded_as_failed(sample_dir, tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    shutil.copy(sample_dir / "WolfgangLanger_Pexels.mp4", videos / "fatal.mp4")
    killed: list[int] = []
    settings = TaskSettings(analysis={"model": "mini-xception", "every_n": 6})
    run = run_corpus(
        read_inputs([videos]),
        tmp_path / "out",
        settings,
        workers=2,
        progress=False,
        on_start=kill_mid_clip(2, killed),
    )
    assert len(killed) == 2
    (row,) = run.rows
    assert row["status"] == "failed" and "worker process died 2 times" in row["error"]
    assert dataset.read_clips(tmp_path / "out")["status"].tolist() == ["failed"]
    assert len(dataset.read_emotions(tmp_path / "out")) == 0


def test_interrupted_run_then_rerun_redoes_only_what_is_missing(sample_dir, tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    for i in range(4):
        shutil.copy(sample_dir / "single_face.mp4", videos / f"clip_{i}.mp4")
    out = tmp_path / "out"
    clips = read_inputs([videos])
    seen: list[str] = []

    def interrupt_after_two(row):
        seen.append(row["clip"])
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_corpus(
            clips,
            out,
            FAST,
            workers=1,
            max_in_flight=1,
            progress=False,
            on_result=interrupt_after_two,
        )
    table = dataset.read_clips(out).set_index("clip")
    assert (table["status"] == "pending").sum() == 2 and set(seen) <= set(table.index)
    assert list(table.loc[seen, "status"]) == ["ok", "ok"]
    # A killed writer's leftovers: hidden temporary parts, a table without its clip.json.
    todo = [c.name for c in clips if c.name not in seen]
    part_dir = dataset.partition_path(out, todo[0]).parent
    part_dir.mkdir(parents=True, exist_ok=True)
    (part_dir / ".part-0.parquet.999.tmp").write_bytes(b"half a parquet file")
    shutil.copytree(out / "clips" / seen[0], out / "clips" / todo[1], dirs_exist_ok=True)
    (out / "clips" / todo[1] / "clip.json").unlink()
    assert len(dataset.read_emotions(out)) == sum(
        len(Analysis.load(out / "clips" / n).table) for n in seen
    )  # the hidden part is not read as data
    finished = {n: dataset.partition_path(out, n).stat().st_mtime_ns for n in seen}

    rerun = run_corpus(clips, out, FAST, workers=0, progress=False)
    assert rerun.ok
    rows = {r["clip"]: r for r in rerun.rows}
    assert all(rows[n]["skipped"] for n in seen) and not any(rows[n]["skipped"] for n in todo)
    assert {n: dataset.partition_path(out, n).stat().st_mtime_ns for n in seen} == finished
    assert dataset.read_clips(out)["status"].eq("ok").all()
    counts = dataset.read_emotions(out)["clip"].value_counts()
    assert {n: counts[n] for n in rows} == {
        n: len(Analysis.load(out / "clips" / n).table) for n in rows
    }


def _task_thread_torch_threads() -> tuple[int, str | None, bool]:
    import torch

    from emohelpers.corpus.task import _apply_torch_threads, undo_dask_malloc_trim

    _apply_torch_threads()  # what run_clip does before it analyses
    return (
        torch.get_num_threads(),
        os.environ.get("MALLOC_TRIM_THRESHOLD_"),
        undo_dask_malloc_trim(),
    )


def test_workers_tasks_use_the_torch_threads_the_plugin_decides():
    """The engine's local workers run without Dask's MALLOC_TRIM_THRESHOLD_ (it made the
    analysis 2.2-2.4x slower); on a cluster started with Dask's default worker environment
    (OMP_NUM_THREADS=1, MALLOC_TRIM_THRESHOLD_=65536), the plugin's thread count reaches the
    task thread and glibc's thresholds are set back."""
    from distributed import Client, LocalCluster

    from emohelpers.corpus.cluster import TorchThreads, connect, hosts, machine_cores

    environ = dict(os.environ)
    client, cluster = connect(1, None, None)
    try:
        client.register_plugin(TorchThreads(hosts(client)))
        threads, trim, undone = client.submit(_task_thread_torch_threads, pure=False).result()
        assert threads == max(1, machine_cores()) and trim is None and not undone
        names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_WAIT_POLICY")
        env = client.submit(lambda: [os.environ.get(k) for k in names], pure=False).result()
        assert env == [str(max(1, machine_cores()))] * 2 + ["PASSIVE"]
    finally:
        client.close()
        cluster.close()
    assert dict(os.environ) == environ  # the engine's cluster gave its variables to workers only
    try:  # Dask's own nanny writes its workers' variables into this process: given back here
        dask_default = LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        )
        with dask_default as cluster, Client(cluster) as client:
            client.register_plugin(TorchThreads(hosts(client)))
            threads, trim, undone = client.submit(_task_thread_torch_threads, pure=False).result()
            assert threads == max(1, machine_cores()) and trim == "65536"  # Dask's default
            assert undone  # on glibc: thresholds set back (mallopt accepted them)
    finally:
        os.environ.clear()
        os.environ.update(environ)


def test_a_local_cluster_listens_on_loopback_only():
    """The dashboard, the scheduler, the nannies and the workers of a local corpus run listen
    on 127.0.0.1 only: nothing of it is reachable from the network."""
    psutil = pytest.importorskip("psutil")
    pytest.importorskip("bokeh")
    from urllib.parse import urlsplit

    from emohelpers.corpus.cluster import connect, dashboard_link

    client, cluster = connect(1, None, 1)
    try:
        link = dashboard_link(client)
        assert link is not None and urlsplit(link).hostname == "127.0.0.1"
        me = psutil.Process()
        pids = [me.pid, *(p.pid for p in me.children(recursive=True))]
        listening = [
            c.laddr
            for c in psutil.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN and c.pid in pids
        ]
        assert listening, "a local cluster listens somewhere"
        assert {a.ip for a in listening} == {"127.0.0.1"}, listening
        assert urlsplit(link).port in {a.port for a in listening}
    finally:
        client.close()
        cluster.close()
