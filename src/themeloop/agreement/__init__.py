"""Inter-coder agreement: coefficients, bootstrap intervals, model vs human, disagreements."""

from themeloop.agreement.compute import AgreementReport, agreement_report, compute_agreement
from themeloop.agreement.disagreements import disagreements
from themeloop.agreement.model import model_vs_human
from themeloop.coding import assignments_to_coding

__all__ = [
    "AgreementReport", "agreement_report", "assignments_to_coding", "compute_agreement",
    "disagreements", "model_vs_human",
]
