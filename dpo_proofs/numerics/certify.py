"""Certified signs and violations at an exact point, and exact text for points.

A sign is *certified* when an enclosure (``enclosure.enclose``) excludes 0; the ladder
of precisions (256 ... 16384 bits) is climbed until one does. A value that is exactly 0
is certified only by exact evaluation (sympy's exact arithmetic reducing it to 0).
``certify_violation`` applies this to the engine's problems ``expr op 0``: the point is
certified inside the domain and the claim certified violated there, or the result is
None. ``exact_text`` writes a point so that it reads back as the very same rationals.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
import math
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp
from mpmath.libmp import (finf, fninf, from_int, fzero, mpf_abs, mpf_div, mpf_mul,
                          mpf_pow_int)

from .enclosure import (PRECISION_LADDER, RELATIONS, NotReal, Undecided, bind, compiled, negative,
                        positive)

_TEN = from_int(10)
_LOG10_2_NUM, _LOG10_2_DEN = 30102999566398119521373889472449, 10**32

__all__ = ["SignCertificate", "certified_sign", "relation_holds", "undefined_at", "Violation",
           "certify_violation", "exact_text"]


@dataclass(frozen=True)
class SignCertificate:
    """The sign of a value at a point and what certifies it.

    ``exact`` when the value was reduced to a rational by exact arithmetic (then
    ``bits`` is None); otherwise ``bits`` is the precision whose enclosure excluded 0.
    ``enclosure`` is the certifying interval as text (ends rounded outward).
    """

    sign: int
    bits: int | None
    enclosure: str
    exact: bool

    @property
    def digits(self) -> int | None:
        """Decimal digits equivalent to ``bits``."""
        return None if self.bits is None else int(self.bits * math.log10(2))

    def describe(self) -> str:
        if self.exact:
            shown = self.enclosure if len(self.enclosure) <= 40 else \
                f"{self.enclosure[:32]}... ({len(self.enclosure)} characters in full)"
            return f"is exactly {shown} (exact rational arithmetic)"
        return (f"lies in {self.enclosure} (certified with {self.bits} bits, "
                f"about {self.digits} digits, of outward-rounded interval arithmetic)")


def _rational_function(expr: sp.Basic) -> bool:
    return all(isinstance(e, (sp.Add, sp.Mul, sp.Symbol, sp.Rational))
               or (isinstance(e, sp.Pow) and e.exp.is_Integer)
               for e in sp.preorder_traversal(expr))


#: The largest exponent (numerator, at the point) exact substitution evaluates: a rational
#: to the power beta*1000 has a numerator of millions of digits (BDPO's Hessian in the log
#: frame at beta = 1000 held a worker for minutes). Past it, the enclosures decide.
EXACT_POWER = 4096


def _substituted(expr: sp.Basic, point: Mapping) -> sp.Basic | None:
    """``expr`` at the exact point by sympy's exact arithmetic; None when a symbol has no
    value or the substitution would build numbers of millions of digits."""
    env = bind(expr, point)
    if len(env) != len(expr.free_symbols):
        return None
    at = {s: sp.Rational(q.numerator, q.denominator) for s, q in env.items()}
    return None if _too_large(expr, at) else expr.xreplace(at)


def _exact_value(expr: sp.Basic, point: Mapping) -> sp.Rational | None:
    value = _substituted(expr, point)
    return value if isinstance(value, sp.Rational) else None


def _compiled_at(expr: sp.Basic, point: Mapping):
    """(enclosure closure, the point bound to expr's symbols), or None when expr has no
    enclosure or the point leaves a symbol without a value."""
    try:
        node, env = compiled(expr), bind(expr, point)
    except ValueError:
        return None
    return (node, env) if len(env) == len(expr.free_symbols) else None


def _too_large(expr: sp.Basic, at: Mapping) -> bool:
    """Whether exact substitution of ``at`` may build a rational of millions of digits:
    a power with a large exponent, or exp(c*log(q) + ...) with a large c, which sympy
    turns into q**c (SimPO's exp(beta*log(x)) at beta = 1000 and x = 1e-300: an exact
    rational of 300,000 digits per term, gigabytes over a search)."""
    for power in expr.atoms(sp.Pow):
        e = power.exp.xreplace(at)
        if e.is_Rational and abs(e.p) > EXACT_POWER:
            return True
    for function in expr.atoms(sp.exp):
        for term in sp.Add.make_args(function.args[0].xreplace(at)):
            coeff, rest = term.as_coeff_Mul()
            if not (coeff.is_Rational and rest.has(sp.log)):
                continue
            digits = sum(len(str(abs(q.p))) + len(str(q.q)) for q in rest.atoms(sp.Rational))
            if abs(coeff.p) * max(digits, 1) > EXACT_DIGITS:
                return True
    return False


#: The most digits exact substitution may build from exp(c*log(q)) = q**c (see above).
EXACT_DIGITS = 20000


def certified_sign(expr: sp.Basic, point: Mapping,
                   ladder: Sequence[int] = PRECISION_LADDER) -> SignCertificate | None:
    """The certified sign of ``expr`` at the exact ``point``, or None.

    Rational functions are evaluated exactly. Otherwise each precision of the ladder is
    tried until an enclosure excludes 0; if none does, exact substitution is the last
    resort (it certifies an exact 0 such as log(1/3) - log(1/3)). None when nothing
    certifies the sign (the value is 0 but not reducible, is tinier than the last
    precision resolves, or is undefined at the point).
    """
    expr = sp.sympify(expr)
    exact = _rational_function(expr)
    if exact:
        try:
            value = _exact_value(expr, point)
        except ZeroDivisionError:
            return None
        if value is None:
            return None  # zoo or nan: a pole at the point
        return SignCertificate(int(sp.sign(value)), None, exact_text(value), True)
    at = _compiled_at(expr, point)
    if at is None:
        return None
    node, env = at
    for step, prec in enumerate(ladder):
        if step == EXACT_AFTER:
            # Two precisions that do not resolve the sign: most often the value is exactly
            # 0 (a claim that holds with equality), which no precision resolves; exact
            # substitution settles that at once instead of climbing to 16384 bits.
            exact = _exact_certificate(expr, point)
            if exact is not None:
                return exact
        try:
            a, b = node(env, prec)
        except Undecided:
            continue
        except (ValueError, ZeroDivisionError, ArithmeticError):
            return None
        enclosure = (a, b)
        if positive(enclosure) or negative(enclosure):
            return SignCertificate(1 if positive(enclosure) else -1, prec,
                                   _interval_text(a, b), False)
    return None if len(ladder) > EXACT_AFTER else _exact_certificate(expr, point)


def undefined_at(expr: sp.Basic, point: Mapping) -> bool:
    """True when ``expr`` certainly has no real value at the exact ``point`` (a log of
    0 or of a negative number, a division by 0, a nan branch); False when it has one or
    when that cannot be told (a symbol without a value, a function with no enclosure)."""
    expr = sp.sympify(expr)
    if expr.has(sp.nan, sp.zoo) and not expr.has(sp.Piecewise):
        return True
    at = _compiled_at(expr, point)
    if at is None:
        return False
    node, env = at
    for prec in PRECISION_LADDER[:EXACT_AFTER]:
        try:
            node(env, prec)
            return False
        except Undecided:
            continue
        except (NotReal, ZeroDivisionError):
            return True
        except (ValueError, ArithmeticError):
            return False
    # Both precisions undecided: most often a denominator exactly 0 at the point (an
    # interval [0, 0] is never certified non-zero); exact substitution tells.
    value = _substituted(expr, point)
    if value is None:
        return False
    return value.has(sp.zoo, sp.nan) or value in (sp.oo, -sp.oo) or value.is_real is False


def _exact_certificate(expr: sp.Basic, point: Mapping) -> SignCertificate | None:
    """The sign by exact substitution, when sympy's exact arithmetic reduces the value to
    a rational (it certifies an exact 0 such as log(1/3) - log(1/3)); else None."""
    value = _exact_value(expr, point)
    if value is None:
        return None
    return SignCertificate(int(sp.sign(value)), None, exact_text(value), True)


#: After how many precisions of the ladder exact substitution is tried (see above).
EXACT_AFTER = 2


_LIKE_ZERO = {">": lambda s: s > 0, ">=": lambda s: s >= 0, "<": lambda s: s < 0,
              "<=": lambda s: s <= 0, "!=": lambda s: s != 0, "=": lambda s: s == 0}


def relation_holds(relation: sp.Basic, point: Mapping) -> bool:
    op = RELATIONS.get(type(relation))
    if op is None:
        return False
    cert = certified_sign(relation.lhs - relation.rhs, point)
    if cert is None or (op == "=" and not cert.exact):
        return False  # an equality holds only by exact evaluation
    return _LIKE_ZERO[op](cert.sign)


@dataclass(frozen=True)
class Violation:
    """A certified violation of ``expr op 0`` at a point: the value's certificate."""

    value: SignCertificate

    @property
    def bits(self) -> int | None:
        return self.value.bits

    @property
    def digits(self) -> int | None:
        return self.value.digits

    @property
    def enclosure(self) -> str:
        return self.value.enclosure

    def details(self) -> dict:
        return {"value_enclosure": self.value.enclosure, "exact": self.value.exact,
                "certified_bits": self.value.bits, "certified_digits": self.value.digits}


#: For ``expr op 0``: the certified signs of expr that violate it.
_VIOLATED_BY = {">": lambda c: c.sign < 0 or (c.sign == 0 and c.exact),
                ">=": lambda c: c.sign < 0,
                "=": lambda c: c.sign != 0,
                "!=": lambda c: c.sign == 0 and c.exact}


def certify_violation(expr: sp.Basic, op: str, domain_relations: Sequence[sp.Basic],
                      point: Mapping) -> Violation | None:
    """A certificate that ``expr op 0`` fails at ``point`` inside the domain, or None.

    Every relation of the domain must be certified at the point (equalities only by
    exact evaluation), and the claim certified violated: for '>' the value certified
    < 0 or exactly 0; for '>=' certified < 0; for '=' an enclosure (or the exact value)
    excluding 0; for '!=' exactly 0.
    """
    if op not in _VIOLATED_BY:
        raise ValueError(f"op must be one of {sorted(_VIOLATED_BY)}, not {op!r}")
    if not all(relation_holds(r, point) for r in domain_relations):
        return None
    cert = certified_sign(expr, point)
    if cert is None or not _VIOLATED_BY[op](cert):
        return None
    return Violation(cert)


# ---------------------------------------------------------------- exact text

def exact_text(value: sp.Rational | Fraction | int) -> str:
    """The exact decimal of a terminating rational (in full), else 'p/q'.

    ``sympy.Rational(exact_text(q)) == q`` always holds: 1/10**300 is '1e-300',
    1 - 1/10**20 is '0.99999999999999999999', 1/3 is '1/3'.
    """
    q = Fraction(int(sp.Rational(value).p), int(sp.Rational(value).q))
    p, d = q.numerator, q.denominator
    if d == 1:
        return str(p)
    twos, fives, rest = 0, 0, d
    while rest % 2 == 0:
        rest, twos = rest // 2, twos + 1
    while rest % 5 == 0:
        rest, fives = rest // 5, fives + 1
    if rest != 1:
        return f"{p}/{d}"
    n = max(twos, fives)
    m = p * 10**n // d  # value = m * 10**-n exactly
    while m % 10 == 0:
        m, n = m // 10, n - 1
    sign, digits = ("-" if m < 0 else ""), str(abs(m))
    if n <= len(digits) + 6:  # positional is short enough
        if n < len(digits):
            return f"{sign}{digits[:len(digits) - n]}.{digits[len(digits) - n:]}"
        return f"{sign}0.{'0' * (n - len(digits))}{digits}"
    exponent = len(digits) - 1 - n
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{mantissa}e{exponent}"


def _outward(x, up: bool, sig: int = 6) -> str:
    """x (a raw mpf) rounded outward to ``sig`` significant decimal digits.

    Computed with mpmath's directed rounding, never as an exact rational: an enclosure
    near a pole can carry a binary exponent of 10**12, whose exact value 2**exp would
    not fit in memory. |x| / 10**k is bounded by rounding 10**k one way and the quotient
    the other, so the printed end is at least as far out as x (only the digit count
    depends on the estimate of the decimal exponent, which is corrected below).
    """
    if x == finf:
        return "inf"
    if x == fninf:
        return "-inf"
    if x == fzero:
        return "0"
    sign, man, exp, bc = x  # the raw mpf: (-1)**sign * man * 2**exp, man of bc bits
    a = mpf_abs(x)
    larger = up == (sign == 0)  # rounding away from zero?
    if abs(exp + bc) > _HUGE_BITS:
        return ("-" if sign else "") + _power_of_ten(exp + bc, larger)
    prec = 4 * sig + 64
    # floor(log10|x|), within one: |x| lies in [2**(exp+bc-1), 2**(exp+bc)), and log10(2)
    # to 32 digits keeps the estimate exact for binary exponents far beyond 10**20.
    e = ((exp + bc - 1) * _LOG10_2_NUM) // _LOG10_2_DEN
    for _ in range(4):
        k = e - sig + 1
        # |x| / 10**k rounded away from zero when ``larger``, towards it otherwise; for
        # k < 0 a product by the integer 10**-k (exact while it fits in ``prec`` bits).
        rnd = "u" if larger else "d"
        if k >= 0:
            scaled = mpf_div(a, mpf_pow_int(_TEN, k, prec, "d" if larger else "u"), prec, rnd)
        else:
            scaled = mpf_mul(a, mpf_pow_int(_TEN, -k, prec, rnd), prec, rnd)
        m = _ceil_int(scaled) if larger else _floor_int(scaled)
        if m > 10 ** sig:
            e += 1
        elif m < 10 ** (sig - 1):
            e -= 1
        else:
            break
    if m == 10 ** sig:
        m, e = 10 ** (sig - 1), e + 1
    digits = str(m).rstrip("0") or "0"
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{'-' if sign else ''}{mantissa}e{e}"


#: Beyond this binary exponent (an enclosure through exp(exp(..)) can reach 2**(10**74))
#: the decimal exponent is bounded directly: scaling by 10**k would not fit in memory.
_HUGE_BITS = 10**15


def _power_of_ten(n: int, larger: bool) -> str:
    """10**E with 10**E >= 2**n >= |x| (``larger``) or 10**E <= 2**(n - 1) <= |x|.

    NUM/DEN < log10(2) < (NUM + 1)/DEN, so each exponent is rounded with the bound of
    log10(2) that keeps the power on the right side of |x|, whatever the sign of n.
    """
    lo, hi = _LOG10_2_NUM, _LOG10_2_NUM + 1
    if larger:   # E >= n*log10(2): ceil of n times an upper bound (for n < 0, the lower)
        e = -((-n * (hi if n > 0 else lo)) // _LOG10_2_DEN)
    else:        # E <= (n - 1)*log10(2)
        m = n - 1
        e = (m * (lo if m > 0 else hi)) // _LOG10_2_DEN
    return f"1e{e}"


def _floor_int(x) -> int:
    """floor of a nonnegative raw mpf of moderate size, exactly."""
    _, man, exp, _ = x
    return man << exp if exp >= 0 else man >> -exp


def _ceil_int(x) -> int:
    _, man, exp, _ = x
    if exp >= 0:
        return man << exp
    return -((-man) >> -exp)


def _interval_text(a, b) -> str:
    return f"[{_outward(a, up=False)}, {_outward(b, up=True)}]"
