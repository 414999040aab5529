"""Automatic multi-label coding: zero-shot from the codebook, supervised from human codes.

:class:`AutoCoder` is the estimator; :mod:`~themeloop.autocode.evaluate` judges
it against each human on the coefficients humans are judged on;
:mod:`~themeloop.autocode.store` saves a fitted model with its manifest.
"""

from themeloop.autocode.estimator import AutoCoder
from themeloop.autocode.evaluate import cross_fit, evaluate_model, f1_scores
from themeloop.autocode.prototypes import Prototypes, build_prototypes, code_texts
from themeloop.autocode.store import load_model, save_model

__all__ = [
    "AutoCoder", "Prototypes", "build_prototypes", "code_texts", "cross_fit", "evaluate_model",
    "f1_scores", "load_model", "save_model",
]
