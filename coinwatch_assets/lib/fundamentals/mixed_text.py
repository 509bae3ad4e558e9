"""Bodies that are UTF-8 except for stray single-byte (cp1252/Latin-1) characters.

CoinGecko's `/search/trending` has been captured with raw 0xA0 bytes (Latin-1 no-break
spaces) inside a coin description: strict UTF-8 decoding fails on the whole answer. Here valid
UTF-8 stays as it is and each invalid byte is read as cp1252, the encoding such strays come
from; the number of repaired bytes is returned so a caller can say so.
"""


def decode_mixed(raw: bytes) -> tuple[str, int]:
    """(text, bytes repaired): UTF-8 where valid, cp1252 for each byte that is not."""
    parts, repaired, pos = [], 0, 0
    while True:
        try:
            parts.append(raw[pos:].decode("utf-8"))
            return "".join(parts), repaired
        except UnicodeDecodeError as exc:
            bad_start, bad_end = pos + exc.start, pos + exc.end
            parts.append(raw[pos:bad_start].decode("utf-8"))
            parts.append(raw[bad_start:bad_end].decode("cp1252", errors="replace"))
            repaired += bad_end - bad_start
            pos = bad_end
