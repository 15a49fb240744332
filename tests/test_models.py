"""The CNN builders of chapters 4-6: documented shapes, one training step, the Zhang ablation graph."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from mgr_utils import models  # noqa: E402
from mgr_utils.models import costa_cnn, count_layers, nakashika_cnn, zhang_cnn  # noqa: E402


def _one_step(model, shape, n=8):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, *shape)).astype("float32")
    y = rng.integers(0, model.output_shape[-1], n)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    loss = model.train_on_batch(X, y)
    assert np.isfinite(loss)
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    P = model.predict(X, verbose=0)
    assert P.shape == (n, model.output_shape[-1])
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-5)


def test_models_is_a_package_with_one_module_per_paper():
    from mgr_utils.models import costa, nakashika, zhang

    assert costa.costa_cnn().name == "costa_cnn"
    assert nakashika.nakashika_cnn().name == "nakashika_cnn"
    assert zhang.zhang_cnn(pooling="max", shortcuts=False).name == "zhang_cnn_max"


def test_costa_paper_shape():
    m = costa_cnn()
    assert m.input_shape == (None, 256, 16, 1)
    assert m.output_shape == (None, 10)
    # 'valid' 5x5 convs and 2x2 pools: 256x16 -> 252x12 -> 126x6 -> 122x2 -> 61x1, 64 maps.
    assert m.get_layer("pool2").output.shape[1:] == (61, 1, 64)
    assert count_layers(m, "Conv2D") == 2 and count_layers(m, "MaxPooling2D") == 2
    assert count_layers(m, "Dense") == 2
    assert count_layers(m, "Dropout") == 2, (
        "one dropout before each fully connected layer"
    )


def test_costa_trains_one_step_tiny():
    m = costa_cnn(
        input_shape=(24, 16, 1), n_classes=3, filters=4, dense_units=8, seed=0
    )
    assert m.output_shape == (None, 3)
    _one_step(m, (24, 16, 1))


def test_nakashika_shape_and_step():
    m = nakashika_cnn(seed=0)
    assert m.input_shape == (None, 16, 16, 4)
    assert m.output_shape == (None, 10)
    # 16 -> conv 6x6 -> 11 -> avg-pool -> 5 -> conv 3x3 -> 3, 6 maps -> global average -> 6
    assert m.get_layer("conv2").output.shape[1:] == (3, 3, 6)
    assert m.get_layer("global_avgpool").output.shape[1:] == (6,)
    assert count_layers(m, models.Subsampling) == 1
    _one_step(m, (16, 16, 4))


def test_subsampling_has_a_coefficient_and_bias_per_map_then_squashes():
    import numpy as np

    layer = models.Subsampling("tanh")
    x = np.array([[[[1.0, -2.0, 0.5]]]], dtype=np.float32)  # (1, 1, 1, 3 maps)
    layer.build(x.shape)
    assert layer.a.shape == (3,) and layer.b.shape == (3,)
    layer.a.assign(np.array([2.0, 0.5, -1.0], dtype=np.float32))
    layer.b.assign(np.array([0.0, 1.0, 0.25], dtype=np.float32))
    # by hand: tanh(2*1 + 0), tanh(0.5*-2 + 1), tanh(-1*0.5 + 0.25)
    expected = np.tanh([2.0, 0.0, -0.25])
    got = np.asarray(layer(x))[0, 0, 0]
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)  # float32 tanh
    # the squashing makes it non-linear: doubling the input does not double the output
    assert not np.allclose(np.asarray(layer(2 * x)), 2 * np.asarray(layer(x)))
    m = nakashika_cnn(seed=0)
    assert m.get_layer("subsampling").a.shape == (12,)


def test_nakashika_pools_by_the_average_of_each_2x2_block():
    import numpy as np

    m = nakashika_cnn(seed=0)
    probe = keras.Model(
        m.input, [m.get_layer("conv1").output, m.get_layer("avgpool").output]
    )
    x = np.random.default_rng(0).standard_normal((2, 16, 16, 4)).astype("float32")
    before, pooled = (np.asarray(t) for t in probe(x))
    assert before.shape[1:3] == (11, 11) and pooled.shape[1:3] == (5, 5)
    blocks = before[:, :10, :10].reshape(2, 5, 2, 5, 2, -1)
    np.testing.assert_allclose(pooled, blocks.mean(axis=(2, 4)), rtol=1e-5, atol=1e-6)
    assert not np.allclose(pooled, blocks.max(axis=(2, 4)))


def test_nakashika_single_offset_input():
    m = nakashika_cnn(input_shape=(16, 16, 1), n_classes=5)
    assert m.output_shape == (None, 5)


def test_zhang_default_shape():
    m = zhang_cnn()
    assert m.input_shape == (None, 130, 513)
    assert m.output_shape == (None, 10)


TINY = dict(
    input_shape=(32, 17),
    n_classes=4,
    filters=(4, 4, 4),
    pool_size=2,
    dense_units=(8, 8),
)


@pytest.mark.parametrize("pooling", ["max", "max+avg"])
@pytest.mark.parametrize("shortcuts", [False, True])
def test_zhang_variants_train_one_step(pooling, shortcuts):
    m = zhang_cnn(pooling=pooling, shortcuts=shortcuts, seed=0, **TINY)
    assert m.output_shape == (None, 4)
    _one_step(m, (32, 17))


def test_zhang_ablation_switches_change_the_graph():
    g = {
        (p, s): zhang_cnn(pooling=p, shortcuts=s, **TINY)
        for p in ("max", "max+avg")
        for s in (False, True)
    }
    # Three blocks: two pooling steps between them, then one global pooling.
    for (p, s), m in g.items():
        assert count_layers(m, "MaxPooling1D") == 2
        assert count_layers(m, "GlobalMaxPooling1D") == 1
        assert count_layers(m, "AveragePooling1D") == (2 if p == "max+avg" else 0)
        assert count_layers(m, "GlobalAveragePooling1D") == (1 if p == "max+avg" else 0)
        assert count_layers(m, "Concatenate") == (3 if p == "max+avg" else 0)
        assert count_layers(m, "Add") == (2 if s else 0)  # every block after the first
        assert count_layers(m, "Conv1D") == 3 + (
            2 if (s and p == "max+avg") else 0
        )  # 1x1 projections
    # max + avg doubles what the dense part sees.
    assert g[("max+avg", False)].get_layer("global_max_avg").output.shape[-1] == 8
    assert g[("max", False)].get_layer("global_max").output.shape[-1] == 4
    # An identity shortcut adds no weight; the 1x1 projections after max + avg pooling do.
    n = {k: m.count_params() for k, m in g.items()}
    assert n[("max", True)] == n[("max", False)]
    assert n[("max", False)] < n[("max+avg", False)] < n[("max+avg", True)]


def test_zhang_depth_follows_filters_and_rejects_unknown_pooling():
    m = zhang_cnn(
        input_shape=(32, 17),
        filters=(4, 4),
        pool_size=2,
        dense_units=(8,),
        pooling="max",
        shortcuts=True,
    )
    assert count_layers(m, "Conv1D") == 2 and count_layers(m, "Add") == 1
    with pytest.raises(ValueError, match="pooling"):
        zhang_cnn(pooling="avg")


def test_seed_makes_initial_weights_reproducible():
    a = costa_cnn(
        input_shape=(24, 16, 1), filters=4, dense_units=8, seed=3
    ).get_weights()
    b = costa_cnn(
        input_shape=(24, 16, 1), filters=4, dense_units=8, seed=3
    ).get_weights()
    c = costa_cnn(
        input_shape=(24, 16, 1), filters=4, dense_units=8, seed=4
    ).get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))
