"""A constant-velocity Kalman filter for one face box, in seconds (pure functions).

State (8,): box centre x, y, width, height (pixels) and their velocities (pixels/second).
Noise scales with the box height, as in SORT and ByteTrack, but is expressed per second
rather than per frame, so that the filter means the same at every sampling rate.
"""

from __future__ import annotations

import numpy as np

# Standard deviations as fractions of the box height: measurement, position drift per
# sqrt(second), velocity drift per sqrt(second).
_STD_MEASURE = 0.05
_STD_POSITION = 0.1
_STD_VELOCITY = 0.5
#: Motion is extrapolated at most this long: a face unseen for a while is looked for where
#: it was last heading, not flown off the frame.
MAX_EXTRAPOLATION_S = 0.5

_H = np.hstack([np.eye(4), np.zeros((4, 4))])


def xyxy_to_state(xyxy: np.ndarray) -> np.ndarray:
    """(4,) xyxy box -> (4,) centre x, centre y, width, height."""
    x1, y1, x2, y2 = np.asarray(xyxy, dtype=np.float64)
    return np.array([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1])


def state_to_xyxy(mean: np.ndarray) -> np.ndarray:
    """(8,) or (4,) state -> (4,) xyxy box."""
    cx, cy, w, h = mean[:4]
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])


def initiate(xyxy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (8,) and covariance (8, 8) of a new track at a box, velocity unknown."""
    z = xyxy_to_state(xyxy)
    mean = np.concatenate([z, np.zeros(4)])
    h = max(z[3], 1.0)
    std = np.array([*(2 * _STD_MEASURE * h,) * 4, *(10 * _STD_VELOCITY * h,) * 4])
    return mean, np.diag(std**2)


def predict(mean: np.ndarray, cov: np.ndarray, dt_s: float) -> tuple[np.ndarray, np.ndarray]:
    """State `dt_s` seconds later (extrapolation capped at `MAX_EXTRAPOLATION_S`)."""
    dt = float(np.clip(dt_s, 0.0, MAX_EXTRAPOLATION_S))
    f = np.eye(8)
    f[:4, 4:] = dt * np.eye(4)
    h = max(mean[3], 1.0)
    q = np.diag([*((_STD_POSITION * h) ** 2 * dt,) * 4, *((_STD_VELOCITY * h) ** 2 * dt,) * 4])
    return f @ mean, f @ cov @ f.T + q


def update(mean: np.ndarray, cov: np.ndarray, xyxy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """State corrected by a measured box (4,) xyxy."""
    z = xyxy_to_state(xyxy)
    r = np.diag(np.full(4, (_STD_MEASURE * max(mean[3], 1.0)) ** 2))
    s = _H @ cov @ _H.T + r
    gain = np.linalg.solve(s, _H @ cov).T
    mean = mean + gain @ (z - _H @ mean)
    cov = (np.eye(8) - gain @ _H) @ cov
    return mean, cov
