"""The `w2v-theory` command line: one subcommand per module in `sims.commands`, errors as one line."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import signal
import sys
import threading
import warnings

from sims.io import one_line
from sims.memory import keep_freed_memory
from theory.validation import InputError


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line (exit 2) instead of usage + error."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def command_names() -> list[str]:
    """The subcommands: the public modules of sims.commands, found without importing them."""
    import sims.commands as package

    return [info.name for info in pkgutil.iter_modules(package.__path__) if not info.name.startswith("_")]


def _command_modules(wanted: str | None = None):
    """The command modules, in help order; only `wanted`'s when it names one (each module's heavy imports are
    its own, so `w2v-theory count ...` does not pay for SciPy's statistics or SymPy)."""
    names = command_names()
    if wanted in names:
        names = [wanted]
    modules = [importlib.import_module(f"sims.commands.{name}") for name in names]
    return sorted(modules, key=lambda module: (getattr(module, "ORDER", 100), module.NAME))


def build_parser(argv=None) -> argparse.ArgumentParser:
    """The parser of every command, or, when argv starts with a command's name, of that command alone."""
    parser = _Parser(
        prog="w2v-theory",
        description="Check the closed-form theory of word2vec's learning dynamics "
                    "(Karkada, Simon, Bahri, DeWeese, NeurIPS 2025) against simulation.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    wanted = argv[0] if argv else None
    for module in _command_modules(wanted):
        sub = subparsers.add_parser(module.NAME, help=module.HELP, description=module.DESCRIPTION,
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that every `finally` (staging folders) runs before exit."""


def _raise_terminated(signum, frame):
    raise Terminated()


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    keep_freed_memory()
    previous = _install_sigterm()
    caught = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            # Numerical warnings are collected, not streamed: bad input then gets exactly one line (below),
            # and a successful run gets each distinct warning once, after its output.
            warnings.simplefilter("always")
            code = int(args.run(args) or 0)
        _print_warnings(args.command, caught)
        # Flush here, inside the try: a pipe closed by its reader then fails below, not at exit.
        sys.stdout.flush()
        return code
    except InputError as exc:
        print(f"w2v-theory {args.command}: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"w2v-theory {args.command}: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print(f"w2v-theory {args.command}: terminated", file=sys.stderr)
        return 143
    except BrokenPipeError:
        # The reader went away (`w2v-theory derive | head`): stop quietly, as Unix filters do. Point
        # stdout at /dev/null so that the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _print_warnings(command: str, caught) -> None:
    """Each distinct warning of a finished run once, one line each, on stderr."""
    seen = []
    for item in caught:
        text = f"{item.category.__name__}: {one_line(item.message)}"
        if text not in seen:
            seen.append(text)
    for text in seen[:5]:
        print(f"w2v-theory {command}: warning: {text}", file=sys.stderr)


def _install_sigterm():
    """Turn SIGTERM into an exception while a command runs (main thread only; returns the old handler)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_terminated)


if __name__ == "__main__":
    sys.exit(main())
