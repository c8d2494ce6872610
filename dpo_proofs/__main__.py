"""``python -m dpo_proofs``: delegates to the CLI."""
from .cli import main_exit

if __name__ == "__main__":
    main_exit()
