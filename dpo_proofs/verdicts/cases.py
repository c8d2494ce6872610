"""Piecewise claims proved piece by piece with every prover, and pieces the domain excludes.

The symbolic prover already splits a piecewise expression (hinge, SLiC, DPOP, the
clipped losses) into its pieces, but it gives up when one piece is beyond it. Here each
piece is tried with the symbolic prover and then with certified interval arithmetic,
and a piece the claim does not hold on may still be *empty* on the domain: the hinge's
flat part needs x1/x2 >= e**(1/beta), which x2 >= 1/1000 rules out at beta = 1/10. The
emptiness is itself a claim (the negation of one of the piece's conditions, on the rest
of its domain) proved the same way. The result is one certificate (kernel rules K5, K10)
that the kernel re-checks as a whole; nothing here is trusted.
"""
from __future__ import annotations

import dataclasses

import sympy as sp

from .certificates import CaseProof, EmptyProof, Proof, negation, piece_domains, split_cases
from .certificates import UNDEFINED
from .intervals import interval_prover
from .problem import Problem, constant_domains
from .symbolic import prove
from .values import Status

__all__ = ["by_cases"]


def _symbolic(problem: Problem) -> Proof | None:
    if problem.op == "!=":
        return None
    return prove(problem.expr, problem.op, problem.domain, constant_domains(problem))


def _interval(problem: Problem) -> Proof | None:
    found = interval_prover(problem)
    return found.proof if found is not None and found.status is Status.PROVED else None


def _empty(problem: Problem, own: tuple[sp.Basic, ...], prover) -> Proof | None:
    """An EmptyProof of the piece's domain: one of its own conditions fails on the rest."""
    for relation in own:
        gap, op = negation(relation)
        rest = tuple(r for r in problem.domain if r != relation)
        proof = prover(dataclasses.replace(problem, expr=gap, op=op, domain=rest))
        if proof is not None:
            return EmptyProof(relation, proof)
    return None


def by_cases(problem: Problem) -> CaseProof | None:
    """A CaseProof of a piecewise claim, each piece proved (symbolically, then by
    intervals) or shown empty on the domain; None when the claim is not piecewise or a
    piece is neither."""
    folded = split_cases(problem.expr)
    if not isinstance(folded, sp.Piecewise) or folded.args[-1][1] is not sp.true:
        return None
    pieces = []
    for expr, cond, where in piece_domains(folded, problem.domain):
        if expr is sp.nan:
            pieces.append((expr, cond, UNDEFINED))
            continue
        piece = dataclasses.replace(problem, expr=expr, domain=where)
        own = where[len(problem.domain):]
        proof = None
        # cheapest first: the symbolic prover on the piece and on its emptiness, then
        # interval arithmetic (a count of boxes, never a clock) on each
        for prover in (_symbolic, _interval):
            proof = prover(piece) or _empty(piece, own, prover)
            if proof is not None:
                break
        if proof is None:
            return None
        pieces.append((expr, cond, proof))
    return CaseProof(tuple(pieces))
