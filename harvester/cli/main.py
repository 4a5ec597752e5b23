"""The `harvester` command group: one line for every mistake (exit 2), a traceback only with --debug; the
commands are registered from their modules (harvester/cli/crawl.py, export.py, research.py, release.py,
discover.py, warc.py)."""
from __future__ import annotations

import os
import sys

import click


class HarvesterGroup(click.Group):
    """Every mistake in one line on stderr: usage errors and bad input exit 2 ("Error: … — see `… --help`"),
    anything unexpected exits 1 with its type and message; the traceback only with --debug (or
    HARVESTER_DEBUG=1)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        argv = list(sys.argv[1:] if args is None else args)
        # --debug anywhere on the line (before `--`): `harvester --debug crawl` and `harvester crawl … --debug`
        cut = argv.index("--") if "--" in argv else len(argv)
        debug = "--debug" in argv[:cut] or os.environ.get("HARVESTER_DEBUG") == "1"
        argv = [a for a in argv[:cut] if a != "--debug"] + argv[cut:]
        try:
            rv = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        except click.UsageError as exc:
            where = f" — see `{exc.ctx.command_path} --help`" if exc.ctx is not None else ""
            click.echo(f"Error: {' '.join(exc.format_message().split())}{where}", err=True)
            sys.exit(2)
        except click.ClickException as exc:
            click.echo(f"Error: {' '.join(exc.format_message().split())}", err=True)
            sys.exit(exc.exit_code)
        except Exception as exc:
            if debug:
                raise
            message = " ".join(str(exc).split())[:300]
            click.echo(f"Error: {type(exc).__name__}: {message} (run with --debug for the traceback)", err=True)
            sys.exit(1)
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


@click.group(cls=HarvesterGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="harvester")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error (also after the command name).")
def main(debug):
    """Collect 政府信息公开工作年度报告 from government portals into a research database.

    \b
    Examples:
      harvester crawl                              # every site of data/sites.csv into data/harvester.db
      harvester crawl --sites my.csv --site 3201   # one site of another registry
      harvester export --out exports/              # reports_<province code>.csv per province
      harvester parse report.pdf --json            # parse local files, no database
      harvester demo                               # simulated portal → crawl → export
    """


# ---- the commands live in one module per group ------------------------------------------------------
from harvester.cli import crawl, discover, export, release, research, warc  # noqa: E402

for _group in (crawl, export, research, release, discover, warc):
    _group.register(main)


if __name__ == "__main__":  # pragma: no cover
    main()
