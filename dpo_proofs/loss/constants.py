"""The constants the catalogued variants share: their symbols, domains and defaults.

Symbols carry the assumptions their domains imply so that sympy may decide signs. A
constant used by several variants is one symbol (so a mixture shares its value, as TRL
passes one value of each constant to every term of ``loss_type=[...]``).
"""
from __future__ import annotations

import sympy as sp

from .symbols import BETA, POSITIVE, Parameter, beta

__all__ = ["R", "UNIT_OPEN", "LENGTH_DOMAIN", "REAL", "eps", "tau", "gamma", "lam", "alpha",
           "n_w", "n_l", "delta", "z0", "lambda_D", "lambda_U", "eps_ls", "PARAMETER_SYMBOLS",
           "N_W", "N_L", "param", "beta_param", "log_u", "LABEL_SMOOTHING", "REF_FREE_NOTE"]

R = sp.Rational
UNIT_OPEN = sp.Interval.open(0, 1)
LENGTH_DOMAIN = sp.Interval(1, sp.oo)
REAL = sp.Interval(-sp.oo, sp.oo)

# Constants of the variants. Symbols carry the assumptions their domains imply so
# that sympy may decide signs; bounded domains are also registered with signs.py.
eps = sp.Symbol("eps", positive=True)
tau = sp.Symbol("tau", positive=True)
gamma = sp.Symbol("gamma", positive=True)
lam = sp.Symbol("lam", positive=True)
alpha = sp.Symbol("alpha", positive=True)
n_w = sp.Symbol("n_w", positive=True, integer=True)
n_l = sp.Symbol("n_l", positive=True, integer=True)
delta = sp.Symbol("delta", real=True)
z0 = sp.Symbol("z0", nonnegative=True)
lambda_D = sp.Symbol("lambda_D", positive=True)
lambda_U = sp.Symbol("lambda_U", positive=True)
eps_ls = sp.Symbol("eps", nonnegative=True)  # label smoothing may be 0

#: name -> symbol of every constant the catalogue uses (for parsers and tests).
PARAMETER_SYMBOLS = {s.name: s for s in (tau, gamma, lam, alpha, n_w, n_l, delta, z0,
                                         lambda_D, lambda_U)}

N_W = Parameter(n_w, LENGTH_DOMAIN, sp.Integer(1), "length of y_w in tokens", integer=True)
N_L = Parameter(n_l, LENGTH_DOMAIN, sp.Integer(1), "length of y_l in tokens", integer=True)


def param(symbol, domain, default, description) -> Parameter:
    """A constant of a variant with an exact default."""
    return Parameter(symbol, domain, sp.sympify(default), description)


def beta_param(default) -> Parameter:
    """beta with this variant's published default."""
    return Parameter(beta, POSITIVE, sp.sympify(default), BETA.description)


def log_u(x, r):
    """log(x/r), the log-ratio of a response's probability to the reference's."""
    return sp.log(x / r)


LABEL_SMOOTHING = param(eps_ls, sp.Interval.Ropen(0, R(1, 2)), R(1, 10),
                         "label-smoothing rate: probability that the label is flipped")
REF_FREE_NOTE = ("reference-free: written without r_w, r_l (implementations use the "
                 "implicit reference probability 1)")
