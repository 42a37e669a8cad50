"""The annotated video: format, frame count, rate, sound, and a radar that matches Plotly's."""

from __future__ import annotations

import io
from fractions import Fraction

import av
import numpy as np
import plotly.io as pio
import pytest
from PIL import Image

from emohelpers.analysis.table import EMOTIONS
from emohelpers.core.errors import ParameterError, SchemaError, VideoReadError
from emohelpers.figures import radar_panel as render
from emohelpers.figures.radar_panel import (
    PANEL_SIZE,
    RadarGeometry,
    draw_radar,
    panel_geometry,
    radar_background,
    radar_background_figure,
)
from emohelpers.figures.render import analysed_fps, render_annotated_video
from emohelpers.figures.theme import RADAR_FILL_OPACITY, hex_to_rgb, person_color
from emohelpers.summaries import summary as S
from tests.helpers import make_table

FPS = 24


def make_video(path, n=24, w=160, h=120, fps=FPS, audio=False):
    """A tiny clip of moving colour gradients, optionally with a 440 Hz AAC tone.

    Odd sizes are stored as yuv444p, which H.264 allows (4:2:0 needs even sizes).
    """
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height = w, h
        video.pix_fmt = "yuv420p" if w % 2 == h % 2 == 0 else "yuv444p"
        if audio:
            sound = container.add_stream("aac", rate=44100)
            sound.layout = "mono"
        yy, xx = np.mgrid[0:h, 0:w]
        for i in range(n):
            rgb = np.stack(
                [(xx * 255 // w + 10 * i) % 256, yy * 255 // h, np.full_like(xx, 20 * i % 256)], -1
            ).astype(np.uint8)
            for packet in video.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        if audio:
            rate = 44100
            t = np.arange(int(rate * n / fps)) / rate
            samples = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            for start in range(0, len(samples), 1024):
                chunk = samples[None, start : start + 1024]
                frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
                frame.sample_rate, frame.pts = rate, start
                for packet in sound.encode(frame):
                    container.mux(packet)
            for packet in sound.encode():
                container.mux(packet)
    return path


def probe(path):
    """(codec, pix_fmt, width, height, average fps, decoded frame count, has audio)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        n = sum(1 for _ in container.decode(stream))
        return (
            stream.codec_context.name,
            stream.codec_context.pix_fmt,
            stream.width,
            stream.height,
            stream.average_rate,
            n,
            bool(container.streams.audio),
        )


def two_person_table(n=24, every_n=1, fps=FPS):
    """P0 every analysed frame, P1 from the 5th on, and two analysed frames without faces."""
    rows = []
    for k, f in enumerate(range(0, n, every_n)):
        if k in (3, 4):
            rows.append((f, f / fps, None, None))
            continue
        rows.append((f, f / fps, 0, {"happy": 0.6, "neutral": 0.4}))
        if k >= 5:
            rows.append((f, f / fps, 1, {"sad": 0.3, "angry": 0.3, "surprise": 0.4}))
    return make_table(rows)


@pytest.fixture
def no_kaleido(monkeypatch):
    """Force the PIL fallback background, so that these tests need no Chrome."""

    def refuse(*args, **kwargs):
        raise RuntimeError("no Chrome in this test")

    render.radar_background.cache_clear()
    monkeypatch.setattr(render, "_kaleido_png", refuse)
    yield
    render.radar_background.cache_clear()


@pytest.mark.parametrize(
    ("audio", "every_n", "fps", "expected_n", "expected_fps"),
    [
        (False, 1, None, 24, Fraction(24)),
        (True, 2, None, 12, Fraction(12)),
        # A constant 10 fps from 1 s at 24 fps: frames dropped by time, the sound in sync.
        (True, 1, 10.0, 10, Fraction(10)),
    ],
)
def test_render_format_frames_rate_and_sound(
    tmp_path, no_kaleido, audio, every_n, fps, expected_n, expected_fps
):
    src = make_video(tmp_path / "src.mp4", audio=audio)
    table = two_person_table(every_n=every_n)
    out = render_annotated_video(src, table, tmp_path / "out.mp4", fps=fps, progress=False)
    codec, pix_fmt, w, h, rate, n, has_audio = probe(out)
    assert (codec, pix_fmt) == ("h264", "yuv420p")
    assert w % 2 == 0 and h % 2 == 0 and h >= render.MIN_HEIGHT
    assert n == expected_n
    assert rate == expected_fps
    assert has_audio is audio
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4", "src.mp4"]


def test_render_odd_size_and_main_radar(tmp_path, no_kaleido):
    src = make_video(tmp_path / "src.mp4", n=6, w=161, h=361)
    table = two_person_table(n=6)
    out = render_annotated_video(src, table, tmp_path / "o.mp4", radar="main", progress=False)
    _, pix_fmt, w, h, _, n, _ = probe(out)
    assert (w % 2, h % 2, n, pix_fmt) == (0, 0, 6, "yuv420p")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"radar": "everyone"}, ParameterError),
        ({"fps": 0.0}, ParameterError),
        ({"fps": float("nan")}, ParameterError),
    ],
)
def test_render_rejects_bad_parameters(tmp_path, kwargs, error):
    with pytest.raises(error):
        render_annotated_video(tmp_path / "x.mp4", two_person_table(), tmp_path / "o.mp4", **kwargs)


def test_render_rejects_empty_table_missing_video_and_foreign_table(tmp_path, no_kaleido):
    table = two_person_table()
    with pytest.raises(SchemaError):
        render_annotated_video(tmp_path / "x.mp4", table.iloc[:0], tmp_path / "o.mp4")
    with pytest.raises(VideoReadError, match="x.mp4"):
        render_annotated_video(tmp_path / "x.mp4", table, tmp_path / "o.mp4")
    src = make_video(tmp_path / "src.mp4", n=4)
    late = make_table([(1000, 1000 / FPS, 0, "happy"), (1001, 1001 / FPS, 0, "sad")])
    with pytest.raises(VideoReadError, match="src.mp4"):
        render_annotated_video(src, late, tmp_path / "o.mp4", progress=False)
    assert not (tmp_path / "o.mp4").exists()


@pytest.mark.parametrize(
    ("frames", "times", "source", "expected"),
    [
        ([0, 2, 4, 6], [0, 2 / 24, 4 / 24, 6 / 24], Fraction(24), Fraction(12)),
        ([0, 1, 2], [0, 1 / 25, 2 / 25], Fraction(25), Fraction(25)),
        ([0, 4, 9, 14, 18], [0, 0.2, 0.4, 0.6, 0.8], Fraction(24), Fraction(5)),
        ([7], [0.3], Fraction(30), Fraction(30)),
    ],
)
def test_analysed_fps(frames, times, source, expected):
    table = make_table([(f, t, 0, "happy") for f, t in zip(frames, times, strict=True)])
    assert analysed_fps(table, source) == expected


def test_main_person_is_most_seen_lowest_id_on_ties():
    main_person = S.main_person
    rows = [(0, 0.0, 2, "happy"), (0, 0.0, 1, "sad"), (1, 0.1, 2, "happy"), (1, 0.1, 1, "sad")]
    assert main_person(make_table(rows)) == 1.0
    assert main_person(make_table([*rows, (2, 0.2, 2, "fear")])) == 2.0
    assert np.isnan(main_person(make_table([(0, 0.0, None, None)])))


def test_geometry_places_axes_clockwise_from_the_top():
    geo = RadarGeometry(cx=100.0, cy=80.0, radius=50.0)
    v = geo.vertices(np.ones(7))
    np.testing.assert_allclose(v[0], [100.0, 30.0])  # angry at the top
    assert v[1, 0] > 100 and v[-1, 0] < 100  # disgust right, surprise left
    np.testing.assert_allclose(geo.vertices(np.zeros(7)), np.tile([100.0, 80.0], (7, 1)))
    size, scale, g = panel_geometry(2 * PANEL_SIZE[1])
    assert size == (2 * PANEL_SIZE[0], 2 * PANEL_SIZE[1]) and scale == 2.0
    assert g.radius == 2 * panel_geometry(PANEL_SIZE[1])[2].radius


def test_draw_radar_blends_like_plotly_and_leaves_background_alone():
    _, _, geo = panel_geometry(360)
    size = panel_geometry(360)[0]
    background = np.full((size[1], size[0], 3), 255, dtype=np.uint8)
    before = background.copy()
    color = person_color(0)
    out = draw_radar(background, geo, [(np.ones(7), color), (np.full(7, np.nan), "#FF0000")])
    np.testing.assert_array_equal(background, before)
    centre = out[round(geo.cy), round(geo.cx)].astype(float)
    expected = 255 * (1 - RADAR_FILL_OPACITY) + np.array(hex_to_rgb(color)) * RADAR_FILL_OPACITY
    np.testing.assert_allclose(centre, expected, atol=2)
    x, y = geo.vertices(np.ones(7))[:2].mean(axis=0)  # the middle of the first edge
    near = out[int(y) - 1 : int(y) + 2, int(x) - 1 : int(x) + 2].reshape(-1, 3).astype(float)
    assert np.abs(near - hex_to_rgb(color)).max(axis=1).min() < 40  # the outline is there
    assert (draw_radar(background, geo, []) == background).all()


# --- against kaleido ------------------------------------------------------------------

PROBS = np.array([0.9, 0.15, 0.45, 0.7, 1.0, 0.3, 0.6])
MARKER = "#FF00FF"


def _kaleido(fig, height):
    _, scale, _ = panel_geometry(height)
    png = pio.to_image(fig, format="png", width=PANEL_SIZE[0], height=PANEL_SIZE[1], scale=scale)
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def _closed(probs):
    return [*probs, probs[0]], [*EMOTIONS, EMOTIONS[0]]


@pytest.mark.slow
@pytest.mark.parametrize("height", [360, 720])
def test_vertices_land_where_kaleido_puts_them(height):
    fig = radar_background_figure({})
    r, theta = _closed(PROBS)
    fig.add_scatterpolar(r=r, theta=theta, mode="markers", marker={"color": MARKER, "size": 5})
    image = _kaleido(fig, height).astype(int)
    magenta = (image[..., 0] > 200) & (image[..., 1] < 80) & (image[..., 2] > 200)
    ys, xs = np.nonzero(magenta)
    _, _, geo = panel_geometry(height)
    for x, y in geo.vertices(PROBS):
        near = (np.abs(xs + 0.5 - x) < 8) & (np.abs(ys + 0.5 - y) < 8)
        assert near.any(), f"no kaleido marker near ({x:.1f}, {y:.1f})"
        # Pixel centres are at +0.5 in the continuous coordinates of RadarGeometry.
        assert abs(xs[near].mean() + 0.5 - x) < 1.0 and abs(ys[near].mean() + 0.5 - y) < 1.0


@pytest.mark.slow
def test_pil_radar_matches_a_kaleido_radar():
    height = 360
    color = person_color(0)
    background = radar_background(height, (("P0", color),))
    _, _, geo = panel_geometry(height)
    ours = draw_radar(background, geo, [(PROBS, color)]).astype(float)
    fig = radar_background_figure({"P0": color})
    fig.data[0].r, fig.data[0].theta = _closed(PROBS)
    theirs = _kaleido(fig, height).astype(float)
    assert ours.shape == theirs.shape
    yy, xx = np.mgrid[0 : ours.shape[0], 0 : ours.shape[1]]
    polar = (xx + 0.5 - geo.cx) ** 2 + (yy + 0.5 - geo.cy) ** 2 <= geo.radius**2
    diff = np.abs(ours - theirs).max(axis=2)[polar]
    assert diff.mean() < 1.5
    assert np.quantile(diff, 0.99) < 60  # only antialiased edge pixels differ at all
    # The filled areas agree: pixels tinted by the polygon in one are tinted in the other.
    tinted = [np.abs(im - background).max(axis=2)[polar] > 8 for im in (ours, theirs)]
    iou = (tinted[0] & tinted[1]).sum() / (tinted[0] | tinted[1]).sum()
    assert iou > 0.97


@pytest.mark.slow
def test_render_with_kaleido_background(tmp_path):
    render.radar_background.cache_clear()
    src = make_video(tmp_path / "src.mp4", n=8, audio=True)
    out = render_annotated_video(src, two_person_table(n=8), tmp_path / "o.mp4", progress=False)
    assert probe(out)[5:] == (8, True)


def decoded(path):
    """Every picture of a video as (h, w, 3) uint8 RGB, in order."""
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def test_render_every_source_frame_holds_the_radar(tmp_path, no_kaleido):
    """frames_mode="source": every source frame at the source's rate (not the analysed
    frames' 8 fps), the sound kept; between analysed frames the picture moves on while the
    radar holds the last analysed frame's probabilities."""
    src = make_video(tmp_path / "src.mp4", audio=True)
    table = two_person_table(every_n=3)  # frames 0, 3, ..., 21; P1 from frame 15 on
    old = render_annotated_video(src, table, tmp_path / "old.mp4", progress=False)
    assert probe(old)[4:] == (Fraction(8), 8, True)
    out = render_annotated_video(
        src, table, tmp_path / "out.mp4", frames_mode="source", progress=False
    )
    _, _, w, h, rate, n, has_audio = probe(out)
    assert (rate, n, has_audio) == (Fraction(FPS), 24, True)
    pictures = decoded(out)
    frame_w = round(160 * h / 120)
    left = [p[:, :frame_w].astype(int) for p in pictures]
    radar = [p[h // 6 :, frame_w + 10 :].astype(int) for p in pictures]  # below the time label
    # The source moves every frame: no picture repeats an analysed one.
    assert all(np.abs(a - b).mean() > 2 for a, b in zip(left, left[1:], strict=False))
    # Frames 13 and 14 hold frame 12's radar (P0 only); frame 15 adds P1's polygon.
    assert np.abs(radar[13] - radar[12]).mean() < 1.0
    assert np.abs(radar[14] - radar[12]).mean() < 1.0
    assert np.abs(radar[15] - radar[12]).mean() > 3 * np.abs(radar[14] - radar[12]).mean() + 0.5
    with pytest.raises(ParameterError, match="frames_mode"):
        render_annotated_video(src, table, tmp_path / "x.mp4", frames_mode="all")
