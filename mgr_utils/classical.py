"""The classical three-step pipeline (features -> statistics -> SVM) and Costa's LBP-zone SVM ensemble.

Both classifiers work at **clip level** (one feature vector or one set of zone histograms per
clip) and follow scikit-learn's API (``fit``, ``predict_proba``, ``predict``, ``classes_``), so
chapter 4 can fuse the LBP-SVM's clip probabilities with the CNN's using
:func:`mgr_utils.evaluation.combine_probabilities`.

Probabilities come from Platt scaling (a sigmoid fitted on cross-validated SVM scores) through
``CalibratedClassifierCV(SVC(), method="sigmoid", ensemble=False)``: this is what
``SVC(probability=True)`` did (LIBSVM's method, as Costa et al. used) and what scikit-learn >= 1.9
recommends in its place.

Notebook: ``03_texture_features.ipynb`` (reused in ``04_costa_cnn.ipynb``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import SVC

from mgr_utils.evaluation import RULES, combine_probabilities, select_on_validation

C_GRID = (1.0, 10.0, 100.0)
"""Default grid of the SVM's ``C`` (our reading: Costa et al. grid-search C and gamma, range not given)."""
GAMMA_GRID = ("scale", 0.1, 0.01, 0.001)
"""Default grid of the RBF ``gamma`` (``"scale"`` = 1 / (n_features * variance of X))."""


REPORTED = {
    "lbp_zone_svm": {
        "value": 0.874,
        "metric": "accuracy",
        "sureness": "paper",
        "dataset": "LMD, artist-filtered subset (900 tracks, 10 Latin genres)",
        "protocol": "3-fold CV with artist filter; robust LBP, one SVM per mel zone "
        "(15), fused",
        "source": "Costa et al. 2017, Tables 3 and 5",
    },
}
"""Costa et al.'s number beside the book's LBP-zone SVMs (the record's ``reported``).

Notebook: ``03_texture_features.ipynb``.
"""


def _scaler(scaling: str):
    if scaling == "standard":
        return StandardScaler()
    if scaling == "minmax":
        return MinMaxScaler(feature_range=(-1.0, 1.0))
    raise ValueError(f"unknown scaling {scaling!r}; use 'standard' or 'minmax'")


class SVMClassifier(ClassifierMixin, BaseEstimator):
    """Feature scaling + RBF SVM, ``C``/``gamma`` by grid search, Platt-scaled probabilities.

    The grid search uses stratified ``cv``-fold cross-validation (shuffled with ``seed``) when
    every class has at least 2 training items (folds = ``min(cv, smallest class)``); with less
    data, or a grid of one point, it fits ``C = 10, gamma = "scale"`` (*our* defaults). The
    probability calibration needs at least 2 items per class.

    Notebook: ``03_texture_features.ipynb``.

    Args:
        scaling: ``"standard"`` (zero mean, unit variance) or ``"minmax"`` (to [-1, 1], as Costa).
        C_grid, gamma_grid: The grid.
        cv: Folds of the grid search and of the calibration (at most).
        seed: Seed of the fold shuffling.
        n_jobs: Parallel jobs of the grid search (joblib convention).

    Attributes:
        classes_: The sorted labels seen in ``fit``.
        best_params_: ``{"C", "gamma"}`` chosen.
        cv_score_: Mean cross-validated accuracy of the chosen point (``nan`` if no search).
    """

    def __init__(
        self,
        scaling: str = "standard",
        C_grid: Sequence[float] = C_GRID,
        gamma_grid: Sequence = GAMMA_GRID,
        cv: int = 3,
        seed: int = 0,
        n_jobs: int | None = None,
    ):
        self.scaling = scaling
        self.C_grid = C_grid
        self.gamma_grid = gamma_grid
        self.cv = cv
        self.seed = seed
        self.n_jobs = n_jobs

    def fit(self, X, y):
        """Grid-search, then fit the calibrated SVM on all of ``X``.

        Raises:
            ValueError: A class with fewer than 2 items (probabilities cannot be calibrated).
        """
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        if X.ndim != 2 or X.shape[0] != y.shape[0]:
            raise ValueError(
                f"X must be (n_items, n_features) matching y, got {X.shape} and {y.shape}"
            )
        self.classes_, counts = np.unique(y, return_counts=True)
        if len(self.classes_) < 2:
            raise ValueError("need at least two classes to train an SVM")
        smallest = int(counts.min())
        if smallest < 2:
            raise ValueError(
                f"every class needs at least 2 training items, one has {smallest}"
            )
        k = min(int(self.cv), smallest)
        grid = {"svc__C": list(self.C_grid), "svc__gamma": list(self.gamma_grid)}
        if k >= 2 and len(grid["svc__C"]) * len(grid["svc__gamma"]) > 1:
            search = GridSearchCV(
                Pipeline(
                    [("scale", _scaler(self.scaling)), ("svc", SVC(kernel="rbf"))]
                ),
                grid,
                cv=StratifiedKFold(n_splits=k, shuffle=True, random_state=self.seed),
                n_jobs=self.n_jobs,
            ).fit(X, y)
            self.best_params_ = {
                "C": search.best_params_["svc__C"],
                "gamma": search.best_params_["svc__gamma"],
            }
            self.cv_score_ = float(search.best_score_)
        else:
            self.best_params_ = {"C": 10.0, "gamma": "scale"}
            self.cv_score_ = float("nan")
        calibrated = CalibratedClassifierCV(
            SVC(kernel="rbf", **self.best_params_),
            method="sigmoid",
            cv=StratifiedKFold(n_splits=k, shuffle=True, random_state=self.seed),
            ensemble=False,
        )
        self.model_ = Pipeline(
            [("scale", _scaler(self.scaling)), ("svc", calibrated)]
        ).fit(X, y)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ``(n_items, n_classes)``, columns in :attr:`classes_` order."""
        return self.model_.predict_proba(np.asarray(X, dtype=np.float64))

    def predict(self, X) -> np.ndarray:
        """The most probable class of each item (consistent with :meth:`predict_proba`)."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def descriptor_svm(**kwargs) -> SVMClassifier:
    """The classical baseline: standardised descriptor vectors -> RBF SVM (unfitted).

    Step 3 of the three-step pipeline (frame features -> clip statistics, see
    :func:`mgr_utils.features.descriptors` -> classifier). Keyword arguments go to
    :class:`SVMClassifier` (``scaling`` defaults to ``"standard"``).

    Notebook: ``03_texture_features.ipynb``.
    """
    kwargs.setdefault("scaling", "standard")
    return SVMClassifier(**kwargs)


class LBPZoneSVM(ClassifierMixin, BaseEstimator):
    """Costa's zoned LBP classifier: one RBF SVM per mel zone, fused with a fixed rule.

    Costa et al. (2017, after Costa et al. 2012) train one SVM per mel-scale zone on that zone's
    59-bin LBP histogram, features scaled to [-1, 1], C and gamma by grid search, and combine the
    15 SVMs' probabilities with Kittler's sum / product / max / min rules (``papers.md`` §1 [P]).
    Input ``X`` is ``(n_clips, n_zones, n_bins)`` from
    :func:`mgr_utils.features.lbp_zone_histograms`, one per **clip** (Costa computes LBP on the
    whole 60 s spectrogram; the book on the whole clip).

    Notebook: ``03_texture_features.ipynb`` (fused with the CNN in ``04_costa_cnn.ipynb``).

    Args:
        rule: Default fusion rule of :meth:`predict_proba` (``"sum"``, ``"product"``, ``"max"``,
            ``"min"``).
        C_grid, gamma_grid, cv, seed, n_jobs: Passed to each zone's :class:`SVMClassifier`.

    Attributes:
        classes_: The sorted labels seen in ``fit``.
        zone_models_: The fitted per-zone :class:`SVMClassifier` objects.
    """

    def __init__(
        self,
        rule: str = "product",
        C_grid: Sequence[float] = C_GRID,
        gamma_grid: Sequence = GAMMA_GRID,
        cv: int = 3,
        seed: int = 0,
        n_jobs: int | None = None,
    ):
        self.rule = rule
        self.C_grid = C_grid
        self.gamma_grid = gamma_grid
        self.cv = cv
        self.seed = seed
        self.n_jobs = n_jobs

    @staticmethod
    def _check(X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 3:
            raise ValueError(
                f"X must be (n_clips, n_zones, n_bins), got shape {X.shape}"
            )
        return X

    def fit(self, X, y):
        """Fit one SVM per zone on ``X[:, zone, :]``."""
        X = self._check(X)
        self.zone_models_ = [
            SVMClassifier(
                scaling="minmax",
                C_grid=self.C_grid,
                gamma_grid=self.gamma_grid,
                cv=self.cv,
                seed=self.seed,
                n_jobs=self.n_jobs,
            ).fit(X[:, z, :], y)
            for z in range(X.shape[1])
        ]
        self.classes_ = self.zone_models_[0].classes_
        return self

    def zone_proba(self, X) -> list[np.ndarray]:
        """Each zone's class probabilities: a list of ``n_zones`` arrays ``(n_clips, n_classes)``."""
        X = self._check(X)
        if X.shape[1] != len(self.zone_models_):
            raise ValueError(
                f"fitted on {len(self.zone_models_)} zones, got {X.shape[1]}"
            )
        return [m.predict_proba(X[:, z, :]) for z, m in enumerate(self.zone_models_)]

    def predict_proba(self, X, rule: str | None = None) -> np.ndarray:
        """Zone probabilities fused with ``rule`` (default :attr:`rule`); rows sum to 1."""
        return combine_probabilities(self.zone_proba(X), rule=rule or self.rule)

    def predict(self, X, rule: str | None = None) -> np.ndarray:
        """The class with the highest fused probability."""
        return self.classes_[self.predict_proba(X, rule=rule).argmax(axis=1)]

    def choose_rule(
        self,
        X_valid,
        y_valid,
        rules: Sequence[str] = RULES,
        preference: Sequence[str] = ("product",),
    ) -> dict[str, float]:
        """Choose the rule that fuses the zones on the **validation** clips; keep it.

        Every rule is scored on the validation clips; the best becomes :attr:`rule`, so
        that the chapter that fits the ensemble (3) and the one that fuses it with a CNN
        (4) use one system. A tie goes to the first of ``preference``, then to the order
        of ``rules``: a fixed order, not a finding. (Costa et al. list the four rules
        for the zones without saying, in what we read, which did best; the product
        rule was their best for fusing the CNN with RLBP.)

        Notebook: ``03_texture_features.ipynb`` (also ``04_costa_cnn.ipynb``).

        Returns:
            ``{rule: validation clip accuracy}``.
        """
        y_valid = np.asarray(y_valid)
        scores = {
            r: float(np.mean(self.predict(X_valid, rule=r) == y_valid)) for r in rules
        }
        self.rule = select_on_validation(scores, preference)
        return scores


def lbp_zone_svm(**kwargs) -> LBPZoneSVM:
    """An unfitted :class:`LBPZoneSVM` (keyword arguments passed through).

    Notebook: ``03_texture_features.ipynb``.
    """
    return LBPZoneSVM(**kwargs)
