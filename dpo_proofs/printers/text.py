"""Printers of an Analysis: JSON, plain text and LaTeX. They format; they never derive."""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import sympy as sp


from ..numerics.confirm import REQUIRED_DIGITS
from .equilibria import equilibria_json, equilibria_lines
from .formulas import latex
from .gram import gram_json, gram_lines
from .readable import point_text, readable, readable_text
from .second_order import second_order_json, second_order_lines

if TYPE_CHECKING:
    from ..results import Analysis
    from ..verdicts.values import Verdict

__all__ = ["analysis_json", "analysis_text", "analysis_latex", "expr_str", "verdict_text",
           "SIGN_WORDS"]

SIGN_WORDS = {1: "positive", -1: "negative", 0: "zero", None: "changes sign or undecided"}


def expr_str(expr: sp.Basic | None) -> str | None:
    """A sympy string that ``sympy.sympify`` reads back (symbols by their names)."""
    return None if expr is None else sp.sstr(expr, order="lex")


def _derived(expr: sp.Basic | None, reason: str, show) -> str:
    """The expression, or why it was not derived (a budget ran out)."""
    return f"not derived ({reason})" if expr is None else show(expr)


def analysis_json(a: "Analysis") -> dict[str, Any]:
    f = a.field
    loss = a.loss
    out: dict[str, Any] = {
        "variant": loss.name,
        "title": loss.title,
        "citation": loss.citation,
        "trl_name": loss.trl_name,
        "parameters": {p.name: {"domain": p.domain_text, "default": sp.sstr(p.default)}
                       for p in loss.parameters},
        "fixed_parameters": dict(a.params),
        "loss": expr_str(loss.elementary),
        "d_x1": None, "d_x2": None, "ratio": None,
        "region_ratio_gt_1": None, "region_ratio_eq_1": None, "region_ratio_lt_1": None,
        "radial": None,
    }
    if f is not None:
        out.update({
            "d_x1": expr_str(f.d_x1.closed_form),
            "d_x2": expr_str(f.d_x2.closed_form),
            "sign_d_x1": SIGN_WORDS[f.d_x1.sign.sign],
            "sign_d_x2": SIGN_WORDS[f.d_x2.sign.sign],
            "region_x1_not_pushed_up": expr_str(a.region("x1_not_pushed_up")),
            "region_x2_not_pushed_down": expr_str(a.region("x2_not_pushed_down")),
            "ratio": expr_str(f.ratio),
            "ratio_test": expr_str(f.ratio_excess_expr),
            # which quantity ratio_test is ("R - 1", "d_x2**2 - d_x1**2", "per piece")
            "ratio_test_of": f.ratio_excess_of,
            "region_ratio_gt_1": expr_str(a.region("ratio_gt_1")),
            "region_ratio_eq_1": expr_str(a.region("ratio_eq_1")),
            "region_ratio_lt_1": expr_str(a.region("ratio_lt_1")),
            "radial": expr_str(f.radial),
            "margin_loss": f.is_margin_loss,
            "gradient_norm": expr_str(f.gradient_norm),
            "divergence": expr_str(f.divergence),
            "curl": expr_str(f.curl),
            "conserved_quantity": expr_str(f.conserved.expr) if f.conserved else None,
            "conserved_quantity_argument": (f.conserved.derivation if f.conserved
                                            else f.conserved_reason),
            "limits_d_x2_as_x2_to_0": [
                {"case": lim.case, "value": expr_str(lim.value), "reason": lim.reason}
                for lim in f.limits],
            "equilibria": equilibria_json(a.equilibria),
            "second_order": second_order_json(a.second_order),
            "gram": gram_json(a),
        })
    out["equivalent_forms"] = [
        {"source": e.source, "expr": expr_str(e.expr), "same": e.same, "argument": e.argument}
        for e in a.equivalent_forms]
    out["confirmations"] = {
        "required_digits": REQUIRED_DIGITS,
        "count": len(a.confirmations),
        "min_digits": min((c.digits for c in a.confirmations), default=None),
        "passed": a.confirmed,
        "points": [{"quantity": c.quantity, "point": dict(c.point), "symbolic": c.symbolic,
                    "numerical": c.numerical, "digits": c.digits} for c in a.confirmations],
    }
    out["float64_findings"] = [
        {"quantity": g.quantity, "point": dict(g.point), "float64": g.float64,
         "mpmath": g.mpmath, "problem": g.problem} for g in a.float64]
    if a.parametrization is not None:
        out.update(_frame_json(a))
    out["verdicts"] = [v.to_json() for v in a.verdicts]
    out["incomplete"] = a.incomplete or None
    out["failures"] = list(a.failures)
    return out


def _frame_json(a: "Analysis") -> dict[str, Any]:
    """Keys of a non-probability frame: the frame, the velocity, and regions within it.

    ``d_x1``/``d_x2`` stay the loss's partials dL/dx1, dL/dx2; ``ratio`` and the regions
    are the frame's (speed ratio |dx2/dt| / |dx1/dt|); claims' d_x1, d_x2 name the
    components of M grad L = -dx/dt there.
    """
    p, f, base = a.parametrization, a.field, a.probability_field
    out: dict[str, Any] = {"parametrization": {
        "name": p.name, "description": p.description,
        "metric": {k: expr_str(v) for k, v in p.metric_entries().items()},
        "domain": expr_str(p.domain), "derivation": list(p.steps),
        "note": "ratio is the speed ratio |dx2/dt| / |dx1/dt| of dx/dt = -M grad L; "
                "d_x1, d_x2 are dL/dx1, dL/dx2; in claims d_x1, d_x2 name (M grad L)_1, "
                "(M grad L)_2"}}
    if f is None:
        return out
    if base is not None:
        out.update({"d_x1": expr_str(base.d_x1.closed_form),
                    "d_x2": expr_str(base.d_x2.closed_form),
                    "sign_d_x1": SIGN_WORDS[base.d_x1.sign.sign],
                    "sign_d_x2": SIGN_WORDS[base.d_x2.sign.sign],
                    "limits_d_x2_as_x2_to_0": [
                        {"case": lim.case, "value": expr_str(lim.value), "reason": lim.reason}
                        for lim in base.limits]})
    out.update({
        "velocity_x1": expr_str(-f.d_x1.closed_form),
        "velocity_x2": expr_str(-f.d_x2.closed_form),
        "sign_velocity_x1": SIGN_WORDS[_neg(f.d_x1.sign.sign)],
        "sign_velocity_x2": SIGN_WORDS[_neg(f.d_x2.sign.sign)],
        "region_x1_not_pushed_up": expr_str(a.region("x1_not_pushed_up")),
        "region_x2_not_pushed_down": expr_str(a.region("x2_not_pushed_down")),
        "ratio": expr_str(f.ratio),
        "speed_ratio": expr_str(f.ratio),
        "region_ratio_gt_1": expr_str(a.region("ratio_gt_1")),
        "region_ratio_eq_1": expr_str(a.region("ratio_eq_1")),
        "region_ratio_lt_1": expr_str(a.region("ratio_lt_1")),
    })
    return out


def _neg(sign: int | None) -> int | None:
    return None if sign is None else -sign


def _piecewise_text(expr: sp.Basic, unicode: bool) -> str:
    """A Piecewise as 'e1 where c1; e2 elsewhere', with nan read as undefined (R has no
    value where dL/dx1 = 0)."""
    if not isinstance(expr, sp.Piecewise):
        return readable(expr, unicode)
    parts = []
    for e, c in expr.args:
        value = "undefined (dL/dx1 = 0)" if e is sp.nan else readable(e, unicode)
        parts.append(value + (" elsewhere" if c is sp.true else
                              f" where {readable(c, unicode)}"))
    return "; ".join(parts)


def frame_text(a: "Analysis", unicode: bool = False) -> str:
    """Text of an analysis in a parametrization's frame (velocity dx/dt = -M grad L)."""
    show = functools.partial(readable, unicode=unicode)

    p, f, loss = a.parametrization, a.field, a.loss
    lines = [f"{loss.name} in the {p.name} frame: {p.description}",
             f"  L        = {show(loss.expr)}"]
    if a.params:
        lines.append("  fixed: " + ", ".join(f"{k}={v}" for k, v in a.params))
    lines += [f"  {step}" for step in p.steps]
    if p.domain is not sp.true:
        lines.append(f"  domain: {show(p.domain)}")
    if f is None:
        lines.append(f"  derivation incomplete: {a.incomplete}")
    else:
        lines += [
            f"  dx1/dt = -(M grad L)_1 = {show(-f.d_x1.closed_form)}   "
            f"[{SIGN_WORDS[_neg(f.d_x1.sign.sign)]}]",
            f"  dx2/dt = -(M grad L)_2 = {show(-f.d_x2.closed_form)}   "
            f"[{SIGN_WORDS[_neg(f.d_x2.sign.sign)]}]",
            f"  x1 not pushed up (dx1/dt <= 0): {show(a.region('x1_not_pushed_up'))}",
            f"  x2 not pushed down (dx2/dt >= 0): "
            f"{show(a.region('x2_not_pushed_down'))}",
            f"  speed ratio |dx2/dt|/|dx1/dt| = {_piecewise_text(f.ratio, unicode)}",
            f"  speed ratio > 1  <=>  {show(a.region('ratio_gt_1'))}",
            f"  speed ratio = 1  <=>  {show(a.region('ratio_eq_1'))}",
            f"  speed ratio < 1  <=>  {show(a.region('ratio_lt_1'))}",
        ]
        if f.conserved:
            lines.append(f"  conserved by the flow: {show(f.conserved.expr)}")
        else:
            reason = readable_text(f.conserved_reason, unicode)
            lines.append(f"  conserved quantity: none found ({reason})")
    if a.confirmations:
        low = min(c.digits for c in a.confirmations)
        lines.append(f"  mpmath confirmation: {len(a.confirmations)} comparisons of M grad L "
                     f"with J grad_theta L(x(theta)) by mpmath.diff, min {low:.1f} agreeing "
                     f"digits (required {REQUIRED_DIGITS}): {'ok' if a.confirmed else 'FAILED'}")
    lines.append("  verdicts (d_x1, d_x2 = components of M grad L; ratio = speed ratio):")
    for v in a.verdicts:
        lines.append(f"    {v.claim:<28} {str(v.status):<8} [{v.method}] "
                     f"{readable_text(v.evidence, unicode)}")
    lines += [f"  {line}" for line in second_order_lines(a.second_order, unicode)]
    return "\n".join(lines)


def analysis_text(a: "Analysis", unicode: bool = False) -> str:
    """A summary for people: expressions as ``readable`` prints them (^ for powers; Greek
    letters, · and ≤ ≥ with ``unicode``). The JSON keeps sympy's strings."""
    if a.parametrization is not None:
        return frame_text(a, unicode)
    show = functools.partial(readable, unicode=unicode)
    loss, f = a.loss, a.field
    lines = [f"{loss.name}: {loss.title}" + (f" ({loss.citation})" if loss.citation else "")]
    if loss.trl_name:
        lines.append(f"  TRL loss_type: {loss.trl_name}")
    if a.params:
        lines.append("  fixed: " + ", ".join(f"{k}={v}" for k, v in a.params))
    lines.append(f"  L        = {show(loss.expr)}")
    if f is None:
        lines.append(f"  derivation incomplete: {a.incomplete}")
    else:
        lines += [
            f"  dL/dx1   = {show(f.d_x1.closed_form)}   [{SIGN_WORDS[f.d_x1.sign.sign]}]",
            f"  dL/dx2   = {show(f.d_x2.closed_form)}   [{SIGN_WORDS[f.d_x2.sign.sign]}]",
            f"  x1 not pushed up (dL/dx1 >= 0): {show(a.region('x1_not_pushed_up'))}",
            f"  x2 not pushed down (dL/dx2 <= 0): "
            f"{show(a.region('x2_not_pushed_down'))}",
            f"  R = |dL/dx2|/|dL/dx1| = {_piecewise_text(f.ratio, unicode)}",
            f"  R > 1  <=>  {show(a.region('ratio_gt_1'))}",
            f"  R = 1  <=>  {show(a.region('ratio_eq_1'))}",
            f"  R < 1  <=>  {show(a.region('ratio_lt_1'))}",
            f"  radial x1*dL/dx1 + x2*dL/dx2 = {show(f.radial)}"
            + ("   (margin loss: L depends on x1/x2 only)" if f.is_margin_loss else ""),
            *(f"  {name} = {_derived(value, f.quantities_reason, show)}" for name, value in
              (("|grad L|", f.gradient_norm), ("div grad L", f.divergence),
               ("curl grad L", f.curl))),
        ]
        if f.conserved:
            lines.append(f"  conserved by gradient flow: {show(f.conserved.expr)}")
        else:
            reason = readable_text(f.conserved_reason, unicode)
            lines.append(f"  conserved quantity: none found ({reason})")
        for lim in f.limits:
            value = (show(lim.value) if lim.value is not None else
                     f"undecided ({readable_text(lim.reason, unicode)})")
            lines.append(f"  lim x2->0+ dL/dx2 ({lim.case}) = {value}")
    lines += [f"  {line}" for line in equilibria_lines(a.equilibria)]
    lines += [f"  {line}" for line in second_order_lines(a.second_order, unicode)]
    lines += [f"  {line}" for line in gram_lines(a, unicode)]
    for e in a.equivalent_forms:
        word = {True: "same function", False: "DIFFERENT", None: "undecided"}[e.same]
        lines.append(f"  form of {e.source}: {show(e.expr)}: {word} ({e.argument})")
    if a.confirmations:
        low = min(c.digits for c in a.confirmations)
        lines.append(f"  mpmath confirmation: {len(a.confirmations)} comparisons with "
                     f"mpmath.diff of the loss, min {low:.1f} agreeing digits "
                     f"(required {REQUIRED_DIGITS}): {'ok' if a.confirmed else 'FAILED'}")
    if a.float64:
        # the package's own closed forms in numpy, not anyone's implementation (a
        # log-sigmoid written as TRL writes it may be fine at the same point)
        lines.append("  float64 findings (this package's closed forms evaluated in numpy "
                     "float64, checked against mpmath):")
    for g in a.float64:
        point = ", ".join(f"{k}={v}" for k, v in g.point)
        lines.append(f"    {g.quantity} at ({point}): {g.float64} vs "
                     f"mpmath {g.mpmath}: {g.problem}")
    lines.append("  verdicts:")
    for v in a.verdicts:
        lines.append(f"    {v.claim:<28} {str(v.status):<8} [{v.method}] "
                     f"{readable_text(v.evidence, unicode)}")
    return "\n".join(lines)


def analysis_latex(a: "Analysis") -> str:
    f = a.field
    rows = [r"L &= " + latex(a.loss.expr)]
    if f is not None:
        rows += [
            r"\frac{\partial L}{\partial x_1} &= " + latex(f.d_x1.closed_form),
            r"\frac{\partial L}{\partial x_2} &= " + latex(f.d_x2.closed_form),
            r"R = \frac{|\partial L/\partial x_2|}{|\partial L/\partial x_1|} &= "
            + latex(f.ratio),
            r"R > 1 &\iff " + latex(a.region("ratio_gt_1")),
            r"x_1 \frac{\partial L}{\partial x_1} + x_2 \frac{\partial L}{\partial x_2} &= "
            + latex(f.radial),
        ]
        if f.conserved:
            rows.append(r"\text{conserved by gradient flow} &: " + latex(f.conserved.expr))
    return "$\\begin{aligned}" + r"\\ ".join(rows) + "\\end{aligned}$"


def analysis_markdown(a: "Analysis") -> str:
    """A notebook's view of an analysis: title, constants, the closed forms (MathJax) and
    the verdicts as a table."""
    loss = a.loss
    head = f"### {loss.name}: {loss.title}" + (f" ({loss.citation})" if loss.citation else "")
    parts = [head]
    if loss.trl_name:
        parts.append(f"TRL loss_type: `{loss.trl_name}`")
    consts = ", ".join(f"${latex(p.symbol)} = {latex(p.default)}$" for p in
                       loss.parameters)
    fixed = ", ".join(f"{k} = {v}" for k, v in a.params)
    if fixed:
        parts.append(f"Fixed: {fixed}")
    elif consts:
        parts.append(f"Constants (defaults; the verdicts range over their domains): {consts}")
    if a.parametrization is not None:
        parts.append(f"Frame: {a.parametrization.name} (the field is M grad L)")
    parts.append("$$" + analysis_latex(a).strip("$") + "$$")
    rows = ["| claim | status | method | evidence |", "|---|---|---|---|"]
    for v in a.verdicts:
        evidence = readable_text(v.evidence)
        evidence = evidence if len(evidence) <= 200 else evidence[:197] + "..."
        rows.append(f"| {v.claim} | **{v.status}** | {v.method} | "
                    f"{evidence.replace('|', '/')} |")
    parts.append("\n".join(rows))
    if a.incomplete:
        parts.append(f"Derivation incomplete: {a.incomplete}")
    return "\n\n".join(parts)


def verdict_text(variant: str, statement: str, v: "Verdict", unicode: bool = False) -> str:
    """One checked claim: the statement, the status and method, the evidence in readable
    mathematics, and the counterexample (if refuted)."""
    lines = [f"{variant}: {statement}",
             f"  {v.status} [{v.method}] {readable_text(v.evidence, unicode)}"]
    if v.counterexample:
        lines.append("  counterexample: " + point_text(v.counterexample))
    return "\n".join(lines) + "\n"
