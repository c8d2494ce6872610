"""The sections of a variant's document about its field as a whole: the field's
quantities (radial component, norm, divergence, curl), its conserved quantity and its
limits as x2 -> 0+; then the field in each other frame and the flow's dynamics there.

They print what the pipeline derived (Analysis.field, Derivation.frames and .flows);
the regions per frame are already restricted to the frame (pipeline.regions_of).
"""
from __future__ import annotations

import mpmath
import sympy as sp

from ..results import Derivation
from .equilibria import equilibria_json
from .formulas import DL1, DL2, displays, latex, said
from .markup import Code, Display, Heading, Inline, Items, Math, Para, Table, blocks_markdown

__all__ = ["field_section", "frames_section", "derivation_markdown"]


def field_section(d: Derivation) -> list:
    f = d.analysis.field
    blocks: list = [
        Heading(1, "Field quantities"),
        Para(("Radial component (zero exactly for a margin loss, one invariant under ",
              Math(r"(x_{1}, x_{2}) \mapsto (t x_{1}, t x_{2})"), "):")),
        Display(r"x_{1} %s + x_{2} %s = %s" % (DL1, DL2, latex(f.radial))),
        Para(("Margin loss: ", "yes" if f.is_margin_loss else "no", ".")),
        Para(("Norm, divergence and curl of the gradient field:",)),
        *[block for lhs, value in (
            (r"\left\lVert \nabla L \right\rVert", f.gradient_norm),
            (r"\nabla \cdot \nabla L", f.divergence),
            (r"\frac{\partial}{\partial x_{1}} %s - \frac{\partial}{\partial x_{2}} %s"
             % (DL2, DL1), f.curl))
          for block in (displays(lhs, value) if value is not None else
                        [Para((Math(lhs), " not derived: ", *said(f.quantities_reason),
                               "."))])],
        Heading(2, "Conserved quantity of gradient flow"),
    ]
    c = f.conserved
    if c is None:
        blocks.append(Para(("None found: ", *said(f.conserved_reason), ".")))
    else:
        grad = c.gradient
        blocks += [
            Para(("Orbits of ", Math(r"\dot x = -\nabla L"), " satisfy ",
                  Math(r"dx_{2}/dx_{1} = %s \big/ %s" % (DL2, DL1)),
                  "; the equation separates and integrates to")),
            Display("I(x_{1}, x_{2}) = " + latex(c.expr)),
            Para(("Check: ",)),
            Display(r"\nabla I = \left(%s,\; %s\right), \qquad \nabla I \cdot \nabla L = %s"
                    % (latex(grad[0]), latex(grad[1]), latex(c.check))),
            Para(("so ", Math("I"), " is constant along every trajectory. Derivation: ",
                  *said(c.derivation), ".")),
        ]
    rows = []
    for lim in f.limits:
        value = (Math(latex(lim.value)),) if lim.value is not None else \
            ("undecided: ", *said(lim.reason))
        rows.append(((lim.case,), value))
    blocks += [Heading(2, "Limits as x2 -> 0+"),
               Para(("The limit of ", Math(DL2), " as ", Math(r"x_{2} \to 0^{+}"),
                     " (by sympy.limit, in each case of the constants where it differs: the"
                     " cases are cut where an exponent of ", Math("x_{2}"),
                     " in it changes sign):")),
               Table(("case", r"limit of dL/dx2"), tuple(rows), "ll")]
    return blocks + _equilibria_section(d)


def _equilibria_section(d: Derivation) -> list:
    """The stationary set and where the paper's flow ends (numerics.equilibria)."""
    eq = d.analysis.equilibria
    if eq is None:
        return []
    blocks: list = [Heading(2, "Equilibria and where the flow ends")]
    if not eq.derived:
        return blocks + [Para(("Not derived: ", *said(eq.reason), "."))]
    shown = equilibria_json(eq)
    constants = ", ".join(f"{k} = {v}" for k, v in eq.constants)
    blocks += [
        Para(("Since ", Math(r"x_{1} %s + x_{2} %s = 0" % (DL1, DL2)),
              " is proved, the loss depends on ", Math(r"\rho = x_{1}/x_{2}"),
              " alone, and under ", Math(r"\dot x = -\nabla L"),
              " the flow keeps ", Math(r"x_{1}^{2} + x_{2}^{2}"), " and moves the ratio by ",
              Math(r"\frac{d \log \rho}{dt} = -G(\rho)\left(x_{1}^{-2} + x_{2}^{-2}\right)"),
              ", where, at the constants ", Code(constants), ",")),
        Display(r"G(\rho) = x_{1} %s = %s" % (DL1, latex(eq.G))),
    ]
    rows = []
    for r, j in zip(eq.rays, shown["stationary"]):
        if r["kind"] == "band":
            exact = r.get("exact")
            where = (Math(latex(exact.as_relational(sp.Symbol(r"\rho"))))
                     if isinstance(exact, sp.Set) else j["where"])
            rows.append((("band",), (where,), ("gradient 0",)))
        else:
            rows.append((("ray",), (Math(r"\rho^{*} \in [%s, %s]" % (
                _digits(r["lo"]), _digits(r["hi"]))),), (j["stability"],)))
    if rows:
        blocks += [Para(("Where the gradient vanishes (zeros of ", Math("G"),
                         " certified by a sign change at the ends of each bracket):",)),
                   Table(("kind", "where", "stability"), tuple(rows), "lll")]
    else:
        blocks.append(Para(("The gradient vanishes nowhere for ",
                            Math(r"10^{-12} \le \rho \le 10^{12}"),
                            " (no zero of G at the scanned ratios).",)))
    flows = []
    for f in shown["flows"]:
        end = (f"x1/x2 -> {f['limit_ratio']} at ({f['limit_point'][0]}, "
               f"{f['limit_point'][1]}), t -> oo" if f["limit_ratio"] is not None
               else f.get("reached", "undecided"))
        ode = f["ode_check"]
        check = {True: "agrees", False: "DISAGREES", None: "inconclusive"}[ode.get("agrees")] \
            if "agrees" in ode else f"ends at ratio {ode['ratio']:.4g}"
        flows.append(((Code(f"({f['start'][0]}, {f['start'][1]})"),), (Code(end),),
                      (f"{f['max_x1_plus_x2']}",), (check,)))
    blocks += [Para(("Where the flow goes (an independent RK4 integration of the 2-D flow "
                     "checks each end):",)),
               Table(("start", "end", "max x1+x2", "ODE"), tuple(flows), "llll")]
    if eq.wrong_way:
        blocks.append(Para(("Finding: a wrong-way loss. On the diagonal ",
                            Math(r"G(1) > 0"), " (certified): the loss pushes ",
                            Math("x_{1}"), " down where ", Math("x_{1} = x_{2}"),
                            ", and the flow from there ends with ", Math("x_{2} > x_{1}"),
                            ".")))
    return blocks


def _digits(value) -> str:
    value = sp.Rational(value)
    return mpmath.nstr(mpmath.mpf(value.p) / value.q, 14)


def _where(region: sp.Basic) -> list[Inline]:
    """Words for a region already restricted to its frame (pipeline.regions_of)."""
    if region is sp.true:
        return ["everywhere on the frame"]
    if region is sp.false:
        return ["nowhere on the frame"]
    return ["exactly where ", Math(latex(region))]


def frames_section(d: Derivation) -> list:
    """The loss in each built-in parametrization: metric, velocity, speed ratio, region,
    the flow's conserved quantity and limit point, and the claims re-checked."""
    if not d.frames:
        return []
    blocks: list = [
        Heading(1, "Parametrizations: the velocity training induces"),
        Para(("A model moves parameters ", Math(r"\theta"), ", not probabilities. For a map ",
              Math(r"x = x(\theta)"), " with Jacobian ", Math("J"), ", gradient flow ",
              Math(r"\dot\theta = -\nabla_{\theta} L"), " induces ",
              Math(r"\dot x = -M \nabla_{x} L"), " with ", Math(r"M = J J^{\top}"),
              ", derived from the map and written in ", Math("x_{1}, x_{2}"),
              ". The speed ratio in that frame is ",
              Math(r"R_{M} = |\dot x_{2}| / |\dot x_{1}|"),
              "; in the probability frame ", Math("M = I"), " and ", Math("R_{M} = R"), ".")),
    ]
    for p, f, why, regions in d.frames:
        blocks += [Heading(2, f"Frame {p.name}"), Para((p.description + ".",)),
                   Display("M = " + latex(p.metric))]
        if p.domain is not sp.true:
            blocks.append(Para(("The map reaches ", Math(latex(p.domain)),
                                "; everything below is restricted to it.")))
        if f is None:
            blocks.append(Para(("The derivation did not complete: ", Code(why), ".")))
            continue
        blocks += [*displays(r"\dot x_{1}", -f.d_x1.closed_form),
                   *displays(r"\dot x_{2}", -f.d_x2.closed_form),
                   *displays("R_{M}", f.ratio),
                   Para((Math("R_{M} > 1"), " (the dispreferred probability moves faster) ",
                         *_where(dict(regions)["ratio_gt_1"]), "; ", Math("R_{M} = 1"), " ",
                         *_where(dict(regions)["ratio_eq_1"]), "."))]
    if d.flows:
        blocks += [
            Heading(2, "Gradient-flow dynamics in each frame"),
            Para(("The conserved quantity ", Math("I"), " of ", Math(r"\dot x = -M \nabla L"),
                  " and, where the flow is proved monotone, the limit point as a function of "
                  "the start ", Math(r"(x_{1,0}, x_{2,0})"), " (the level set of ", Math("I"),
                  " through the start, followed to the boundary). The command ",
                  Code(f"python -m dpo_proofs dynamics {d.loss.name} --parametrization NAME"),
                  " checks these against mpmath's ODE solver.")),
        ]
        for flow in d.flows:
            items: list = [Code(flow.frame), ": "]
            if flow.conserved is None:
                items += ["no conserved quantity (", *said(flow.conserved_reason), ")."]
                blocks.append(Para(tuple(items)))
                continue
            items += ["conserved ", Math("I = " + latex(flow.conserved)), "."]
            blocks.append(Para(tuple(items)))
            if flow.limit.final_x1 is not None:
                blocks += [Display(r"x_{1}(\infty) = " + latex(flow.limit.final_x1)),
                           Display(r"x_{2}(\infty) = " + latex(flow.limit.final_x2))]
            blocks.append(Para(("Limit (", flow.limit.case, "): ", *said(flow.limit.argument),
                                ".")))
    blocks += [Heading(2, "Built-in claims in each frame"),
               Para(("The verdict engine re-checks every built-in claim in every frame, with ",
                     Math(r"\partial_{x_{i}} L"), " replaced by ", Math(r"(M \nabla L)_{i}"),
                     " and the ratio by ", Math("R_{M}"), ", on the frame's domain. A proof "
                     "is symbolic and a refutation a certified counterexample unless the "
                     "cell names another method; ",
                     Code(f"python -m dpo_proofs frames {d.loss.name} --json"),
                     " gives each one's evidence and counterexample.",))]
    if d.frame_verdicts:
        blocks.append(_frame_claims_table(d.frame_verdicts))
        # an unknown cell is not an answer: say why, as the engine does
        unknown = [(name, v) for name, verdicts in d.frame_verdicts for v in verdicts
                   if str(v.status) == "unknown"]
        if unknown:
            blocks += [Para(("Why a cell is unknown:",)),
                       Items(tuple((Code(name), ", ", Code(v.claim), ": ", *said(v.evidence))
                                   for name, v in unknown))]
    return blocks


# The method a status is usually reached by; a cell names any other.
_USUAL = {"proved": "symbolic", "refuted": "counterexample", "unknown": "none"}


def _frame_claims_table(frame_verdicts) -> Table:
    names = [name for name, _ in frame_verdicts]
    by_frame = [{v.claim: v for v in verdicts} for _, verdicts in frame_verdicts]
    rows = []
    for v in frame_verdicts[0][1]:
        cells = []
        for verdicts in by_frame:
            w = verdicts.get(v.claim)
            if w is None:
                cells.append(("",))
                continue
            status = str(w.status)
            cells.append((status if _USUAL.get(status) == w.method
                          else f"{status} ({w.method})",))
        rows.append(((Code(v.claim),), *cells))
    return Table(("claim", *names), tuple(rows), "l" * (len(names) + 1))


def derivation_markdown(d: Derivation) -> str:
    """What a notebook shows of a Derivation: its analysis, then the document's table of
    the built-in claims frame by frame (the same table, set as Markdown)."""
    text = d.analysis._repr_markdown_()
    if not d.frame_verdicts:
        return text
    return (text + "\n\n**Built-in claims in each frame** (a proof is symbolic and a "
            "refutation a certified counterexample unless the cell names another method)"
            "\n\n" + blocks_markdown([_frame_claims_table(d.frame_verdicts)]))
