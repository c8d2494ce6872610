"""Stage 1, the loss: symbols, building blocks, the Loss type, the catalogue, user losses
and the safe expression parser. Imports nothing from the later stages."""
