"""The `subsidy` command line: thin faces over the library packages.

Each command lives in its own module under `subsidy.commands`; heavy libraries
(chromadb, langchain, torch) are imported inside the commands that need them so
`subsidy --help`, `policies` and `estimate` start fast.
"""

from __future__ import annotations

import sys

import typer

from foundation.errors import SubsidyError, Unavailable
from subsidy.commands import read_settings, register_all

app = typer.Typer(
    name="subsidy",
    help="标准化补助助手 — which local subsidies a company's standardization work earns, how much, and why.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.callback()(read_settings)
register_all(app)


def main() -> None:
    """Entry point: user mistakes become one line on stderr, never a traceback."""
    try:
        result = app(standalone_mode=False)
        # click returns a typer.Exit code here instead of raising it
        sys.exit(result if isinstance(result, int) else 0)
    except SubsidyError as err:  # the user's input or a setting: exit 2; a service unavailable: exit 1
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1 if isinstance(err, Unavailable) else 2)
    except (typer.Exit, SystemExit) as done:
        code = getattr(done, "exit_code", None)
        if code is None:
            code = done.code if isinstance(done, SystemExit) else 0
        sys.exit(code or 0)
    except typer.Abort:
        print("aborted", file=sys.stderr)
        sys.exit(130)
    except Exception as err:  # click usage errors (typer vendors click) and anything unexpected
        if hasattr(err, "format_message") and hasattr(err, "exit_code"):
            print(f"error: {err.format_message()}", file=sys.stderr)
            sys.exit(err.exit_code or 2)
        print(f"error: internal problem ({type(err).__name__}: {err})", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
