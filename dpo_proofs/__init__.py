"""dpo_proofs: formal symbolic verification of preference-optimization losses.

    >>> import dpo_proofs
    >>> result = dpo_proofs.analyze("dpo")
    >>> result.field.ratio
    x1/x2
    >>> str(result.verdict("dispreferred_faster").status)
    'proved'
"""
from . import printers  # noqa: F401  (registers the printers of the results)
from .pipeline import analyze, derive, dynamics
from .results import Analysis, Derivation, Dynamics
from .verdicts.engine import check
from .errors import (DerivationTimeout, DpoProofsError, InvalidArgument, NotALoss,
                     UnknownVariant, UnsafeExpression)
from .field.gradient import GradientField, gradient_field
from .testing.implementation import ImplementationReport, check_implementation
from .loss.loss import Loss, margin
from .field.frames import Parametrization, get_parametrization, user_parametrization
from .field.theorem import ClassTheorem, is_margin_loss, margin_loss_theorem
from .loss.symbols import Parameter, beta, r_l, r_w, x1, x2
from .testing.assertions import assert_claim, assert_ratio, assert_same_field
from .loss.user import user_loss
from .loss.catalogue import CATALOGUE, NOT_PER_PAIR
from .loss.names import get_variant, variant_names
from .verdicts.values import Claim, Status, Verdict, builtin_claims
from .field.gram import GramDynamics, gram_dynamics
from .verdicts.literature import STATEMENTS, Reproduction, Statement, reproduce
from .loss.readings import CONVENTIONS, FINDINGS, READINGS
from .verdicts.sameness import Sameness, compare_readings, decide_findings

__all__ = [
    "analyze", "Analysis", "check", "Claim", "Status", "Verdict", "builtin_claims",
    "Loss", "Parameter", "margin", "gradient_field", "GradientField",
    "CATALOGUE", "NOT_PER_PAIR", "get_variant", "variant_names",
    "x1", "x2", "r_w", "r_l", "beta",
    "DpoProofsError", "InvalidArgument", "UnknownVariant", "UnsafeExpression", "NotALoss",
    "DerivationTimeout", "ClassTheorem", "margin_loss_theorem", "is_margin_loss",
    "user_loss", "check_implementation", "ImplementationReport", "assert_claim",
    "assert_same_field", "assert_ratio", "Parametrization", "get_parametrization",
    "user_parametrization", "dynamics", "Dynamics", "derive", "Derivation",
    "GramDynamics", "gram_dynamics", "STATEMENTS", "Statement", "Reproduction", "reproduce",
    "CONVENTIONS", "READINGS", "FINDINGS", "Sameness", "compare_readings", "decide_findings",
]
__version__ = "0.1.0"
