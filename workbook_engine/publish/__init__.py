"""Inform the parents (``workbook-engine publish``): the article of the
school's règlement financier (.docx and PDF, from one content description)
and one notice per family (a PDF each, one merged PDF for printing, a CSV
for mail merge). Every figure comes from the model (``model.simulate``);
a workbook is published only once ``check`` finds it coherent.

One concern per module: ``typography`` (French figures and dates),
``blocks`` (the typed content both renderers draw), ``statements`` (each
family's figures, taken from the model), ``article`` and ``notice`` (the
French text), ``render_pdf`` and ``render_docx``, ``mailmerge`` (the CSV),
``names`` (the bursar's local id;name file), ``outdir`` (the output folder
and its manifest), ``source`` (a checked workbook or a scenario) and
``core`` (the whole publication).
"""
