"""K12 (polygon): the sign of a polynomial in x1, x2 on a polygon of the domain.

The domain's relations that are linear in x1, x2 with numeric coefficients, and the
square 0 < x1, x2 <= 1, cut out a set D' that contains the domain (the other relations
are dropped, which only enlarges it: sound). Its closure P is a convex polygon, split
into triangles from its first vertex. On a triangle with vertices a, b, c a point is
x = l1*a + l2*b + l3*c with l >= 0 and l1 + l2 + l3 = 1, so a polynomial p of degree
d in x1, x2 is there the form

    q(l) = (l1 + l2 + l3)**N * sum_k p_k(l1*a + l2*b + l3*c) * (l1 + l2 + l3)**(d - k)

(p_k the part of p of degree k), homogeneous in l and equal to p on the triangle.
If every coefficient of q is >= 0 (K2 decides the sign of a coefficient that names a
constant), p >= 0 on the triangle; this is Polya's certificate, and a larger N finds
it for more polynomials that are positive on the triangle. p > 0 on the relative
interior of a face F of the triangle (a vertex, an edge, the inside) when a coefficient
> 0 belongs to a monomial in the l_i of F alone. A face's relative interior lies in D'
or misses it as a whole (each linear gap is >= 0 on the face and affine, so it is > 0
on the face's relative interior exactly when it is > 0 at the face's centroid); every
face that lies in D' must be positive for p > 0 on the domain.

The prover finds N (counted, at most POLYA_MAX); the kernel recomputes the polygon, the
triangles and every coefficient from the domain and N alone.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence

import sympy as sp

from ..loss.symbols import x1, x2
from .certificates import KernelError, gap_of
from .kernel_signs import sign_set

__all__ = ["polygon_signs", "polygon_applies", "polygon_factor_signs", "POLYA_MAX",
           "MAX_POLYGON_DEGREE"]

#: the largest Polya exponent N a certificate may use, and the largest degree of p:
#: counts, so that a proof attempt is bounded whatever the machine's load
POLYA_MAX = 8
MAX_POLYGON_DEGREE = 8

_L = sp.symbols("l1:4", nonnegative=True)
#: the square, as gaps g op 0: x1 > 0, x2 > 0, 1 - x1 >= 0, 1 - x2 >= 0
_SQUARE = ((x1, ">"), (x2, ">"), (1 - x1, ">="), (1 - x2, ">="))
_FACES = tuple(f for k in (1, 2, 3) for f in itertools.combinations(range(3), k))


def _linear_gaps(domain: Sequence[sp.Basic]) -> list[tuple[sp.Poly, str]]:
    """The square's gaps and the domain's relations g > 0, g >= 0 with g of degree <= 1
    in x1, x2 and rational coefficients, as polynomials."""
    out = []
    for gap, op in (*_SQUARE, *(gap_of(r) or (sp.S.Zero, "none") for r in domain)):
        if op not in (">", ">=") or not gap.free_symbols <= {x1, x2}:
            continue
        try:
            poly = sp.Poly(sp.expand(gap), x1, x2)
        except sp.PolynomialError:
            continue
        if poly.total_degree() <= 1 and all(c.is_Rational for c in poly.coeffs()):
            out.append((poly, op))
    return out


def _vertices(gaps) -> list[tuple[sp.Rational, sp.Rational]] | None:
    """The vertices of P in order around it (exact), or None when P is no polygon."""
    points = set()
    for (p, _), (q, _) in itertools.combinations(gaps, 2):
        (a1, b1, c1), (a2, b2, c2) = (_abc(p), _abc(q))
        det = a1 * b2 - a2 * b1
        if det == 0:
            continue
        point = ((b1 * c2 - b2 * c1) / det, (a2 * c1 - a1 * c2) / det)
        if all(g.eval({x1: point[0], x2: point[1]}) >= 0 for g, _ in gaps):
            points.add(point)
    if len(points) < 3:
        return None
    hull = sp.convex_hull(*[sp.Point2D(*p) for p in sorted(points)])
    if not isinstance(hull, sp.Polygon):
        return None  # a segment or a point: no inside
    return [(sp.Rational(v.x), sp.Rational(v.y)) for v in hull.vertices]


def _abc(poly: sp.Poly) -> tuple[sp.Rational, sp.Rational, sp.Rational]:
    """a, b, c of the line a*x1 + b*x2 + c = 0."""
    return (poly.coeff_monomial(x1), poly.coeff_monomial(x2), poly.coeff_monomial(1))


def _in_set(point, gaps) -> bool:
    values = [(g.eval({x1: point[0], x2: point[1]}), op) for g, op in gaps]
    return all(v > 0 if op == ">" else v >= 0 for v, op in values)


def _triangle_form(p: sp.Poly, triangle, N: int) -> sp.Poly:
    a, b, c = triangle
    s = sum(_L)
    at = {x1: _L[0] * a[0] + _L[1] * b[0] + _L[2] * c[0],
          x2: _L[0] * a[1] + _L[1] * b[1] + _L[2] * c[1]}
    d = p.total_degree()
    q = sum(coeff * x1 ** i * x2 ** j * s ** (d - i - j) for (i, j), coeff in p.terms())
    return sp.Poly(sp.expand(q.subs(at, simultaneous=True) * s ** N), *_L)


def _nonnegative_on(p: sp.Poly, N: int, domain, domains) -> frozenset | None:
    """{1} or {0, 1} when Polya's certificate of degree N shows p > 0 or p >= 0 on the
    domain's polygon; None when some coefficient is not >= 0."""
    gaps = _linear_gaps(domain)
    vertices = _vertices(gaps)
    if vertices is None:
        return None
    positive_everywhere = True
    for k in range(1, len(vertices) - 1):
        triangle = (vertices[0], vertices[k], vertices[k + 1])
        q = _triangle_form(p, triangle, N)
        signs = []
        for monomial, coeff in q.terms():
            s = {int(sp.sign(coeff))} if coeff.is_number else set(sign_set(coeff, domains))
            if not s <= {0, 1}:
                return None
            if s == {1}:
                signs.append({i for i, e in enumerate(monomial) if e > 0})
        for face in _FACES:
            centroid = tuple(sum(triangle[i][j] for i in face) / len(face) for j in (0, 1))
            if _in_set(centroid, gaps) and not any(support <= set(face) for support in signs):
                positive_everywhere = False
    return frozenset({1}) if positive_everywhere else frozenset({0, 1})


def _polynomial(base: sp.Expr) -> sp.Poly | None:
    """``base`` as a polynomial in x1, x2 of degree <= MAX_POLYGON_DEGREE, or None."""
    base = sp.sympify(base)
    if not base.free_symbols & {x1, x2}:
        return None
    try:
        p = sp.Poly(sp.expand(base), x1, x2)
    except sp.PolynomialError:
        return None
    if p.total_degree() > MAX_POLYGON_DEGREE or any(c.has(x1, x2) for c in p.coeffs()):
        return None
    return p


def polygon_applies(base: sp.Expr) -> bool:
    """Whether K12 reads ``base`` at all (a polynomial in x1, x2 of bounded degree)."""
    return _polynomial(base) is not None


def polygon_signs(base: sp.Expr, N: int, domain: Sequence[sp.Basic],
                  domains: dict) -> frozenset | None:
    """The signs ``base`` takes on the domain by K12 with Polya exponent ``N``: {1},
    {0, 1}, {-1} or {-1, 0}; None when the rule does not apply or shows nothing."""
    if not (isinstance(N, int) and 0 <= N <= POLYA_MAX):
        return None
    p = _polynomial(base)
    if p is None:
        return None
    up = _nonnegative_on(p, N, domain, domains)
    if up is not None:
        return up
    down = _nonnegative_on(-p, N, domain, domains)
    return None if down is None else frozenset(-s for s in down)


def polygon_factor_signs(factor, slacks, domain, domains) -> frozenset:
    """The kernel's K12 step for a factor of a sign proof: the signs its base takes on
    the domain's polygon with the factor's Polya exponent, or KernelError."""
    if slacks:
        raise KernelError("the polygon rule reads the domain in x1, x2: no substitution")
    signs = polygon_signs(factor.base, factor.polygon, domain, domains)
    if signs is None:
        raise KernelError(f"{sp.sstr(factor.base)}: Polya's certificate of degree "
                          f"{factor.polygon} shows no sign on the domain's polygon")
    return signs
