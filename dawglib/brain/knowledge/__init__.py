"""The music knowledge base shipped with dawglib: one short markdown article per topic (``*.md``).

Read by :mod:`dawglib.brain.kb`. Each file starts with ``# Title``, then an optional
``Keywords: ...`` line, then paragraphs; the file name (lower-case-with-dashes) is the article's slug.
"""
