"""Serving federations: one workbook per school (``batch``), the network
report of aggregates (``collect``, ``network_report``), pseudonymisation
(``anonymize``), and the process pool they share (``parallel``).
"""
