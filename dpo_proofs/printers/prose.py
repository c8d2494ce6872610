"""Prose with its mathematics typeset: "dL/dx1 < 0 where x1 > x2" -> LaTeX with
$\\partial L/\\partial x_1 < 0$ where $x_1 > x_2$.

The package's sentences (a derivation step, a verdict's evidence, a table head) are
written in plain text so that the terminal can print them; a document sets the
mathematics in them as mathematics. This printer reads the plain notation the package
writes and nothing else: the variables and constants by name (x1, r_w, beta, lam ...),
partial derivatives dL/dx1, dh/dx, phi'(h), powers x1^2, and the relations between them.
A single letter (R, L, h, a, b, c) or a number is mathematics only where a relation joins
it to mathematics ("R > 1", "beta = 1"); everything else is escaped text.
"""
from __future__ import annotations

import re

__all__ = ["prose_tex", "NAMES_TEX", "OPS_TEX"]

#: names the package writes for variables and constants, and their LaTeX
NAMES_TEX = {"x1": "x_1", "x2": "x_2", "r_w": "r_w", "r_l": "r_l", "n_w": "n_w",
          "n_l": "n_l", "u_w": "u_w", "u_l": "u_l", "s_w": "s_w", "s_l": "s_l",
          "beta": r"\beta", "beta_w": r"\beta_w", "beta_l": r"\beta_l", "lam": r"\lambda",
          "alpha": r"\alpha", "gamma": r"\gamma", "delta": r"\delta", "tau": r"\tau",
          "eps": r"\varepsilon", "theta": r"\theta", "theta1": r"\theta_1",
          "theta2": r"\theta_2", "theta_1": r"\theta_1", "theta_2": r"\theta_2",
          "lam_s": r"\lambda_s", "delta_m": r"\delta_m", "z0": "z_0",
          "d_x1": r"\partial_{x_1} L", "d_x2": r"\partial_{x_2} L"}
_WEAK = {"R", "L", "h", "a", "b", "c", "H", "I", "t", "w", "K"}
OPS_TEX = {"<=": r"\le", ">=": r"\ge", "!=": r"\ne", "->": r"\to", "=": "=", "<": "<",
        ">": ">", "+": "+", "*": r"\cdot"}

_FUNCTIONS = {"log": r"\log", "exp": r"\exp", "sigma": r"\sigma", "grad": r"\nabla",
              "sqrt": r"\sqrt", "det": r"\det", "tr": r"\operatorname{tr}"}
_NAME = "|".join(sorted((re.escape(n) for n in NAMES_TEX), key=len, reverse=True))
#: a formula written without spaces: (r_w/r_l)^beta, (c/a)(c/b), grad(x1^2+x2^2)
_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_FORMULA = re.compile(r"(?<![\w.'])[\w(][\w()+\-*/^]*[(/^][\w()+\-*/^]*[\w)]")
_SYMPY_WORD = re.compile(r"(\S*\*\*\S*)")
_END = r"(?!\w|\.\w)"   # a word's end: a sentence's full stop may follow
_TOKEN = re.compile(
    r"(?P<partial>\bd(?P<f>[A-Za-z])/d(?P<v>x[12]?|theta_?[12]?|t)\b)"
    r"|(?P<phi>\bphi'\(h\))"
    r"|(?P<pow>(?<![\w.])(?P<base>" + _NAME + r"|[0-9]+|[A-Za-z])\^(?P<exp>-?[0-9A-Za-z_]+))"
    r"|(?P<name>(?<![\w.])(?:" + _NAME + r")" + _END + ")"
    r"|(?P<zero>(?<=-> )0\+)"
    r"|(?P<weak>(?<![\w.'])(?:" + "|".join(sorted(_WEAK)) + r")(?![\w'(]|\.\w))"
    r"|(?P<num>(?<![\w.])-?[0-9]+(?:[./][0-9]+)?" + _END + ")"
    r"|(?P<op>(?<= )(?:<=|>=|!=|->|=|<|>|\+|\*)(?= ))")


def _formula_tex(text: str) -> str | None:
    """A formula without spaces as LaTeX, or None if a word in it is not mathematics
    (and/or, x-axis) or its parentheses do not balance."""
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return None
    words = _WORD.findall(text)
    if depth or not words or any(w not in NAMES_TEX and w not in _FUNCTIONS and len(w) > 1
                                 for w in words):
        return None
    out, i = [], 0
    while i < len(text):
        m = _WORD.match(text, i)
        if m:
            w = m.group(0)
            out.append(NAMES_TEX.get(w) or _FUNCTIONS.get(w) or w)
            i = m.end()
            continue
        ch = text[i]
        if ch == "^":   # the exponent: a word, a number, a signed one or a bracket
            j = i + 1
            if text[j:j + 1] == "(":
                depth, k = 0, j
                while k < len(text):
                    depth += {"(": 1, ")": -1}.get(text[k], 0)
                    k += 1
                    if depth == 0:
                        break
                inner = _formula_tex(text[j + 1:k - 1]) or text[j + 1:k - 1]
            else:
                m = re.compile(r"-?[A-Za-z_0-9]+").match(text, j)
                k = m.end() if m else j
                inner = _formula_tex(text[j:k]) or text[j:k] if m else ""
            out.append("^{%s}" % inner)
            i = k
            continue
        out.append(r"\cdot " if ch == "*" else ch)
        i += 1
    return "".join(out)


def _tex_of(match: re.Match) -> tuple[str, str]:
    """(kind, LaTeX) of one token: kind 'math', 'weak', 'num' or 'op'."""
    if match.group("partial"):
        f, v = match.group("f"), match.group("v")
        v_tex = NAMES_TEX.get(v, v)
        d = r"\mathrm{d}" if v == "t" else r"\partial "
        return "math", f"{d}{f}/{d}{v_tex}"
    if match.group("phi"):
        return "math", r"\varphi'(h)"
    if match.group("pow"):
        base, exp = match.group("base"), match.group("exp")
        exp_tex = _formula_tex(exp) or exp
        return "math", "%s^{%s}" % (NAMES_TEX.get(base, base), exp_tex)
    if match.group("name"):
        return "math", NAMES_TEX[match.group("name")]
    if match.group("zero"):
        return "math", "0^+"
    if match.group("weak"):
        return "weak", match.group("weak")
    if match.group("num"):
        return "num", match.group("num")
    return "op", OPS_TEX[match.group("op")]


def prose_tex(text: str, escape) -> str:
    """``text`` as LaTeX: its mathematics in $...$, the rest through ``escape``."""
    pieces: list[list[str]] = []   # [kind, source, tex]

    def tokens(part: str) -> None:
        # a word with ** is an expression in sympy's notation, kept whole as text: set
        # piecewise it would be dozens of unbreakable formulas (the escape lets it break)
        for word in _SYMPY_WORD.split(part):
            if "**" in word:
                pieces.append(["text", word, ""])
            else:
                words(word)

    def words(part: str) -> None:
        at = 0
        for m in _TOKEN.finditer(part):
            if m.start() > at:
                pieces.append(["text", part[at:m.start()], ""])
            pieces.append([*_tex_of(m)[:1], m.group(0), _tex_of(m)[1]])
            at = m.end()
        if at < len(part):
            pieces.append(["text", part[at:], ""])

    at = 0
    for m in _FORMULA.finditer(text):
        start = m.start()
        while text[start] == "(" and text.count("(", start, m.end()) > \
                text.count(")", start, m.end()):
            start += 1   # an opening bracket of the sentence, not of the formula
        tex = _formula_tex(text[start:m.end()]) if "**" not in m.group(0) else None
        if tex is None:
            continue
        tokens(text[at:start])
        pieces.append(["math", text[start:m.end()], tex])
        at = m.end()
    tokens(text[at:])

    def neighbour(i: int, step: int) -> str:
        j = i + step
        while 0 <= j < len(pieces) and pieces[j][0] == "text" and not pieces[j][1].strip():
            j += step
        return pieces[j][0] if 0 <= j < len(pieces) else "text"

    # a relation is mathematics between two operands, one of them a name or a letter;
    # a letter or a number is mathematics beside such a relation
    for i, p in enumerate(pieces):
        if p[0] == "op":
            sides = (neighbour(i, -1), neighbour(i, 1))
            ok = all(s in ("math", "weak", "num") for s in sides) and \
                any(s in ("math", "weak") for s in sides)
            p[0] = "mathop" if ok else "text"
    for i, p in enumerate(pieces):
        if p[0] in ("weak", "num"):
            p[0] = "math" if "mathop" in (neighbour(i, -1), neighbour(i, 1)) else "text"
    out: list[str] = []
    run: list[str] = []

    def close() -> None:
        if run:
            body = "".join(run)
            out.append("$" + body.strip() + "$" + (" " if body.endswith(" ") else ""))
            run.clear()

    last = ""
    for p in pieces:
        if p[0] in ("math", "mathop"):
            if p[0] == "math" and last == "math":
                run.append(r"\,")   # a product of two formulas: phi'(h) dh/dx
            run.append(p[2])
            last = p[0]
        elif p[0] == "text" and not p[1].strip() and run:
            run.append(" ")    # a space inside a run of mathematics (or after its end)
        else:
            close()
            out.append(escape(p[1]))
            last = ""
    close()
    return "".join(out)
