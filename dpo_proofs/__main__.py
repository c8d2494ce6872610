"""``python -m dpo_proofs``: delegates to the CLI."""
from .cli.main import main_exit

if __name__ == "__main__":
    main_exit()
