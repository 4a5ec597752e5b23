"""Imported once by the sandbox's forkserver, so every worker forks with the readers loaded."""
import harvester.extract  # noqa: F401
import harvester.extract.docx  # noqa: F401
import harvester.extract.html  # noqa: F401
import harvester.extract.ofd  # noqa: F401
import harvester.extract.pdf  # noqa: F401
import harvester.extract.rtf  # noqa: F401
import harvester.extract.text  # noqa: F401
import harvester.extract.xlsx  # noqa: F401
import harvester.report  # noqa: F401

try:  # optional readers: a missing one is reported by its extractor, not here
    import harvester.extract.image  # noqa: F401
    import openpyxl  # noqa: F401
    import xlrd  # noqa: F401
except ImportError:  # pragma: no cover
    pass
