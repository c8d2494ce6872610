"""A safe parser for user expressions: Python's ``ast`` walked against a whitelist.

The text is never passed to ``eval``, ``exec`` or ``sympify``. ``ast.parse`` only
builds a tree; each node is accepted if it is a number, a known name, an arithmetic
or comparison operator, or a call of a whitelisted function, and is turned into a
sympy object directly. Anything else is refused with the offending part named.
"""
from __future__ import annotations

import ast
from collections.abc import Mapping

import sympy as sp

from ..errors import UnsafeExpression
from .functions import log_sigmoid, sigmoid, softplus
from .symbols import STANDARD_SYMBOLS

__all__ = ["parse_expression", "parse_relation", "parse_relation_where_defined", "FUNCTIONS", "MAX_LENGTH", "MAX_EXPONENT"]

#: Longest expression accepted (characters).
MAX_LENGTH = 2000
#: Largest |integer exponent| and |integer literal| accepted (keeps expansion bounded).
MAX_EXPONENT = 1000
MAX_INTEGER = 10**30
MAX_DEPTH = 60

FUNCTIONS: Mapping[str, object] = {
    "log": sp.log, "ln": sp.log, "exp": sp.exp, "sqrt": sp.sqrt,
    "sigmoid": sigmoid, "logsigmoid": log_sigmoid, "log_sigmoid": log_sigmoid,
    "softplus": softplus, "tanh": sp.tanh, "Abs": sp.Abs, "abs": sp.Abs,
    "Max": sp.Max, "max": sp.Max, "Min": sp.Min, "min": sp.Min,
    "log1p": lambda z: sp.log(1 + z), "expm1": lambda z: sp.exp(z) - 1,
    "Heaviside": sp.Heaviside,
}
_ARITY = {"Max": None, "max": None, "Min": None, "min": None}
CONSTANTS: Mapping[str, sp.Expr] = {"pi": sp.pi, "E": sp.E}

_BINARY = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
           ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b}
_COMPARE = {ast.Gt: sp.StrictGreaterThan, ast.GtE: sp.GreaterThan,
            ast.Lt: sp.StrictLessThan, ast.LtE: sp.LessThan,
            ast.Eq: sp.Eq, ast.NotEq: sp.Ne}


def _snippet(node: ast.AST, text: str) -> str:
    part = ast.get_source_segment(text, node) or type(node).__name__
    return part if len(part) <= 60 else part[:57] + "..."


class _Builder:
    def __init__(self, text: str, names: Mapping[str, sp.Basic]):
        self.text = text
        self.names = names
        #: where the text is defined: each division, negative power and log adds the
        #: condition it needs (sympy would cancel (x1 - x2)/(x1 - x2) to 1 and lose it).
        self.requires: list[sp.Basic] = []

    def _require(self, relation: sp.Basic) -> None:
        if relation is not sp.true and relation not in self.requires:
            self.requires.append(relation)

    def refuse(self, node: ast.AST, why: str) -> UnsafeExpression:
        return UnsafeExpression(f"{why}: {_snippet(node, self.text)!r}")

    def build(self, node: ast.AST, depth: int = 0) -> sp.Basic:
        if depth > MAX_DEPTH:
            raise self.refuse(node, "expression nested too deeply")
        if isinstance(node, ast.Expression):
            return self.build(node.body, depth + 1)
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self.refuse(node, "only numbers are allowed as literals")
            if isinstance(value, int):
                if abs(value) > MAX_INTEGER:
                    raise self.refuse(node, "integer literal too large")
                return sp.Integer(value)
            # Exact decimal of what the user typed, not of the float64 it rounds to.
            return sp.Rational(_snippet(node, self.text))
        if isinstance(node, ast.Name):
            if node.id.startswith("_"):
                raise self.refuse(node, "names starting with '_' are not allowed")
            if node.id in self.names:
                return self.names[node.id]
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            if node.id in FUNCTIONS:
                raise self.refuse(node, "function used without a call")
            raise self.refuse(node, "unknown name (declare it as a parameter)")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand, depth + 1)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            left = self.build(node.left, depth + 1)
            right = self.build(node.right, depth + 1)
            if isinstance(node.op, ast.Pow):
                if right.is_Number and abs(right) > MAX_EXPONENT:
                    raise self.refuse(node, f"exponent larger than {MAX_EXPONENT}")
                if left.is_Number and right.is_Number and left != 0 and \
                        abs(right) * sp.log(abs(left), 10) > 10 * MAX_EXPONENT:
                    raise self.refuse(node, "number too large")
                if right.is_negative or not (right.is_integer and right.is_nonnegative):
                    if right.is_negative:
                        self._require(sp.Ne(left, 0))
                    if not right.is_integer:
                        self._require(sp.StrictGreaterThan(left, 0) if right.is_negative
                                      or right.is_nonnegative is not True
                                      else sp.GreaterThan(left, 0))
                return left ** right
            if isinstance(node.op, ast.Div):
                self._require(sp.Ne(right, 0))
            op = _BINARY.get(type(node.op))
            if op is None:
                raise self.refuse(node, f"operator {type(node.op).__name__} is not allowed")
            return op(left, right)
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise self.refuse(node, "only calls of whitelisted functions by name")
            name = node.func.id
            if name not in FUNCTIONS:
                raise self.refuse(node.func, "call of an unknown function")
            if node.keywords:
                raise self.refuse(node, "keyword arguments are not allowed")
            if any(isinstance(a, ast.Starred) for a in node.args):
                raise self.refuse(node, "starred arguments are not allowed")
            args = [self.build(a, depth + 1) for a in node.args]
            expected = _ARITY.get(name, 1)
            if expected is not None and len(args) != expected:
                raise self.refuse(node, f"{name} takes {expected} argument")
            if expected is None and len(args) < 2:
                raise self.refuse(node, f"{name} takes at least 2 arguments")
            if name in ("log", "ln"):
                self._require(sp.StrictGreaterThan(args[0], 0))
            elif name == "sqrt":
                self._require(sp.GreaterThan(args[0], 0))
            elif name == "log1p":
                self._require(sp.StrictGreaterThan(1 + args[0], 0))
            return FUNCTIONS[name](*args)
        if isinstance(node, ast.Compare):
            items = [self.build(node.left, depth + 1)]
            items += [self.build(c, depth + 1) for c in node.comparators]
            relations = [_COMPARE[type(op)](a, b, evaluate=False) if type(op) in _COMPARE
                         else self._bad_compare(node) for op, a, b in
                         zip(node.ops, items, items[1:])]
            return sp.And(*relations) if len(relations) > 1 else relations[0]
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
            return sp.And(*[self.build(v, depth + 1) for v in node.values])
        if isinstance(node, ast.Attribute):
            raise self.refuse(node, "attribute access is not allowed")
        raise self.refuse(node, f"{type(node).__name__} is not allowed")

    def _bad_compare(self, node):
        raise self.refuse(node, "only <, <=, >, >=, ==, != comparisons are allowed")


def _parse(text: str, names: Mapping[str, sp.Basic]) -> sp.Basic:
    return _parse_with_requirements(text, names)[0]


def _parse_with_requirements(text: str, names: Mapping[str, sp.Basic]
                             ) -> tuple[sp.Basic, tuple[sp.Basic, ...]]:
    if not isinstance(text, str):
        raise UnsafeExpression(f"expression must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise UnsafeExpression(f"expression longer than {MAX_LENGTH} characters ({len(text)})")
    if not text.strip():
        raise UnsafeExpression("empty expression")
    # 'and' is Python's; '&' reads better in a domain: accept both, parse '&' as 'and'.
    source = text.replace("&", " and ").replace("^", "**")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as error:
        raise UnsafeExpression(f"not a valid expression: {error.msg} in {text!r}") from None
    all_names = dict(STANDARD_SYMBOLS)
    all_names.update(names)
    try:
        builder = _Builder(source.strip(), all_names)
        result = builder.build(tree)
        return result, tuple(r for r in builder.requires if r is not sp.true)
    except (TypeError, ValueError, ZeroDivisionError) as error:
        if isinstance(error, UnsafeExpression):
            raise
        raise UnsafeExpression(f"cannot build {text!r}: {error}") from None


def parse_expression(text: str, names: Mapping[str, sp.Basic] | None = None) -> sp.Expr:
    """Parse an arithmetic expression in x1, x2, r_w, r_l, beta and ``names``."""
    result = _parse(text, names or {})
    # A Symbol is also a sympy Boolean: only non-Expr booleans are relations.
    if isinstance(result, sp.core.relational.Relational) or (
            isinstance(result, sp.logic.boolalg.Boolean) and not isinstance(result, sp.Expr)):
        raise UnsafeExpression(f"expected an expression, got a relation: {text!r}")
    return result


def parse_relation(text: str, names: Mapping[str, sp.Basic] | None = None) -> sp.Basic:
    """Parse a relation ('ratio > 1') or a conjunction of them ('x1 > x2 & x1 < 1')."""
    return parse_relation_where_defined(text, names)[0]


def parse_relation_where_defined(text: str, names: Mapping[str, sp.Basic] | None = None
                                 ) -> tuple[sp.Basic, tuple[sp.Basic, ...]]:
    """A relation and the conditions under which its text is defined.

    E.g. '(x1 - x2)/(x1 - x2) > 0' gives (0 < 1... evaluated, (Ne(x1 - x2, 0),)):
    each division needs a nonzero denominator, each log a positive argument.
    """
    result, requires = _parse_with_requirements(text, names or {})
    if not isinstance(result, (sp.core.relational.Relational, sp.And)) or \
            result in (sp.true, sp.false):
        raise UnsafeExpression(f"expected a relation such as 'ratio > 1', got {text!r}")
    return result, requires
