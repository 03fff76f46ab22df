"""TensorFlow Playground's own names, shared by the screenshot reader, the simulator, the page
renderer and the check (one vocabulary: what the page shows, what `state.ts` calls it, what the
task allows)."""

from __future__ import annotations

from grader.models import Message

# What Playground offers in its drop-downs and sliders (state.ts names).
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REGULARIZATION_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
REGULARIZATIONS = ("none", "L1", "L2")
PROBLEMS = ("classification", "regression")
#: The datasets, in the page's thumbnail grid order (row-major, two columns).
CLASSIFY_DATASETS = ("circle", "xor", "gauss", "spiral")
REGRESS_DATASETS = ("reg-plane", "reg-gauss")
DATASETS = {"classification": CLASSIFY_DATASETS, "regression": REGRESS_DATASETS}
#: The input features in the page's order (state.ts names) and as the page labels them.
FEATURES = ("x", "y", "xSquared", "ySquared", "xTimesY", "sinX", "sinY")
FEATURE_LABELS = ("X1", "X2", "X1²", "X2²", "X1X2", "sin(X1)", "sin(X2)")

#: The datasets the task allows (session slides: "choose the spiral OR the four-quadrant (XOR) dataset").
ALLOWED_DATASETS: tuple[str, ...] = ("spiral", "xor")
#: How each dataset is called in messages (Korean as in the session slides).
DATASET_NAMES: dict[str, Message] = {
    "circle": Message("원형(circle)", "circle"),
    "xor": Message("사분면(XOR)", "four-quadrant (XOR)"),
    "gauss": Message("가우시안(gauss)", "Gaussian (gauss)"),
    "spiral": Message("나선(spiral)", "spiral"),
    "reg-plane": Message("회귀용 평면(reg-plane)", "regression plane (reg-plane)"),
    "reg-gauss": Message("회귀용 가우시안(reg-gauss)", "regression Gaussian (reg-gauss)"),
}
#: Everything Playground needs to re-run a setting (the keys a reading's config uses).
CONFIG_KEYS: tuple[str, ...] = ("dataset", "learning_rate", "activation", "regularization", "regularization_rate",
                                "problem", "batch_size", "noise", "perc_train_data", "hidden_layers", "neurons",
                                "features")
