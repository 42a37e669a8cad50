"""A Keras functional model run in PyTorch, built from its config and weights.

Every layer is ported with Keras semantics: TensorFlow's 'same' padding (asymmetric for
stride 2: the extra row and column go at the bottom and right), the configured
BatchNormalization epsilon, and the Keras weight layouts (HWIO kernels; depthwise kernels
(h, w, in, mult)). The layers covered are those of the FER package's mini-Xception.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


# -- Keras layers in torch ---------------------------------------------------------------
def _same_pad(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's 'same' padding along one axis: (before, after), the extra one after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def _tf_padding(x: torch.Tensor, layer: nn.Conv2d | nn.MaxPool2d) -> tuple[int, int, int, int]:
    """(left, right, top, bottom) that 'same' needs for `layer` on `x` (N, C, H, W)."""
    k, s, d = (_pair(getattr(layer, a, 1)) for a in ("kernel_size", "stride", "dilation"))
    top, bottom = _same_pad(x.shape[-2], k[0], s[0], d[0])
    left, right = _same_pad(x.shape[-1], k[1], s[1], d[1])
    return left, right, top, bottom


def _pair(v: int | Sequence[int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (v[0], v[1])


class SameConv2d(nn.Conv2d):
    """A convolution with TensorFlow's padding='same' (extra row/column at bottom/right)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        left, right, top, bottom = _tf_padding(x, self)
        if (left, top) != (right, bottom):  # asymmetric: torch's own padding cannot say it
            x, left, top = F.pad(x, (left, right, top, bottom)), 0, 0
        return F.conv2d(
            x, self.weight, self.bias, self.stride, (top, left), self.dilation, self.groups
        )


class SameMaxPool2d(nn.MaxPool2d):
    """Max pooling with TensorFlow's padding='same'; padded cells never win (-inf)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        left, right, top, bottom = _tf_padding(x, self)
        if (left, top) != (right, bottom):
            x, left, top = F.pad(x, (left, right, top, bottom), value=float("-inf")), 0, 0
        return F.max_pool2d(x, self.kernel_size, self.stride, (top, left))


class SeparableConv2d(nn.Module):
    """Keras `SeparableConv2D`: a depthwise convolution, then a 1x1 pointwise one."""

    def __init__(self, depthwise: nn.Conv2d, pointwise: nn.Conv2d) -> None:
        super().__init__()
        self.depthwise, self.pointwise = depthwise, pointwise

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


class Add(nn.Module):
    """Keras `Add`: the sum of its inputs (a module, so that hooks can watch a block's end)."""

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class GlobalAveragePool(nn.Module):
    """Keras `GlobalAveragePooling2D`: (N, C, H, W) -> (N, C)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3))


def _tensor(a: np.ndarray) -> nn.Parameter:
    return nn.Parameter(torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)))


def _conv_class(cfg: dict[str, Any]) -> type[nn.Conv2d]:
    if cfg["padding"] not in ("same", "valid"):
        raise ValueError(f"padding {cfg['padding']!r}")
    return SameConv2d if cfg["padding"] == "same" else nn.Conv2d


def _check_kernel(cfg: dict[str, Any], kernel: np.ndarray, filters: int) -> None:
    if list(kernel.shape[:2]) != list(cfg["kernel_size"]) or filters != cfg["filters"]:
        raise ValueError(
            f"kernel {kernel.shape} does not fit kernel_size {cfg['kernel_size']}, "
            f"filters {cfg['filters']}"
        )


def _conv2d(cfg: dict[str, Any], w: dict[str, np.ndarray]) -> nn.Module:
    kernel = w["kernel"]  # Keras HWIO: (h, w, in, out)
    _check_kernel(cfg, kernel, kernel.shape[3])
    conv = _conv_class(cfg)(
        kernel.shape[2],
        kernel.shape[3],
        kernel.shape[:2],
        tuple(cfg["strides"]),
        dilation=tuple(cfg["dilation_rate"]),
        bias=cfg["use_bias"],
    )
    conv.weight = _tensor(kernel.transpose(3, 2, 0, 1))
    if cfg["use_bias"]:
        conv.bias = _tensor(w["bias"])
    return conv


def _separable_conv2d(cfg: dict[str, Any], w: dict[str, np.ndarray]) -> nn.Module:
    dw, pw = w["depthwise_kernel"], w["pointwise_kernel"]  # (h, w, in, mult), (1, 1, in*m, out)
    h, wd, cin, mult = dw.shape
    _check_kernel(cfg, dw, pw.shape[3])
    depthwise = _conv_class(cfg)(
        cin,
        cin * mult,
        (h, wd),
        tuple(cfg["strides"]),
        dilation=tuple(cfg["dilation_rate"]),
        groups=cin,
        bias=False,
    )
    # Keras orders depthwise outputs as in_channel * mult + m, as torch's groups do.
    depthwise.weight = _tensor(dw.transpose(2, 3, 0, 1).reshape(cin * mult, 1, h, wd))
    pointwise = nn.Conv2d(cin * mult, pw.shape[3], 1, bias=cfg["use_bias"])
    pointwise.weight = _tensor(pw.transpose(3, 2, 0, 1))
    if cfg["use_bias"]:
        pointwise.bias = _tensor(w["bias"])
    return SeparableConv2d(depthwise, pointwise)


def _batch_norm(cfg: dict[str, Any], w: dict[str, np.ndarray]) -> nn.Module:
    if cfg.get("axis", -1) not in (-1, 3, [3], [-1]):
        raise ValueError(f"BatchNormalization over axis {cfg['axis']} (only channels)")
    mean, var = w["moving_mean"], w["moving_variance"]
    bn = nn.BatchNorm2d(len(mean), eps=cfg["epsilon"])
    bn.running_mean = torch.from_numpy(mean.astype(np.float32))
    bn.running_var = torch.from_numpy(var.astype(np.float32))
    bn.weight = _tensor(w["gamma"] if cfg.get("scale", True) else np.ones_like(mean))
    bn.bias = _tensor(w["beta"] if cfg.get("center", True) else np.zeros_like(mean))
    return bn


def _max_pool(cfg: dict[str, Any], w: dict[str, np.ndarray]) -> nn.Module:
    size = tuple(cfg["pool_size"])
    stride = tuple(cfg["strides"] or size)
    if cfg["padding"] == "valid":
        return nn.MaxPool2d(size, stride)
    if cfg["padding"] != "same":
        raise ValueError(f"padding {cfg['padding']!r}")
    return SameMaxPool2d(size, stride)


_ACTIVATIONS = {"relu": nn.ReLU, "linear": nn.Identity}

_BUILDERS = {
    "Conv2D": _conv2d,
    "SeparableConv2D": _separable_conv2d,
    "BatchNormalization": _batch_norm,
    "MaxPooling2D": _max_pool,
    "Activation": lambda cfg, w: _ACTIVATIONS[cfg["activation"]](),
    "Add": lambda cfg, w: Add(),
    "GlobalAveragePooling2D": lambda cfg, w: GlobalAveragePool(),
}


class KerasGraph(nn.Module):
    """A Keras functional model run in torch: layers in the file's order, NCHW tensors.

    The output layer's softmax is left out: the graph returns logits.

    Attributes:
        layers: name -> torch module, one per Keras layer (the input layer excepted).
        inbound: name -> names of the layers it reads.
        kinds: name -> Keras class name ("Conv2D", "Add", ...).
    """

    def __init__(self, config: dict[str, Any], weights: dict[str, dict[str, np.ndarray]]) -> None:
        super().__init__()
        spec = config["config"]
        (self.input_name,) = [name for name, *_ in spec["input_layers"]]
        (self.output_name,) = [name for name, *_ in spec["output_layers"]]
        self.layers = nn.ModuleDict()
        self.inbound: dict[str, list[str]] = {}
        self.kinds: dict[str, str] = {}
        for layer in spec["layers"]:
            kind, name, cfg = layer["class_name"], layer["name"], layer["config"]
            if kind == "InputLayer":
                continue
            if cfg.get("data_format", "channels_last") != "channels_last":
                raise ValueError(f"layer {name}: data_format {cfg['data_format']}")
            if kind == "Activation" and cfg["activation"] == "softmax":
                if name != self.output_name:
                    raise ValueError(f"layer {name}: softmax before the output layer")
                cfg = {**cfg, "activation": "linear"}
            if kind not in _BUILDERS or cfg.get("activation", "linear") not in _ACTIVATIONS:
                raise ValueError(f"layer {name}: {kind} ({cfg.get('activation')}) is not ported")
            if kind not in ("Activation", "Add") and cfg.get("activation", "linear") != "linear":
                raise ValueError(f"layer {name}: fused activation {cfg['activation']}")
            (node,) = layer["inbound_nodes"]
            self.inbound[name] = [src for src, *_ in node]
            unknown = [
                s for s in self.inbound[name] if s not in self.layers and s != self.input_name
            ]
            if unknown:  # forward runs the layers in the file's order
                raise ValueError(f"layer {name} reads {unknown} before they are defined")
            self.kinds[name] = kind
            self.layers[name] = _BUILDERS[kind](cfg, weights.get(name, {}))
        unused = sorted(n for n, w in weights.items() if w and n not in self.layers)
        if unused:
            raise ValueError(f"weights of layers {unused} are not in the model config")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        values = {self.input_name: x}
        for name, layer in self.layers.items():
            values[name] = layer(*(values[src] for src in self.inbound[name]))
        return values[self.output_name]
