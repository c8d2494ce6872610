"""A safe parser for user expressions: Python's ``ast`` walked against a whitelist.

The text is never passed to ``eval``, ``exec`` or ``sympify``. ``ast.parse`` only
builds a tree; each node is accepted if it is a number, a known name, an arithmetic
or comparison operator, or a call of a whitelisted function, and is turned into a
sympy object directly. Anything else is refused with the offending part named.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Mapping

import sympy as sp

from ..errors import InvalidArgument, UnsafeExpression
from .functions import log_sigmoid, sigmoid, softplus
from .symbols import MAX_DECIMAL_EXPONENT, STANDARD_SYMBOLS, check_magnitude, parse_number

__all__ = ["parse_expression", "parse_relation", "parse_relation_where_defined", "FUNCTIONS",
           "MAX_LENGTH", "MAX_EXPONENT", "MAX_DEGREE", "degree_bound"]

#: Longest expression accepted (characters).
MAX_LENGTH = 2000
#: Largest |integer exponent| and |integer literal| accepted (keeps expansion bounded).
MAX_EXPONENT = 1000
MAX_INTEGER = 10**30
#: Nesting depth of the tree; a flat sum or product (a + b + ... of any length) counts
#: as one level, so only genuine nesting (parentheses, calls, powers) is bounded.
MAX_DEPTH = 60
#: Bound on the total degree the expression could reach when expanded (canonical forms
#: expand): ((x1 + x2 + 1)**1000)**1000 has degree 10^6 and would never finish.
MAX_DEGREE = 1000

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


def degree_bound(expr: sp.Basic) -> sp.Rational:
    """An upper bound on the total degree of ``expr`` after expansion, counting every
    non-numeric atom (symbols, function calls) as degree 1: sums take the max, products
    the sum, b**n with numeric n multiplies by |n| (rounded up); b**e with a symbolic
    exponent counts as b. Function arguments are bounded on their own, recursively.
    """
    if expr.is_Number or expr.is_NumberSymbol or isinstance(expr, sp.logic.boolalg.BooleanAtom):
        return sp.S.Zero
    if expr.is_Symbol:
        return sp.S.One
    if expr.is_Add or isinstance(expr, (sp.core.relational.Relational, sp.And)):
        return max((degree_bound(a) for a in expr.args), default=sp.S.Zero)
    if expr.is_Mul:
        return sp.Add(*[degree_bound(a) for a in expr.args])
    if expr.is_Pow:
        base, exponent = expr.args
        d = degree_bound(base)
        return d * sp.ceiling(abs(exponent)) if exponent.is_Number else d
    inner = max((degree_bound(a) for a in expr.args), default=sp.S.Zero)
    return sp.S.One if inner <= MAX_DEGREE else inner


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
            # Exact decimal of what the user typed, not of the float64 it rounds to;
            # its exponent and digits are bounded before any big integer is built
            # (x1 + 1e999999999 ran for minutes).
            literal = ast.get_source_segment(self.text, node) or repr(value)
            try:
                return parse_number(literal, f"literal {_snippet(node, self.text)!r}")
            except InvalidArgument as error:
                raise UnsafeExpression(str(error)) from None
        if isinstance(node, ast.Name):
            if node.id.startswith("_"):
                raise self.refuse(node, "names starting with '_' are not allowed")
            if node.id in self.names:
                return self.names[node.id]
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            if node.id in FUNCTIONS:
                raise self.refuse(node, "function used without a call")
            from difflib import get_close_matches

            near = get_close_matches(node.id, [*self.names, *CONSTANTS, *FUNCTIONS], n=1)
            raise self.refuse(node, "unknown name (" + (
                f"did you mean {near[0]!r}? else " if near else "") + "declare it as a "
                "parameter)")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand, depth + 1)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            # a + b - c + ... is a left-leaning chain in the ast: walk it iteratively so a
            # 99-term sum is one level deep, not 99.
            terms = []
            while isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
                term = self.build(node.right, depth + 1)
                terms.append(-term if isinstance(node.op, ast.Sub) else term)
                node = node.left
            terms.append(self.build(node, depth + 1))
            return self._bounded(sp.Add(*reversed(terms)), node)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
            factors = []
            top = node
            while isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
                factor = self.build(node.right, depth + 1)
                if isinstance(node.op, ast.Div):
                    if factor == 0:
                        raise self.refuse(top, "division by zero")
                    self._require(sp.Ne(factor, 0))
                    factor = 1 / factor
                factors.append(factor)
                node = node.left
            factors.append(self.build(node, depth + 1))
            return self._bounded(sp.Mul(*reversed(factors)), top)
        if isinstance(node, ast.BinOp):
            left = self.build(node.left, depth + 1)
            right = self.build(node.right, depth + 1)
            if isinstance(node.op, ast.Pow):
                if right.is_Number and abs(right) > MAX_EXPONENT:
                    raise self.refuse(node, f"exponent larger than {MAX_EXPONENT}")
                if left.is_Number and right.is_Number and left != 0 and \
                        abs(right) * abs(sp.log(abs(left), 10)) > MAX_DECIMAL_EXPONENT:
                    raise self.refuse(node, f"number too large or too small (outside 1e-{MAX_DECIMAL_EXPONENT}.."
                                      f"1e{MAX_DECIMAL_EXPONENT})")
                if left == 0 and right.is_Number and right.is_negative:
                    raise self.refuse(node, "division by zero")
                if right.is_Number and degree_bound(left) * abs(right) > MAX_DEGREE:
                    raise self.refuse(node, f"degree after expansion could exceed {MAX_DEGREE}")
                if right.is_negative:
                    self._require(sp.Ne(left, 0))
                if not right.is_integer:
                    self._require(sp.StrictGreaterThan(left, 0) if right.is_nonnegative is not True
                                  else sp.GreaterThan(left, 0))
                return self._bounded(left ** right, node)
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

    def _bounded(self, result: sp.Basic, node: ast.AST) -> sp.Basic:
        """Refuse numbers outside 1e-1000..1e1000 and expansions of too high a degree."""
        try:
            for number in ([result] if result.is_Rational else result.atoms(sp.Rational)):
                check_magnitude(number, "number")
        except InvalidArgument:
            raise self.refuse(node, f"number too large or too small (outside 1e-{MAX_DECIMAL_EXPONENT}.."
                              f"1e{MAX_DECIMAL_EXPONENT})") from None
        if result.has(sp.zoo, sp.nan):
            raise self.refuse(node, "division by zero or undefined number")
        if not result.is_Atom and degree_bound(result) > MAX_DEGREE:
            raise self.refuse(node, f"degree after expansion could exceed {MAX_DEGREE}")
        return result

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
    # A lone '=' reads as equality ('x1 = x2'), as mathematicians write it.
    source = re.sub(r"(?<![<>=!])=(?!=)", "==", source)
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as error:
        raise UnsafeExpression(f"not a valid expression: {error.msg} in {_short(text)!r}") \
            from None
    except (RecursionError, MemoryError, ValueError):  # nesting beyond Python's parser
        raise UnsafeExpression(f"expression nested too deeply: {_short(text)!r}") from None
    all_names = dict(STANDARD_SYMBOLS)
    all_names.update(names)
    try:
        builder = _Builder(source.strip(), all_names)
        result = builder.build(tree)
        return result, tuple(r for r in builder.requires if r is not sp.true)
    except (TypeError, ValueError, ZeroDivisionError, RecursionError) as error:
        if isinstance(error, UnsafeExpression):
            raise
        raise UnsafeExpression(f"cannot build {_short(text)!r}: "
                               f"{str(error).splitlines()[0] if str(error) else type(error).__name__}") from None


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


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
