"""Web-archive evidence: WARC capture records, their index and replay, WACZ packages."""
