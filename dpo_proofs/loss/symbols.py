"""The standard symbols and the parameter type.

x1 = pi_theta(y_w|x) and x2 = pi_theta(y_l|x) are the policy's probabilities of the
preferred and dispreferred responses, r_w and r_l the reference model's, beta > 0 the
inverse temperature. All are declared positive so that sympy may use
log(a*b) = log(a) + log(b) and (a*b)**c = a**c * b**c, which hold on the domain.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

__all__ = ["x1", "x2", "r_w", "r_l", "beta", "PROBABILITIES", "REFERENCES",
           "STANDARD_SYMBOLS", "Parameter", "interval_text", "UNIT", "POSITIVE"]

x1, x2 = sp.symbols("x1 x2", positive=True)
r_w, r_l = sp.symbols("r_w r_l", positive=True)
beta = sp.Symbol("beta", positive=True)

PROBABILITIES: tuple[sp.Symbol, sp.Symbol] = (x1, x2)
REFERENCES: tuple[sp.Symbol, sp.Symbol] = (r_w, r_l)
STANDARD_SYMBOLS: dict[str, sp.Symbol] = {
    "x1": x1, "x2": x2, "r_w": r_w, "r_l": r_l, "beta": beta}

#: (0, 1], the domain of a probability.
UNIT = sp.Interval.Lopen(0, 1)
#: (0, oo), the domain of beta and of most scale parameters.
POSITIVE = sp.Interval.open(0, sp.oo)


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

    def validate(self, value: object) -> sp.Expr:
        """Return ``value`` as an exact sympy number, or raise InvalidArgument."""
        from ..errors import InvalidArgument

        try:
            number = sp.Rational(str(value)) if not isinstance(value, sp.Basic) else value
        except (TypeError, ValueError, SyntaxError):
            raise InvalidArgument(f"{self.name}={value!r} is not a number") from None
        if not getattr(number, "is_real", False) or not number.is_finite:
            raise InvalidArgument(f"{self.name}={value!r} is not a finite real number")
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
