"""MTCNN's three stages on a batch of frames, with every crop resampled in one batched call.

facenet-pytorch's `detect_face` resamples each candidate box on its own (one
`interpolate(mode="area")` per box, ~30 boxes per frame at each of R-Net and O-Net), and
those thousands of tiny calls cost more than the networks. Area resampling is a mean over
rectangular bins, so one integral image (summed-area table) per frame gives every bin of
every crop, and of every pyramid level, from four look-ups. The bins are adaptive pooling's
(`floor(i*n/s)` to `ceil((i+1)*n/s)`) and each mean is `float32(sum) / kh / kw` as in
PyTorch's kernel, so for uint8 frames the network inputs are bit-identical to facenet's and
the boxes and probabilities match its `MTCNN.detect` up to float noise in the networks.

The networks, weights, thresholds, box regression, NMS and their order are facenet-pytorch's
own (its `detect_face` helpers are called directly).
"""

from __future__ import annotations

import numpy as np
import torch
from facenet_pytorch.models.utils import detect_face as fd

#: Crops per R-Net / O-Net call (facenet-pytorch's own chunk, bounds GPU memory).
_NET_BATCH = 512
#: R-Net / O-Net batches are padded to a multiple of this many crops: every new batch size
#: makes oneDNN build and cache new kernels (~150 MB over a clip otherwise).
_BATCH_STEP = 32


def _bins(length: torch.Tensor, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Adaptive pooling's bin edges: (k,) lengths -> (k, size) starts and (exclusive) ends."""
    i = torch.arange(size, device=length.device)
    lo = (i[None] * length[:, None]) // size
    hi = ((i[None] + 1) * length[:, None] + size - 1) // size
    return lo, hi


def integral_image(frames: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """Summed-area tables of frames.

    Args:
        frames: (N, h, w, C) uint8 (exact int32 sums) or float (float64 sums).
        out: a table from an earlier call, reused when it fits (same frame size, at least
            N frames, dtype, device): fresh large buffers cost page faults on every call
            that are slower than the sums themselves.

    Returns:
        (N, h+1, w+1, C) table, `t[n, y, x] = frames[n, :y, :x].sum((0, 1))`.
    """
    n, h, w, c = frames.shape
    exact = frames.dtype == torch.uint8 and h * w * 255 < 2**31
    dtype = torch.int32 if exact else torch.float64
    shape = (n, h + 1, w + 1, c)
    if (
        out is None
        or out.shape[1:] != shape[1:]
        or len(out) < n
        or out.dtype != dtype
        or out.device != frames.device
    ):
        out = torch.zeros(shape, dtype=dtype, device=frames.device)
    out = out[:n]  # its first row and column stay 0
    if frames.device.type == "cpu":
        # Frame by frame: each table stays in cache between the two passes.
        for i in range(n):
            inner = out[i, 1:, 1:]
            torch.cumsum(frames[i], 0, dtype=dtype, out=inner)
            torch.cumsum(inner, 1, out=inner)
    else:
        out[:, 1:, 1:] = frames.to(dtype).cumsum(1).cumsum(2)
    return out


def _box_means(corners: torch.Tensor, kh: torch.Tensor, kw: torch.Tensor) -> torch.Tensor:
    """Bin means from the table at each bin's corners (stacked on dim 1: br, tr, bl, tl)."""
    total = corners[:, 0] - corners[:, 1] - corners[:, 2] + corners[:, 3]
    # PyTorch's area kernel: float32 sum, divided by the bin height, then by its width.
    return total.to(torch.float32) / kh.to(torch.float32) / kw.to(torch.float32)


def _corner_index(rs, re, cs, ce, width):
    """Flat table positions (rows * width + columns) of each bin's four corners."""
    r = torch.stack([re, rs, re, rs], dim=-2)[..., :, None] * width  # (..., 4, s, 1)
    c = torch.stack([ce, ce, cs, cs], dim=-2)[..., None, :]  # (..., 4, 1, s)
    return r + c


def resize_area(table: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Whole frames resampled like `interpolate(mode="area")`.

    Args:
        table: (N, h+1, w+1, C) integral image.
        size: (out_h, out_w).

    Returns:
        (N, C, out_h, out_w) float32, channels-last in memory.
    """
    n, h1, w1, c = table.shape
    dev = table.device
    rs, re = _bins(torch.tensor([h1 - 1], device=dev), size[0])
    cs, ce = _bins(torch.tensor([w1 - 1], device=dev), size[1])
    index = _corner_index(rs[0], re[0], cs[0], ce[0], w1).reshape(-1)
    corners = table.view(n, h1 * w1, c).index_select(1, index)
    corners = corners.view(n, 4, size[0], size[1], c)
    out = _box_means(corners, (re - rs)[0][:, None, None], (ce - cs)[0][None, :, None])
    return out.permute(0, 3, 1, 2)


def crop_area(
    table: torch.Tensor,
    image: torch.Tensor,
    y0: torch.Tensor,
    y1: torch.Tensor,
    x0: torch.Tensor,
    x1: torch.Tensor,
    size: int,
) -> torch.Tensor:
    """Boxes cut from frames and resampled like `interpolate(mode="area")`, all at once.

    Args:
        table: (N, h+1, w+1, C) integral image.
        image: (K,) int64 frame index of each box.
        y0, y1, x0, x1: (K,) int64 pixel rows [y0, y1) and columns [x0, x1), non-empty.
        size: output side.

    Returns:
        (K, C, size, size) float32, channels-last in memory.
    """
    n, h1, w1, c = table.shape
    rs, re = _bins(y1 - y0, size)
    cs, ce = _bins(x1 - x0, size)
    kh, kw = (re - rs)[:, :, None, None], (ce - cs)[:, None, :, None]
    index = _corner_index(
        rs + y0[:, None], re + y0[:, None], cs + x0[:, None], ce + x0[:, None], w1
    )
    index = index + (image * (h1 * w1))[:, None, None, None]
    corners = table.view(n * h1 * w1, c).index_select(0, index.reshape(-1))
    corners = corners.view(len(image), 4, size, size, c)
    return _box_means(corners, kh, kw).permute(0, 3, 1, 2)


def _normalise(x: torch.Tensor) -> torch.Tensor:
    return (x - 127.5) * 0.0078125


def _run(net: torch.nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    n = len(x)
    padded = -(-n // _BATCH_STEP) * _BATCH_STEP
    if padded != n:  # crops are independent: padding changes no other crop's output
        x = torch.cat([x, x.new_zeros((padded - n, *x.shape[1:]))])
        x = x.contiguous(memory_format=torch.channels_last)
    outs = [net(x[i : i + _NET_BATCH]) for i in range(0, len(x), _NET_BATCH)]
    return tuple(torch.cat(v, dim=0)[:n] for v in zip(*outs, strict=True))


def _stage_crops(table, boxes, image_inds, w, h, size):
    """facenet's crop of each box (clipped to the frame, not padded), resampled to `size`."""
    y, ey, x, ex = (
        torch.as_tensor(v, dtype=torch.int64, device=table.device) for v in fd.pad(boxes, w, h)
    )
    # facenet skips empty crops (and then misaligns); here their boxes are dropped.
    ok = (ey > y - 1) & (ex > x - 1)
    crops = crop_area(table, image_inds[ok], y[ok] - 1, ey[ok], x[ok] - 1, ex[ok], size)
    return ok, _normalise(crops)


def _pyramid(table, h, w, pnet, minsize, threshold, factor):
    """Stage 1: P-Net over the image pyramid; candidate boxes (M, 9) and their frames."""
    m = 12.0 / minsize
    minl = min(h, w) * m
    scales = []
    while minl >= 12:
        scales.append(m)
        m, minl = m * factor, minl * factor
    boxes, image_inds, picks, offset = [], [], [], 0
    for scale in scales:
        im = _normalise(resize_area(table, (int(h * scale + 1), int(w * scale + 1))))
        reg, probs = pnet(im)
        b, ii = fd.generateBoundingBox(reg, probs[:, 1], scale, threshold)
        boxes.append(b)
        image_inds.append(ii)
        picks.append(fd.batched_nms(b[:, :4], b[:, 4], ii, 0.5) + offset)
        offset += b.shape[0]
    if not scales:  # frames smaller than the smallest face searched for
        dev = table.device
        return torch.zeros((0, 9), device=dev), torch.zeros(0, dtype=torch.int64, device=dev)
    boxes, image_inds = torch.cat(boxes), torch.cat(image_inds)
    pick = torch.cat(picks)
    return boxes[pick], image_inds[pick]


def mtcnn_stages(
    table: torch.Tensor,
    nets: tuple[torch.nn.Module, torch.nn.Module, torch.nn.Module],
    minsize: float,
    thresholds: tuple[float, float, float] | list[float],
    factor: float,
) -> tuple[np.ndarray, np.ndarray]:
    """facenet-pytorch's `detect_face`, with batched crops.

    Args:
        table: (N, h+1, w+1, 3) integral image of RGB frames in [0, 255] (`integral_image`),
            on the nets' device.
        nets: P-Net, R-Net, O-Net (facenet-pytorch modules).
        minsize: smallest face side searched for, pixels of these frames.
        thresholds: the three stages' score thresholds.
        factor: pyramid scale step.

    Returns:
        (M, 15) float32 rows `x1, y1, x2, y2, prob` then the five landmarks (left eye, right
        eye, nose, left and right mouth corner) as `x, y` pairs, and (M,) int64 frame index
        of each.
    """
    pnet, rnet, onet = nets
    h, w = table.shape[1] - 1, table.shape[2] - 1
    boxes, image_inds = _pyramid(table, h, w, pnet, minsize, thresholds[0], factor)

    pick = fd.batched_nms(boxes[:, :4], boxes[:, 4], image_inds, 0.7)
    boxes, image_inds = boxes[pick], image_inds[pick]
    regw, regh = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    boxes = torch.stack(
        [
            boxes[:, 0] + boxes[:, 5] * regw,
            boxes[:, 1] + boxes[:, 6] * regh,
            boxes[:, 2] + boxes[:, 7] * regw,
            boxes[:, 3] + boxes[:, 8] * regh,
            boxes[:, 4],
        ],
        dim=1,
    )
    boxes = fd.rerec(boxes)

    if len(boxes):  # stage 2: R-Net
        ok, crops = _stage_crops(table, boxes, image_inds, w, h, 24)
        boxes, image_inds = boxes[ok], image_inds[ok]
        reg, prob = _run(rnet, crops)
        score = prob[:, 1]
        keep = score > thresholds[1]
        boxes = torch.cat((boxes[keep, :4], score[keep, None]), dim=1)
        image_inds, reg = image_inds[keep], reg[keep]
        pick = fd.batched_nms(boxes[:, :4], boxes[:, 4], image_inds, 0.7)
        boxes = fd.rerec(fd.bbreg(boxes[pick], reg[pick]))
        image_inds = image_inds[pick]

    if len(boxes):  # stage 3: O-Net
        ok, crops = _stage_crops(table, boxes, image_inds, w, h, 48)
        boxes, image_inds = boxes[ok], image_inds[ok]
        reg, marks, prob = _run(onet, crops)
        score = prob[:, 1]
        keep = score > thresholds[2]
        boxes = torch.cat((boxes[keep, :4], score[keep, None]), dim=1)
        image_inds, marks = image_inds[keep], marks[keep]
        # The five landmarks, from the box before regression, as facenet's detect_face does.
        bw, bh = boxes[:, 2] - boxes[:, 0] + 1, boxes[:, 3] - boxes[:, 1] + 1
        px = bw[:, None] * marks[:, :5] + boxes[:, 0:1] - 1
        py = bh[:, None] * marks[:, 5:10] + boxes[:, 1:2] - 1
        points = torch.stack((px, py), dim=2).reshape(-1, 10)
        boxes = fd.bbreg(boxes, reg[keep])
        pick = fd.batched_nms_numpy(boxes[:, :4], boxes[:, 4], image_inds, 0.7, "Min")
        boxes, image_inds = torch.cat((boxes[pick], points[pick]), dim=1), image_inds[pick]
    else:
        boxes = torch.cat((boxes[:, :5], boxes.new_zeros((len(boxes), 10))), dim=1)

    return boxes.cpu().numpy().astype(np.float32), image_inds.cpu().numpy().astype(np.int64)
