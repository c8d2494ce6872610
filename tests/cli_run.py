"""One helper for the tests that drive the CLI in-process."""
import io

from dpo_proofs.cli import main


def run(*argv: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``python -m dpo_proofs ARGV``, without a subprocess."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()
