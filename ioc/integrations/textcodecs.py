"""Text encodings of Vietnamese CSV files: detect, convert to UTF-8 (NFC), find the separator.

Agencies send UTF-8 (with or without BOM), UTF-16, Windows-1258 and TCVN3 ("ABC", the
.VnTime fonts). Python has no TCVN3 codec, so one is registered here under the name
``"tcvn3"`` when this module is imported. Pure Python, no Django.
"""

from __future__ import annotations

import codecs
import functools
import os
import re
import tempfile
import unicodedata
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

__all__ = [
    "ENCODINGS",
    "SAMPLE_SIZE",
    "DecodeError",
    "detect_encoding",
    "open_as_utf8",
    "sniff_delimiter",
    "transcode_to_utf8",
]

ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "windows-1258", "tcvn3")
SAMPLE_SIZE = 64 * 1024  # bytes read to detect the encoding

# ---------------------------------------------------------------------------------------------
# TCVN3 (TCVN 5712:1993, VN3 "ABC")
# ---------------------------------------------------------------------------------------------

# The VN3 repertoire: lowercase precomposed letters and the seven uppercase base letters.
# Uppercase letters with a tone are written with the lowercase byte in an uppercase font
# (.VnTimeH), so they decode to the lowercase letter.
_TCVN3_VN3: dict[int, str] = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}  # fmt: skip

# Positions of the upper half that VN3 leaves unused hold, in the full VN1 level of the
# same standard, uppercase letters and combining tone marks; decode them that way.
_TCVN3_VN1_EXTRA: dict[int, str] = {
    0xA0: "\u00a0",
    0xAF: "Ằ", 0xB0: "\u0300", 0xB1: "\u0309", 0xB2: "\u0303", 0xB3: "\u0301",
    0xB4: "\u0323", 0xBA: "Ẳ", 0xBF: "Ẵ", 0xC0: "Ắ", 0xC1: "Ầ", 0xC2: "Ẩ", 0xC3: "Ẫ",
    0xC4: "Ấ", 0xC5: "Ề", 0xCD: "Ể", 0xD9: "Ễ", 0xDA: "Ế", 0xDB: "Ồ", 0xE0: "Ổ",
    0xF0: "Ỗ", 0xFF: "Ố",
}  # fmt: skip


def _build_tcvn3_table() -> str:
    table = [chr(b) for b in range(0x80)]
    # 0x80-0x9F are unused by VN3; files come from Windows programs, where they are the
    # Windows-1252 punctuation (curly quotes, dashes) that Word and Excel insert.
    for b in range(0x80, 0xA0):
        try:
            table.append(bytes([b]).decode("cp1252"))
        except UnicodeDecodeError:
            table.append(chr(b))
    upper = {**_TCVN3_VN1_EXTRA, **_TCVN3_VN3}
    table.extend(upper[b] for b in range(0xA0, 0x100))
    assert len(table) == 256 and len(set(table)) == 256
    return "".join(table)


TCVN3_DECODING_TABLE = _build_tcvn3_table()
TCVN3_ENCODING_TABLE = codecs.charmap_build(TCVN3_DECODING_TABLE)


class _Tcvn3Codec(codecs.Codec):
    def encode(self, input: str, errors: str = "strict") -> tuple[bytes, int]:
        return codecs.charmap_encode(input, errors, TCVN3_ENCODING_TABLE)

    def decode(self, input: ReadableBuffer, errors: str = "strict") -> tuple[str, int]:
        # A 256-character str is the fast table form the stdlib code pages use.
        return codecs.charmap_decode(input, errors, TCVN3_DECODING_TABLE)  # type: ignore[arg-type]


class _Tcvn3IncrementalEncoder(codecs.IncrementalEncoder):
    def encode(self, input: str, final: bool = False) -> bytes:
        return codecs.charmap_encode(input, self.errors, TCVN3_ENCODING_TABLE)[0]


class _Tcvn3IncrementalDecoder(codecs.IncrementalDecoder):
    def decode(self, input: ReadableBuffer, final: bool = False) -> str:
        return codecs.charmap_decode(input, self.errors, TCVN3_DECODING_TABLE)[0]  # type: ignore[arg-type]


class _Tcvn3StreamWriter(_Tcvn3Codec, codecs.StreamWriter):
    pass


class _Tcvn3StreamReader(_Tcvn3Codec, codecs.StreamReader):
    pass


def _tcvn3_search(name: str) -> codecs.CodecInfo | None:
    if name != "tcvn3":
        return None
    return codecs.CodecInfo(
        name="tcvn3",
        encode=_Tcvn3Codec().encode,
        decode=_Tcvn3Codec().decode,
        incrementalencoder=_Tcvn3IncrementalEncoder,
        incrementaldecoder=_Tcvn3IncrementalDecoder,
        streamwriter=_Tcvn3StreamWriter,
        streamreader=_Tcvn3StreamReader,
    )


def _register_tcvn3() -> None:
    try:
        codecs.lookup("tcvn3")
    except LookupError:
        codecs.register(_tcvn3_search)


_register_tcvn3()

# ---------------------------------------------------------------------------------------------
# Errors and encoding names
# ---------------------------------------------------------------------------------------------


class DecodeError(ValueError):
    """The bytes are not valid in the chosen encoding (message in Vietnamese and English)."""

    def __init__(self, encoding: str, offset: int, byte: int | None) -> None:
        self.encoding = encoding
        self.offset = offset
        self.byte = byte
        shown = f"0x{byte:02X}" if byte is not None else "?"
        super().__init__(
            f"Tệp không đọc được bằng mã {encoding} (byte {shown} ở vị trí {offset})"
            f" / The file cannot be read as {encoding} (byte {shown} at offset {offset})"
        )


_ALIASES = {
    "utf8": "utf-8",
    "utf_8": "utf-8",
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf_8_sig": "utf-8-sig",
    "utf8-sig": "utf-8-sig",
    "utf-16": "utf-16",
    "utf16": "utf-16",
    "utf_16": "utf-16",
    "windows-1258": "windows-1258",
    "cp1258": "windows-1258",
    "windows1258": "windows-1258",
    "tcvn3": "tcvn3",
    "tcvn-3": "tcvn3",
    "abc": "tcvn3",
}


def _canonical(encoding: str) -> str:
    name = _ALIASES.get(encoding.strip().lower())
    if name is None:
        raise ValueError(
            f"Bảng mã không hỗ trợ: {encoding!r} / Unsupported encoding: {encoding!r}"
            f" (choose one of {', '.join(ENCODINGS)})"
        )
    return name


# ---------------------------------------------------------------------------------------------
# Detection
# ---------------------------------------------------------------------------------------------

_TONES = "\u0300\u0301\u0303\u0309\u0323"
_ONSETS = "ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx]"
_NUCLEI = (
    "a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y",
    "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "ia", "iê", "iu", "oa", "oă", "oe", "oi",
    "oo", "ôi", "ơi", "ua", "uâ", "uê", "ui", "uô", "uơ", "uy", "ưa", "ưi", "ươ", "ưu", "yê",
    "iêu", "yêu", "oai", "oay", "oao", "oeo", "uây", "uôi", "ươi", "ươu", "uya", "uyê", "uyu",
    "uêu",
)  # fmt: skip
_SYLLABLE = re.compile(
    rf"(?:{_ONSETS})?(?:{'|'.join(sorted(_NUCLEI, key=len, reverse=True))})(?:ch|ng|nh|[cmnptk])?"
)
_WORD = re.compile(r"[^\W\d_]+")
# Non-ASCII characters that are normal in Vietnamese spreadsheets and are no evidence either way.
_NEUTRAL = frozenset("\u00a0“”‘’–—…°·•€₫×")


def _vietnamese_score(text: str) -> int:
    """How much ``text`` looks like Vietnamese: valid syllables minus junk."""
    text = unicodedata.normalize("NFC", text)
    score = 0
    for ch in text:
        if ch >= "\x80" and ch not in _NEUTRAL and not ch.isalpha():
            score -= 1  # symbols, soft hyphens, stray combining marks, U+FFFD
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        decomposed = unicodedata.normalize("NFD", word.lower())
        tones = sum(decomposed.count(t) for t in _TONES)
        bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
        score += 1 if tones <= 1 and _SYLLABLE.fullmatch(bare) else -1
    return score


def _looks_utf16(sample: bytes) -> bool:
    pairs = len(sample) // 2
    if pairs < 2:
        return False
    even = sample[0 : pairs * 2 : 2].count(0)
    odd = sample[1 : pairs * 2 : 2].count(0)
    high, low = max(even, odd), min(even, odd)
    return high >= pairs * 0.3 and low <= pairs * 0.05


def _utf16_order(sample: bytes) -> str:
    """'utf-16-be' when NULs sit at even offsets (high byte first), else 'utf-16-le'."""
    pairs = len(sample) // 2
    even = sample[0 : pairs * 2 : 2].count(0)
    odd = sample[1 : pairs * 2 : 2].count(0)
    return "utf-16-be" if even > odd else "utf-16-le"


def detect_encoding(sample: bytes) -> str:
    """Guess the encoding (one of ``ENCODINGS``) from the first bytes of a file."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _looks_utf16(sample):
        return "utf-16"
    try:
        # final=False: a multi-byte sequence cut by the end of the sample is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    cp1258 = _vietnamese_score(sample.decode("cp1258", errors="replace"))
    tcvn3 = _vietnamese_score(sample.decode("tcvn3"))
    return "tcvn3" if tcvn3 > cp1258 else "windows-1258"


# ---------------------------------------------------------------------------------------------
# Transcoding
# ---------------------------------------------------------------------------------------------

_MAX_PENDING = 1 << 20  # characters held back for NFC; more only on pathological input
_DECODE_SLICE = 256 * 1024  # bytes decoded at a time, whatever the read size


@functools.cache
def _unstable_starters() -> frozenset[str]:
    """Characters of combining class 0 that NFC may merge with the character before them."""
    found: set[str] = set()
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        parts = unicodedata.decomposition(ch).split()
        if not parts or parts[0].startswith("<"):
            continue
        first = chr(int(parts[0], 16))
        if unicodedata.combining(ch) == 0 and unicodedata.combining(first) != 0:
            found.add(ch)  # decomposes to a leading combining mark
        if len(parts) == 2:
            second = chr(int(parts[1], 16))
            if unicodedata.combining(second) == 0:
                found.add(second)  # composes with a preceding starter
    found.update(chr(cp) for cp in range(0x1161, 0x1176))  # Hangul vowel jamo
    found.update(chr(cp) for cp in range(0x11A8, 0x11C3))  # Hangul trailing jamo
    return frozenset(found)


def _is_stable(ch: str) -> bool:
    """NFC never combines ``ch`` with what precedes it: text may be cut just before it."""
    if ch < "\u0300" or "\u1e00" <= ch <= "\u1eff":
        return True
    return unicodedata.combining(ch) == 0 and ch not in _unstable_starters()


def _stable_cut(text: str) -> int:
    """Index of the last character before which ``text`` can be cut (0 when none)."""
    for i in range(len(text) - 1, 0, -1):
        if _is_stable(text[i]):
            return i
    return 0


def transcode_to_utf8(
    src: BinaryIO, dst: BinaryIO, encoding: str, chunk_size: int = 1 << 20
) -> int:
    """Stream ``src`` in ``encoding`` to ``dst`` as NFC UTF-8 without BOM; return bytes written.

    Memory stays bounded whatever the line length. Raises ``DecodeError`` on invalid bytes.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    name = _canonical(encoding)
    head = src.read(chunk_size)
    if name == "utf-16":
        while len(head) < 4096:  # enough to tell the byte order when there is no BOM
            more = src.read(chunk_size)
            if not more:
                break
            head += more
        has_bom = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        codec = "utf-16" if has_bom else _utf16_order(head)
    else:
        codec = {"utf-8-sig": "utf-8", "windows-1258": "cp1258"}.get(name, name)
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")

    fed = 0  # bytes given to the decoder so far
    at_start = True
    pending = ""
    written = 0

    def decode(data: bytes | memoryview, final: bool) -> str:
        nonlocal fed
        buffered = len(decoder.getstate()[0])
        try:
            text = decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            offset = fed - buffered + exc.start
            bad = exc.object[exc.start] if exc.start < len(exc.object) else None
            raise DecodeError(name, offset, bad) from None
        fed += len(data)
        return text

    def emit(text: str, final: bool) -> None:
        nonlocal at_start, pending, written
        if at_start and text:
            at_start = False
            if text.startswith("\ufeff"):
                text = text[1:]
        buf = pending + text
        if final:
            out, pending = buf, ""
        else:
            cut = _stable_cut(buf)
            out, pending = buf[:cut], buf[cut:]
            if len(pending) > _MAX_PENDING:
                out, pending = buf, ""
        if out:
            written += dst.write(unicodedata.normalize("NFC", out).encode("utf-8"))

    chunk = head
    while chunk:
        view = memoryview(chunk)
        for start in range(0, len(view), _DECODE_SLICE):  # smaller strings, lower peak memory
            emit(decode(view[start : start + _DECODE_SLICE], False), False)
        chunk = src.read(chunk_size)
    emit(decode(b"", True), True)
    return written


# ---------------------------------------------------------------------------------------------
# Delimiter
# ---------------------------------------------------------------------------------------------

DELIMITERS = (",", ";", "\t", "|")
# On a tie the rarer character in ordinary text wins: a comma is also a decimal separator.
_PREFERENCE = {"\t": 3, ";": 2, "|": 1, ",": 0}
_MAX_RECORDS = 50


def _field_counts(text: str, delim: str) -> list[int]:
    """Separators outside double quotes in each non-empty record of ``text``."""
    counts: list[int] = []
    count = 0
    in_quotes = False
    field_start = True
    empty = True
    i, n = 0, len(text)
    while i < n and len(counts) < _MAX_RECORDS:
        ch = text[i]
        if in_quotes:
            if ch == '"':
                if i + 1 < n and text[i + 1] == '"':
                    i += 1
                else:
                    in_quotes = False
        elif ch == '"' and field_start:
            in_quotes = True
            empty = False
            field_start = False
        elif ch == delim:
            count += 1
            field_start = True
            empty = False
        elif ch == "\n":
            if not empty:
                counts.append(count)
            count, field_start, empty = 0, True, True
        elif ch not in "\r":
            if ch not in " ":
                field_start = False
            empty = False
        i += 1
    if not empty and len(counts) < _MAX_RECORDS and (not counts or text.endswith("\n")):
        counts.append(count)  # a last record without newline only when it is the only one
    return counts


def sniff_delimiter(text_sample: str) -> str:
    """The separator among , ; tab | with the most consistent non-zero count per record."""
    best = ","
    best_key: tuple[float, int] = (0.0, -1)
    for delim in DELIMITERS:
        counts = _field_counts(text_sample, delim)
        if not counts:
            continue
        tally = Counter(counts)
        mode, hits = max(tally.items(), key=lambda kv: (kv[1], kv[0]))
        if mode == 0:
            continue
        key = (hits / len(counts), _PREFERENCE[delim])
        if key > best_key:
            best, best_key = delim, key
    return best


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


def open_as_utf8(path: Path, encoding: str | None, tmpdir: Path) -> tuple[Path, str]:
    """Return ``(path of a UTF-8 file, encoding used)``, transcoding into ``tmpdir`` if needed.

    With ``encoding=None`` the encoding is detected from the first 64 KiB.
    """
    if encoding is None:
        with path.open("rb") as fh:
            used = detect_encoding(fh.read(SAMPLE_SIZE))
    else:
        used = _canonical(encoding)
    if used == "utf-8":
        return path, used
    tmpdir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f"{path.stem[:40]}.", suffix=".utf8.csv", dir=tmpdir)
    out = Path(name)
    try:
        with path.open("rb") as src, os.fdopen(fd, "wb") as dst:
            transcode_to_utf8(src, dst, used)
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    return out, used
