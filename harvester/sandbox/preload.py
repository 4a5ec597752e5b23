"""Imported once by the sandbox's forkserver, so every worker forks with the readers loaded."""
import ctypes  # noqa: F401 - the worker sets PR_SET_PDEATHSIG through it

import harvester.extract  # noqa: F401
import harvester.sandbox.work  # noqa: F401
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


def _warm() -> None:
    """Read and parse one small report, so the parser's lazily built tables (the format specification,
    compiled patterns) exist before the fork server forks: every worker inherits them instead of building
    them again (about 150 ms a document)."""
    from harvester.extract import extract
    from harvester.report import parse_extracted
    rows = "".join(f"<tr><td>{label}</td>" + "<td>0</td>" * 7 + "</tr>" for label in (
        "一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "（一）予以公开", "（七）总计",
        "四、结转下年度继续办理"))
    page = ("<html><head><meta charset='utf-8'><title>某县人民政府2023年政府信息公开工作年度报告</title></head><body>"
            "<h1>某县人民政府2023年政府信息公开工作年度报告</h1><p>一、总体情况</p><p>二、主动公开政府信息情况</p>"
            "<p>三、收到和处理政府信息公开申请情况</p><table>" + rows + "</table>"
            "<p>四、政府信息公开行政复议、行政诉讼情况</p><p>五、存在的主要问题及改进情况</p><p>六、其他需要报告的事项</p>"
            "</body></html>")
    try:
        parse_extracted(extract(page.encode("utf-8")), title="某县人民政府2023年政府信息公开工作年度报告")
    except Exception:  # noqa: BLE001 - warming is an optimisation, never a failure
        pass


_warm()
