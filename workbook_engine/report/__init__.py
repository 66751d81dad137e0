"""Reports of ``check`` and ``diff`` for CI, federations and bursars.

One module per output: ``gate`` (the exit code a ``--fail-on`` threshold
gives), ``causes`` (findings grouped by cause, with what to do), ``summary``
(per workbook: verdict, revenue against the model), ``junit`` (JUnit XML for
CI test reports), ``html_check`` and ``html_diff`` (standalone French pages),
``annotate`` (a copy of the workbook with each flagged cell coloured and
commented, edited part by part: ``ooxml``), ``diff`` (what changed between
two sendings of a workbook) and ``diff_text`` (its text and JSON).

Same floor as ``federation`` and ``calibrate``: it reads workbooks through
``workbook`` and knows no cell address of its own.
"""
