"""Web-archive evidence: WARC capture records of every fetch, their CDXJ index, and replay with pywb (the WACZ
package of a province is a research output: harvester/research/wacz.py)."""
