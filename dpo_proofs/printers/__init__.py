"""Stage 4, printers: text, JSON, LaTeX, documents, PDF and figures. They format finished
values and never derive."""
