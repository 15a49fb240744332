"""Run the ORIGINAL musicnn graph (TensorFlow 1, graph mode) on patches: the reference of the Keras port.

Usage (a subprocess of tests/test_musicnn.py, so that graph mode never meets Keras 3's eager
execution in one process)::

    python tests/musicnn_reference.py MSD_musicnn patches.npy outputs.npz

The checkpoint's ``.meta`` holds the whole training graph, which TensorFlow 2 cannot import as is
(a gradient node's ``_output_shapes`` no longer validates). This script keeps only the inference
subgraph of the outputs below (``extract_sub_graph``), drops the ``_output_shapes`` attributes,
imports it in graph mode, assigns every variable its value from the checkpoint, and runs it with
``is_training = False`` (``model/Placeholder_2``). Nothing of the Keras port is used here.
"""

from __future__ import annotations

import os
import sys

import numpy as np

OUTPUTS = {
    "tags": "model/Sigmoid",
    "penultimate": "model/batch_normalization_10/batchnorm/add_1",
    "mean_pool": "model/moments/Squeeze",
    "max_pool": "model/Max",
    "frontend": "model/concat",
}
"""Our output name -> the original graph's tensor (``models.py``: sigmoid of the logits, ``bn_dense``,
the back end's mean and max over time, the front end's concatenated maps)."""


def original_outputs(folder: str, patches: np.ndarray) -> dict[str, np.ndarray]:
    """The original graph's outputs for ``patches`` ``(n, 187, 96)``, from checkpoint ``folder``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    from tensorflow.core.protobuf import meta_graph_pb2

    tf.compat.v1.disable_eager_execution()
    meta = meta_graph_pb2.MetaGraphDef()
    with open(os.path.join(folder, ".meta"), "rb") as f:
        meta.ParseFromString(f.read())
    graph_def = tf.compat.v1.graph_util.extract_sub_graph(
        meta.graph_def, list(OUTPUTS.values())
    )
    for node in graph_def.node:
        node.attr.pop("_output_shapes", None)
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.import_graph_def(graph_def, name="")
        reader = tf.compat.v1.train.NewCheckpointReader(os.path.join(folder, ""))
        assigns = []
        for node in graph_def.node:
            if node.op in ("VariableV2", "Variable"):
                var = graph.get_tensor_by_name(node.name + ":0")
                assigns.append(tf.compat.v1.assign(var, reader.get_tensor(node.name)))
        with tf.compat.v1.Session(graph=graph) as sess:
            sess.run(assigns)
            fetches = {
                k: graph.get_tensor_by_name(v + ":0") for k, v in OUTPUTS.items()
            }
            feed = {
                graph.get_tensor_by_name("model/Placeholder:0"): patches.astype(
                    np.float32
                ),
                graph.get_tensor_by_name("model/Placeholder_2:0"): False,
            }
            out = sess.run(fetches, feed_dict=feed)
    out["mean_pool"] = out["mean_pool"].reshape(len(patches), -1)
    out["max_pool"] = out["max_pool"].reshape(len(patches), -1)
    return out


def main(argv: list[str]) -> int:
    model, patches_path, out_path = argv
    import importlib.util

    # the package's folder, found without importing it (nor Keras: graph mode only here)
    package = list(importlib.util.find_spec("musicnn").submodule_search_locations)[0]
    out = original_outputs(os.path.join(package, model), np.load(patches_path))
    np.savez(out_path, **out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
