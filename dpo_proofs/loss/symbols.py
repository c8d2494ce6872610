"""The standard symbols and the parameter type.

x1 = pi_theta(y_w|x) and x2 = pi_theta(y_l|x) are the policy's probabilities of the
preferred and dispreferred responses, r_w and r_l the reference model's, beta > 0 the
inverse temperature. All are declared positive so that sympy may use
log(a*b) = log(a) + log(b) and (a*b)**c = a**c * b**c, which hold on the domain.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

__all__ = ["x1", "x2", "r_w", "r_l", "beta", "PROBABILITIES", "REFERENCES",
           "STANDARD_SYMBOLS", "Parameter", "interval_text", "UNIT", "POSITIVE",
           "parse_number", "check_magnitude", "MAX_DECIMAL_EXPONENT", "MAX_DIGITS",
           "MAX_PARAMETER", "H", "X1_0", "X2_0", "LOSS", "D_X1", "D_X2", "RATIO",
           "HESS_11", "HESS_12", "HESS_22", "HESS_DET", "HESS_TRACE", "HESSIAN_SYMBOLS",
           "QUANTITY_SYMBOLS", "INTERNAL_NAMES", "V_W", "V_L", "MARGIN_RATE", "S_W", "S_L",
           "GRAM_A", "GRAM_B", "GRAM_C", "GRAM_PARAMETERS"]

x1, x2 = sp.symbols("x1 x2", positive=True)
r_w, r_l = sp.symbols("r_w r_l", positive=True)
beta = sp.Symbol("beta", positive=True)

PROBABILITIES: tuple[sp.Symbol, sp.Symbol] = (x1, x2)
REFERENCES: tuple[sp.Symbol, sp.Symbol] = (r_w, r_l)
STANDARD_SYMBOLS: dict[str, sp.Symbol] = {
    "x1": x1, "x2": x2, "r_w": r_w, "r_l": r_l, "beta": beta}


# Named symbols of the later stages, declared here so that the loss stage can reserve
# their names for user parameters without importing those stages.
#: The margin as a single symbol, for L = phi(h) (derivation steps).
H = sp.Symbol("h", real=True)
#: The starting point (x1_0, x2_0) of a trajectory (flow closed forms).
X1_0, X2_0 = sp.symbols("x1_0 x2_0", positive=True)
#: The derived quantities a claim may name.
LOSS, D_X1, D_X2, RATIO = sp.symbols("loss d_x1 d_x2 ratio", real=True)
#: The Hessian of L in the frame's coordinates: entries, determinant, trace.
HESS_11, HESS_12, HESS_22, HESS_DET, HESS_TRACE = sp.symbols(
    "hess_11 hess_12 hess_22 hess_det hess_trace", real=True)
HESSIAN_SYMBOLS = (HESS_11, HESS_12, HESS_22, HESS_DET, HESS_TRACE)
#: The velocities of u_w = log x1 and u_l = log x2 under the frame's flow, and of the
#: log-ratio margin u_w - u_l (v_w - v_l): the quantities the Gram-frame papers state.
V_W, V_L, MARGIN_RATE = sp.symbols("v_w v_l margin_rate", real=True)
#: The loss's incentives, frame-free: s_w = -dL/du_w = -x1 dL/dx1 (push on the chosen),
#: s_l = dL/du_l = x2 dL/dx2 (push on the rejected).
S_W, S_L = sp.symbols("s_w s_l", real=True)
QUANTITY_SYMBOLS: dict[str, sp.Symbol] = {
    "loss": LOSS, "d_x1": D_X1, "d_x2": D_X2, "ratio": RATIO,
    "v_w": V_W, "v_l": V_L, "margin_rate": MARGIN_RATE, "s_w": S_W, "s_l": S_L,
    **{s.name: s for s in HESSIAN_SYMBOLS}}
#: Every name above: a user parameter may not take one.
INTERNAL_NAMES = frozenset({"x1", "x2", H.name, X1_0.name, X2_0.name, *QUANTITY_SYMBOLS})

#: (0, 1], the domain of a probability.
UNIT = sp.Interval.Lopen(0, 1)
#: (0, oo), the domain of beta and of most scale parameters.
POSITIVE = sp.Interval.open(0, sp.oo)


#: A number typed by the user has magnitude within 10^-1000 .. 10^1000 (or is 0): larger
#: exponents make sympy build integers of that many digits (1e99999999 ran for minutes).
MAX_DECIMAL_EXPONENT = 1000
#: Significant digits of a typed number (numerator and denominator each).
MAX_DIGITS = 100
#: Largest |value| of a constant: beyond float range the numeric checks overflow, and
#: beta = 1e400 made the symbolic derivation grow to 7.8 GB.
MAX_PARAMETER = sp.Integer(10) ** 300

_DECIMAL = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_NUMBER_TEXT = re.compile(rf"^\s*([-+]?)\s*({_DECIMAL})\s*(?:/\s*({_DECIMAL}))?\s*$")


def _decimal(text: str, what: str) -> sp.Rational:
    """A decimal literal as an exact Rational, its exponent and digits bounded first."""
    from ..errors import InvalidArgument

    mantissa, _, exponent = text.lower().partition("e")
    digits = mantissa.replace(".", "").lstrip("0")
    if len(digits) > MAX_DIGITS:
        raise InvalidArgument(f"{what}: more than {MAX_DIGITS} significant digits")
    if exponent and (len(exponent.lstrip("+-").lstrip("0")) > 6
                     or abs(int(exponent)) > 10 * MAX_DECIMAL_EXPONENT):
        raise InvalidArgument(f"{what}: exponent {exponent} is outside "
                              f"-{MAX_DECIMAL_EXPONENT}..{MAX_DECIMAL_EXPONENT}")
    return sp.Rational(text)


def check_magnitude(value: sp.Rational, what: str) -> sp.Rational:
    """Refuse a nonzero number outside 10^-1000 .. 10^1000 (exactly, by integer sizes)."""
    from ..errors import InvalidArgument

    if value != 0:
        p, q = abs(int(value.p)), int(value.q)
        bound = 10 ** MAX_DECIMAL_EXPONENT
        if p > bound * q or p * bound < q:
            raise InvalidArgument(f"{what}: magnitude outside 1e-{MAX_DECIMAL_EXPONENT}.."
                                  f"1e{MAX_DECIMAL_EXPONENT}")
    return value


def parse_number(text: str, what: str = "number") -> sp.Rational:
    """'0.5', '-1e-3', '1/3', '2.5e2/7' -> an exact Rational, or InvalidArgument.

    Only decimal literals and one '/' are read (never eval or sympify); the size of the
    literal is checked before any big integer is built, and a zero denominator, nan or
    inf is refused with a one-line message naming ``what``.
    """
    from ..errors import InvalidArgument

    if not isinstance(text, str):
        text = str(text)
    if len(text) > 4 * MAX_DIGITS:
        raise InvalidArgument(f"{what}: number longer than {4 * MAX_DIGITS} characters")
    m = _NUMBER_TEXT.match(text)
    if not m:
        shown = text if len(text) <= 40 else text[:37] + "..."
        if shown.strip().lower().lstrip("+-") in ("nan", "inf", "infinity", "oo"):
            raise InvalidArgument(f"{what}: {shown!r} is not a finite real number")
        raise InvalidArgument(f"{what}: {shown!r} is not a number (write e.g. 0.5, 1e-3 or 1/3)")
    sign, num, den = m.groups()
    value = _decimal(num, what)
    if den is not None:
        d = _decimal(den, what)
        if d == 0:
            raise InvalidArgument(f"{what}: division by zero in {text.strip()!r}")
        value = value / d
    value = -value if sign == "-" else value
    return check_magnitude(value, what)


def interval_text(interval: sp.Interval) -> str:
    """(0, 1] style text of a sympy Interval (what a user types on the CLI)."""
    if not isinstance(interval, sp.Interval):
        return sp.sstr(interval)
    left = "(" if interval.left_open else "["
    right = ")" if interval.right_open else "]"
    return f"{left}{sp.sstr(interval.start)}, {sp.sstr(interval.end)}{right}"


@dataclass(frozen=True)
class Parameter:
    """A constant of a loss: its symbol, the interval it ranges over, and a default.

    ``integer`` marks counts such as token lengths.
    """

    symbol: sp.Symbol
    domain: sp.Interval
    default: sp.Expr
    description: str = ""
    integer: bool = False

    @property
    def name(self) -> str:
        return self.symbol.name

    @property
    def domain_text(self) -> str:
        """The domain as a user types it: (0, 1], [0, 1/2), ..."""
        return interval_text(self.domain)

    def validate(self, value: object) -> sp.Expr:
        """Return ``value`` as an exact sympy number, or raise InvalidArgument."""
        from ..errors import InvalidArgument

        what = f"{self.name}={value!r}" if len(repr(value)) <= 40 else self.name
        if isinstance(value, sp.Basic):
            number = value
        elif isinstance(value, bool) or not isinstance(value, (str, int, float)) and \
                not hasattr(value, "__float__"):
            raise InvalidArgument(f"{what} is not a number")
        else:
            # repr of a float is its shortest round-trip decimal; nan and inf are refused
            number = parse_number(value if isinstance(value, str) else repr(
                value if isinstance(value, (int, float)) else float(value)), what)
        if not getattr(number, "is_real", False) or not number.is_finite:
            raise InvalidArgument(f"{what} is not a finite real number")
        if number.is_Rational:
            check_magnitude(number, what)
        if abs(number) > MAX_PARAMETER:
            raise InvalidArgument(f"{what}: |value| larger than 1e300 is not supported")
        if self.domain.contains(number) is not sp.true:
            raise InvalidArgument(
                f"{self.name}={value!r} is outside its domain {interval_text(self.domain)}")
        if self.integer and not number.is_integer:
            raise InvalidArgument(f"{self.name}={value!r} must be an integer")
        return number


BETA = Parameter(beta, POSITIVE, sp.Rational(1, 10), "inverse temperature of the implicit reward")
R_W = Parameter(r_w, UNIT, sp.Rational(1, 2), "reference probability of the preferred response")
R_L = Parameter(r_l, UNIT, sp.Rational(1, 2), "reference probability of the dispreferred response")
X1 = Parameter(x1, UNIT, sp.Rational(1, 2), "policy probability of the preferred response")
X2 = Parameter(x2, UNIT, sp.Rational(1, 2), "policy probability of the dispreferred response")

# The Gram frame's constants: a = |grad log pi_w|^2, b = |grad log pi_l|^2 and
# c = <grad log pi_w, grad log pi_l> (c^2 <= a*b, stated by the frame). The defaults
# G = I are the log frame.
GRAM_A = Parameter(sp.Symbol("a", positive=True), POSITIVE, sp.Integer(1),
                   "Gram entry |grad_theta log pi(y_w)|^2")
GRAM_B = Parameter(sp.Symbol("b", positive=True), POSITIVE, sp.Integer(1),
                   "Gram entry |grad_theta log pi(y_l)|^2")
GRAM_C = Parameter(sp.Symbol("c", real=True), sp.Interval(-sp.oo, sp.oo), sp.Integer(0),
                   "Gram entry <grad_theta log pi(y_w), grad_theta log pi(y_l)>")
GRAM_PARAMETERS = (GRAM_A, GRAM_B, GRAM_C)
