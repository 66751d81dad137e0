"""Text from workbooks made safe for XML and HTML outputs: characters XML
1.0 forbids (control characters a pasted cell may hold) become U+FFFD."""

from __future__ import annotations

import re

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(text: object) -> str:
    return _NOT_XML.sub("\ufffd", str(text))
