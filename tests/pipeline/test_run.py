"""`copyplate run` under careless and hostile conditions (issue 13): what it cleans, the
lock on the output folder, bad arguments, one failing job, a read-only cache, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from copyplate.errors import InputError
from copyplate.fileio import TEMP_MARK, write_atomic
from copyplate.layouts.loader import LoadedCampaign
from copyplate.pipeline.run import OutputLock, run_batch
from copyplate.renderers.plates.cache import PlateCache
from tests.conftest import ROOT, run_cli
from tests.renderers.copy.helpers import campaign, text_region

LOCALES = {
    "en-US": {"head": "Spring Sale"},
    "de-DE": {"head": "Frühlings-Sale"},
    "fr-FR": {"head": "Soldes"},
}


def small(tmp: Path) -> LoadedCampaign:
    return campaign(tmp / "c", [text_region("head", max_font_px=40)], LOCALES, 400, 200)


def test_only_copyplates_own_temp_files_are_cleaned(tmp_path: Path) -> None:
    """`*.tmp` files of the user's, anywhere under --out, used to be deleted."""
    lc = small(tmp_path)
    out = tmp_path / "out"
    (out / "notes").mkdir(parents=True)
    mine = [out / ".draft.tmp", out / "notes" / ".todo.tmp", out / "s" / ".x.png.tmp"]
    (out / "s").mkdir()
    for f in mine:
        f.write_text("the user's")
    stale = out / "s" / f".en-US.png{TEMP_MARK}abc123.tmp"  # a killed run's
    stale.write_bytes(b"half a png")
    run_batch(lc, out, plate_backend="gradient", plate_cache=PlateCache(tmp_path / "plates"))
    assert all(f.read_text() == "the user's" for f in mine)
    assert not stale.exists()


def test_a_second_run_on_the_same_folder_gets_a_clear_error(tmp_path: Path) -> None:
    lc = small(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    held = OutputLock(out)
    held.acquire()
    try:
        with pytest.raises(InputError, match="another copyplate run"):
            run_batch(lc, out, plate_backend="gradient")
        r = run_cli("run", str(lc.path), "--out", str(out), "--plate-backend", "gradient")
        assert r.returncode == 2 and f"pid {os.getpid()}" in r.stderr, r.stderr
    finally:
        held.release()
    # The lock goes with its holder: the next run proceeds.
    _, results = run_batch(lc, out, plate_backend="gradient")
    assert len(results) == 3


def test_outputs_respect_the_umask(tmp_path: Path) -> None:
    """mkstemp's 0600 used to reach every output; a team share could not read them."""
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "a.json", b"{}")
        os.umask(0o002)
        write_atomic(tmp_path / "b.json", b"{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "b.json").stat().st_mode) == 0o664


def test_one_failing_job_does_not_stop_the_batch(tmp_path: Path) -> None:
    """A folder where one asset's image should go: that job fails (its OSError named in
    the report), the others are written, and the report exists."""
    lc = small(tmp_path)
    out = tmp_path / "out"
    (out / "s" / "de-DE.png").mkdir(parents=True)
    _, results = run_batch(lc, out, plate_backend="gradient")
    by = {r.job.locale: r for r in results}
    assert by["en-US"].passed and by["fr-FR"].passed
    assert not by["de-DE"].passed and "de-DE.png" in (by["de-DE"].error or "")
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert len(data["assets"]) == 3


def test_a_read_only_plate_cache_only_costs_time(tmp_path: Path) -> None:
    lc = small(tmp_path)
    # procfs: read-only for root too (CI runs as root).
    cache = PlateCache(Path("/proc/copyplate-plates"))
    _, results = run_batch(lc, tmp_path / "out", plate_backend="gradient", plate_cache=cache)
    assert all(r.passed for r in results) and cache.unwritable


@pytest.mark.parametrize(
    "args, expect",
    [
        (["--locales", ","], "--locales"),
        (["--sizes", ", ,"], "--sizes"),
        (["--out", "FILE"], "is a file"),
        # Read-only even for root (CI runs as root): procfs refuses new folders.
        (["--out", "/proc/copyplate-out"], "cannot create the folder"),
        (["--sign-cert", "/dev/zero", "--sign-key", "/dev/zero"], "not a regular file"),
        (["--executor", "ray", "--ray-address", "127.0.0.1:1"], "no Ray cluster answers"),
    ],
)
def test_bad_run_arguments_exit_2_with_one_line(
    tmp_path: Path, args: list[str], expect: str
) -> None:
    lc = small(tmp_path)
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    args = [str(a_file) if a == "FILE" else a for a in args]
    t0 = time.monotonic()
    r = run_cli("run", str(lc.path), "--out", str(tmp_path / "o"), *args, timeout=120)
    assert r.returncode == 2 and expect in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and time.monotonic() - t0 < 60


def test_a_read_only_output_folder_exits_2(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    lc = small(tmp_path)
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        r = run_cli("run", str(lc.path), "--out", str(out), "--plate-backend", "gradient")
    finally:
        out.chmod(0o755)
    assert r.returncode == 2 and "not writable" in r.stderr, r.stderr


def test_ctrl_c_with_workers_prints_no_traceback(tmp_path: Path) -> None:
    """SIGINT reaches the whole process group; workers used to print their tracebacks."""
    lc = small(tmp_path)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "copyplate.cli",
            "run",
            str(lc.path),
            "--out",
            str(tmp_path / "out"),
            "--plate-backend",
            "gradient",
            "--workers",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        start_new_session=True,  # its own group, so the signal reaches only it
    )
    # Wait until the pool is up (a worker process exists), then Ctrl-C the group.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
        if kids.exists() and kids.read_text().split():
            break
        time.sleep(0.05)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert "Traceback" not in err, err
    assert proc.returncode in (0, 1, 130), (proc.returncode, err)


@pytest.mark.skipif(
    __import__("multiprocessing").get_start_method() != "fork", reason="workers are not forked"
)
def test_forked_workers_use_the_drivers_loaded_campaign(tmp_path: Path) -> None:
    """Workers start from the campaign the driver loaded and checked (not a second load
    per worker): with the file gone after loading, a two-worker batch still makes every
    asset, from the copy that was loaded."""
    lc = small(tmp_path)
    lc.path.unlink()
    _, results = run_batch(lc, tmp_path / "out", plate_backend="gradient", workers=2)
    assert [r.error for r in results] == [None] * 3
    assert all(r.passed for r in results)


def test_plate_source_keeps_a_few_decoded_plates(tmp_path: Path) -> None:
    """Memory per process stays flat over many sizes: the most recent plates stay decoded,
    older ones come back from the disk cache (the same pixels), none is made twice."""
    import numpy as np

    from copyplate.layouts.loader import load_campaign
    from copyplate.pipeline import job as jobmod
    from copyplate.pipeline.job import PlateSource
    from copyplate.pipeline.plan import Job
    from copyplate.renderers.plates.base import plate_generator
    from tests.conftest import SAMPLES

    lc = load_campaign(SAMPLES / "spring-sale" / "campaign.json")
    cache = PlateCache(tmp_path / "plates")
    source = PlateSource(plate_generator("gradient"), cache)
    sizes = [s.name for s in lc.campaign.sizes]

    def plate(locale: str, size: str) -> np.ndarray:
        return np.asarray(source.get(lc, Job(lc.campaign.id, locale, size, "default"))[0])

    old = jobmod.PLATES_KEPT
    jobmod.PLATES_KEPT = 1
    try:
        first = {s: plate("en-US", s) for s in sizes}
        made = cache.misses
        for s in sizes + sizes:
            assert np.array_equal(plate("de-DE", s), first[s])
            assert len(source._plates) == 1
    finally:
        jobmod.PLATES_KEPT = old
    assert cache.misses == made  # every plate after the first round came from the cache


def test_pool_workers_run_opencv_on_one_thread(tmp_path: Path) -> None:
    """A worker per core, each with OpenCV's pool of a thread per core, spends CPU the
    other workers lack. Spawned workers (a fresh OpenCV, as on Ray or without fork) show
    it: OpenCV alone would use every core; the pool's initializer makes it one."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    import cv2

    from copyplate.pipeline.executors import BatchSpec, _init_worker
    from copyplate.pipeline.job import RunOptions

    lc = small(tmp_path)
    spec = BatchSpec(lc.path, str(lc.path), "gradient", None, tmp_path / "out", RunOptions())
    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=ctx) as bare:
        threads = bare.submit(cv2.getNumThreads).result()
    assert threads > 1 or (os.cpu_count() or 1) == 1
    init = (spec, None)
    with ProcessPoolExecutor(1, mp_context=ctx, initializer=_init_worker, initargs=init) as pool:
        assert pool.submit(cv2.getNumThreads).result() == 1
