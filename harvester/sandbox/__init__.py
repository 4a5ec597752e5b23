"""Reading a document without risking the caller: extraction and parsing in a worker forked from a fork server
(``zygote``, with the readers preloaded: ``preload``), under a memory limit and a time budget (``read``: the
caller's side, ``read_document``; ``work``: what a worker does). Above both the readers (harvester.extract) and
the parser (harvester.report), which never import it."""
