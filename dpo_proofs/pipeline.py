"""The recipes: each reads top to bottom as loss -> field -> claims -> verdicts -> values.

``analyze`` derives grad L and all the package reports about it and decides the built-in
claims; ``dynamics`` derives gradient flow's closed forms and checks them with mpmath's
ODE solver. The front doors (CLI, testing kit, documents) print the values returned.
"""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence

import mpmath
import sympy as sp

from .budget import DEFAULT_BUDGET_SECONDS, time_budget
from .cache import cached
from .errors import DerivationTimeout, InvalidArgument
from .field.flow import limit_point, orbit, second_order_term
from .field.canonical import canonical, prove_equal
from .field.frames import BUILTIN_PARAMETRIZATIONS, Parametrization, get_parametrization
from .field.gram import gram_dynamics
from .field.gradient import GradientField
from .field.in_frame import field_of, on_frame, with_frame_constants
from .field.limit_point import LimitPoint
from .field.region_forms import regions_of
from .field.steps import margin_form, partial_steps
from .field.theorem import ClassTheorem, margin_loss_theorem
from .loss.names import get_variant, variant_names
from .loss.loss import Loss
from .loss.symbols import X1, X2, x1, x2
from .numerics.odes import DEFAULT_STARTS, orbit_check, orbit_functions, step_checks
from .numerics.confirm import (Confirmation, Float64Finding, confirm_partials, mp_callable,
                               to_mpf, float64_findings)
from .numerics.trajectories import FieldFunctions, field_functions
from .numerics.velocity import confirm_velocity
from .numerics.equilibria import equilibria_of
from .results import Analysis, Derivation, Dynamics, EquivalentForm
from .verdicts.engine import check
from .verdicts.second_order import second_order
from .verdicts.values import Status, Verdict, builtin_claims, frame_claims
from .workers import for_each

__all__ = ["analyze", "dynamics", "derive", "regions_of", "derive_all", "analyze_all",
           "for_each", "class_theorem", "values_at", "DERIVE_BUDGET", "FRAME_BUDGET"]


def analyze(variant: str | Loss, params: Mapping[str, object] | None = None,
            budget: float | None = DEFAULT_BUDGET_SECONDS,
            confirm: bool = True,
            parametrization: str | Parametrization | None = None,
            quantities: bool = True) -> Analysis:
    """Derive grad L, R = |dL/dx2|/|dL/dx1|, its regions and field quantities, and check them.

    ``variant`` is a catalogue name (or TRL loss_type) or a ``Loss``; ``params`` fixes
    constants to exact values (validated against their domains). ``budget`` bounds the
    symbolic derivation in seconds: past it the result is returned incomplete, with
    every verdict unknown, rather than hanging.

    ``parametrization`` (``"log"``, ``"softmax"``, ``"softmax:K"``, a user map, or a
    Parametrization) analyses the velocity the loss induces in that frame instead:
    the field is M grad L = -dx/dt, its ratio the speed ratio |dx2/dt| / |dx1/dt|,
    and the built-in claims are checked there (see ``dpo_proofs.field.frames``).

    ``quantities=False`` leaves the conserved quantity and the limits as x2 -> 0+ to be
    derived on first use (``verify`` never shows them; they cost half of a field).
    """
    loss = get_variant(variant) if isinstance(variant, str) else variant
    frame = None if parametrization is None else get_parametrization(parametrization)
    # Derived once per content (see dpo_proofs.cache): the budget is not part of the key,
    # because only results no budget cut short are kept. The lean analysis (what verify
    # needs) is derived first; a full one adds the on-demand quantities to it, and serves
    # a later lean request too.
    key = (loss, dict(params or {}), confirm, frame)

    def lean() -> Analysis:
        return cached("analysis", (*key, False),
                      lambda: _analyze(loss, params, budget, confirm, frame),
                      also=((*key, True),))

    if not quantities:
        return lean()
    return cached("analysis", (*key, True), lambda: _with_quantities(lean(), budget))


def _with_quantities(analysis: Analysis, budget: float | None) -> Analysis:
    """``analysis`` with its fields' on-demand quantities (on expiry of the budget: not
    derived, with the reason), its second-order facts and its Gram-frame dynamics."""
    fields = [f for f in (analysis.field, analysis.probability_field) if f is not None]
    try:
        with time_budget(budget, f"the conserved quantity and limits of {analysis.loss.name}"):
            for f in fields:
                f.derive_all()
    except DerivationTimeout as error:
        for f in fields:
            f.not_derived(str(error))
    if analysis.field is None:
        return analysis
    gram = gram_dynamics(analysis.loss) if analysis.parametrization is None else None
    return dataclasses.replace(analysis, gram=gram, second_order=second_order(  # loss: bound
        analysis.loss, analysis.parametrization, budget, quick=True))


def _analyze(loss: Loss, params, budget, confirm: bool,
             frame: Parametrization | None) -> Analysis:
    start = time.monotonic()
    if frame is not None and frame.name == "probability":
        frame = None
    shown = tuple((k, str(v)) for k, v in sorted((params or {}).items()))
    if params:
        loss = loss.with_parameters(params)
    loss = with_frame_constants(loss, frame)  # the Gram entries a, b, c: constants
    claims = builtin_claims() if frame is None else frame_claims(builtin_claims(), frame)
    try:
        with time_budget(budget, f"deriving the gradient field of {loss.name}"):
            field_ = field_of(loss, frame)
            base = field_ if frame is None else field_of(loss)
    except DerivationTimeout as error:
        unknown = tuple(Verdict(c.name, Status.UNKNOWN, "none", str(error))
                        for c in claims)
        return Analysis(loss, None, (), (), (), unknown, str(error),
                        time.monotonic() - start, shown, frame)
    forms = []
    for source, expr in loss.equivalent_forms:
        try:
            with time_budget(budget, f"comparing with the form of {source}"):
                same, argument = prove_equal(loss.expr, expr)
        except DerivationTimeout as error:
            same, argument = None, str(error)
        forms.append(EquivalentForm(source, expr, same, argument))
    confirmations: tuple[Confirmation, ...] = ()
    findings: tuple[Float64Finding, ...] = ()
    if confirm and frame is None:
        confirmations = confirm_partials(loss, field_.d_x1.closed_form, field_.d_x2.closed_form)
        quantities = {"d_x1": field_.d_x1.closed_form, "d_x2": field_.d_x2.closed_form,
                      "ratio - 1": field_.ratio - 1}
        findings = float64_findings(loss, quantities)
    elif confirm:
        # The frame's field against mpmath derivatives of L(x(theta)) and x(theta);
        # the float64 findings of the loss's partials belong to the probability frame.
        confirmations = confirm_velocity(loss, frame, field_.d_x1.closed_form,
                                         field_.d_x2.closed_form)
    verdicts = tuple(check(c, loss, budget=budget, field=field_) for c in claims)
    stationary = None
    if frame is None:
        # x1*dL/dx1 + x2*dL/dx2 = 0 (the built-in claim, kernel-checked) makes L a
        # function of x1/x2 alone: then the equilibria and flow ends are derived from G
        invariant = next(v for v in verdicts if v.claim == "conserves_x1_sq_plus_x2_sq")
        stationary = equilibria_of(loss, field_, invariant.status is Status.PROVED,
                                   f"the claim x1 dL/dx1 + x2 dL/dx2 = 0 is {invariant.status}")
    return Analysis(loss, field_, tuple(forms), confirmations, findings, verdicts, "",
                    time.monotonic() - start, shown, frame, None if frame is None else base,
                    regions_of(field_, frame), claims, stationary)


def dynamics(variant: str | Loss, parametrization: str | Parametrization = "probability",
             params: Mapping[str, object] | None = None,
             starts: Sequence[tuple[object, object]] = DEFAULT_STARTS,
             budget: float = 20.0, steps: bool = True, solve_orbit: bool = True) -> Dynamics:
    """Derive and check the flow dx/dt = -M grad L of ``variant`` in ``parametrization``.

    ``starts=()``, ``steps=False`` and ``solve_orbit=False`` skip the ODE checks, the
    discrete-step term and the explicit orbit x2(x1) (the conserved quantity and the
    limit point alone, as the derivation documents show them).

    Closed forms keep the loss's constants symbolic (``params`` fixes some of them);
    the numerical checks evaluate them at the constants' defaults.
    """
    loss = get_variant(variant) if isinstance(variant, str) else variant
    frame = get_parametrization(parametrization)
    points = _starts(starts, frame, starts is not DEFAULT_STARTS)  # bad starts fail first
    fixed = loss.bind(params or {})
    if fixed:
        loss = loss.with_parameters({s.name: v for s, v in fixed.items()})
    # Constants stay symbolic in the derivation: with numbers such as beta = 1/10 the
    # orbit equation keeps powers x1**(11/10) that no longer separate.
    values = {p.symbol: p.default for p in loss.parameters}
    field = field_of(loss, None if frame.name == "probability" else frame)
    try:  # derived on first use (see GradientField.conserved): under the budget here
        with time_budget(budget, f"the conserved quantity in the {frame.name} frame"):
            I = field.conserved.expr if field.conserved else None
            reason = field.conserved_reason
    except DerivationTimeout as error:
        I, reason = None, str(error)
    orbit_ = None
    if I is None:
        limit = LimitPoint(None, None, "not derived", f"no conserved quantity: {reason}")
    else:
        orbit_ = orbit(I, values, budget) if solve_orbit else None
        limit = limit_point(I, frame, _monotone(loss, frame, field, budget), field, values,
                            budget)
    g = (field.d_x1.closed_form, field.d_x2.closed_form)
    functions = orbit_functions(g, I, values) if points else None
    checks = tuple(orbit_check(functions, limit, frame, start, values)
                   for start in points)
    first = (canonical(-g[0]), canonical(-g[1]))
    second, point, checked_steps = None, ("-", "-"), ()
    if steps:
        second = second_order_term(field_of(loss), frame, budget)
        point, checked_steps = step_checks(loss, frame, field, second, values)
    shown = tuple((s.name, sp.sstr(v)) for s, v in {**fixed, **values}.items())
    return Dynamics(loss.name, frame.name, shown, I, reason, orbit_, limit,
                    checks, first, second, point, checked_steps)


def _monotone(loss: Loss, frame: Parametrization, field: GradientField, budget) -> bool:
    """Whether x1 rises and x2 falls on the whole frame. The field's own sign analysis
    settles it when the signs are fixed on the square; otherwise the verdict engine
    decides the claims on the frame's domain."""
    if field.d_x1.sign.sign == -1 and field.d_x2.sign.sign == 1:
        return True
    claims = {c.name: c for c in frame_claims(builtin_claims(), frame)}
    return all(check(claims[n], loss, budget=budget, field=field).status is Status.PROVED
               for n in ("x1_increases", "x2_decreases"))


def _starts(starts, frame, given: bool):
    """Exact starting points on the frame (x2 = 1 - x1 on an edge frame). A start the
    user gave that is not a probability pair, or lies outside the frame, is an error;
    default starts outside a simplex frame are left out."""
    out = []
    for pair in starts:
        try:
            a, b = (sp.Rational(str(v).strip()) for v in pair)
        except (TypeError, ValueError, SyntaxError) as error:
            raise InvalidArgument(f"start {pair!r}: expected two numbers x1, x2") from error
        if not (0 < a <= 1 and 0 < b <= 1):
            raise InvalidArgument(f"start ({a}, {b}) is outside the domain (0, 1]^2")
        moved = on_frame({"x1": a, "x2": b}, frame)
        if given and moved is not None and moved["x2"] != b:
            moved = None
        if moved is None:
            if given:
                raise InvalidArgument(f"start ({a}, {b}) is outside the {frame.name} frame's "
                                      f"domain {sp.sstr(frame.domain)}")
            continue
        out.append((moved["x1"], moved["x2"]))
    return out


#: Seconds for each symbolic derivation when writing documents: generous, because a
#: derivation cut short by a loaded machine would make the committed documents flap.
DERIVE_BUDGET = 120.0
#: Seconds for each parametrization's field and claims in a document: far above the slowest
#: (kto_pair's softmax frame: ~32 s idle, over 120 s loaded), so load cannot flap a document.
FRAME_BUDGET = 900.0


def derive(variant: str | Loss, params: Mapping[str, object] | None = None,
           budget: float | None = DERIVE_BUDGET, frames: bool = False) -> Derivation:
    """analyze(variant) plus the checked step-by-step derivation of both partials; with
    ``frames``, also the field, built-in claims and flow in every built-in parametrization."""
    loss = get_variant(variant) if isinstance(variant, str) else variant
    key = (loss, dict(params or {}))
    if frames:
        return cached("derivation", (*key, True), lambda: _derive(loss, params, budget, True))
    # A derivation with the frames holds the one without them: served from it if cached.
    d = cached("derivation", (*key, False), lambda: _derive(loss, params, budget, False),
               also=((*key, True),))
    return dataclasses.replace(d, frames=(), flows=(), second_order=(), frame_verdicts=())


def _derive(loss: Loss, params, budget, frames: bool) -> Derivation:
    analysis = analyze(loss, params=params, budget=budget)
    loss = analysis.loss
    form = margin_form(loss)
    if analysis.field is None:
        return Derivation(analysis, form, ())
    partials = tuple(partial_steps(loss, analysis.field, s, form, budget) for s in (x1, x2))
    if not frames:
        return Derivation(analysis, form, partials)
    names = [n for n in BUILTIN_PARAMETRIZATIONS if n != "probability"]
    frame_budget = FRAME_BUDGET if budget is None else max(budget, FRAME_BUDGET)
    others = []
    for n in names:
        frame = get_parametrization(n)
        try:
            with time_budget(frame_budget, f"the {n} frame of {loss.name}"):
                framed = field_of(loss, frame)
                # the two regions a document shows for a frame (frames_section)
                others.append((frame, framed, "",
                               regions_of(framed, frame, ("ratio_gt_1", "ratio_eq_1"))))
        except DerivationTimeout as error:
            others.append((frame, None, str(error), ()))
    flows = tuple(dynamics(loss, n, starts=(), steps=False, solve_orbit=False,
                           budget=frame_budget) for n in ("probability", *names))
    second = (analysis.second_order, second_order(loss, get_parametrization("log"), budget))
    verdicts = (("probability", analysis.verdicts),) + tuple((n, analyze(  # cached: `frames`
        loss, params=params, budget=frame_budget, parametrization=n, quantities=False).verdicts)
        for n in names)
    return Derivation(analysis, form, partials, tuple(others), flows, second, verdicts)


def derive_all(names: Sequence[str] | None = None, budget: float | None = DERIVE_BUDGET,
               jobs: int | None = None, frames: bool = True,
               on_done: Callable[[str], None] | None = None) -> list[Derivation]:
    """derive() for each catalogued variant (catalogue order), in ``jobs`` worker
    processes (default: one per CPU). Each derivation is independent, so the result does
    not depend on the number of workers. ``on_done(name)`` is called as each finishes."""
    names = list(variant_names() if names is None else names)
    return for_each(_derive_task, [(n, budget, frames) for n in names], names, jobs, on_done)


def analyze_all(names: Sequence[str] | None = None, budget: float | None = DEFAULT_BUDGET_SECONDS,
                jobs: int | None = None, quantities: bool = True,
                on_done: Callable[[str], None] | None = None) -> list[Analysis]:
    """analyze() for each named variant (default: the catalogue), in order, over ``jobs``
    worker processes (default: one per CPU); ``on_done(name)`` as each finishes."""
    names = [get_variant(n).name for n in (variant_names() if names is None else names)]
    return for_each(_analyze_task, [(n, budget, quantities) for n in names], names, jobs,
                    on_done)


def _derive_task(task) -> Derivation:
    return derive(task[0], budget=task[1], frames=task[2])


def _analyze_task(task) -> Analysis:
    name, budget, quantities = task
    return analyze(name, budget=budget, quantities=quantities)


def class_theorem() -> ClassTheorem:
    """The margin-loss class theorem, proved with an undefined l (see field.theorem)."""
    return margin_loss_theorem()


def values_at(result: Analysis, at: Mapping[str, str]) -> dict:
    """Evaluate the derived quantities at one point, at 50 digits (validated input)."""
    loss = result.loss
    at = dict(at)
    point = {"x1": X1.validate(at.pop("x1", "0.5")), "x2": X2.validate(at.pop("x2", "0.5"))}
    for name, value in at.items():
        point[name] = loss.parameter(name).validate(value)
    for p in loss.parameters:
        point.setdefault(p.name, p.default)
    # the loss's own symbols (a user parameter may be real, not positive)
    by_name = {"x1": X1.symbol, "x2": X2.symbol, **{p.name: p.symbol for p in loss.parameters}}
    symbols = [by_name[n] for n in point]
    f = result.field
    quantities = {"loss": loss.elementary}
    if f is not None:
        base = result.probability_field or f
        quantities.update({"d_x1": base.d_x1.closed_form, "d_x2": base.d_x2.closed_form,
                           "ratio": f.ratio})
        if result.probability_field is not None:
            quantities.update({"velocity_x1": -f.d_x1.closed_form,
                               "velocity_x2": -f.d_x2.closed_form})
    out = {}
    with mpmath.workdps(50):
        for name, expr in quantities.items():
            fn = mp_callable(expr, symbols)
            try:
                value = fn(*[to_mpf(v) for v in point.values()])
            except (ZeroDivisionError, ValueError, OverflowError, TypeError) as error:
                # e.g. orpo's log(1 - x1) at x1 = 1: the quantity has no value there
                out[name] = f"undefined ({type(error).__name__})"
                continue
            if isinstance(value, mpmath.mpc) and value.imag != 0:
                out[name] = "undefined (not real)"
            elif not mpmath.isfinite(value):
                out[name] = f"undefined ({mpmath.nstr(value, 5)})"
            else:
                out[name] = mpmath.nstr(mpmath.re(value), 50)
    return {"point": {k: sp.sstr(v) for k, v in point.items()}, "values": out}


def figure_fields(loss: Loss, frames: Sequence[str | Parametrization] | None = None,
                  params: Mapping[str, object] | None = None) -> list[FieldFunctions]:
    """The field of ``loss`` in each frame (default: the probability frame alone) as numpy
    functions for the figures: M grad L derived with the constants symbolic (field_of,
    cached per process), then lambdified at ``params`` (else the defaults). Bad frame
    names and constants raise InvalidArgument before anything is derived."""
    chosen = [get_parametrization(f) for f in (frames or ("probability",))]
    loss.bind(params or {})  # validate the constants first: deriving may take seconds
    return [field_functions(loss, field_of(loss, None if frame.is_identity else frame),
                            frame, params) for frame in chosen]
