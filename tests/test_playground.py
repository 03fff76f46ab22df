"""Tests for the TensorFlow Playground port (assignments/week2/playground/simulator.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from conftest import week2_module

pg = week2_module("playground.simulator")
PlaygroundConfig, PlaygroundRun, generate_dataset, parse_playground_url, train = (
    pg.PlaygroundConfig, pg.PlaygroundRun, pg.generate_dataset, pg.parse_playground_url, pg.train)

ALL_FEATURES = ("x", "y", "xSquared", "ySquared", "xTimesY", "sinX", "sinY")

EXAMPLE_URL = (
    "https://playground.tensorflow.org/#activation=tanh&batchSize=10&dataset=spiral"
    "&regDataset=reg-plane&learningRate=0.03&regularizationRate=0&noise=0&networkShape=4,2"
    "&seed=0.12345&showTestData=false&discretize=false&percTrainData=50&x=true&y=true"
    "&xTimesY=false&xSquared=false&ySquared=false&cosX=false&sinX=false&cosY=false"
    "&sinY=false&collectStats=false&problem=classification&initZero=false&hideText=false"
)


# --------------------------------------------------------------------------- #
# Datasets
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("name", ["spiral", "xor", "circle", "gauss"])
@pytest.mark.parametrize("noise", [0, 25, 50])
def test_generators_shape_and_labels(name: str, noise: int) -> None:
    points, labels = generate_dataset(name, 500, noise, np.random.default_rng(3))
    assert points.shape == (500, 2) and labels.shape == (500,)
    assert set(np.unique(labels)) <= {-1.0, 1.0}
    assert np.isfinite(points).all()
    if name in ("spiral", "gauss") or (name == "circle" and noise == 0):
        assert (labels == 1).sum() == 250  # half per class by construction
    else:
        assert 150 < (labels == 1).sum() < 350


def test_xor_gap_and_labels() -> None:
    points, labels = generate_dataset("xor", 500, 0, np.random.default_rng(0))
    assert np.abs(points).min() >= 0.3
    assert np.abs(points).max() <= 5.3
    np.testing.assert_array_equal(labels, np.where(points[:, 0] * points[:, 1] >= 0, 1.0, -1.0))
    # Noise perturbs only the point used for the label, never the coordinates.
    noisy_points, noisy_labels = generate_dataset("xor", 500, 50, np.random.default_rng(0))
    assert np.abs(noisy_points).min() >= 0.3
    flipped = noisy_labels != np.where(noisy_points[:, 0] * noisy_points[:, 1] >= 0, 1, -1)
    assert 0 < flipped.sum() < 250


def test_spiral_geometry() -> None:
    points, labels = generate_dataset("spiral", 500, 0, np.random.default_rng(0))
    radii = np.hypot(points[:, 0], points[:, 1])
    np.testing.assert_allclose(radii[:250], np.arange(250) / 250 * 5, atol=1e-12)
    np.testing.assert_allclose(radii[250:], np.arange(250) / 250 * 5, atol=1e-12)
    assert 4.95 < radii.max() < 5
    assert (labels[:250] == 1).all() and (labels[250:] == -1).all()
    # The two arms are point reflections of each other (deltaT = pi).
    np.testing.assert_allclose(points[250:], -points[:250], atol=1e-12)


def test_noise_is_ui_value_over_100() -> None:
    clean, _ = generate_dataset("spiral", 500, 0, np.random.default_rng(0))
    noisy, _ = generate_dataset("spiral", 500, 50, np.random.default_rng(0))
    deviation = np.abs(noisy - clean)
    assert deviation.max() <= 0.5  # randUniform(-1, 1) * 50 / 100
    assert deviation.max() > 0.45


def test_circle_and_gauss_layout() -> None:
    points, labels = generate_dataset("circle", 500, 0, np.random.default_rng(0))
    radii = np.hypot(points[:, 0], points[:, 1])
    assert (radii[labels == 1] <= 2.5).all() and (radii[labels == -1] >= 3.5).all()
    points, labels = generate_dataset("gauss", 500, 0, np.random.default_rng(0))
    np.testing.assert_allclose(points[labels == 1].mean(0), [2, 2], atol=0.2)
    np.testing.assert_allclose(points[labels == -1].var(0), [0.5, 0.5], rtol=0.3)


def test_unknown_dataset() -> None:
    with pytest.raises(ValueError, match="unknown Playground dataset"):
        generate_dataset("moons")


@pytest.mark.parametrize("perc, n_train", [(50, 250), (30, 150), (90, 450), (33, 165)])
def test_shuffle_and_split(perc: float, n_train: int) -> None:
    rng = np.random.default_rng(7)
    points, labels = generate_dataset("spiral", 500, 0, rng)
    original = {tuple(p) for p in points}
    pg.shuffle_in_place(points, labels, rng)
    assert {tuple(p) for p in points} == original  # a permutation
    assert not np.allclose(labels[:250], 1)  # and actually shuffled
    x_train, y_train, x_test, y_test = pg.split_dataset(points, labels, perc)
    assert len(x_train) == len(y_train) == n_train
    assert len(x_test) == len(y_test) == 500 - n_train
    assert len(train(PlaygroundConfig(dataset="xor", perc_train_data=perc), epochs=0).test_loss) == 0


def test_feature_map() -> None:
    points = np.array([[0.5, -2.0], [3.0, 1.5]])
    feats = pg.feature_matrix(points, ALL_FEATURES + ("cosX", "cosY"))
    x, y = points[:, 0], points[:, 1]
    expected = np.stack([x, y, x * x, y * y, x * y, np.sin(x), np.sin(y), np.cos(x), np.cos(y)], 1)
    np.testing.assert_allclose(feats, expected)
    # Config features are normalised to Playground's input order.
    assert PlaygroundConfig(features=("sinY", "x", "xTimesY")).features == ("x", "xTimesY", "sinY")
    with pytest.raises(ValueError):
        pg.feature_matrix(points, ("z",))


# --------------------------------------------------------------------------- #
# Network and training mechanics
# --------------------------------------------------------------------------- #


def _literal_playground(net: pg.PlaygroundNetwork, inputs: np.ndarray, labels: np.ndarray,
                        batch_size: int, lr: float, reg: str, reg_rate: float, epochs: int):
    """Example-by-example transcription of nn.ts backProp/updateWeights and
    playground.ts oneStep, used as an oracle for the vectorised trainer."""
    n_layers = net.num_layers
    w = [net.weights(k).numpy().copy() for k in range(n_layers)]  # (out, in)
    b = [net.biases(k).numpy().copy() for k in range(n_layers)]
    dead = [np.zeros(m.shape, bool) for m in w]
    acc_w = [np.zeros_like(m) for m in w]
    cnt_w = [np.zeros_like(m) for m in w]
    acc_b = [np.zeros_like(v) for v in b]
    cnt_b = [np.zeros_like(v) for v in b]
    fns = {"tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
           "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
           "sigmoid": (lambda z: 1 / (1 + np.exp(-z)),
                       lambda z: 1 / (1 + np.exp(-z)) * (1 - 1 / (1 + np.exp(-z)))),
           "linear": (lambda z: z, lambda z: np.ones_like(z))}
    updates = 0
    for _ in range(epochs):
        for i in range(len(inputs)):  # i restarts every epoch, as in oneStep
            outs, zs = [inputs[i]], []
            for k in range(n_layers):
                name = net.output_activation if k == n_layers - 1 else net.activation
                z = np.array([b[k][j] + sum(w[k][j, m] * outs[-1][m] for m in range(w[k].shape[1]))
                              for j in range(w[k].shape[0])])
                zs.append(z)
                outs.append(fns[name][0](z))
            out_der = np.array([outs[-1][0] - labels[i]])
            for k in range(n_layers - 1, -1, -1):
                name = net.output_activation if k == n_layers - 1 else net.activation
                in_der = out_der * fns[name][1](zs[k])
                acc_b[k] += in_der
                cnt_b[k] += 1
                live = ~dead[k]
                acc_w[k][live] += np.outer(in_der, outs[k])[live]
                cnt_w[k][live] += 1
                out_der = w[k].T @ in_der
            if (i + 1) % batch_size == 0:
                updates += 1
                for k in range(n_layers):
                    b[k] -= lr * acc_b[k] / cnt_b[k]
                    acc_b[k][:] = 0
                    cnt_b[k][:] = 0
                    for j, m in zip(*np.nonzero(~dead[k])):
                        old = w[k][j, m]
                        r_der = 0.0 if reg == "none" else (np.sign(old) if reg == "L1" else old)
                        stepped = old - lr / cnt_w[k][j, m] * acc_w[k][j, m]
                        new = stepped - lr * reg_rate * r_der
                        if reg == "L1" and stepped * new < 0:
                            new, dead[k][j, m] = 0.0, True
                        w[k][j, m] = new
                        acc_w[k][j, m] = cnt_w[k][j, m] = 0
    return w, b, dead, updates


@pytest.mark.parametrize("activation, reg, reg_rate, batch_size", [
    ("tanh", "none", 0.0, 7),
    ("relu", "L1", 0.03, 7),
    ("sigmoid", "L2", 0.1, 10),
    ("tanh", "L1", 0.3, 3),
    ("linear", "none", 0.0, 40),
])
def test_trainer_matches_example_by_example_playground(activation, reg, reg_rate, batch_size):
    rng = np.random.default_rng(1)
    points, labels = generate_dataset("xor", 40, 0, rng)
    inputs = pg.feature_matrix(points, ("x", "y", "xTimesY")) / 3
    net = pg.build_network(3, (4, 3), activation, "tanh", rng=rng)
    w, b, dead, updates = _literal_playground(net, inputs, labels, batch_size, 0.1,
                                              reg, reg_rate, epochs=4)
    trainer = pg.PlaygroundTrainer(net, inputs, labels, batch_size, 0.1, reg, reg_rate)
    for _ in range(4):
        trainer.one_step()
    assert trainer.num_updates == updates
    for k in range(net.num_layers):
        np.testing.assert_allclose(net.weights(k).numpy(), w[k], rtol=0, atol=1e-12)
        np.testing.assert_allclose(net.biases(k).numpy(), b[k], rtol=0, atol=1e-12)
        np.testing.assert_array_equal(~net.alive[k].T.numpy(), dead[k])
    if reg == "L1":
        assert sum(d.sum() for d in dead) > 0  # the case exercises L1 killing


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
def test_batch_gradient_matches_autograd(activation: str) -> None:
    rng = np.random.default_rng(5)
    inputs = rng.normal(size=(12, 5))
    labels = np.where(rng.random(12) < 0.5, -1.0, 1.0)
    net = pg.build_network(5, (6, 3), activation, "tanh", rng=rng)
    grads = net.accumulated_gradients(inputs, labels)

    leaves = [p.clone().requires_grad_(True) for p in net.params]
    a = torch.tensor(inputs)
    act = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid,
           "linear": lambda t: t}
    for k, p in enumerate(leaves):
        a = (act["tanh"] if k == len(leaves) - 1 else act[activation])(a @ p[:-1] + p[-1])
    loss = (0.5 * (a[:, 0] - torch.tensor(labels)) ** 2).sum()
    loss.backward()
    for (g_w, g_b), leaf in zip(grads, leaves):
        np.testing.assert_allclose(g_w.numpy(), leaf.grad[:-1].T.numpy(), atol=1e-12)
        np.testing.assert_allclose(g_b.numpy(), leaf.grad[-1].numpy(), atol=1e-12)


def test_one_update_is_average_gradient_step() -> None:
    rng = np.random.default_rng(2)
    inputs = rng.normal(size=(9, 2))
    labels = np.where(inputs[:, 0] * inputs[:, 1] >= 0, 1.0, -1.0)
    net = pg.build_network(2, (3,), "tanh", "tanh", rng=rng)
    before = [p.clone() for p in net.params]
    grads = net.accumulated_gradients(inputs, labels)
    # Finite-difference check of one weight and one bias of the summed loss.
    def total_loss() -> float:
        return float((0.5 * (net.forward(inputs) - torch.tensor(labels)) ** 2).sum())
    eps = 1e-6
    for row, col, analytic in ((0, 1, grads[0][0][1, 0]), (-1, 2, grads[0][1][2])):
        net.params[0][row, col] += eps
        up = total_loss()
        net.params[0][row, col] -= 2 * eps
        down = total_loss()
        net.params[0][row, col] += eps
        assert (up - down) / (2 * eps) == pytest.approx(float(analytic), abs=1e-7)
    trainer = pg.PlaygroundTrainer(net, inputs, labels, batch_size=9, learning_rate=0.3)
    trainer.one_step()
    for k, (g_w, g_b) in enumerate(grads):
        np.testing.assert_allclose(net.weights(k).numpy(),
                                   before[k][:-1].T.numpy() - 0.3 / 9 * g_w.numpy(), atol=1e-14)
        np.testing.assert_allclose(net.biases(k).numpy(),
                                   before[k][-1].numpy() - 0.3 / 9 * g_b.numpy(), atol=1e-14)


def test_partial_batch_carries_over() -> None:
    first = pg.batch_schedule(250, 7, first_epoch=True)
    later = pg.batch_schedule(250, 7, first_epoch=False)
    assert len(first) == len(later) == 35  # floor(250 / 7) updates per epoch
    assert all(len(batch) == 7 for batch in first)
    # The 5 examples left over (245..249) are averaged with the next epoch's first 7.
    assert len(later[0]) == 12
    assert later[0].tolist() == [*range(245, 250), *range(7)]
    assert [list(b) for b in later[1:]] == [list(b) for b in first[1:]]
    assert pg.batch_schedule(250, 10, first_epoch=False)[0].tolist() == list(range(10))
    assert pg.batch_schedule(20, 30, first_epoch=True) == []  # batch > data: never updates

    # Averaging: the first update of epoch 2 divides the 12 summed derivatives by 12.
    rng = np.random.default_rng(4)
    inputs = rng.normal(size=(12, 2))
    labels = np.where(rng.random(12) < 0.5, -1.0, 1.0)
    net = pg.build_network(2, (), "tanh", "tanh", rng=rng)
    trainer = pg.PlaygroundTrainer(net, inputs, labels, batch_size=7, learning_rate=0.5)
    trainer.one_step()  # one update on examples 0..6, examples 7..11 left pending
    expected = net.params[0].clone()
    g_w, g_b = net.accumulated_gradients(inputs, labels)[0]  # all 12 at the same weights
    expected[:-1] -= 0.5 / 12 * g_w.T
    expected[-1] -= 0.5 / 12 * g_b
    trainer_before = trainer.num_updates
    # Epoch 2's first update averages the 5 carried-over examples with 0..6.
    trainer.one_step()
    assert trainer.num_updates == trainer_before + 1
    torch.testing.assert_close(net.params[0], expected, rtol=0, atol=1e-14)

    run = train(PlaygroundConfig(dataset="xor", batch_size=7), epochs=3)
    assert run.num_updates == 3 * 35


def test_l1_kills_weights_that_cross_zero() -> None:
    inputs = np.array([[1.0, 0.0], [0.0, 1.0]])
    labels = np.array([1.0, -1.0])
    net = pg.build_network(2, (), "tanh", "tanh", init_zero=True)
    with torch.no_grad():
        net.params[0][:, 0] = torch.tensor([0.001, 0.8, 0.0])  # w1 small, w2 large, bias 0
    trainer = pg.PlaygroundTrainer(net, inputs, labels, batch_size=2, learning_rate=0.01,
                                   regularization="L1", regularization_rate=1.0)
    trainer.one_step()
    # w1: gradient step makes it bigger but the L1 step (-0.01) crosses zero -> 0 and dead.
    assert net.weights(0)[0, 0].item() == 0.0 and not net.alive[0][0, 0]
    assert net.weights(0)[0, 1].item() != 0.0 and net.alive[0][1, 0]
    for _ in range(20):
        trainer.one_step()
    assert net.weights(0)[0, 0].item() == 0.0  # stays dead, no gradient any more
    # L2 shrinks by lr * rate * w_old after the gradient step, without killing.
    net2 = pg.build_network(1, (), "linear", "linear", init_zero=True)
    with torch.no_grad():
        net2.params[0][0, 0] = 0.5
    pg.PlaygroundTrainer(net2, np.array([[0.0]]), np.array([0.0]), 1, 0.1, "L2", 2.0).one_step()
    assert net2.weights(0)[0, 0].item() == pytest.approx(0.5 - 0.1 * 2.0 * 0.5)


def test_initialisation() -> None:
    net = pg.build_network(7, (8, 8), rng=np.random.default_rng(0))
    assert net.sizes == (7, 8, 8, 1)
    for k in range(3):
        w = net.weights(k)
        assert w.min() >= -0.5 and w.max() < 0.5 and w.std() > 0.1
        assert torch.all(net.biases(k) == 0.1)
    zero = pg.build_network(2, (4,), init_zero=True)
    assert all(torch.all(p == 0) for p in zero.params)


def test_run_reached_and_passes() -> None:
    run = PlaygroundRun(config=PlaygroundConfig(), seed=0,
                        train_loss=[0.1, 0.01, 0.004, 0.002], test_loss=[0.2, 0.006, 0.005, 0.001])
    assert run.epochs_run == 4
    assert run.reached(0.005, 1000) == 3
    assert run.reached(0.005, 2) is None
    assert run.passes() and not run.passes(max_epochs=2) and not run.passes(threshold=0.0001)


def test_train_is_deterministic_and_stops_early() -> None:
    cfg = PlaygroundConfig(dataset="xor", features=("x", "y", "xTimesY"))
    a, b = train(cfg, epochs=30, seed=1), train(cfg, epochs=30, seed=1)
    assert a.test_loss == b.test_loss and a.epochs_run == 30
    assert train(cfg, epochs=30, seed=2).test_loss != a.test_loss
    early = train(cfg, epochs=1000, seed=1, stop_at_test_loss=0.05)
    assert early.test_loss[-1] <= 0.05 and early.epochs_run < 1000
    assert early.reached(0.05) == early.epochs_run


# --------------------------------------------------------------------------- #
# Known good / bad configurations
# --------------------------------------------------------------------------- #

# Found by experiment (seeds 0-11, 1000 epochs, noise 0, batch/lr as given):
# * XOR, features x, y, x1x2, hidden (4, 2), tanh, lr 0.03, batch 10: reaches
#   0.005 in ~20 epochs on every seed tried.
# * Spiral, features x, y, sin x1, sin x2, hidden 6 x 8, tanh, lr 0.1, batch 30:
#   11 of 12 seeds, at epochs ~90-270 (seed 2's data is hard for every
#   configuration tried).  Spiral with all seven features, (8, 8), lr 0.03 only
#   passes on ~1 seed in 3, so it is not used here.
GOOD = {
    "xor": PlaygroundConfig(dataset="xor", activation="tanh", learning_rate=0.03,
                            network_shape=(4, 2), features=("x", "y", "xTimesY")),
    "spiral": PlaygroundConfig(dataset="spiral", activation="tanh", learning_rate=0.1,
                               batch_size=30, network_shape=(8, 8, 8, 8, 8, 8),
                               features=("x", "y", "sinX", "sinY")),
}
SEEDS = range(6)


@pytest.mark.parametrize("name", ["xor", "spiral"])
def test_known_good_configuration_passes(name: str) -> None:
    """A good setting reaches the threshold on most data seeds and comes close on all of them
    (spiral sits right at 0.005, so which seeds pass moves with numpy/torch versions)."""
    runs = [train(GOOD[name], epochs=1000, seed=seed, stop_at_test_loss=0.005) for seed in SEEDS]
    passing = [run.passes(0.005, 1000) for run in runs]
    assert sum(passing) >= len(runs) // 2 + 1, (name, [min(r.test_loss) for r in runs])
    assert all(min(r.test_loss) < 0.01 for r in runs), (name, [min(r.test_loss) for r in runs])


def test_known_bad_configuration_fails() -> None:
    # XOR with only x, y and no hidden layer is a linear model: it cannot fit XOR.
    bad = parse_playground_url("#activation=tanh&batchSize=10&dataset=xor&learningRate=0.03"
                               "&networkShape=&x=true&y=true")
    assert bad.network_shape == () and bad.features == ("x", "y")
    for seed in (0, 1, 2):
        run = train(bad, epochs=1000, seed=seed)
        assert run.epochs_run == 1000
        assert not run.passes(0.005, 1000)
        assert min(run.test_loss) > 0.2


# --------------------------------------------------------------------------- #
# URL parsing
# --------------------------------------------------------------------------- #


def test_parse_example_url() -> None:
    cfg = parse_playground_url(EXAMPLE_URL)
    assert cfg == PlaygroundConfig(dataset="spiral", activation="tanh", learning_rate=0.03,
                                   regularization="none", regularization_rate=0.0,
                                   batch_size=10, noise=0, perc_train_data=50,
                                   network_shape=(4, 2), features=("x", "y"),
                                   init_zero=False, problem="classification",
                                   seed="0.12345")
    assert parse_playground_url(EXAMPLE_URL.split("#", 1)[1]) == cfg
    assert parse_playground_url("#" + EXAMPLE_URL.split("#", 1)[1]) == cfg


def test_parse_defaults_and_quirks() -> None:
    assert parse_playground_url("") == PlaygroundConfig()
    assert parse_playground_url("https://playground.tensorflow.org/") == PlaygroundConfig()
    default = PlaygroundConfig()
    assert (default.dataset, default.network_shape, default.learning_rate, default.batch_size,
            default.features, default.activation, default.perc_train_data) == (
        "circle", (4, 2), 0.03, 10, ("x", "y"), "tanh", 50)
    cfg = parse_playground_url("#networkShape=&x=false&sinY=true&cosX=true&regularization=L1"
                               "&regularizationRate=0.003&tutorial=foo&noise_hide=true"
                               "&learningRate=&batchSize=3")
    assert cfg.network_shape == ()
    assert cfg.features == ("y", "sinY")  # cosX has no input node on the live site
    assert (cfg.regularization, cfg.regularization_rate) == ("L1", 0.003)
    assert cfg.learning_rate == 0.03  # blank value keeps the default
    assert cfg.batch_size == 3
    assert parse_playground_url("#networkShape=8%2C8").network_shape == (8, 8)


@pytest.mark.parametrize("bad_hash, message", [
    ("activation=softmax", "activation"),
    ("dataset=moons", "dataset"),
    ("regularization=L3", "regularization"),
    ("learningRate=fast", "learningRate"),
    ("learningRate=-1", "learningRate"),
    ("batchSize=2.5", "batchSize"),
    ("batchSize=0", "batchSize"),
    ("noise=90", "noise"),
    ("percTrainData=100", "percTrainData"),
    ("networkShape=4,0", "networkShape"),
    ("networkShape=4,a", "networkShape"),
    ("x=maybe", "x"),
    ("problem=ranking", "problem"),
])
def test_parse_rejects_invalid_values(bad_hash: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_playground_url("#" + bad_hash)


def test_url_round_trip() -> None:
    configs = [
        PlaygroundConfig(),
        GOOD["spiral"],
        PlaygroundConfig(dataset="xor", activation="relu", learning_rate=0.00001,
                         regularization="L2", regularization_rate=0.3, batch_size=1, noise=35,
                         perc_train_data=80, network_shape=(), features=("xTimesY",),
                         init_zero=True, seed="0.98765"),
        PlaygroundConfig(problem="regression", reg_dataset="reg-gauss", activation="linear",
                         learning_rate=3, network_shape=(8, 8, 8, 8, 8, 8)),
    ]
    for cfg in configs:
        assert parse_playground_url(cfg.to_url()) == cfg
        assert parse_playground_url(cfg.to_url_hash()) == cfg
    assert "regularization=" not in PlaygroundConfig().to_url_hash()  # as State.serialize
    assert parse_playground_url(EXAMPLE_URL).to_url() == EXAMPLE_URL


def test_config_validation_and_regression_run() -> None:
    with pytest.raises(ValueError, match="networkShape"):
        PlaygroundConfig(network_shape=(4, -1))
    with pytest.raises(ValueError, match="features"):
        PlaygroundConfig(features=("z",))
    cfg = PlaygroundConfig(problem="regression", reg_dataset="reg-plane", activation="linear",
                           network_shape=(), features=("x", "y"), learning_rate=0.01)
    run = train(cfg, epochs=50)
    assert cfg.num_samples == 1200 and run.num_updates == 50 * 60
    assert run.test_loss[-1] < 1e-3  # a plane is fitted by a linear model
    assert math.isfinite(run.initial_test_loss)
