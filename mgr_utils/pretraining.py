"""Learning without labels first: convolutional RBMs trained with CD-1, stacked greedily (chapter 8).

Dieleman, Brakel & Schrauwen (2011) reportedly pretrained the convolutional layers of their
network one at a time, without labels, as **convolutional restricted Boltzmann machines** (a
convolutional deep belief network, after Lee et al. 2009), then fine-tuned the whole network with
labels. (What is known of that paper, and how surely, is in the book's appendix.) This module
writes that procedure in plain NumPy, small enough to read in one sitting:

* :class:`ConvRBM`: one layer, convolving **along time only**: a filter spans ``width`` frames
  and every input feature (the 24 chroma and timbre values of chapter 8's input, or the maps of
  the layer below);
* :func:`hidden_probabilities` (up) and :func:`visible_means` (down);
* :func:`cd1_step`: one step of **contrastive divergence** (Hinton 2002) on a mini-batch;
* :func:`train_rbm` (epochs of CD-1) and :func:`pretrain_stack` (greedy, layer by layer, each
  layer on the max-pooled hidden probabilities of the one below);
* :func:`train_autoencoder`: the modern alternative, the same layer trained as a tied-weight
  autoencoder by backpropagation (TensorFlow, imported only there);
* :func:`to_keras`: the learned filters and biases copied into a Keras network whose convolutions
  compute exactly :func:`hidden_probabilities` (sigmoid units), the start of fine-tuning;
* the experiment's helpers: :func:`unlabelled_pool`, :func:`draw_labelled`,
  :func:`compile_for_finetuning` and :func:`reset_for_finetuning`.

Shapes: a batch of sequences is ``V`` of ``(n, T, D)`` (examples, time, features); a layer's
filters ``W`` are ``(width, D, K)``, Keras' ``Conv1D`` kernel layout; the hidden maps are ``H`` of
``(n, T - width + 1, K)`` ("valid" convolution).

Notebook: ``08_pretraining.ipynb``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from mgr_utils.comparison import format_p

DTYPE = np.float32
"""Every array of this module: single precision, as the Keras network (and twice as fast as double)."""

VISIBLE_UNITS = ("gaussian", "binary")
"""Kinds of visible units: real values of unit variance (the input layer) or probabilities in [0, 1]."""

PRETRAINING_METHODS = ("cd1", "autoencoder")
"""How :func:`pretrain_stack` trains each layer: contrastive divergence, or backpropagation."""


@dataclass
class ConvRBM:
    """A one-dimensional convolutional RBM: ``K`` filters of ``width`` frames over ``D`` features.

    Notebook: ``08_pretraining.ipynb``.

    Attributes:
        W: Filters, ``(width, D, K)`` (Keras' ``Conv1D`` kernel layout).
        b: Hidden biases, one per filter, ``(K,)``.
        c: Visible biases, one per feature, ``(D,)``.
        visible: ``"gaussian"`` (real-valued input of unit variance: the first layer) or
            ``"binary"`` (inputs in [0, 1]: the layers above).
        errors: Mean squared reconstruction error of each training epoch.
        velocity: The last step of each parameter (``"W"``, ``"b"``, ``"c"``), for momentum.
    """

    W: np.ndarray
    b: np.ndarray
    c: np.ndarray
    visible: str = "gaussian"
    errors: list[float] = field(default_factory=list)
    velocity: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def width(self) -> int:
        """Frames spanned by one filter."""
        return int(self.W.shape[0])

    @property
    def n_visible(self) -> int:
        """Input features ``D``."""
        return int(self.W.shape[1])

    @property
    def n_hidden(self) -> int:
        """Filters ``K`` (hidden maps)."""
        return int(self.W.shape[2])


def _check_int(name: str, value, minimum: int = 1) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or value < minimum
    ):
        raise ValueError(
            f"{name} must be a whole number of at least {minimum}, got {value!r}"
        )


def _check_positive(name: str, value) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.number))
        or not value > 0
    ):
        raise ValueError(f"{name} must be a positive number, got {value!r}")


def init_rbm(
    n_visible: int,
    n_hidden: int,
    width: int,
    visible: str = "gaussian",
    scale: float = 0.01,
    seed: int = 0,
) -> ConvRBM:
    """A convolutional RBM with small random filters and zero biases.

    Notebook: ``08_pretraining.ipynb``.

    Args:
        n_visible: Input features ``D`` per frame.
        n_hidden: Filters ``K``.
        width: Frames per filter.
        visible: ``"gaussian"`` or ``"binary"`` (see :class:`ConvRBM`).
        scale: Standard deviation of the initial filter weights.
        seed: Seed of the initial weights.

    Raises:
        ValueError: A size below 1, a scale that is not positive, or an unknown ``visible``.
    """
    for name, value in (
        ("n_visible", n_visible),
        ("n_hidden", n_hidden),
        ("width", width),
    ):
        _check_int(name, value)
    _check_positive("scale", scale)
    if visible not in VISIBLE_UNITS:
        raise ValueError(f"visible must be one of {VISIBLE_UNITS}, got {visible!r}")
    rng = np.random.default_rng(seed)
    W = (scale * rng.standard_normal((width, n_visible, n_hidden))).astype(DTYPE)
    return ConvRBM(
        W=W, b=np.zeros(n_hidden, DTYPE), c=np.zeros(n_visible, DTYPE), visible=visible
    )


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-x))`` (SciPy's ``expit``: no overflow warnings).

    Notebook: ``08_pretraining.ipynb``.
    """
    from scipy.special import expit

    return expit(x)


def windows(V: np.ndarray, width: int) -> np.ndarray:
    """Every run of ``width`` consecutive frames of every example, flattened: ``(n, T', width * D)``.

    Row ``t`` of example ``n`` holds frames ``t, ..., t + width - 1``, so a "valid" convolution
    with filters ``W`` is one matrix product: ``windows(V, width) @ W.reshape(width * D, K)``.

    Notebook: ``08_pretraining.ipynb``.

    Raises:
        ValueError: ``V`` is not ``(n, T, D)`` or is shorter than ``width`` frames.
    """
    V = np.asarray(V, dtype=DTYPE)
    if V.ndim != 3:
        raise ValueError(f"V must be (examples, frames, features), got shape {V.shape}")
    n, T, D = V.shape
    if T < width:
        raise ValueError(
            f"sequences of {T} frames are shorter than the filters' {width}"
        )
    X = np.lib.stride_tricks.sliding_window_view(V, width, axis=1)  # (n, T', D, width)
    return X.transpose(0, 1, 3, 2).reshape(n, T - width + 1, width * D)


def hidden_probabilities(rbm: ConvRBM, V: np.ndarray) -> np.ndarray:
    """Up: ``P(h_k(t) = 1 | v) = sigmoid(b_k + sum_{tau, d} W[tau, d, k] v[t + tau, d])``.

    Notebook: ``08_pretraining.ipynb``.

    Args:
        rbm: The layer.
        V: Visible sequences ``(n, T, D)``.

    Returns:
        ``(n, T - width + 1, K)``: one probability per filter and position.
    """
    X = windows(V, rbm.width)
    return sigmoid(X @ rbm.W.reshape(-1, rbm.n_hidden) + rbm.b)


def visible_means(rbm: ConvRBM, H: np.ndarray) -> np.ndarray:
    """Down: the visible units' expected values given the hidden maps.

    Each hidden unit ``h_k(t)`` adds its filter back over the frames it sees:
    ``a[t + tau, d] = c_d + sum_k sum_tau W[tau, d, k] h_k(t)``. Gaussian units (unit variance)
    take ``a`` itself as their mean, binary units ``sigmoid(a)``.

    Notebook: ``08_pretraining.ipynb``.

    Args:
        rbm: The layer.
        H: Hidden maps ``(n, T', K)``.

    Returns:
        ``(n, T' + width - 1, D)``.
    """
    n, T_h, _ = H.shape
    w, D = rbm.width, rbm.n_visible
    C = (H @ rbm.W.reshape(w * D, rbm.n_hidden).T).reshape(n, T_h, w, D)
    A = np.zeros((n, T_h + w - 1, D), DTYPE) + rbm.c
    for tau in range(w):  # overlap-add: frame t + tau gets filter row tau
        A[:, tau : tau + T_h, :] += C[:, :, tau, :]
    return A if rbm.visible == "gaussian" else sigmoid(A)


def cd1_step(
    rbm: ConvRBM,
    V0: np.ndarray,
    lr: float,
    rng: np.random.Generator,
    momentum: float = 0.0,
    sparsity: float | None = None,
) -> float:
    """One step of contrastive divergence (CD-1) on a mini-batch; updates ``rbm`` in place.

    1. up: ``H0 = P(h | V0)``; sample binary ``h0 ~ Bernoulli(H0)``;
    2. down: ``V1 = E[v | h0]`` (the reconstruction);
    3. up again: ``H1 = P(h | V1)``;
    4. the gradient estimate is (data statistics - reconstruction statistics), averaged over the
       examples and positions:
       ``dW[tau, d, k] = <v[t + tau, d] h_k(t)>_data - <v[t + tau, d] h_k(t)>_recon``,
       ``db_k = <h_k>_data - <h_k>_recon``, ``dc_d = <v_d>_data - <v_d>_recon``;
       with ``sparsity = p``, ``db_k`` also gets ``p - <h_k>_data`` (each map is pushed towards being
       active a fraction ``p`` of the time, after Lee et al. 2009);
    5. each parameter moves by its velocity ``u <- momentum * u + lr * d`` (``momentum = 0``: plain
       steps of ``lr * d``).

    Notebook: ``08_pretraining.ipynb``.

    Args:
        rbm: The layer to train (its :attr:`ConvRBM.velocity` holds the momentum between steps).
        V0: A mini-batch of visible sequences ``(n, T, D)``.
        lr: Learning rate.
        rng: Random generator for the hidden samples.
        momentum: Fraction of the previous step added to this one (0 to below 1).
        sparsity: Target mean activity of the hidden units (``None``: no sparsity term).

    Returns:
        The mini-batch's mean squared reconstruction error ``mean((V0 - V1)^2)`` before the update.
    """
    V0 = np.asarray(V0, dtype=DTYPE)
    H0 = hidden_probabilities(rbm, V0)
    h0 = (rng.random(H0.shape, dtype=DTYPE) < H0).astype(DTYPE)
    V1 = visible_means(rbm, h0)
    H1 = hidden_probabilities(rbm, V1)

    K = rbm.n_hidden
    X0 = windows(V0, rbm.width).reshape(
        -1, rbm.W[:, :, 0].size
    )  # one row per example and position
    X1 = windows(V1, rbm.width).reshape(X0.shape)
    positive = X0.T @ H0.reshape(-1, K)  # sums of v h over rows: data
    negative = X1.T @ H1.reshape(-1, K)  # ... and reconstruction
    d = {
        "W": ((positive - negative) / len(X0)).reshape(rbm.W.shape),
        "b": H0.mean(axis=(0, 1)) - H1.mean(axis=(0, 1)),
        "c": V0.mean(axis=(0, 1)) - V1.mean(axis=(0, 1)),
    }
    if sparsity is not None:
        d["b"] += sparsity - H0.mean(axis=(0, 1))
    for name, grad in d.items():
        u = rbm.velocity[name] = momentum * rbm.velocity.get(name, 0.0) + lr * grad
        getattr(rbm, name)[...] += u  # W, b, c updated in place
    return float(np.mean((V0 - V1) ** 2))


def reconstruction_error(rbm: ConvRBM, V: np.ndarray) -> float:
    """Mean squared error of a deterministic up-down pass: ``mean((V - E[v | P(h | V)])^2)``.

    Notebook: ``08_pretraining.ipynb``.
    """
    V = np.asarray(V, dtype=DTYPE)
    return float(np.mean((V - visible_means(rbm, hidden_probabilities(rbm, V))) ** 2))


def train_rbm(
    rbm: ConvRBM,
    V: np.ndarray,
    epochs: int = 10,
    lr: float = 0.01,
    batch_size: int = 32,
    seed: int = 0,
    momentum: float = 0.0,
    sparsity: float | None = None,
) -> ConvRBM:
    """Epochs of CD-1 over ``V`` in shuffled mini-batches; the epoch's mean error goes to ``rbm.errors``.

    Notebook: ``08_pretraining.ipynb``.

    Args:
        rbm: The layer (updated in place and returned).
        V: Training sequences ``(n, T, D)``: no labels.
        epochs: Passes over ``V``.
        lr: Learning rate of :func:`cd1_step`.
        batch_size: Sequences per mini-batch.
        seed: Seed of the shuffling and of the hidden samples.
        momentum, sparsity: As :func:`cd1_step`.

    Raises:
        ValueError: A non-positive ``epochs``, ``lr`` or ``batch_size``, a ``momentum`` outside
            [0, 1), a ``sparsity`` outside (0, 1), or ``V`` whose features differ from the layer's.
    """
    _check_int("epochs", epochs)
    _check_int("batch_size", batch_size)
    _check_positive("lr", lr)
    if not 0.0 <= momentum < 1.0:
        raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
    if sparsity is not None and not 0.0 < sparsity < 1.0:
        raise ValueError(
            f"sparsity must be None or a target activity in (0, 1), got {sparsity!r}"
        )
    V = np.asarray(V, dtype=DTYPE)
    if V.ndim != 3 or V.shape[2] != rbm.n_visible:
        raise ValueError(
            f"V must be (examples, frames, {rbm.n_visible}), got shape {V.shape}"
        )
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(V))
        errors = [
            cd1_step(rbm, V[order[i : i + batch_size]], lr, rng, momentum, sparsity)
            for i in range(0, len(V), batch_size)
        ]
        rbm.errors.append(float(np.mean(errors)))
    return rbm


def train_autoencoder(
    rbm: ConvRBM,
    V: np.ndarray,
    epochs: int = 10,
    lr: float = 1e-3,
    batch_size: int = 32,
    seed: int = 0,
    sparsity: float | None = None,
) -> ConvRBM:
    """The modern alternative to CD-1: train the same layer as a (tied-weight) autoencoder by backpropagation.

    The encoder is the RBM's up pass, the decoder its down pass with the **same** filters:
    ``V1 = visible_means(hidden_probabilities(V))`` (a transposed convolution). Instead of CD-1's
    statistics, Adam follows the gradient of the reconstruction error ``mean((V - V1)^2)``
    (plus, with ``sparsity = p``, the penalty ``(p - <h_k>)^2`` summed over the maps), computed by
    TensorFlow's automatic differentiation. Same architecture, same greedy stacking: only the
    learning rule differs.

    Notebook: ``08_pretraining.ipynb``.

    Args:
        rbm: The layer (its ``W``, ``b``, ``c`` are trained in place; returned).
        V: Training sequences ``(n, T, D)``: no labels.
        epochs: Passes over ``V``.
        lr: Adam's learning rate.
        batch_size: Sequences per mini-batch.
        seed: Seed of the shuffling.
        sparsity: Target mean activity of the hidden units (``None``: no penalty).

    Raises:
        ValueError: As :func:`train_rbm`.
    """
    _check_int("epochs", epochs)
    _check_int("batch_size", batch_size)
    _check_positive("lr", lr)
    if sparsity is not None and not 0.0 < sparsity < 1.0:
        raise ValueError(
            f"sparsity must be None or a target activity in (0, 1), got {sparsity!r}"
        )
    V = np.asarray(V, dtype=DTYPE)
    if V.ndim != 3 or V.shape[2] != rbm.n_visible:
        raise ValueError(
            f"V must be (examples, frames, {rbm.n_visible}), got shape {V.shape}"
        )
    import keras
    import tensorflow as tf

    W, b, c = tf.Variable(rbm.W), tf.Variable(rbm.b), tf.Variable(rbm.c)
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    gaussian = rbm.visible == "gaussian"

    @tf.function(reduce_retracing=True)
    def step(V0):
        with tf.GradientTape() as tape:
            H = tf.sigmoid(tf.nn.conv1d(V0, W, stride=1, padding="VALID") + b)  # up
            A = (
                tf.nn.conv1d_transpose(
                    H, W, output_shape=tf.shape(V0), strides=1, padding="VALID"
                )
                + c
            )
            V1 = A if gaussian else tf.sigmoid(A)  # down
            error = tf.reduce_mean(tf.square(V0 - V1))
            loss = (
                error
                if sparsity is None
                else error
                + tf.reduce_sum(tf.square(sparsity - tf.reduce_mean(H, axis=(0, 1))))
            )
        optimizer.apply_gradients(zip(tape.gradient(loss, [W, b, c]), [W, b, c]))
        return error

    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(V))
        errors = [
            float(step(V[order[i : i + batch_size]]))
            for i in range(0, len(V), batch_size)
        ]
        rbm.errors.append(float(np.mean(errors)))
    rbm.W[...], rbm.b[...], rbm.c[...] = W.numpy(), b.numpy(), c.numpy()
    return rbm


def max_pool(H: np.ndarray, size: int) -> np.ndarray:
    """Non-overlapping max-pooling along time: ``(n, T, K)`` to ``(n, T // size, K)`` (the rest dropped).

    The same as Keras' ``MaxPooling1D(size)``.

    Notebook: ``08_pretraining.ipynb``.
    """
    _check_int("size", size)
    n, T, K = H.shape
    T_out = T // size
    return H[:, : T_out * size].reshape(n, T_out, size, K).max(axis=2)


def pretrain_stack(
    V: np.ndarray,
    filters: Sequence[int],
    widths: Sequence[int],
    pool: int = 4,
    epochs: int = 10,
    lr: float | Sequence[float] = 0.01,
    batch_size: int = 32,
    seed: int = 0,
    momentum: float = 0.0,
    sparsity: float | None = None,
    method: str = "cd1",
) -> list[ConvRBM]:
    """Greedy layer-wise pretraining: one convolutional RBM per layer, each on the layer below's output.

    Layer 1 (Gaussian visible units) learns from ``V`` itself; layer ``l + 1`` (binary visible
    units) learns from layer ``l``'s hidden probabilities, max-pooled by ``pool``: the very input
    the network's layer ``l + 1`` receives. No label is used. ``method="autoencoder"`` trains each
    layer with :func:`train_autoencoder` instead of CD-1 (``lr`` is then Adam's, ``momentum``
    unused).

    Notebook: ``08_pretraining.ipynb``.

    Args:
        V: Unlabelled sequences ``(n, T, D)``, standardised (the Gaussian units assume unit variance).
        filters: Filters per layer, e.g. ``(32, 32)``.
        widths: Frames per filter per layer, e.g. ``(8, 4)``.
        pool: Max-pooling size after every layer.
        epochs: CD-1 epochs per layer.
        lr: Learning rate (one for all layers, or one per layer).
        batch_size: Sequences per mini-batch.
        seed: Seed of every layer's initial weights, shuffling and samples.
        momentum, sparsity: As :func:`cd1_step`.
        method: ``"cd1"`` (the RBM, the paper's reported way) or ``"autoencoder"``.

    Returns:
        The trained layers, bottom first (each with its per-epoch ``errors``).

    Raises:
        ValueError: ``filters`` and ``widths`` (and a per-layer ``lr``) of different lengths,
            sequences too short for the stack, or an unknown ``method``.
    """
    if method not in PRETRAINING_METHODS:
        raise ValueError(f"method must be one of {PRETRAINING_METHODS}, got {method!r}")
    if len(filters) != len(widths) or not filters:
        raise ValueError(
            f"filters and widths must be non-empty and of one length, got {filters!r} and {widths!r}"
        )
    rates = list(lr) if isinstance(lr, (list, tuple)) else [lr] * len(filters)
    if len(rates) != len(filters):
        raise ValueError(
            f"lr must be one number or one per layer ({len(filters)}), got {lr!r}"
        )
    _check_int("pool", pool)
    X = np.asarray(V, dtype=DTYPE)
    stack = []
    for layer, (K, w, rate) in enumerate(zip(filters, widths, rates)):
        if X.shape[1] < w:
            raise ValueError(
                f"layer {layer + 1}: {X.shape[1]} frames left, fewer than its filters' {w}"
            )
        rbm = init_rbm(
            X.shape[2],
            K,
            w,
            visible="gaussian" if layer == 0 else "binary",
            seed=seed + layer,
        )
        if method == "cd1":
            train_rbm(
                rbm,
                X,
                epochs=epochs,
                lr=rate,
                batch_size=batch_size,
                seed=seed + layer,
                momentum=momentum,
                sparsity=sparsity,
            )
        else:
            train_autoencoder(
                rbm,
                X,
                epochs=epochs,
                lr=rate,
                batch_size=batch_size,
                seed=seed + layer,
                sparsity=sparsity,
            )
        stack.append(rbm)
        X = max_pool(hidden_probabilities(rbm, X), pool)
    return stack


def to_keras(model, stack: Sequence[ConvRBM], layer_names: Sequence[str] | None = None):
    """Copy pretrained filters and hidden biases into a Keras network's convolutions: fine-tuning starts there.

    The network's convolution ``l`` must be a ``Conv1D`` with ``"valid"`` padding and a sigmoid
    activation, ``K`` filters of ``width`` frames: it then computes exactly
    :func:`hidden_probabilities` of layer ``l``. The visible biases have no place in the network
    and are dropped. Layers above the stack (the MLP) keep their own initial weights.

    Notebook: ``08_pretraining.ipynb``.

    Args:
        model: A Keras model, e.g. :func:`mgr_utils.models.dieleman2011.dieleman_cnn`.
        stack: The pretrained layers, bottom first (:func:`pretrain_stack`).
        layer_names: The convolutions to fill (default ``"conv1"``, ``"conv2"``, ...).

    Returns:
        ``model``, its convolutions holding the pretrained weights.

    Raises:
        ValueError: A convolution whose kernel shape differs from its RBM's filters.
    """
    names = list(layer_names or [f"conv{i}" for i in range(1, len(stack) + 1)])
    if len(names) != len(stack):
        raise ValueError(f"{len(stack)} pretrained layers but {len(names)} layer names")
    for name, rbm in zip(names, stack):
        layer = model.get_layer(name)
        kernel, bias = layer.get_weights()
        if kernel.shape != rbm.W.shape:
            raise ValueError(
                f"layer {name!r} has kernels {kernel.shape}, the RBM's filters are {rbm.W.shape}"
            )
        layer.set_weights([rbm.W.astype(kernel.dtype), rbm.b.astype(bias.dtype)])
    return model


def compile_for_finetuning(model, lr: float = 1e-3, steps_per_execution: int = 16):
    """:func:`mgr_utils.training.compile_model` (Adam, cross-entropy, accuracy), more steps per call.

    A tiny network trains faster than Python can hand it batches; with ``steps_per_execution``
    Keras runs that many training steps inside one compiled call (the results are the same; the
    callbacks see one batch end per call). Chapter 8's fine-tunings take 16, twice the book's
    default (:data:`mgr_utils.training.STEPS_PER_EXECUTION`).

    Notebook: ``08_pretraining.ipynb``.

    Returns:
        ``model``, compiled.

    Raises:
        ValueError: ``lr`` is not positive, or ``steps_per_execution`` is not a whole
            number of at least 1.
    """
    from mgr_utils.training import compile_model

    _check_positive("lr", lr)
    return compile_model(model, lr=lr, steps_per_execution=steps_per_execution)


def reset_for_finetuning(
    model, weights: Sequence[np.ndarray], stack: Sequence[ConvRBM] | None = None
):
    """Put a compiled network back to a starting point: ``weights``, then the pretrained layers, fresh optimiser.

    One network is compiled once and reused for every fine-tuning of chapter 8's experiment
    (compiling anew costs more than a small fine-tuning itself). Before each run its weights are
    set to ``weights`` (e.g. a freshly seeded network's, ``dieleman_cnn(seed=s).get_weights()``),
    the convolutions then take the pretrained filters when ``stack`` is given (:func:`to_keras`),
    and every optimiser state (step count, Adam's moments) is set to zero, so the run starts
    exactly as a new network with a new optimiser would.

    Notebook: ``08_pretraining.ipynb``.

    Args:
        model: A Keras model (compiled or not).
        weights: One array per weight of ``model``, in ``model.get_weights()`` order.
        stack: Pretrained layers to copy into the convolutions (``None``: keep ``weights``).

    Returns:
        ``model``.
    """
    model.set_weights(list(weights))
    if stack is not None:
        to_keras(model, stack)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        for v in optimizer.variables:
            if v.name != "learning_rate":
                v.assign(np.zeros(v.shape, dtype=v.dtype))
    return model


def draw_labelled(labels: Sequence[int], fraction: float, seed: int = 0) -> np.ndarray:
    """Which training clips keep their labels: ``fraction`` of each genre's clips (at least one), drawn at random.

    Notebook: ``08_pretraining.ipynb``.

    Args:
        labels: Genre label of every training clip.
        fraction: Share of each genre's clips kept, in (0, 1]; ``round(fraction * n)`` clips, and at
            least one, of a genre with ``n``.
        seed: Seed of the draw (each seed of the experiment draws its own clips).

    Returns:
        Sorted indices into ``labels``.

    Raises:
        ValueError: ``fraction`` outside (0, 1].
    """
    if (
        isinstance(fraction, bool)
        or not isinstance(fraction, (int, float, np.number))
        or not 0 < fraction <= 1
    ):
        raise ValueError(
            f"a labelled fraction must be a number in (0, 1], got {fraction!r}"
        )
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    chosen = []
    for g in np.unique(labels):
        members = np.flatnonzero(labels == g)
        k = max(1, round(fraction * len(members)))
        chosen.append(rng.choice(members, size=k, replace=False))
    return np.sort(np.concatenate(chosen))


SYNTHETIC_UNLABELLED_PER_GENRE = 10
"""Extra clips per genre that :func:`unlabelled_pool` renders on the synthetic set."""


def unlabelled_pool(
    train_clips,
    dataset: str,
    n_extra_per_genre: int | None,
    n_per_genre: int,
    duration: float | None,
    seed: int = 0,
):
    """The clips pretraining learns from: the training clips (their labels unused) and, on the synthetic set, more.

    The synthetic generator can render as many clips as we like: ``n_extra_per_genre`` further
    clips of each genre, numbered after the labelled set's ``n_per_genre`` (so none of them is a
    validation or test clip). On GTZAN there is nothing more: the pool is the training clips.
    Left at ``None`` the count follows the data: :data:`SYNTHETIC_UNLABELLED_PER_GENRE`
    on the synthetic set, 0 on any other.

    Notebook: ``08_pretraining.ipynb``.

    Args:
        train_clips: The training side (a :class:`~mgr_utils.datasets.ClipSet`).
        dataset: ``"synthetic"`` or ``"gtzan"``.
        n_extra_per_genre: Extra synthetic clips per genre (``None``: by the data).
        n_per_genre: The labelled set's clips per genre (the notebooks' ``N_PER_GENRE``).
        duration: Seconds per extra clip.
        seed: The synthetic set's seed (``SEED``).

    Returns:
        A :class:`~mgr_utils.datasets.ClipSet`: the training clips, then the extra ones.

    Raises:
        ValueError: A negative count, or extra clips asked of a dataset other than the synthetic one.
    """
    from mgr_utils.datasets import load_synthetic

    if n_extra_per_genre is None:
        synthetic = dataset == "synthetic"
        n_extra_per_genre = SYNTHETIC_UNLABELLED_PER_GENRE if synthetic else 0
    _check_int("n_extra_per_genre", n_extra_per_genre, minimum=0)
    if n_extra_per_genre == 0:
        return train_clips
    if dataset != "synthetic":
        raise ValueError(
            f"extra unlabelled clips exist only for the synthetic set, not {dataset!r}: "
            "leave N_UNLABELLED_PER_GENRE = None or set 0 (the pool is "
            "then the training clips)"
        )
    every = load_synthetic(
        n_per_genre=n_per_genre + n_extra_per_genre,
        duration=duration,
        seed=seed,
        genres=train_clips.genres,
    )
    extra = [
        i
        for i, c in enumerate(every)
        if int(c.clip_id.rsplit(".", 1)[1]) >= n_per_genre
    ]
    return train_clips + every.subset(extra)


# --------------------------------------------------------------------------------------
# Reading the experiment: paired verdicts per labelled fraction, what stopped each run
# --------------------------------------------------------------------------------------

SYSTEM_KEYS = {
    "random": "random_init",
    "CD-1 RBMs": "pretrained_crbm",
    "autoencoders": "pretrained_autoencoder",
}
"""The record's system name of each starting point (``<key>_<percent>pct_labels``)."""


def system_name(init: str, fraction: float) -> str:
    """The record's name of one arm at one labelled fraction.

    For example ``"pretrained_crbm_10pct_labels"``.

    Notebook: ``08_pretraining.ipynb``.
    """
    return f"{SYSTEM_KEYS.get(init, init)}_{round(fraction * 100)}pct_labels"


def _seed_scores(runs, init: str, fraction: float) -> tuple[list[int], list[float]]:
    rows = sorted(
        (r["seed"], r["test"]["accuracy"])
        for r in runs
        if r["init"] == init and r["fraction"] == fraction
    )
    return [s for s, _ in rows], [a for _, a in rows]


def fraction_comparisons(
    runs, baseline: str = "random", n_classes: int = 10
) -> list[dict]:
    """Each pretrained start against ``baseline`` at each fraction, paired by seed.

    Seed ``s`` of both arms fine-tunes on the same labelled clips from the same MLP
    start, so the arms are compared by their per-seed differences
    (:func:`mgr_utils.comparison.paired_seeds`), not by each arm's spread.

    Notebook: ``08_pretraining.ipynb``.

    Args:
        runs: One dict per fine-tuning: ``init``, ``fraction``, ``seed``, ``n_labelled``
            and ``test`` (metrics with ``accuracy``).
        baseline: The starting point the others are compared with.
        n_classes: Number of genres: a run whose ``train_accuracy`` (when given) stays
            below twice chance did not learn, and a run that the epoch cap stopped
            (``stopped_by``, when given) was still learning: its fraction is not
            compared (:func:`mgr_utils.comparison.no_verdict_reason`).

    Returns:
        One comparison per (start, fraction), starts then fractions in the order of
        ``runs``, each with ``fraction``, ``n_labelled`` and ``init`` added; ``a`` is
        the pretrained system's record name, ``b`` the baseline's.

    Raises:
        ValueError: The two arms of a fraction were not run with the same seeds.
    """
    from mgr_utils.comparison import no_verdict_reason, not_compared, paired_seeds

    inits = list(dict.fromkeys(r["init"] for r in runs))
    fractions = list(dict.fromkeys(r["fraction"] for r in runs))
    out = []
    for init in (i for i in inits if i != baseline):
        for f in fractions:
            seeds_a, a = _seed_scores(runs, init, f)
            seeds_b, b = _seed_scores(runs, baseline, f)
            if seeds_a != seeds_b:
                raise ValueError(
                    f"{init!r} and {baseline!r} at fraction {f} ran "
                    f"seeds {seeds_a} and {seeds_b}: a paired test needs "
                    "the same seeds"
                )
            c = paired_seeds(a, b, system_name(init, f), system_name(baseline, f))
            blocked = [
                (r, no_verdict_reason(r, n_classes))
                for r in runs
                if r["fraction"] == f and r["init"] in (init, baseline)
            ]
            blocked = [(r, why) for r, why in blocked if why is not None]
            if blocked:
                r, why = blocked[0]
                more = len(blocked) - 1
                why = f"the {r['init']} start, seed {r['seed']}, {why}" + (
                    f" (and {more} other run{'s' if more > 1 else ''} of this fraction)"
                    if more
                    else ""
                )
                c = {
                    **not_compared(c["a"], c["b"], why),
                    "alpha": c["alpha"],
                    "mean_a": c["mean_a"],
                    "mean_b": c["mean_b"],
                    "mean_difference": c["mean_difference"],
                }
            n_labelled = next(r["n_labelled"] for r in runs if r["fraction"] == f)
            out.append({**c, "init": init, "fraction": f, "n_labelled": n_labelled})
    return out


def fractions_table(runs, comparisons: list[dict], baseline: str = "random") -> str:
    """The experiment's table (Markdown): each arm's mean ± sd, paired test, verdict.

    When the runs carry their ``train_accuracy`` (clip level, in inference mode, on the
    run's labelled training clips), each arm's cell gives its mean in brackets: a start
    whose training accuracy stays low did not fit even the clips it saw.

    Notebook: ``08_pretraining.ipynb``.
    """
    inits = list(dict.fromkeys(r["init"] for r in runs))
    fractions = list(dict.fromkeys(r["fraction"] for r in runs))
    others = [i for i in inits if i != baseline]
    with_train = all(r.get("train_accuracy") is not None for r in runs)
    arm = ": test ± sd (training)" if with_train else ""
    head = (
        ["labelled clips"]
        + [f"{i} start{arm}" for i in inits]
        + [f"{i} − {baseline}: mean difference, paired t-test" for i in others]
    )
    rows = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for f in fractions:
        cells = []
        for i in inits:
            a = np.asarray(_seed_scores(runs, i, f)[1])
            sd = a.std(ddof=1) if len(a) > 1 else 0.0
            cell = f"{a.mean():.1%} ± {sd:.1%}"
            if with_train:
                t = [
                    r["train_accuracy"]
                    for r in runs
                    if r["init"] == i and r["fraction"] == f
                ]
                cell += f" ({np.mean(t):.0%})"
            cells.append(cell)
        for i in others:
            c = next(c for c in comparisons if c["init"] == i and c["fraction"] == f)
            if c["test"] == "not compared":
                cells.append(f"not compared: {c['reason']}")
                continue
            names = {
                f"{c['a']} ahead": f"{i} ahead",
                f"{c['b']} ahead": f"{baseline} ahead",
            }
            verdict = names.get(c["verdict"], c["verdict"])
            cells.append(
                f"{c['mean_difference'] * 100:+.1f} points, {format_p(c['p'])} "
                f"(n = {c['n']} seeds): **{verdict}**"
            )
        n_lab = next(r["n_labelled"] for r in runs if r["fraction"] == f)
        rows.append(f"| {n_lab} ({f:.0%}) | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def fewest_labels_sentence(comparisons: list[dict], init: str = "CD-1 RBMs") -> str:
    """The chapter's answer, from the paired tests: where pretraining is ahead.

    The claim under test is that pretraining helps most when labels are few; the
    sentence says where the paired test finds the pretrained start ahead or behind, and
    what it finds with the fewest labels.

    Notebook: ``08_pretraining.ipynb``.

    Args:
        comparisons: :func:`fraction_comparisons`.
        init: The pretrained start the sentence is about.
    """
    mine = sorted(
        (c for c in comparisons if c["init"] == init), key=lambda c: c["fraction"]
    )
    if not mine:
        return f"No run started from {init}."
    ahead = [c for c in mine if c["verdict"] == f"{c['a']} ahead"]
    behind = [c for c in mine if c["verdict"] == f"{c['b']} ahead"]

    def clips(cs):
        n = [str(c["n_labelled"]) for c in cs]
        return n[0] if len(n) == 1 else ", ".join(n[:-1]) + " and " + n[-1]

    fewest = mine[0]
    n_seeds = max(c["n"] for c in mine)
    p_few = format_p(fewest["p"])
    few = f"with the fewest labels ({fewest['n_labelled']} clips) "
    if fewest["test"] == "not compared":
        few += f"the starts are not compared: {fewest['reason']}"
    else:
        few += (
            f"the difference is {fewest['mean_difference'] * 100:+.1f} points, "
            f"{p_few} over {fewest['n']} seeds"
        )
    if all(c["test"] == "not compared" for c in mine):
        return f"No labelled fraction gets a verdict in this build: {few}."
    if not ahead and not behind:
        return (
            f"The paired tests cannot tell the {init} start from the random one at "
            f"any labelled fraction compared (α = {fewest['alpha']}): {few}. With "
            f"{n_seeds} seeds, these runs do not show that pretraining helps, nor "
            "that it helps most when labels are few."
        )
    parts = []
    if ahead:
        parts.append(
            f"the {init} start is **ahead** of the random one with "
            f"{clips(ahead)} labelled clips"
        )
    if behind:
        parts.append(f"**behind** it with {clips(behind)} labelled clips")
    text = "By the paired tests, " + " and ".join(parts) + "; "
    if fewest in ahead:
        return text + few + ": pretraining helps with the fewest labels here."
    return (
        text + few + ", so these runs do **not** show it helping most where labels "
        "are fewest."
    )


def gain_interaction(
    runs, comparisons: list[dict], init: str = "CD-1 RBMs", baseline: str = "random"
) -> dict:
    """Does pretraining help more with few labels? Its gain at the fewest labels against
    its gain with all of them, paired across seeds.

    The claim "pretraining helps when labels are few" is an **interaction**: the gain
    of the pretrained start over ``baseline`` should be larger at the smallest labelled
    fraction than at the largest. For each seed ``s`` the gain at a fraction is
    ``accuracy(init, s) - accuracy(baseline, s)`` (same labelled clips, same MLP
    start); the test is the paired t-test across seeds of the gain at the smallest
    fraction against the gain at the largest (:func:`mgr_utils.comparison.
    paired_seeds`), as chapter 7 tests its trend with data size. If either end's
    comparison gets no verdict (a run the epoch cap stopped, or one that did not learn),
    the interaction is not tested.

    Notebook: ``08_pretraining.ipynb``.

    Args:
        runs: The fine-tunings, as for :func:`fraction_comparisons`.
        comparisons: :func:`fraction_comparisons` of the same runs.
        init: The pretrained start.
        baseline: The start it is compared with.

    Returns:
        A comparison (``a``: the gain with the fewest labels, ``b``: with all of them;
        ``mean_a``, ``mean_b`` the mean gains, ``mean_difference`` their difference),
        or a "not compared" one, with ``init``, ``baseline``, ``fractions`` (smallest,
        largest), ``n_labelled`` and, when tested, ``gains`` (per seed, per end).
    """
    from mgr_utils.comparison import not_compared, paired_seeds

    fractions = sorted({r["fraction"] for r in runs if r["init"] in (init, baseline)})
    about = {"init": init, "baseline": baseline}
    if len(fractions) < 2:
        return {
            **not_compared("gain, fewest labels", "gain, all labels", "one fraction"),
            **about,
        }
    ends = (fractions[0], fractions[-1])
    n_lab = [next(r["n_labelled"] for r in runs if r["fraction"] == f) for f in ends]
    a, b = f"gain with {n_lab[0]} labelled clips", f"gain with {n_lab[1]}"
    about |= {"fractions": list(ends), "n_labelled": n_lab}
    ends_c = [
        next(c for c in comparisons if c["init"] == init and c["fraction"] == f)
        for f in ends
    ]
    blocked = [(n, c) for n, c in zip(n_lab, ends_c) if c["test"] == "not compared"]
    if blocked:
        n, c = blocked[0]
        why = f"the starts are not compared with {n} labelled clips: {c['reason']}"
        return {**not_compared(a, b, why), **about}
    gains = []
    for f in ends:
        seeds, pre = _seed_scores(runs, init, f)
        seeds_b, base = _seed_scores(runs, baseline, f)
        if seeds != seeds_b:
            raise ValueError(f"{init!r} and {baseline!r} ran other seeds at {f}")
        gains.append(np.subtract(pre, base))
    c = paired_seeds(gains[0], gains[1], a, b)
    return {**c, **about, "gains": [[float(g) for g in row] for row in gains]}


def interaction_reading(c: dict) -> tuple[str, str]:
    """The interaction test in words: is the gain larger with few labels?

    Notebook: ``08_pretraining.ipynb``.

    Args:
        c: :func:`gain_interaction`.

    Returns:
        ``(markdown, short)``: the reading, and a phrase for the summary.
    """
    claim = "The claim that pretraining helps **most when labels are few**"
    if c["test"] == "not compared":
        return (
            f"{claim} is not tested in this build: {c['reason']}.",
            f"not tested in this build ({c['reason']})",
        )
    n_few, n_all = c["n_labelled"]
    p = format_p(c["p"])
    gains = (
        f"{c['mean_a'] * 100:+.1f} points with {n_few} labelled clips and "
        f"{c['mean_b'] * 100:+.1f} points with {n_all}"
    )
    test = f"paired t-test across {c['n']} seeds, {p}" + (
        f"; {c['reason']}" if c.get("reason") else ""
    )
    head = (
        f"{claim}, tested as an interaction: the {c['init']} start's gain over the "
        f"{c['baseline']} start is {gains}; the gain with the fewest labels minus the "
        f"gain with all is {c['mean_difference'] * 100:+.1f} points on average ({test})"
    )
    if c["verdict"] == f"{c['a']} ahead":
        word = "the gain is larger with few labels, as the claim says"
    elif c["verdict"] == f"{c['b']} ahead":
        word = "the gain is larger with all the labels, the opposite of the claim"
    else:
        word = "these seeds cannot tell the two gains apart"
    tail = (
        ", so these runs do not show pretraining helping more when labels are few."
        if c["verdict"] not in (f"{c['a']} ahead",)
        else "."
    )
    return (
        f"{head}: **{word}**{tail}",
        f"the gain of pretraining was {gains} ({test}): {word}",
    )


def stoppers_sentence(
    runs, max_epochs: int, windows_per_epoch: int | None = None
) -> str:
    """How many fine-tunings early stopping ended, how many the epoch cap, and where.

    Notebook: ``08_pretraining.ipynb``.

    Args:
        runs: As :func:`fraction_comparisons`, each with ``stopped_by`` (from
            :attr:`mgr_utils.training.TrainResult.stopped_by`).
        max_epochs: The cap.
        windows_per_epoch: What one epoch is (``WINDOWS_PER_EPOCH``: the labelled
            windows, repeated up to this many), said when given.
    """
    capped = [r for r in runs if r["stopped_by"] == "epoch cap"]
    epoch = (
        f" (an epoch: {windows_per_epoch:,} training windows, or every labelled one"
        " when there are more)"
        if windows_per_epoch
        else ""
    )
    text = (
        f"Early stopping ended {len(runs) - len(capped)} of the {len(runs)} "
        f"fine-tunings; the cap of {max_epochs} epochs{epoch} ended {len(capped)}"
    )
    if not capped:
        return text + "."
    where = {}
    for r in capped:
        where.setdefault(r["fraction"], []).append(r)
    detail = ", ".join(
        f"{len(rs)} at {f:.0%} of the labels" for f, rs in sorted(where.items())
    )
    return (
        text + f" ({detail}): those runs were still learning at the cap, so their "
        "fractions get no verdict."
    )


def filter_change(before: np.ndarray, after: np.ndarray) -> dict[str, float]:
    """How far fine-tuning moved a layer's filters: relative change and cosine.

    The relative change is ``|after - before| / |before|``.

    Notebook: ``08_pretraining.ipynb``.

    Returns:
        ``{"relative_change", "cosine"}`` (Frobenius norms over all filters together).
    """
    before, after = np.asarray(before, np.float64), np.asarray(after, np.float64)
    if before.shape != after.shape:
        raise ValueError(f"filters of different shapes: {before.shape}, {after.shape}")
    norm_b, norm_a = np.linalg.norm(before), np.linalg.norm(after)
    if norm_b == 0 or norm_a == 0:
        raise ValueError("the filters before and after must not be all zero")
    return {
        "relative_change": float(np.linalg.norm(after - before) / norm_b),
        "cosine": float(np.sum(before * after) / (norm_b * norm_a)),
    }


def filter_change_reading(
    pretrained: dict[str, float], random: dict[str, float]
) -> str:
    """What the filters' movement says, from :func:`filter_change` of both starts.

    Below 10 % of their norm the pretrained filters "barely moved" (fine-tuning kept
    what the pool taught); at or above 100 % fine-tuning moved them by more than their
    own size, and the reading is that it rewrote them: a pretrained start then matters
    as a starting point, not as the final filters. In between, the cosine says whether
    their direction survived (0.9 or more). Returns Markdown.

    Notebook: ``08_pretraining.ipynb``.
    """
    c, cos = pretrained["relative_change"], pretrained["cosine"]
    c_r = random["relative_change"]
    head = (
        f"Fine-tuning moved the pretrained filters by {c:.0%} of their norm "
        f"(cosine similarity before/after {cos:.2f}); the randomly started filters "
        f"moved by {c_r:.0%} of theirs. "
    )
    if c < 0.1:
        reading = (
            "The pretrained filters **barely moved**: the labelled clips "
            "changed little of what the unlabelled pool taught them."
        )
    elif c >= 1.0:
        reading = (
            "The pretrained filters **did not survive fine-tuning as they "
            "were**: they moved by more than their own size, so what the pool "
            "taught them is a starting point that the labelled clips rewrote, "
            "not the filters the network ends with."
        )
    elif cos >= 0.9:
        reading = (
            "The pretrained filters moved but **kept their direction**: "
            "fine-tuning adjusted what the pool taught rather than replacing "
            "it."
        )
    else:
        reading = (
            "The pretrained filters **changed substantially** and turned away "
            "from where they started: fine-tuning reshaped what the pool "
            "taught."
        )
    relative = (
        "less than"
        if c < 0.8 * c_r
        else "more than"
        if c > 1.25 * c_r
        else "about as much as"
    )
    return head + reading + f" They moved {relative} the randomly started ones."


def fractions_extra(
    runs,
    comparisons: list[dict],
    n_test: int,
    baseline: str = "random",
    interaction: dict | None = None,
) -> dict:
    """The ``"fractions"`` extra of chapter 8's record, which chapter 10 reads.

    Notebook: ``08_pretraining.ipynb``.

    Returns:
        ``{"labelled", "labels", "fractions", "seeds", "n_test", "random", "pretrained",
        ["autoencoder"], "comparisons", ["interaction"]}``: each arm's ``{"mean", "std",
        "seeds"}`` per fraction (``seeds``: the per-seed accuracies; with
        ``"train_mean"``, the mean training accuracy, when the runs carry it), one
        paired comparison per fraction of the CD-1 start (``"comparisons"``, fractions
        in order) and, if run, of the autoencoders' (``"comparisons_autoencoder"``),
        and the interaction test (:func:`gain_interaction`) when given.
    """
    fractions = list(dict.fromkeys(r["fraction"] for r in runs))
    n_lab = [
        next(r["n_labelled"] for r in runs if r["fraction"] == f) for f in fractions
    ]

    def curve(init):
        a = [np.asarray(_seed_scores(runs, init, f)[1]) for f in fractions]
        out = {
            "mean": [float(x.mean()) for x in a],
            "std": [float(x.std(ddof=1)) if len(x) > 1 else 0.0 for x in a],
            "seeds": [[float(v) for v in x] for x in a],
        }
        if all(r.get("train_accuracy") is not None for r in runs):
            out["train_mean"] = [
                float(
                    np.mean(
                        [
                            r["train_accuracy"]
                            for r in runs
                            if r["init"] == init and r["fraction"] == f
                        ]
                    )
                )
                for f in fractions
            ]
        return out

    inits = set(r["init"] for r in runs)
    out = {
        "labelled": n_lab,
        "labels": [f"{n} labelled clips ({f:.0%})" for n, f in zip(n_lab, fractions)],
        "fractions": fractions,
        "seeds": len(set(r["seed"] for r in runs)),
        "n_test": int(n_test),
        "random": curve(baseline),
        "pretrained": curve("CD-1 RBMs"),
        "comparisons": [c for c in comparisons if c["init"] == "CD-1 RBMs"],
    }
    if "autoencoders" in inits:
        out["autoencoder"] = curve("autoencoders")
        out["comparisons_autoencoder"] = [
            c for c in comparisons if c["init"] == "autoencoders"
        ]
    if interaction is not None:
        out["interaction"] = interaction
    return out


def plot_echonest_features(features: dict, frame_seconds: float):
    """Chroma (top) and timbre stand-in (bottom) of a few clips, one column per clip.

    Every chroma panel shares one colour scale (0 to 1: each frame's largest pitch class
    is 1), every timbre panel another, symmetric about 0; one colour bar per row.

    Notebook: ``08_pretraining.ipynb``.

    Args:
        features: per clip name, its ``(frames, 24)`` features (12 chroma, then 12
            MFCCs), as :func:`mgr_utils.features.echonest.echonest_features` gives.
        frame_seconds: seconds per frame.

    Returns:
        The ``(2, n_clips)`` axes.
    """
    import matplotlib.pyplot as plt

    if not features or any(np.shape(F)[1:] != (24,) for F in features.values()):
        raise ValueError("features: at least one clip, each (frames, 24)")
    fig, axes = plt.subplots(
        2,
        len(features),
        figsize=(6 * len(features) + 1, 4.6),
        sharex=True,
        layout="constrained",
        squeeze=False,
    )
    lim = max(float(np.abs(np.asarray(F)[:, 12:]).max()) for F in features.values())
    lim = lim or 1.0
    for col, (name, F) in enumerate(features.items()):
        F = np.asarray(F)
        seconds = len(F) * frame_seconds
        top, bottom = axes[0, col], axes[1, col]
        chroma = top.imshow(
            F[:, :12].T,
            origin="lower",
            aspect="auto",
            cmap="magma",
            extent=[0, seconds, -0.5, 11.5],
            vmin=0,
            vmax=1,
        )
        top.set(
            title=f"{name}: chroma (12 pitch classes)",
            yticks=[0, 4, 7, 11],
            yticklabels=["C", "E", "G", "B"],
            ylabel="pitch class" if col == 0 else "",
        )
        timbre = bottom.imshow(
            F[:, 12:].T,
            origin="lower",
            aspect="auto",
            cmap="coolwarm",
            extent=[0, seconds, 0.5, 12.5],
            vmin=-lim,
            vmax=lim,
        )
        bottom.set(
            title="timbre stand-in (MFCC 1-12)",
            xlabel="time (s)",
            ylabel="MFCC" if col == 0 else "",
            yticks=[1, 4, 8, 12],
        )
    fig.colorbar(chroma, ax=axes[0, :], label="chroma (frame's largest = 1)")
    fig.colorbar(timbre, ax=axes[1, :], label="MFCC value")
    return axes


def plot_reconstruction_errors(stacks: dict, seed: int):
    """Each layer's reconstruction error per pretraining epoch, one line per method.

    Notebook: ``08_pretraining.ipynb``.

    Args:
        stacks: per method (``"CD-1 RBMs"``, ``"autoencoders"``), per seed, the trained
            layers (each with its ``errors`` per epoch), as :func:`pretrain_stack` gives.
        seed: the seed whose stacks are drawn.

    Returns:
        One axis per layer.
    """
    import matplotlib.pyplot as plt

    if not stacks:
        raise ValueError("no stack to draw")
    n_layers = len(next(iter(stacks.values()))[seed])
    _, axes = plt.subplots(1, n_layers, figsize=(11, 3.2), squeeze=False)
    for layer, ax in enumerate(axes[0]):
        for name, stack in stacks.items():
            errors = stack[seed][layer].errors
            ax.plot(np.arange(1, len(errors) + 1), errors, marker="o", ms=3, label=name)
        kind = "Gaussian" if layer == 0 else "binary"
        ax.set(
            title=f"layer {layer + 1} ({kind} visible units), seed {seed}",
            xlabel="pretraining epoch",
            ylabel="mean squared reconstruction error",
        )
        ax.legend()
    return axes[0]


def plot_reconstruction(
    window: np.ndarray, recon: np.ndarray, frame_seconds: float | None = None
):
    """A standardised window and its reconstruction, side by side on one colour scale.

    Notebook: ``08_pretraining.ipynb``.

    Args:
        window: ``(frames, 24)`` standardised chroma and timbre values.
        recon: its reconstruction, the same shape.
        frame_seconds: seconds per frame: the x axis in seconds (``None``: in frames).

    Returns:
        The two axes.
    """
    import matplotlib.pyplot as plt

    if np.shape(window) != np.shape(recon) or np.ndim(window) != 2:
        raise ValueError("window and recon must be two (frames, features) arrays alike")
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.0), sharey=True, layout="constrained")
    titles = ("a pool window (standardised)", "its reconstruction by RBM 1")
    n_frames, n_features = np.shape(window)
    if frame_seconds:
        extent = [0, n_frames * frame_seconds, -0.5, n_features - 0.5]
        xlabel = "time (s)"
    else:
        extent, xlabel = None, "frame"
    for ax, M, title in zip(axes, (window, recon), titles):
        im = ax.imshow(
            np.asarray(M).T,
            origin="lower",
            aspect="auto",
            cmap="coolwarm",
            vmin=-3,
            vmax=3,
            extent=extent,
        )
        ax.axhline(11.5, color="black", lw=0.8)
        ax.set(
            title=title,
            xlabel=xlabel,
            yticks=[5.5, 17.5],
            yticklabels=["chroma", "timbre"],
        )
    fig.colorbar(im, ax=axes, shrink=0.8, label="standardised value")
    return axes


def plot_fraction_curves(runs, title: str, ylabel: str, ax=None):
    """Mean test accuracy (± sd over seeds) against labelled clips, one line per start.

    A faint dot per seed beside each mean; the x axis is logarithmic.

    Notebook: ``08_pretraining.ipynb``.

    Args:
        runs: the fine-tunings (``init``, ``fraction``, ``seed``, ``n_labelled``,
            ``test`` scores), as the notebook collects them.
        title: the axis title.
        ylabel: the y axis label.
        ax: the axis to draw on (default: a new 8 x 4.2 in figure).

    Returns:
        The axis.
    """
    import matplotlib.pyplot as plt

    if not runs:
        raise ValueError("no run to draw")
    inits = list(dict.fromkeys(r["init"] for r in runs))
    fractions = list(dict.fromkeys(r["fraction"] for r in runs))
    n_labelled = {r["fraction"]: r["n_labelled"] for r in runs}
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.2))
    x = np.array([n_labelled[f] for f in fractions])
    for i, init in enumerate(inits):
        shift = 1 + 0.04 * (i - (len(inits) - 1) / 2)  # side by side on the log axis
        scores = [np.asarray(_seed_scores(runs, init, f)[1]) for f in fractions]
        means = [a.mean() for a in scores]
        sds = [a.std(ddof=1) if len(a) > 1 else 0.0 for a in scores]
        line = ax.errorbar(
            x * shift, means, yerr=sds, marker="o", capsize=4, label=f"{init} start"
        )
        for f, a in zip(fractions, scores):
            ax.scatter(
                [n_labelled[f] * shift] * len(a),
                a,
                s=10,
                color=line[0].get_color(),
                alpha=0.5,
            )
    ax.set_xscale("log")
    ax.set_xticks(x, [f"{n}\n({f:.0%})" for n, f in zip(x, fractions)])
    ax.minorticks_off()
    ax.set(
        xlabel="labelled training clips (share of the training side)",
        ylabel=ylabel,
        title=title,
    )
    ax.legend()
    return ax


def filter_order(W: np.ndarray) -> np.ndarray:
    """The filters of a layer, heaviest first: by the sum of their absolute weights.

    Notebook: ``08_pretraining.ipynb``.

    Args:
        W: ``(width, features, K)`` filters.

    Returns:
        The ``K`` filter indices, the largest total ``|weight|`` first.
    """
    return np.argsort(-np.abs(np.asarray(W)).sum(axis=(0, 1)), kind="stable")


def plot_filter_pairs(
    W_pre: np.ndarray,
    W_ft: np.ndarray,
    frame_seconds: float,
    n: int | None = None,
    columns: int = 8,
):
    """First-layer filters after pretraining, each above itself after fine-tuning.

    Every filter is shown (or the ``n`` heaviest), heaviest first after pretraining
    (:func:`filter_order`): the filters carrying most weight come first, so a reader sees
    at once the ones the pretrained network leans on. Each filter is divided by its own
    largest absolute weight, so the colour bar (-1 to 1) reads every panel; chroma rows
    lie below the black line, timbre rows above.

    Notebook: ``08_pretraining.ipynb``.

    Args:
        W_pre: ``(width, 24, K)`` filters after pretraining.
        W_ft: the same filters after fine-tuning.
        frame_seconds: seconds per frame (for the time axis).
        n: how many filters to draw (``None``: all of them).
        columns: filters per row of pairs.

    Returns:
        The axes, ``(2 * rows, columns)``: row ``2 i`` the pretrained filters of the
        ``i``-th row of pairs, row ``2 i + 1`` the same filters fine-tuned.
    """
    import matplotlib.pyplot as plt

    if np.shape(W_pre) != np.shape(W_ft) or np.ndim(W_pre) != 3:
        raise ValueError("W_pre and W_ft must be two (width, features, K) arrays alike")
    order = filter_order(W_pre)[: n or None]
    cols = min(columns, len(order))
    blocks = -(-len(order) // cols)
    width = np.shape(W_pre)[0]
    fig, axes = plt.subplots(
        2 * blocks,
        cols,
        figsize=(1.5 * cols + 1.5, 2.0 * 2 * blocks + 0.6),
        squeeze=False,
        layout="none",  # not the book's autolayout: it warns about the colour bar's axes
    )
    # placed by hand: a layout engine takes longer than the drawing for 32 panels
    fig.subplots_adjust(
        left=0.09, right=0.86, bottom=0.09, top=0.9, wspace=0.12, hspace=0.4
    )
    seconds = width * frame_seconds
    im = None
    for j, k in enumerate(order):
        block, col = divmod(j, cols)
        for row, (W, label) in enumerate(((W_pre, "pretrained"), (W_ft, "fine-tuned"))):
            ax = axes[2 * block + row, col]
            F = W[:, :, k] / max(float(np.abs(W[:, :, k]).max()), 1e-12)
            im = ax.imshow(
                F.T,
                origin="lower",
                aspect="auto",
                cmap="coolwarm",
                vmin=-1,
                vmax=1,
                extent=[0, seconds, -0.5, F.shape[1] - 0.5],
            )
            ax.axhline(11.5, color="black", lw=0.6)
            ax.set(
                xticks=[0, seconds] if row == 1 else [],
                yticks=[5.5, 17.5] if col == 0 else [],
                title=f"filter {k}" if row == 0 else "",
            )
            if row == 1:  # the ends of the filter's span, kept inside its panel
                ax.set_xticklabels(["0", f"{seconds:.2f}"], fontsize=8)
                for tick, ha in zip(ax.get_xticklabels(), ("left", "right")):
                    tick.set_horizontalalignment(ha)
            if col == 0:
                ax.set_yticklabels(["chroma", "timbre"])
                ax.set_ylabel(label)
    for j in range(len(order), blocks * cols):  # empty places of the last row
        block, col = divmod(j, cols)
        axes[2 * block, col].set_axis_off()
        axes[2 * block + 1, col].set_axis_off()
    fig.supxlabel(f"time (s): {width} frames of {frame_seconds * 1000:.0f} ms")
    fig.suptitle(
        f"{len(order)} first-layer filters, heaviest first after pretraining"
        " (each scaled to its largest |weight|)"
    )
    cax = fig.add_axes((0.89, 0.3, 0.015, 0.4))
    fig.colorbar(im, cax=cax, label="weight / the filter's largest |weight|")
    return axes


def all_labels_table(runs, dataset: str, split: str, paper: str = "CD-1 RBMs") -> str:
    """Markdown table: each start's test accuracy with all labels, beside the paper.

    Notebook: ``08_pretraining.ipynb``.

    Args:
        runs: the fine-tunings, as for :func:`fractions_table`.
        dataset: the dataset's name, for the header.
        split: the split's name, for the header.
        paper: the start that is the paper's (CD-1 pretrained).
    """
    full = max(r["fraction"] for r in runs)
    rows = [
        f"| system | our test accuracy ({dataset}, {split}) | Dieleman et al. 2011 |",
        "|---|---|---|",
    ]
    for init in dict.fromkeys(r["init"] for r in runs):
        a = np.asarray(_seed_scores(runs, init, full)[1])
        known = (
            "about 30 % on MSD tag-derived genres (the survey's figure; not verified)"
            if init == paper
            else "not known here"
        )
        rows.append(
            f"| {init} start, all labels | {a.mean():.1%} ± {a.std(ddof=1):.1%} "
            f"over {len(a)} seeds | {known} |"
        )
    return "\n".join(rows)
