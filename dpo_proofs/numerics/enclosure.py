"""Certified evaluation at an exact point: outward-rounded enclosures at rising precision.

``enclose(expr, point, prec)`` returns an interval [lo, hi] (an ``mpmath.iv.mpf``) that
contains the exact value of ``expr`` at the rational ``point``: every operation is
mpmath's interval arithmetic (``mpmath.libmp.libmpi``) with lower ends rounded down and
upper ends rounded up, at ``prec`` bits given explicitly to each operation (no global
precision is read or set, so concurrent threads cannot disturb each other).

A sign is *certified* when an enclosure excludes 0: if lo > 0 then the value is > 0,
whatever the rounding errors were. Raising the precision only narrows the enclosure,
so ``certified_sign`` climbs a ladder of precisions (256 ... 16384 bits) until one
excludes 0. A value that is exactly 0 is never certified by an enclosure (every
enclosure of 0 contains 0); it is certified only by exact evaluation: substituting the
rationals into the expression and letting sympy's exact arithmetic reduce it to the
integer 0 (polynomials and rational functions always reduce; ``log(1)`` does too).

Two precisions that *agree* prove nothing: log(1e-30 + 1e-300) - log(1e-30) is 0 at
60 and at 120 digits, and 1e-270 in fact. An enclosure at 256 bits is [-1e-77, 1e-77]
here, which does not exclude 0, so the ladder goes on to 1024 bits, where it is
[0.99e-270, 1.01e-270]: positive, certified.

``certify_violation`` applies this to the engine's problems ``expr op 0`` (see
``engine.Problem``): the point is certified inside the domain and the claim certified
violated there, or the result is None.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction

import mpmath
import sympy as sp
from mpmath.libmp import (fhalf, fnan, fone, from_int, from_rational, fzero,
                          mpf_cmp, mpf_sign, round_ceiling, round_floor)
from mpmath.libmp import libmpi

from ..field.signs import RELATION_OPS
from ..loss.functions import to_elementary

__all__ = ["Undecided", "NotReal", "enclose", "compiled", "bind", "positive", "negative",
           "RELATIONS", "PRECISION_LADDER"]

#: Precisions (bits) tried in turn; 16384 bits resolve differences down to ~1e-4900.
PRECISION_LADDER = (256, 1024, 4096, 16384)

_Interval = tuple  # (lo, hi) as raw mpmath mpf tuples


class Undecided(ArithmeticError):
    """A condition (Piecewise branch, sign, Heaviside, a base's sign) straddles at this
    precision: a higher precision may decide it."""


class NotReal(ValueError):
    """The expression has no real value at the point (log of a negative number, ...)."""


# ---------------------------------------------------------------- interval primitives

def _exact(q: Fraction | sp.Rational, prec: int) -> _Interval:
    p, d = (int(q.numerator), int(q.denominator)) if isinstance(q, Fraction) else \
        (int(q.p), int(q.q))
    return (from_rational(p, d, prec, round_floor), from_rational(p, d, prec, round_ceiling))


def _is_nan(x: _Interval) -> bool:
    return x[0] == fnan or x[1] == fnan


def positive(x: _Interval) -> bool:
    return not _is_nan(x) and mpf_sign(x[0]) > 0


def negative(x: _Interval) -> bool:
    return not _is_nan(x) and mpf_sign(x[1]) < 0


def _zero(x: _Interval) -> bool:
    # A degenerate [0, 0] enclosure is exact: the value lies in it.
    return x[0] == fzero and x[1] == fzero


def _log(x: _Interval, prec: int) -> _Interval:
    if _is_nan(x) or mpf_sign(x[1]) <= 0:
        raise NotReal("log of a non-positive number")
    if mpf_sign(x[0]) <= 0:
        raise Undecided("the argument of log is not certified positive")
    return libmpi.mpi_log(x, prec)


def _pow(base: _Interval, exponent: sp.Expr, e: _Interval, prec: int) -> _Interval:
    if exponent.is_Integer:
        n = int(exponent)
        if n < 0 and not (positive(base) or negative(base)):
            raise Undecided("a negative power of a base not certified non-zero")
        return libmpi.mpi_pow_int(base, n, prec)
    # Real powers with a non-integer exponent are defined for base >= 0 (sympy's
    # principal value of a negative base to a fractional power is complex).
    if _is_nan(base) or mpf_sign(base[1]) < 0:
        raise NotReal("a fractional power of a negative number")
    if positive(base):
        return libmpi.mpi_exp(libmpi.mpi_mul(e, _log(base, prec), prec), prec)
    if _zero(base) and positive(e):
        return (fzero, fzero)
    if mpf_sign(base[0]) >= 0 and positive(e):
        # t**e is increasing in t >= 0 for e > 0: [0, max over e of hi**e].
        top = (base[1], base[1])
        upper = libmpi.mpi_exp(libmpi.mpi_mul(e, libmpi.mpi_log(top, prec), prec), prec)
        return (fzero, upper[1])
    raise Undecided("a power of a base not certified positive")


def _max(args: Sequence[_Interval]) -> _Interval:
    lo = functools.reduce(lambda a, b: a if mpf_cmp(a, b) >= 0 else b, [a[0] for a in args])
    hi = functools.reduce(lambda a, b: a if mpf_cmp(a, b) >= 0 else b, [a[1] for a in args])
    return (lo, hi)


def _min(args: Sequence[_Interval]) -> _Interval:
    lo = functools.reduce(lambda a, b: a if mpf_cmp(a, b) <= 0 else b, [a[0] for a in args])
    hi = functools.reduce(lambda a, b: a if mpf_cmp(a, b) <= 0 else b, [a[1] for a in args])
    return (lo, hi)


def _sign_of(x: _Interval) -> int:
    if positive(x):
        return 1
    if negative(x):
        return -1
    if _zero(x):
        return 0
    raise Undecided("the sign of a sub-expression straddles 0")


# ---------------------------------------------------------------- compilation

_Env = Mapping[sp.Symbol, Fraction]
_Node = Callable[[_Env, int], _Interval]

RELATIONS = RELATION_OPS


def _decide(gap: _Interval, op: str) -> bool:
    """Whether ``gap op 0`` holds, from an enclosure of gap; Undecided if it straddles."""
    s = _sign_of(gap)
    return {">": s > 0, ">=": s >= 0, "<": s < 0, "<=": s <= 0, "=": s == 0,
            "!=": s != 0}[op]


def _compile_condition(cond: sp.Basic) -> Callable[[_Env, int], bool]:
    if cond is sp.true or cond is True:
        return lambda env, prec: True
    if cond is sp.false or cond is False:
        return lambda env, prec: False
    if type(cond) in RELATIONS:
        gap, op = _compile(cond.lhs - cond.rhs), RELATIONS[type(cond)]
        return lambda env, prec: _decide(gap(env, prec), op)
    parts = [_compile_condition(a) for a in cond.args]
    if isinstance(cond, sp.And):
        return lambda env, prec: all(p(env, prec) for p in parts)
    if isinstance(cond, sp.Or):
        return lambda env, prec: any(p(env, prec) for p in parts)
    if isinstance(cond, sp.Not):
        return lambda env, prec: not parts[0](env, prec)
    raise ValueError(f"no certified evaluation for the condition {sp.sstr(cond)[:80]}")


def _compile(expr: sp.Basic) -> _Node:
    """A closure (env, prec) -> enclosure; env maps the symbols to exact Fractions."""
    if isinstance(expr, sp.Symbol):
        def symbol(env, prec):
            if expr not in env:
                raise ValueError(f"no value for {expr} in the point")
            return _exact(env[expr], prec)
        return symbol
    if expr.is_Rational:
        q = Fraction(int(expr.p), int(expr.q))
        return lambda env, prec: _exact(q, prec)
    if isinstance(expr, sp.Float):
        q = Fraction(*map(int, sp.Rational(expr).as_numer_denom()))  # a binary float: exact
        return lambda env, prec: _exact(q, prec)
    if expr is sp.pi:
        return lambda env, prec: libmpi.mpi_pi(prec)
    if expr is sp.E:
        return lambda env, prec: libmpi.mpi_exp((fone, fone), prec)
    if expr in (sp.oo, -sp.oo, sp.zoo, sp.nan) or expr.is_number and not expr.is_real:
        raise ValueError(f"{sp.sstr(expr)} has no real value")
    args = [_compile(a) for a in expr.args] if not isinstance(expr, sp.Piecewise) else []
    if isinstance(expr, sp.Add):
        def add(env, prec):
            return functools.reduce(lambda s, f: libmpi.mpi_add(s, f(env, prec), prec),
                                    args[1:], args[0](env, prec))
        return add
    if isinstance(expr, sp.Mul):
        def mul(env, prec):
            return functools.reduce(lambda s, f: libmpi.mpi_mul(s, f(env, prec), prec),
                                    args[1:], args[0](env, prec))
        return mul
    if isinstance(expr, sp.Pow):
        base, exponent = args
        if expr.exp.is_Integer:
            return lambda env, prec: _pow(base(env, prec), expr.exp, None, prec)
        return lambda env, prec: _pow(base(env, prec), expr.exp, exponent(env, prec), prec)
    if isinstance(expr, sp.exp):
        return lambda env, prec: libmpi.mpi_exp(args[0](env, prec), prec)
    if isinstance(expr, sp.log):
        if len(args) != 1:
            raise ValueError("log with a base")  # sympy writes log(x, b) as log(x)/log(b)
        return lambda env, prec: _log(args[0](env, prec), prec)
    if isinstance(expr, sp.tanh):
        # tanh z = 1 - 2/(exp(2z) + 1), monotone: enclose it through its ends.
        def tanh(env, prec):
            z = args[0](env, prec)
            two_z = libmpi.mpi_mul(z, (from_int(2), from_int(2)), prec)
            e = libmpi.mpi_add(libmpi.mpi_exp(two_z, prec), (fone, fone), prec)
            return libmpi.mpi_sub((fone, fone),
                                  libmpi.mpi_div((from_int(2), from_int(2)), e, prec), prec)
        return tanh
    if isinstance(expr, sp.Abs):
        return lambda env, prec: libmpi.mpi_abs(args[0](env, prec), prec)
    if isinstance(expr, sp.sign):
        def sign(env, prec):
            s = _sign_of(args[0](env, prec))
            return (from_int(s), from_int(s))
        return sign
    if isinstance(expr, sp.Max):
        return lambda env, prec: _max([a(env, prec) for a in args])
    if isinstance(expr, sp.Min):
        return lambda env, prec: _min([a(env, prec) for a in args])
    if isinstance(expr, sp.Heaviside):
        at_zero = args[1] if len(args) > 1 else None

        def heaviside(env, prec):
            s = _sign_of(args[0](env, prec))
            if s == 0:
                if at_zero is None:
                    return (fhalf, fhalf)  # sympy's Heaviside(0) = 1/2
                return at_zero(env, prec)
            return (fone, fone) if s > 0 else (fzero, fzero)
        return heaviside
    if isinstance(expr, sp.Piecewise):
        # A branch with no real value (nan where the partials vanish and R = 0/0) is
        # compiled to "undefined here": it must not stop the other branches' evaluation.
        branches = [(_undefined(e) if e in (sp.oo, -sp.oo, sp.zoo, sp.nan) else _compile(e),
                     _compile_condition(c)) for e, c in expr.args]

        def piecewise(env, prec):
            for value, condition in branches:
                if condition(env, prec):
                    return value(env, prec)
            raise NotReal("no branch of the Piecewise applies")
        return piecewise
    raise ValueError(f"no certified evaluation for {type(expr).__name__}: "
                     f"{sp.sstr(expr)[:80]}")


def _undefined(value: sp.Basic) -> _Node:
    def undefined(env, prec):
        raise NotReal(f"the expression is {value} at the point")
    return undefined


@functools.lru_cache(maxsize=512)
def compiled(expr: sp.Basic) -> _Node:
    return _compile(to_elementary(expr))


def _env(point: Mapping) -> dict[sp.Symbol, Fraction]:
    env = {}
    for key, value in point.items():
        symbol = key if isinstance(key, sp.Symbol) else None
        value = sp.Rational(value)
        q = Fraction(int(value.p), int(value.q))
        if symbol is None:
            env[str(key)] = q
        else:
            env[symbol] = q
    return env


def bind(expr: sp.Basic, point: Mapping) -> dict[sp.Symbol, Fraction]:
    """The point keyed by the expression's own symbols (names match whatever assumptions)."""
    env = _env(point)
    by_name = {str(k): v for k, v in env.items()}
    return {s: by_name[s.name] for s in expr.free_symbols if s.name in by_name}


def enclose(expr: sp.Basic, point: Mapping, prec: int) -> mpmath.iv.mpf:
    """An interval that contains the exact value of ``expr`` at ``point``.

    ``point`` maps symbols (or their names) to exact rationals. Raises ``Undecided``
    when a condition inside the expression (a Piecewise condition, sign, Heaviside, a
    power's base) straddles at ``prec`` bits, ``ValueError`` when the expression has no
    real value there or cannot be evaluated.
    """
    a, b = compiled(expr)(bind(expr, point), prec)
    return mpmath.iv.mpf((mpmath.mpf(a), mpmath.mpf(b)))
