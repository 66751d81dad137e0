"""Files that are not workbooks: scenario JSON, families CSV, the French
text of numbers, the sample structure, output files written safely.
"""
