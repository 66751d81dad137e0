"""The model: the SPEC's rules in Python, no spreadsheet anywhere.

``domain`` (typed scenario), ``money`` (spreadsheet rounding), ``problems``
(what is wrong, where), ``validation`` (the SPEC's input rules),
``simulate`` (the vectorised model), ``results`` (the results JSON),
``restructure`` (merge and split grids), ``limits`` (how large an input may be).
Imports nothing of the rest of the package.
"""
