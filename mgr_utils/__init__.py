"""mgr_utils: the plumbing of the book *Music Genre Recognition with CNNs*.

Modules are named for what they do, in the order the book introduces them:

- :mod:`mgr_utils.audio`: reading audio files (chapter 1).
- :mod:`mgr_utils.synthetic`: the embedded synthetic genre set (chapter 1).
- :mod:`mgr_utils.datasets`: clips, the synthetic set and GTZAN behind one interface (chapter 1).
- :mod:`mgr_utils.download`: fetching GTZAN and the split lists with checksums (chapter 1).
- :mod:`mgr_utils.splits`: fault-filtered, stratified and k-fold splits (chapter 1).
- :mod:`mgr_utils.notebook`: the set-up call, glued numbers, the run report of every chapter.
- :mod:`mgr_utils.results`: the machine-readable results record (every chapter).
- :mod:`mgr_utils.features`: spectrograms, segments, patches, LBP, GLCM, descriptors (chapters
  2-3) and each paper's network input (chapters 4-9).
- :mod:`mgr_utils.cache`: the atomic on-disk feature and audio cache (chapter 2).
- :mod:`mgr_utils.atomic`: atomic file writes, shared by the caches and the results record.
- :mod:`mgr_utils.classical`: the descriptor SVM and Costa's LBP-zone SVM ensemble (chapter 3).
- :mod:`mgr_utils.evaluation`: clip metrics, aggregation, fusion, choosing on validation (3-10).
- :mod:`mgr_utils.models`: the networks, one module per paper (chapters 4-9).
- :mod:`mgr_utils.training`: training and clip-level evaluation (chapters 4-9).
- :mod:`mgr_utils.pretraining`: convolutional RBMs, CD-1, greedy layer-wise pretraining,
  autoencoders (chapter 8).
- :mod:`mgr_utils.auralisation`: deconvolution with switches, auralisation, the invariance study (9).
- :mod:`mgr_utils.report`: chapter 10's table, figure and conclusions, read from the records.
- :mod:`mgr_utils.saving`: each chapter's selected system saved with its input pipeline and a
  JSON card, loaded back (chapters 3-11).
- :mod:`mgr_utils.predict`: the saved systems on any audio file; the console script
  ``mgr-predict``.
- :mod:`mgr_utils.plotting`: figures shared by the chapters.

The tooling that executes and renders the book is not here: it is the top-level package
``bookbuild``, which readers never import.

Submodules are imported on demand so that ``import mgr_utils`` stays light (no TensorFlow).
"""

__version__ = "0.1.0"

GENRES = (
    "blues",
    "classical",
    "country",
    "disco",
    "hiphop",
    "jazz",
    "metal",
    "pop",
    "reggae",
    "rock",
)
"""GTZAN's ten genres, in GTZAN's (alphabetical) order; label ``i`` is ``GENRES[i]``."""

SR = 22050
"""Sample rate of GTZAN and of the synthetic set, in Hz."""
