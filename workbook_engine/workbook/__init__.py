"""The generated workbook: its layout (the one place that knows cell
addresses), where a bursar's edits moved it (``placement``, ``moves``), the
writer, the reader, the results read from cells, the one-parse file, the
check against the model, generation and templates.
"""
