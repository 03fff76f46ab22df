"""A faithful, fast PyTorch port of TensorFlow Playground (playground.tensorflow.org): a simulator.

Week 2 asks students to train a small MLP in TensorFlow Playground on the spiral
or XOR dataset until the test loss is at most 0.005 within 1000 epochs.  The
grader re-runs the configuration a student's screenshot (or URL) reveals with
this module.  Behaviour follows the upstream sources (``tensorflow/playground``):

* ``dataset.ts``  -- the data generators (``classifySpiralData``,
  ``classifyXORData`` with its 0.3 padding gap and noise that only perturbs the
  point used for the label, ``classifyCircleData``, ``classifyTwoGaussData``,
  ``regressPlane``, ``regressGaussian``) and the Fisher-Yates ``shuffle``.
* ``playground.ts`` -- 500 samples (1200 for regression), ``noise / 100``,
  shuffle then ``floor(n * percTrainData / 100)`` training points, the input
  features, ``oneStep`` (one epoch = one pass over the training data in fixed
  order, ``updateWeights`` whenever ``(i + 1) % batchSize == 0`` with ``i``
  restarting every epoch) and ``getLoss`` (mean of ``0.5 * (out - label)**2``,
  no regularisation term).
* ``nn.ts`` -- weights ``U(-0.5, 0.5)``, biases 0.1 (both 0 with ``initZero``),
  tanh output (linear for regression), per-example derivatives accumulated
  and averaged over ``numAccumulatedDers`` at update time, the regularisation
  step ``w -= lr * regRate * R'(w_old)`` applied after the gradient step, and
  L1 killing (zeroing and freezing) a weight whose regularisation step crosses
  zero.
* ``state.ts`` -- URL-hash (de)serialisation and the defaults.

Consequence of ``oneStep`` worth knowing: when ``batchSize`` does not divide
the number of training points, the trailing ``r`` examples of an epoch are
accumulated but not applied; the next epoch's first update averages them
together with its first ``batchSize`` examples (``r + batchSize`` in total).
All of those derivatives are taken at the same weights, so the port computes
every update as one vectorised batch.  If ``batchSize`` exceeds the number of
training points, Playground never updates at all, and neither does this port.

Randomness comes from a seeded :class:`numpy.random.Generator` drawn in the
same order as Playground's ``Math.random`` calls (data, shuffle, then weights);
JavaScript's ``seedrandom`` stream itself is not reproduced, so a run matches
Playground in distribution, not bit for bit.
"""

from __future__ import annotations

import contextlib
import math
import urllib.parse
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

import numpy as np
import torch

from .vocabulary import ACTIVATIONS, CLASSIFY_DATASETS, PROBLEMS, REGRESS_DATASETS, REGULARIZATIONS
from .vocabulary import FEATURES as PLAYGROUND_FEATURES  # the seven the live Playground offers

__all__ = [
    "ACTIVATIONS",
    "CLASSIFY_DATASETS",
    "FEATURES",
    "PLAYGROUND_FEATURES",
    "PROBLEMS",
    "REGRESS_DATASETS",
    "REGULARIZATIONS",
    "PlaygroundConfig",
    "PlaygroundNetwork",
    "PlaygroundRun",
    "PlaygroundTrainer",
    "batch_schedule",
    "build_network",
    "feature_matrix",
    "generate_dataset",
    "parse_playground_url",
    "prepare_data",
    "shuffle_in_place",
    "split_dataset",
    "train",
]

NUM_SAMPLES_CLASSIFY = 500
NUM_SAMPLES_REGRESS = 1200


_DTYPE = torch.float64

# --------------------------------------------------------------------------- #
# Input features (playground.ts INPUTS, in its order)
# --------------------------------------------------------------------------- #

FeatureFn = Callable[[np.ndarray, np.ndarray], np.ndarray]

#: Every feature the port knows, in input-layer order.  ``cosX``/``cosY`` exist
#: in state.ts but not in playground.ts's INPUTS, so the live site ignores them;
#: they are kept here only for callers that ask for them explicitly.
FEATURES: dict[str, FeatureFn] = {
    "x": lambda x, y: x,
    "y": lambda x, y: y,
    "xSquared": lambda x, y: x * x,
    "ySquared": lambda x, y: y * y,
    "xTimesY": lambda x, y: x * y,
    "sinX": lambda x, y: np.sin(x),
    "sinY": lambda x, y: np.sin(y),
    "cosX": lambda x, y: np.cos(x),
    "cosY": lambda x, y: np.cos(y),
}



def feature_matrix(points: np.ndarray, features: Sequence[str]) -> np.ndarray:
    """Map ``(n, 2)`` points to the ``(n, len(features))`` network input.

    Columns follow the order of ``features`` (a :class:`PlaygroundConfig`
    always stores them in Playground's input-layer order).
    """
    points = np.asarray(points, dtype=np.float64)
    x, y = points[:, 0], points[:, 1]
    unknown = [f for f in features if f not in FEATURES]
    if unknown:
        raise ValueError(f"unknown feature(s) {unknown}; known: {list(FEATURES)}")
    if not features:
        return np.zeros((len(points), 0))
    return np.stack([FEATURES[f](x, y) for f in features], axis=1)


# --------------------------------------------------------------------------- #
# Configuration and URL parsing (state.ts)
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class PlaygroundConfig:
    """One Playground setting; defaults are ``State``'s in state.ts.

    ``noise`` is the UI value (0-50, the page accepts up to 80 from a URL) and
    is divided by 100 when the data are generated.  ``network_shape`` lists the
    hidden layers only (``()`` = no hidden layer).  ``features`` is normalised
    to Playground's input order.  ``seed`` is Playground's data seed, kept for
    the record only (its ``seedrandom`` stream is not reproduced).
    """

    dataset: str = "circle"
    activation: str = "tanh"
    learning_rate: float = 0.03
    regularization: str = "none"
    regularization_rate: float = 0.0
    batch_size: int = 10
    noise: float = 0.0
    perc_train_data: float = 50.0
    network_shape: tuple[int, ...] = (4, 2)
    features: tuple[str, ...] = ("x", "y")
    init_zero: bool = False
    problem: str = "classification"
    reg_dataset: str = "reg-plane"
    seed: str | None = None

    def __post_init__(self) -> None:
        def bad(name: str, value: object, why: str) -> ValueError:
            return ValueError(f"invalid Playground {name}={value!r}: {why}")

        if self.dataset not in CLASSIFY_DATASETS:
            raise bad("dataset", self.dataset, f"expected one of {CLASSIFY_DATASETS}")
        if self.reg_dataset not in REGRESS_DATASETS:
            raise bad("regDataset", self.reg_dataset, f"expected one of {REGRESS_DATASETS}")
        if self.activation not in ACTIVATIONS:
            raise bad("activation", self.activation, f"expected one of {ACTIVATIONS}")
        if self.regularization not in REGULARIZATIONS:
            raise bad("regularization", self.regularization, f"expected one of {REGULARIZATIONS}")
        if self.problem not in PROBLEMS:
            raise bad("problem", self.problem, f"expected one of {PROBLEMS}")
        for name, value in (("learningRate", self.learning_rate),
                            ("regularizationRate", self.regularization_rate)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value) or value < 0:
                raise bad(name, value, "expected a finite number >= 0")
        if isinstance(self.noise, bool) or not isinstance(self.noise, (int, float)) \
                or not 0 <= self.noise <= 80:
            raise bad("noise", self.noise, "expected a number in [0, 80] (the UI offers 0-50)")
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, (int, np.integer)) \
                or self.batch_size < 1:
            raise bad("batchSize", self.batch_size, "expected an integer >= 1")
        if isinstance(self.perc_train_data, bool) \
                or not isinstance(self.perc_train_data, (int, float)) \
                or not 0 < self.perc_train_data < 100:
            raise bad("percTrainData", self.perc_train_data, "expected a number in (0, 100)")
        shape = tuple(self.network_shape)
        if any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1
               for n in shape):
            raise bad("networkShape", self.network_shape,
                      "expected hidden-layer sizes that are integers >= 1")
        object.__setattr__(self, "network_shape", tuple(int(n) for n in shape))
        feats = tuple(self.features)
        unknown = [f for f in feats if f not in FEATURES]
        if unknown:
            raise bad("features", self.features, f"unknown {unknown}; known {list(FEATURES)}")
        object.__setattr__(self, "features", tuple(f for f in FEATURES if f in feats))
        object.__setattr__(self, "batch_size", int(self.batch_size))
        object.__setattr__(self, "init_zero", bool(self.init_zero))

    @property
    def num_samples(self) -> int:
        """500 points for classification, 1200 for regression."""
        return NUM_SAMPLES_CLASSIFY if self.problem == "classification" else NUM_SAMPLES_REGRESS

    @property
    def data_name(self) -> str:
        """The generator actually used: ``dataset`` or ``reg_dataset``."""
        return self.dataset if self.problem == "classification" else self.reg_dataset

    def to_url_hash(self) -> str:
        """Serialise like ``State.serialize`` (``regularization`` omitted when none)."""
        props: list[tuple[str, str]] = [("activation", self.activation)]
        if self.regularization != "none":
            props.append(("regularization", self.regularization))
        props += [
            ("batchSize", str(self.batch_size)),
            ("dataset", self.dataset),
            ("regDataset", self.reg_dataset),
            ("learningRate", _js_number(self.learning_rate)),
            ("regularizationRate", _js_number(self.regularization_rate)),
            ("noise", _js_number(self.noise)),
            ("networkShape", ",".join(str(n) for n in self.network_shape)),
        ]
        if self.seed is not None:
            props.append(("seed", self.seed))
        props += [("showTestData", "false"), ("discretize", "false"),
                  ("percTrainData", _js_number(self.perc_train_data))]
        for name in ("x", "y", "xTimesY", "xSquared", "ySquared", "cosX", "sinX", "cosY", "sinY"):
            props.append((name, "true" if name in self.features else "false"))
        props += [("collectStats", "false"), ("problem", self.problem),
                  ("initZero", "true" if self.init_zero else "false"), ("hideText", "false")]
        return "&".join(f"{k}={v}" for k, v in props)

    def to_url(self) -> str:
        """Full playground.tensorflow.org link for this configuration."""
        return "https://playground.tensorflow.org/#" + self.to_url_hash()


def _js_number(value: float) -> str:
    """Format a number roughly as JavaScript's ``String(number)`` does."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if value == 0 or 1e-6 <= abs(value) < 1e21:
        return np.format_float_positional(value, trim="-")
    return repr(value)


def parse_playground_url(text: str) -> PlaygroundConfig:
    """Parse a Playground link (or just its ``#...`` hash) into a config.

    Mirrors ``State.deserializeState``: absent or blank keys keep the state.ts
    defaults, unknown keys (``tutorial``, ``*_hide`` ...) are ignored, an empty
    ``networkShape=`` means no hidden layer, and ``cosX``/``cosY`` are ignored
    as on the live site (they have no input node there).  Unlike the page,
    which silently falls back to defaults, invalid values raise ``ValueError``;
    percent-escapes are decoded.
    """
    if not isinstance(text, str):
        raise ValueError(f"expected a Playground URL string, got {type(text).__name__}")
    text = text.strip()
    if "#" in text:
        text = text.split("#", 1)[1]
    elif text.startswith(("http://", "https://", "playground.tensorflow.org")):
        text = ""  # a bare link without a hash: all defaults
    raw: dict[str, str | None] = {}
    for item in text.split("&"):
        if not item:
            continue
        parts = item.split("=")  # like JS: "a=b=c" -> value "b"
        raw[urllib.parse.unquote(parts[0])] = (
            urllib.parse.unquote_plus(parts[1]) if len(parts) > 1 else None)

    def has(name: str) -> bool:
        value = raw.get(name)
        return value is not None and value.strip() != ""

    def number(name: str) -> float:
        value = raw[name].strip()
        try:
            result = float(value)
        except ValueError:
            raise ValueError(f"invalid Playground {name}={value!r}: not a number") from None
        if not math.isfinite(result):
            raise ValueError(f"invalid Playground {name}={value!r}: not a finite number")
        return result

    def boolean(name: str) -> bool:
        value = raw[name].strip().lower()
        if value not in ("true", "false"):
            raise ValueError(f"invalid Playground {name}={raw[name]!r}: expected true or false")
        return value == "true"

    def choice(name: str, options: Sequence[str]) -> str:
        value = raw[name].strip()
        if value not in options:
            raise ValueError(f"invalid Playground {name}={value!r}: expected one of {tuple(options)}")
        return value

    kwargs: dict[str, object] = {}
    for key, attr, options in (("activation", "activation", ACTIVATIONS),
                               ("regularization", "regularization", REGULARIZATIONS),
                               ("dataset", "dataset", CLASSIFY_DATASETS),
                               ("regDataset", "reg_dataset", REGRESS_DATASETS),
                               ("problem", "problem", PROBLEMS)):
        if has(key):
            kwargs[attr] = choice(key, options)
    for key, attr in (("learningRate", "learning_rate"),
                      ("regularizationRate", "regularization_rate"),
                      ("noise", "noise"), ("percTrainData", "perc_train_data")):
        if has(key):
            kwargs[attr] = number(key)
    if has("batchSize"):
        value = number("batchSize")
        if not value.is_integer():
            raise ValueError(f"invalid Playground batchSize={raw['batchSize']!r}: not an integer")
        kwargs["batch_size"] = int(value)
    if "networkShape" in raw:
        value = raw["networkShape"]
        if value is None:
            raise ValueError("invalid Playground networkShape: missing '=' and value")
        shape: list[int] = []
        for part in ([] if value.strip() == "" else value.split(",")):
            try:
                size = float(part)
            except ValueError:
                raise ValueError(
                    f"invalid Playground networkShape={value!r}: {part!r} is not a number") from None
            if not size.is_integer() or size < 1:
                raise ValueError(
                    f"invalid Playground networkShape={value!r}: sizes must be integers >= 1")
            shape.append(int(size))
        kwargs["network_shape"] = tuple(shape)
    if has("seed"):
        kwargs["seed"] = raw["seed"]
    if has("initZero"):
        kwargs["init_zero"] = boolean("initZero")
    for key in ("showTestData", "discretize", "collectStats", "hideText"):
        if has(key):
            boolean(key)  # validated, irrelevant to training
    enabled = {"x", "y"}  # state.ts defaults
    for key in PLAYGROUND_FEATURES:
        if has(key):
            if boolean(key):
                enabled.add(key)
            else:
                enabled.discard(key)
    for key in ("cosX", "cosY"):
        if has(key):
            boolean(key)
    kwargs["features"] = tuple(f for f in PLAYGROUND_FEATURES if f in enabled)
    return PlaygroundConfig(**kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- #
# Data (dataset.ts)
# --------------------------------------------------------------------------- #

Uniform = Callable[[], float]


def _spiral(n: int, noise: float, rand: Uniform) -> tuple[list, list]:
    pts, labels = [], []
    half = n / 2
    for delta_t, label in ((0.0, 1), (math.pi, -1)):
        i = 0
        while i < half:
            r = i / half * 5
            t = 1.75 * i / half * 2 * math.pi + delta_t
            x = r * math.sin(t) + (rand() * 2 - 1) * noise
            y = r * math.cos(t) + (rand() * 2 - 1) * noise
            pts.append((x, y))
            labels.append(label)
            i += 1
    return pts, labels


def _xor(n: int, noise: float, rand: Uniform) -> tuple[list, list]:
    pts, labels = [], []
    padding = 0.3
    for _ in range(n):
        x = rand() * 10 - 5
        x += padding if x > 0 else -padding
        y = rand() * 10 - 5
        y += padding if y > 0 else -padding
        noise_x = (rand() * 10 - 5) * noise
        noise_y = (rand() * 10 - 5) * noise
        pts.append((x, y))
        labels.append(1 if (x + noise_x) * (y + noise_y) >= 0 else -1)
    return pts, labels


def _circle(n: int, noise: float, rand: Uniform) -> tuple[list, list]:
    pts, labels = [], []
    radius = 5.0
    for r_lo, r_hi in ((0.0, radius * 0.5), (radius * 0.7, radius)):
        i = 0
        while i < n / 2:
            r = rand() * (r_hi - r_lo) + r_lo
            angle = rand() * 2 * math.pi
            x, y = r * math.sin(angle), r * math.cos(angle)
            noise_x = (rand() * 2 * radius - radius) * noise
            noise_y = (rand() * 2 * radius - radius) * noise
            inside = math.hypot(x + noise_x, y + noise_y) < radius * 0.5
            pts.append((x, y))
            labels.append(1 if inside else -1)
            i += 1
    return pts, labels


def _normal(rand: Uniform, mean: float, variance: float) -> float:
    """Marsaglia polar method exactly as dataset.ts normalRandom."""
    while True:
        v1 = 2 * rand() - 1
        v2 = 2 * rand() - 1
        s = v1 * v1 + v2 * v2
        if s <= 1:
            break
    if s == 0:  # JS would give NaN here; probability ~2**-104
        return mean
    return mean + math.sqrt(variance) * math.sqrt(-2 * math.log(s) / s) * v1


def _gauss(n: int, noise: float, rand: Uniform) -> tuple[list, list]:
    pts, labels = [], []
    variance = 0.5 + noise * (4 - 0.5) / 0.5  # d3 linear [0, .5] -> [0.5, 4]
    for cx, cy, label in ((2.0, 2.0, 1), (-2.0, -2.0, -1)):
        i = 0
        while i < n / 2:
            pts.append((_normal(rand, cx, variance), _normal(rand, cy, variance)))
            labels.append(label)
            i += 1
    return pts, labels


def _reg_plane(n: int, noise: float, rand: Uniform) -> tuple[list, list]:
    pts, labels = [], []
    radius = 6.0
    for _ in range(n):
        x = rand() * 2 * radius - radius
        y = rand() * 2 * radius - radius
        noise_x = (rand() * 2 * radius - radius) * noise
        noise_y = (rand() * 2 * radius - radius) * noise
        pts.append((x, y))
        labels.append((x + noise_x + y + noise_y) / 10)  # [-10, 10] -> [-1, 1]
    return pts, labels


_REG_GAUSSIANS = ((-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1),
                  (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1))


def _reg_gauss(n: int, noise: float, rand: Uniform) -> tuple[list, list]:
    pts, labels = [], []
    radius = 6.0
    for _ in range(n):
        x = rand() * 2 * radius - radius
        y = rand() * 2 * radius - radius
        noise_x = (rand() * 2 * radius - radius) * noise
        noise_y = (rand() * 2 * radius - radius) * noise
        px, py = x + noise_x, y + noise_y
        label = 0.0
        for cx, cy, sign in _REG_GAUSSIANS:
            scaled = min(1.0, max(0.0, 1 - math.hypot(px - cx, py - cy) / 2))
            if abs(sign * scaled) > abs(label):
                label = sign * scaled
        pts.append((x, y))
        labels.append(label)
    return pts, labels


_GENERATORS: dict[str, Callable[[int, float, Uniform], tuple[list, list]]] = {
    "spiral": _spiral, "xor": _xor, "circle": _circle, "gauss": _gauss,
    "reg-plane": _reg_plane, "reg-gauss": _reg_gauss,
}


def generate_dataset(name: str, num_samples: int = NUM_SAMPLES_CLASSIFY, noise: float = 0,
                     rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Generate Playground data: ``(points (n, 2), labels (n,))``, unshuffled.

    ``noise`` is the UI value (0-50) and is divided by 100 as playground.ts
    does.  Classification labels are +-1.  ``rng`` defaults to a fresh
    ``default_rng(0)``.
    """
    if name not in _GENERATORS:
        raise ValueError(f"unknown Playground dataset {name!r}; known: {list(_GENERATORS)}")
    rng = np.random.default_rng(0) if rng is None else rng
    pts, labels = _GENERATORS[name](int(num_samples), noise / 100, rng.random)
    return np.asarray(pts, dtype=np.float64).reshape(-1, 2), np.asarray(labels, dtype=np.float64)


def shuffle_in_place(points: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> None:
    """dataset.ts ``shuffle``: Fisher-Yates from the end, one draw per element."""
    counter = len(points)
    while counter > 0:
        index = int(rng.random() * counter)
        counter -= 1
        points[[counter, index]] = points[[index, counter]]
        labels[[counter, index]] = labels[[index, counter]]


def split_dataset(points: np.ndarray, labels: np.ndarray, perc_train_data: float
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split (already shuffled) data as playground.ts: the first
    ``floor(n * perc / 100)`` points train, the rest test."""
    split = math.floor(len(points) * perc_train_data / 100)
    return points[:split], labels[:split], points[split:], labels[split:]


# --------------------------------------------------------------------------- #
# Network (nn.ts)
# --------------------------------------------------------------------------- #


def _activate(name: str, z: torch.Tensor, out: torch.Tensor) -> None:
    if name == "tanh":
        torch.tanh(z, out=out)
    elif name == "relu":
        torch.clamp_min(z, 0.0, out=out)
    elif name == "sigmoid":
        torch.sigmoid(z, out=out)
    else:
        out.copy_(z)


_ONE = torch.ones((), dtype=_DTYPE)


def _derivative(name: str, a: torch.Tensor) -> torch.Tensor | None:
    """Activation derivative from the activation's *output* (None = 1)."""
    if name == "tanh":
        return torch.addcmul(_ONE, a, a, value=-1.0)
    if name == "sigmoid":
        return torch.addcmul(a, a, a, value=-1.0)
    if name == "relu":  # nn.ts: der(z) = z <= 0 ? 0 : 1, and a > 0 iff z > 0
        return torch.sign(a)
    return None


class PlaygroundNetwork:
    """The MLP of nn.ts as dense float64 tensors.

    Layer ``l`` is stored as ``params[l]`` of shape ``(fan_in + 1, fan_out)``:
    rows ``:fan_in`` hold the link weights (``W.T``), the last row the biases,
    so the forward pass is one ``mm`` against inputs with a ones column.
    ``alive[l]`` (``(fan_in, fan_out)``, like ``params[l][:-1]``) marks links
    not killed by L1 (``Link.isDead``).
    """

    def __init__(self, sizes: Sequence[int], activation: str, output_activation: str,
                 params: list[torch.Tensor]) -> None:
        self.sizes = tuple(int(s) for s in sizes)
        self.activation = activation
        self.output_activation = output_activation
        self.params = params
        # 1.0 = live link, 0.0 = dead (killed by L1); float so it can multiply.
        self.live = [torch.ones((fi, fo), dtype=_DTYPE)
                     for fi, fo in zip(self.sizes[:-1], self.sizes[1:])]

    @property
    def alive(self) -> list[torch.Tensor]:
        """Boolean masks of live links per layer, ``(fan_in, fan_out)``."""
        return [m > 0 for m in self.live]

    @property
    def num_layers(self) -> int:
        """Number of weight layers (hidden layers + output)."""
        return len(self.params)

    def weights(self, layer: int) -> torch.Tensor:
        """Link weights into layer ``layer + 1`` as ``(fan_out, fan_in)`` (a view)."""
        return self.params[layer][:-1].T

    def biases(self, layer: int) -> torch.Tensor:
        """Biases of layer ``layer + 1`` (a view)."""
        return self.params[layer][-1]

    def _act_name(self, layer: int) -> str:
        return self.output_activation if layer == self.num_layers - 1 else self.activation

    def forward(self, inputs: np.ndarray | torch.Tensor) -> torch.Tensor:
        """Network output for a batch of feature rows, shape ``(n,)``."""
        a = torch.as_tensor(inputs, dtype=_DTYPE)
        for layer, p in enumerate(self.params):
            z = torch.addmm(p[-1], a, p[:-1])
            a = torch.empty_like(z)
            _activate(self._act_name(layer), z, a)
        return a[:, 0]

    def accumulated_gradients(self, inputs: np.ndarray | torch.Tensor,
                              labels: np.ndarray | torch.Tensor
                              ) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Sum over the batch of nn.ts ``backProp`` derivatives at the current weights.

        Returns ``[(dE/dW (fan_out, fan_in), dE/db (fan_out,)), ...]`` per layer,
        i.e. what ``accErrorDer``/``accInputDer`` hold after the batch, with
        ``E = 0.5 * (out - label)**2`` per example.  Dead links get 0.
        """
        x = torch.as_tensor(inputs, dtype=_DTYPE)
        y = torch.as_tensor(labels, dtype=_DTYPE).reshape(-1, 1)
        acts = [x]
        for layer, p in enumerate(self.params):
            z = torch.addmm(p[-1], acts[-1], p[:-1])
            a = torch.empty_like(z)
            _activate(self._act_name(layer), z, a)
            acts.append(a)
        delta = acts[-1] - y
        grads: list[tuple[torch.Tensor, torch.Tensor]] = []
        for layer in range(self.num_layers - 1, -1, -1):
            der = _derivative(self._act_name(layer), acts[layer + 1])
            if der is not None:
                delta = delta * der
            g_w = (acts[layer].T @ delta).T * self.live[layer].T
            grads.append((g_w, delta.sum(0)))
            delta = delta @ self.weights(layer)
        return grads[::-1]


def build_network(num_inputs: int, network_shape: Sequence[int], activation: str = "tanh",
                  output_activation: str = "tanh", init_zero: bool = False,
                  rng: np.random.Generator | None = None) -> PlaygroundNetwork:
    """nn.ts ``buildNetwork``: weights ``random() - 0.5`` drawn link by link
    (node by node, then source by source), biases 0.1; all 0 with ``init_zero``."""
    rng = np.random.default_rng(0) if rng is None else rng
    sizes = [int(num_inputs), *map(int, network_shape), 1]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        if init_zero:
            w = np.zeros((fan_out, fan_in))
            b = np.zeros(fan_out)
        else:
            w = rng.random((fan_out, fan_in)) - 0.5  # row-major = nn.ts link order
            b = np.full(fan_out, 0.1)
        params.append(torch.tensor(np.vstack([w.T, b[None, :]]), dtype=_DTYPE))
    return PlaygroundNetwork(sizes, activation, output_activation, params)


# --------------------------------------------------------------------------- #
# Training (playground.ts oneStep + nn.ts updateWeights)
# --------------------------------------------------------------------------- #


def batch_schedule(num_train: int, batch_size: int, first_epoch: bool) -> list[np.ndarray]:
    """Training-example indices averaged by each ``updateWeights`` of one epoch.

    Updates happen after example ``i`` when ``(i + 1) % batch_size == 0``; the
    ``num_train % batch_size`` trailing examples stay accumulated and join the
    first update of the next epoch.  Empty if ``batch_size > num_train``.
    """
    num_updates = num_train // batch_size
    batches = [np.arange(k * batch_size, (k + 1) * batch_size) for k in range(num_updates)]
    if batches and not first_epoch and num_train % batch_size:
        carried = np.arange(num_updates * batch_size, num_train)
        batches[0] = np.concatenate([carried, batches[0]])
    return batches


class _Batch:
    """Pre-built tensors and views for one fixed update batch."""

    def __init__(self, net: PlaygroundNetwork, inputs: np.ndarray, labels: np.ndarray,
                 buffers: dict[int, list[torch.Tensor]]) -> None:
        n = len(inputs)
        self.n = n
        self.y = torch.tensor(labels, dtype=_DTYPE).reshape(-1, 1)
        if n not in buffers:  # activation buffers with a trailing ones column
            bufs = []
            for size in net.sizes[1:-1]:
                buf = torch.ones((n, size + 1), dtype=_DTYPE)
                bufs.append(buf)
            buffers[n] = bufs
        x = torch.ones((n, net.sizes[0] + 1), dtype=_DTYPE)
        x[:, :-1] = torch.as_tensor(inputs, dtype=_DTYPE)
        self.aug = [x, *buffers[n]]                      # inputs of each layer (+ ones)
        self.aug_t = [a.T for a in self.aug]             # for the gradient mm
        self.act = [a[:, :-1] for a in self.aug[1:]]     # hidden activations (views)


class PlaygroundTrainer:
    """Runs ``oneStep`` epochs on fixed training data, with exact batching.

    Each update computes the summed derivatives of its batch in one vectorised
    pass (every example of a batch sees the same weights in Playground too),
    then applies nn.ts ``updateWeights``:
    ``w -= lr / n * sum_dE/dw``; ``w -= lr * reg_rate * R'(w_old)``; with L1 a
    weight whose regularisation step crosses 0 is set to 0 and frozen.
    """

    def __init__(self, network: PlaygroundNetwork, inputs: np.ndarray, labels: np.ndarray,
                 batch_size: int, learning_rate: float, regularization: str = "none",
                 regularization_rate: float = 0.0) -> None:
        self.net = network
        self.lr = float(learning_rate)
        # With rate 0 the regularisation step is a no-op (and L1 cannot kill).
        self.reg = regularization if regularization_rate > 0 else "none"
        self.reg_rate = float(regularization_rate)
        self.num_train = len(inputs)
        self.epochs_done = 0
        self.num_updates = 0
        buffers: dict[int, list[torch.Tensor]] = {}
        inputs = np.asarray(inputs, dtype=np.float64)
        labels = np.asarray(labels, dtype=np.float64)

        def make(batches: list[np.ndarray]) -> list[_Batch]:
            return [_Batch(network, inputs[idx], labels[idx], buffers) for idx in batches]

        self._first = make(batch_schedule(self.num_train, batch_size, True))
        self._later = self._first
        if self._first and self.num_train % batch_size:
            later = batch_schedule(self.num_train, batch_size, False)
            self._later = make(later[:1]) + self._first[1:]
        self._hidden = network.activation
        self._out = network.output_activation
        self._w = [p[:-1] for p in network.params]      # (fan_in, fan_out) views
        self._w_t = [p[:-1].T for p in network.params]  # (fan_out, fan_in) views

    def _update(self, b: _Batch) -> None:
        net = self.net
        params = net.params
        last = net.num_layers - 1
        # forward
        for layer in range(last):
            z = torch.mm(b.aug[layer], params[layer])
            _activate(self._hidden, z, b.act[layer])
        out = torch.mm(b.aug[last], params[last])
        if self._out == "tanh":
            out = torch.tanh(out)
        delta = out - b.y
        der = _derivative(self._out, out)
        if der is not None:
            delta.mul_(der)
        # backward, updating each layer after its delta has been propagated
        alpha = -self.lr / b.n
        for layer in range(last, -1, -1):
            if layer > 0:
                prev = torch.mm(delta, self._w_t[layer])
                der = _derivative(self._hidden, b.act[layer - 1])
                if der is not None:
                    prev.mul_(der)
            else:
                prev = delta
            if self.reg == "none":
                params[layer].addmm_(b.aug_t[layer], delta, alpha=alpha)
            else:
                self._regularized_update(layer, b, delta, alpha)
            delta = prev
        self.num_updates += 1

    def _regularized_update(self, layer: int, b: _Batch, delta: torch.Tensor,
                            alpha: float) -> None:
        p = self.net.params[layer]
        w = self._w[layer]
        # R'(w) uses the weight from *before* the gradient step (nn.ts regulDer).
        reg_step = (torch.sign(w) if self.reg == "L1" else w).mul(self.lr * self.reg_rate)
        p.addmm_(b.aug_t[layer], delta, alpha=alpha)     # gradient step (weights + bias)
        if self.reg == "L2":
            w.sub_(reg_step)
            return
        live = self.net.live[layer]
        stepped = w - reg_step
        live.masked_fill_(torch.mul(w, stepped) < 0, 0.0)  # crossed 0: dead from now on
        torch.mul(stepped, live, out=w)                   # dead links stay exactly 0

    def one_step(self) -> None:
        """One epoch: a pass over the training data in fixed order."""
        batches = self._first if self.epochs_done == 0 else self._later
        with torch.inference_mode():
            for b in batches:
                self._update(b)
        self.epochs_done += 1


def _losses(net: PlaygroundNetwork, inputs: torch.Tensor, labels: torch.Tensor,
            split: int) -> tuple[float, float]:
    """playground.ts getLoss on train (``[:split]``) and test (``[split:]``)."""
    with torch.inference_mode():
        err = net.forward(inputs) - labels
        sq = 0.5 * err * err
        train = sq[:split].mean().item() if split > 0 else float("nan")
        test = sq[split:].mean().item() if split < len(sq) else float("nan")
    return train, test


@contextlib.contextmanager
def _single_thread() -> Iterator[None]:
    """Run torch single-threaded: the matrices are tiny, so intra-op threads
    only add synchronisation cost (and much more under CPU contention)."""
    previous = torch.get_num_threads()
    if previous != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if previous != 1:
            torch.set_num_threads(previous)


@dataclass
class PlaygroundRun:
    """Loss curves of one :func:`train` call (losses after each epoch)."""

    config: PlaygroundConfig
    seed: int
    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    initial_train_loss: float = float("nan")
    initial_test_loss: float = float("nan")
    num_updates: int = 0
    network: PlaygroundNetwork | None = field(default=None, repr=False, compare=False)

    @property
    def epochs_run(self) -> int:
        """Number of epochs trained."""
        return len(self.test_loss)

    def reached(self, threshold: float = 0.005, max_epochs: int = 1000) -> int | None:
        """First epoch (1-based, Playground's counter) with test loss <= threshold."""
        for epoch, loss in enumerate(self.test_loss[:max_epochs], start=1):
            if loss <= threshold:
                return epoch
        return None

    def passes(self, threshold: float = 0.005, max_epochs: int = 1000) -> bool:
        """Whether the test loss got to ``threshold`` within ``max_epochs`` epochs."""
        return self.reached(threshold, max_epochs) is not None


def prepare_data(config: PlaygroundConfig, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """playground.ts generateData: generate, shuffle, split.

    Returns ``(train_points, train_labels, test_points, test_labels)``.
    """
    points, labels = generate_dataset(config.data_name, config.num_samples, config.noise, rng)
    shuffle_in_place(points, labels, rng)
    return split_dataset(points, labels, config.perc_train_data)


def train(config: PlaygroundConfig, epochs: int = 1000, seed: int = 0,
          stop_at_test_loss: float | None = None) -> PlaygroundRun:
    """Re-run Playground: data, network and ``epochs`` calls of ``oneStep``.

    One ``numpy`` generator seeded with ``seed`` supplies, in Playground's
    order, the data, the shuffle and the initial weights.  Training stops early
    once the test loss is ``<= stop_at_test_loss`` or becomes non-finite.
    """
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    with _single_thread():
        return _train(config, epochs, seed, stop_at_test_loss)


def _train(config: PlaygroundConfig, epochs: int, seed: int,
           stop_at_test_loss: float | None) -> PlaygroundRun:
    rng = np.random.default_rng(seed)
    x_train, y_train, x_test, y_test = prepare_data(config, rng)
    output_activation = "tanh" if config.problem == "classification" else "linear"
    net = build_network(len(config.features), config.network_shape, config.activation,
                        output_activation, config.init_zero, rng)
    f_train = feature_matrix(x_train, config.features)
    f_test = feature_matrix(x_test, config.features)
    all_inputs = torch.tensor(np.vstack([f_train, f_test]), dtype=_DTYPE)
    all_labels = torch.tensor(np.concatenate([y_train, y_test]), dtype=_DTYPE)
    trainer = PlaygroundTrainer(net, f_train, y_train, config.batch_size, config.learning_rate,
                                config.regularization, config.regularization_rate)
    run = PlaygroundRun(config=config, seed=seed, network=net)
    run.initial_train_loss, run.initial_test_loss = _losses(net, all_inputs, all_labels,
                                                            len(f_train))
    for _ in range(epochs):
        trainer.one_step()
        train_loss, test_loss = _losses(net, all_inputs, all_labels, len(f_train))
        run.train_loss.append(train_loss)
        run.test_loss.append(test_loss)
        if stop_at_test_loss is not None and test_loss <= stop_at_test_loss:
            break
        if not math.isfinite(test_loss):
            break
    run.num_updates = trainer.num_updates
    return run
