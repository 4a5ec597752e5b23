"""harvester: collect 政府信息公开工作年度报告 from government portals into a research database."""

__version__ = "0.1.0"
