"""The networks of the book, one module per paper, as Keras 3 functional models.

Each builder returns an *uncompiled* :class:`keras.Model` (compile and train it with
:func:`mgr_utils.training.train`) and takes ``seed`` for reproducible initial weights. Each
docstring carries the paper's layer table with a tag per fact, as the appendix *What each paper
did* explains them: [P] read in the paper, [C] read in public code, [S] from a secondary source,
[R] from a third-party reproduction, [U] not verified, **ours** where the paper is silent.

=========================  ===========================================  ==========================
module                     paper                                        chapter
=========================  ===========================================  ==========================
:mod:`.costa`              Costa, Oliveira & Silla Jr. 2017             ``04_costa_cnn.ipynb``
:mod:`.nakashika`          Nakashika, Garcia & Takiguchi 2012           ``05_nakashika_glcm_cnn.ipynb``
:mod:`.zhang`              Zhang, Lei, Xu & Xing 2016 (reconstruction)  ``06_zhang_cnn.ipynb``
:mod:`.li`                 Li, Chan & Chun 2010                         ``07_raw_audio.ipynb``
:mod:`.dieleman2014`       Dieleman & Schrauwen 2014                    ``07_raw_audio.ipynb``
:mod:`.lee`                Lee, Park, Kim & Nam 2017                    ``07_raw_audio.ipynb``
:mod:`.dieleman2011`       Dieleman, Brakel & Schrauwen 2011            ``08_pretraining.ipynb``
:mod:`.choi`               Choi, Fazekas & Sandler 2016                 ``09_auralisation.ipynb``
:mod:`.musicnn`            Pons & Serra 2019 (pre-trained, MSD / MTT)   ``11_transfer_learning.ipynb``
=========================  ===========================================  ==========================

The builders are re-exported here, so ``models.costa_cnn`` works as well as
``models.costa.costa_cnn``; the two Dieleman papers' builders as ``dieleman2011_cnn`` and
``dieleman2014_cnn``.

Notebook: ``04_costa_cnn.ipynb`` (first use).
"""

from mgr_utils.models.common import count_layers, seed_weights  # noqa: F401
from mgr_utils.models.costa import costa_cnn  # noqa: F401
from mgr_utils.models.nakashika import Subsampling, nakashika_cnn  # noqa: F401
from mgr_utils.models.zhang import POOLINGS, zhang_cnn  # noqa: F401
from mgr_utils.models.choi import choi_cnn  # noqa: F401
from mgr_utils.models.dieleman2011 import dieleman_cnn as dieleman2011_cnn  # noqa: F401
from mgr_utils.models.dieleman2014 import (  # noqa: F401
    FRONT_ENDS,
    L2FeaturePool,
    LogCompression,
    frontend_filters,
)
from mgr_utils.models.dieleman2014 import dieleman_cnn as dieleman2014_cnn  # noqa: F401
from mgr_utils.models.lee import LEE_CHANNELS, sample_cnn  # noqa: F401
from mgr_utils.models.li import li_cnn  # noqa: F401
from mgr_utils.models.musicnn import musicnn_model, pretrained_musicnn  # noqa: F401
