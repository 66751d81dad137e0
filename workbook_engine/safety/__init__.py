"""The safety gate every workbook goes through before anything reads it
(``gate``: xlsx; ``ods``: OpenDocument; ``encrypted``: password-protected
files decrypted in memory; ``safe_xml``: XML parsing without entities).
"""
