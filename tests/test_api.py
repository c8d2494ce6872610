"""The public surface: what __init__ exports, immutability, display, the parser."""
import dataclasses

import pytest

import dpo_proofs
from dpo_proofs.loss.parser import parse_expression, parse_relation


def test_public_names_are_exactly_these():
    assert sorted(dpo_proofs.__all__) == sorted([
        "analyze", "Analysis", "check", "Claim", "Status", "Verdict", "builtin_claims",
        "Loss", "Parameter", "margin", "gradient_field", "GradientField",
        "CATALOGUE", "NOT_PER_PAIR", "get_variant", "variant_names",
        "x1", "x2", "r_w", "r_l", "beta",
        "DpoProofsError", "InvalidArgument", "UnknownVariant", "UnsafeExpression",
        "NotALoss", "DerivationTimeout", "ClassTheorem", "margin_loss_theorem",
        "is_margin_loss", "user_loss", "check_implementation", "ImplementationReport",
        "assert_claim", "assert_same_field", "assert_ratio", "Parametrization",
        "get_parametrization", "user_parametrization", "dynamics", "Dynamics",
        "derive", "Derivation", "GramDynamics", "gram_dynamics", "STATEMENTS", "Statement", "Reproduction",
        "CONVENTIONS", "READINGS", "FINDINGS", "Sameness", "compare_readings",
        "decide_findings",
        "reproduce"])
    for name in dpo_proofs.__all__:
        assert hasattr(dpo_proofs, name)


def test_results_are_immutable():
    res = dpo_proofs.analyze("dpo", confirm=False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.verdicts = ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.field.ratio = 1


def test_latex_display():
    tex = dpo_proofs.analyze("dpo", confirm=False)._repr_latex_()
    assert tex.startswith("$") and r"\frac{x_{1}}{x_{2}}" in tex


@pytest.mark.parametrize("text,part", [
    ("__import__('os').system('true')", "__import__"),
    ("x1.__class__", "__class__"),
    ("(lambda: 1)()", "lambda"),
    ("open('/etc/passwd')", "open"),
    ("x1**(10**6)", "exponent"),
    ("(10**999)**999", "too large"),
    ("x1 if x2 else 0", "IfExp"),
    ("x" * 5000, "longer than"),
    ("exec", "unknown name"),
    ("[x1 for x1 in ()]", "ListComp"),
    ("x1; x2", "not a valid expression"),
])
def test_parser_refuses_code(text, part):
    with pytest.raises(dpo_proofs.UnsafeExpression) as info:
        parse_expression(text)
    assert part.lower() in str(info.value).lower()


def test_parser_builds_dpo():
    expr = parse_expression("-log(sigmoid(beta*log(x1/r_w) - beta*log(x2/r_l)))")
    assert expr.free_symbols == {dpo_proofs.x1, dpo_proofs.x2, dpo_proofs.r_w, dpo_proofs.r_l,
                                 dpo_proofs.beta}
    import sympy as sp
    x1, x2 = dpo_proofs.x1, dpo_proofs.x2
    assert parse_relation("x1 > x2 & 0.5 <= x1") == sp.And(x1 > x2, sp.LessThan(sp.Rational(1, 2), x1))


def test_loss_must_depend_on_probabilities():
    with pytest.raises(dpo_proofs.NotALoss):
        dpo_proofs.Loss("const", dpo_proofs.beta + 1)


def test_a_derivation_shows_the_claims_of_every_frame_in_a_notebook():
    d = dpo_proofs.derive("dpo", frames=True)
    assert len(repr(d)) < 200 and "4 frames" in repr(d)
    md = d._repr_markdown_()
    assert md.startswith(d.analysis._repr_markdown_())
    # by hand: R = x1/x2 > 1 on x1 > x2 in probabilities; R_M = x2/x1 < 1 there in logs
    header = "| claim | probability | log | softmax | softmax:2 |"
    assert header in md
    row = next(line for line in md.splitlines() if line.startswith("| `dispreferred_faster`"))
    assert row.split(" | ")[1:3] == ["proved", "refuted"]
    # the document's own table (printers.field_sections), set as Markdown
    assert "| `x1_increases` | proved | proved |" in md
