"""Stage 4, printers: text, JSON, LaTeX, documents, PDF and figures. They format finished
values and never derive."""
from ..results import PRINTERS
from .field_sections import derivation_markdown
from .text import analysis_json, analysis_latex, analysis_markdown, analysis_text

# The results' printing methods find their printers here (results never import printers).
PRINTERS.update(json=analysis_json, text=analysis_text, latex=analysis_latex,
                markdown=analysis_markdown, derivation_markdown=derivation_markdown)
