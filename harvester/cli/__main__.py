"""``python -m harvester.cli``: the `harvester` command."""
from harvester.cli.main import main

main()
