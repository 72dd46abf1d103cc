"""Encodings of Vietnamese CSV files: detection, TCVN3 codec, streaming UTF-8, separators."""

from __future__ import annotations

import codecs
import io
import tracemalloc
import unicodedata
from pathlib import Path

import pytest

from ioc.integrations import textcodecs
from ioc.integrations.textcodecs import (
    ENCODINGS,
    DecodeError,
    detect_encoding,
    open_as_utf8,
    sniff_delimiter,
    transcode_to_utf8,
)

SAMPLE = "Tên đơn vị;Số lượng\nPhường Phú Cường;1.234,5\nXã Bình Mỹ;12\n"
TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
VOWELS = "aăâeêioôơuưy"
# Every lowercase Vietnamese letter with every tone, plus đ and the uppercase VN3 letters.
ALPHABET = (
    "".join(unicodedata.normalize("NFC", v + t) for v in VOWELS for t in ("", *TONES)) + "đĂÂÊÔƠƯĐ"
)
LONG_TEXT = (
    "Ủy ban nhân dân tỉnh Bình Dương;Sở Tài nguyên và Môi trường;Nguyễn Thị Ngọc Ánh;"
    "Huyện Đắk Lắk;THỊ XÃ BẾN CÁT;khuỷu tay;rượu;Quảng Ngãi;Gò Vấp;Hồ Chí Minh\n"
)


def to_cp1258(text: str, *, decompose_all: bool = False) -> bytes:
    """Windows-1258 as Windows writes it: precomposed when the code page has the letter,
    otherwise base letter + combining tone mark; ``decompose_all`` always splits the tone."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        if not decompose_all or not any(t in unicodedata.normalize("NFD", ch) for t in TONES):
            try:
                out += ch.encode("cp1258")
                continue
            except UnicodeEncodeError:
                pass
        nfd = unicodedata.normalize("NFD", ch)
        tone = "".join(c for c in nfd if c in TONES)
        core = unicodedata.normalize("NFC", "".join(c for c in nfd if c not in TONES))
        out += core.encode("cp1258") + tone.encode("cp1258")
    return bytes(out)


def to_tcvn3(text: str) -> bytes:
    """TCVN3 as the ABC fonts write it: a toned capital is the lowercase byte."""
    out = bytearray()
    for ch in text:
        out += (ch if ch.isascii() or ch.lower() == ch or ch in "ĂÂÊÔƠƯĐ" else ch.lower()).encode(
            "tcvn3"
        )
    return bytes(out)


def encode(text: str, encoding: str) -> bytes:
    if encoding == "windows-1258":
        return to_cp1258(text)
    if encoding == "tcvn3":
        return to_tcvn3(text)
    return text.encode(encoding)


def transcode(data: bytes, encoding: str, chunk_size: int = 1 << 20) -> str:
    out = io.BytesIO()
    written = transcode_to_utf8(io.BytesIO(data), out, encoding, chunk_size)
    assert written == len(out.getvalue())
    return out.getvalue().decode("utf-8")


# --- round trips and detection --------------------------------------------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_round_trip_each_encoding(encoding: str) -> None:
    data = encode(SAMPLE, encoding)
    assert transcode(data, encoding) == SAMPLE
    assert transcode(data, encoding, chunk_size=3) == SAMPLE


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_detect_each_encoding(encoding: str) -> None:
    assert detect_encoding(encode(SAMPLE, encoding)) == encoding


@pytest.mark.parametrize(
    "text",
    [
        "Xã Bình Mỹ",
        "TÊN ĐƠN VỊ;SỐ LƯỢNG\n",
        LONG_TEXT,
        "ma,ten,dien_tich\n1,Phường Bến Nghé,2.5\n2,Phường Đa Kao,1.1\n",
        "Mường Khương, Bảo Thắng, Bát Xát, Sa Pa, Văn Bàn, Bảo Yên, Bắc Hà\n",
    ],
)
def test_detect_windows_1258_versus_tcvn3(text: str) -> None:
    assert detect_encoding(to_cp1258(text)) == "windows-1258"
    assert detect_encoding(to_cp1258(text, decompose_all=True)) == "windows-1258"
    assert detect_encoding(to_tcvn3(text)) == "tcvn3"


def test_detect_utf8_cut_inside_a_character() -> None:
    data = SAMPLE.encode("utf-8")
    cut = data.index("ư".encode()) + 1  # inside the two-byte sequence
    assert detect_encoding(data[:cut]) == "utf-8"
    assert detect_encoding(b"plain ascii;1\n") == "utf-8"


def test_utf16_big_endian_and_without_bom() -> None:
    be = codecs.BOM_UTF16_BE + SAMPLE.encode("utf-16-be")
    assert detect_encoding(be) == "utf-16"
    assert transcode(be, "utf-16") == SAMPLE
    for raw in (SAMPLE.encode("utf-16-le"), SAMPLE.encode("utf-16-be")):
        assert detect_encoding(raw) == "utf-16"
        assert transcode(raw, "utf-16", chunk_size=5) == SAMPLE


def test_bom_is_stripped_even_when_utf8_is_chosen() -> None:
    data = codecs.BOM_UTF8 + SAMPLE.encode()
    assert transcode(data, "utf-8") == SAMPLE
    assert transcode(data, "utf-8-sig", chunk_size=1) == SAMPLE


# --- TCVN3 codec ----------------------------------------------------------------------------


def test_tcvn3_alphabet_round_trip() -> None:
    data = ALPHABET.encode("tcvn3")
    assert len(data) == len(ALPHABET) == 12 * 6 + 8
    assert all(b >= 0xA1 for b, ch in zip(data, ALPHABET, strict=True) if not ch.isascii())
    assert data.decode("tcvn3") == ALPHABET
    assert len(set(data)) == len(data)  # one byte per letter


def test_tcvn3_known_bytes() -> None:
    assert b"B\xb6o Th\xbeng".decode("tcvn3") == "Bảo Thắng"
    assert b"M\xad\xeang Kh\xad\xacng".decode("tcvn3") == "Mường Khương"
    assert b"T\xaan \xae\xacn v\xde".decode("tcvn3") == "Tên đơn vị"
    assert b"\xa7\xa1\xa2\xa3\xa4\xa5\xa6".decode("tcvn3") == "ĐĂÂÊÔƠƯ"
    # ASCII is unchanged; an uppercase toned letter is the lowercase byte in a .VnTimeH font.
    assert bytes(range(128)).decode("tcvn3") == bytes(range(128)).decode("ascii")
    assert to_tcvn3("VỊ") == b"V\xde"


def test_tcvn3_decoding_table_is_a_bijection() -> None:
    table = textcodecs.TCVN3_DECODING_TABLE
    assert len(table) == 256 == len(set(table))
    everything = bytes(range(256))
    assert everything.decode("tcvn3").encode("tcvn3") == everything


def test_tcvn3_incremental_and_registration_idempotent() -> None:
    textcodecs._register_tcvn3()  # registering again (a second import) changes nothing
    assert codecs.lookup("tcvn3").incrementaldecoder is textcodecs._Tcvn3IncrementalDecoder
    decoder = codecs.getincrementaldecoder("tcvn3")()
    data = to_tcvn3(SAMPLE)
    assert "".join(decoder.decode(data[i : i + 1]) for i in range(len(data))) == SAMPLE
    encoder = codecs.getincrementalencoder("tcvn3")()
    assert b"".join(encoder.encode(ch) for ch in ALPHABET) == ALPHABET.encode("tcvn3")
    assert codecs.lookup("tcvn3").name == "tcvn3"


# --- NFC across chunk boundaries ------------------------------------------------------------


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 1 << 20])
@pytest.mark.parametrize("decompose_all", [False, True])
def test_windows_1258_decomposed_becomes_nfc(chunk_size: int, decompose_all: bool) -> None:
    text = LONG_TEXT + ALPHABET + "\n"
    data = to_cp1258(text, decompose_all=decompose_all)
    assert b"\xec" in data or b"\xd2" in data  # combining tone marks really are there
    assert transcode(data, "windows-1258", chunk_size) == unicodedata.normalize("NFC", text)


@pytest.mark.parametrize("chunk_size", [1, 2, 4])
def test_nfc_of_decomposed_utf8_across_chunks(chunk_size: int) -> None:
    text = "Phường Phú Cường;각;e\u0302\u0301;Å\n"
    data = unicodedata.normalize("NFD", text).encode("utf-8")
    assert transcode(data, "utf-8-sig", chunk_size) == unicodedata.normalize("NFC", text)


def test_fifty_megabyte_single_line_bounded_memory(tmp_path: Path) -> None:
    segment = to_tcvn3("Phường Phú Cường;1.234,5;Xã Bình Mỹ;Nguyễn Thị Ngọc Ánh;")
    src_path, dst_path = tmp_path / "big.csv", tmp_path / "big.utf8.csv"
    count = 50_000_000 // len(segment)
    with src_path.open("wb") as fh:
        for _ in range(count // 1000):
            fh.write(segment * 1000)
    tracemalloc.start()
    try:
        with src_path.open("rb") as src, dst_path.open("wb") as dst:
            written = transcode_to_utf8(src, dst, "tcvn3")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024
    assert written == dst_path.stat().st_size
    with dst_path.open("rb") as fh:
        head = fh.read(200).decode("utf-8", errors="ignore")
    assert head.startswith("Phường Phú Cường;1.234,5;Xã Bình Mỹ;Nguyễn Thị Ngọc ánh;Phường")


# --- errors ---------------------------------------------------------------------------------


def test_invalid_utf8_message_in_both_languages() -> None:
    with pytest.raises(DecodeError) as info:
        transcode(b"ma;ten\n1;X\xff\n", "utf-8")
    message = str(info.value)
    assert "Tệp không đọc được bằng mã utf-8" in message
    assert "The file cannot be read as utf-8" in message
    assert "0xFF" in message and "offset 10" in message and "vị trí 10" in message
    assert isinstance(info.value, ValueError)
    assert info.value.offset == 10


def test_invalid_utf8_offset_is_absolute_across_chunks() -> None:
    data = SAMPLE.encode() + b"abc\xe1\xbbZ"  # a three-byte sequence broken by "Z"
    bad = len(SAMPLE.encode()) + 3
    for chunk_size in (1, 2, 5, 1 << 20):
        with pytest.raises(DecodeError) as info:
            transcode(data, "utf-8", chunk_size)
        assert info.value.offset == bad
        assert info.value.byte == 0xE1


def test_truncated_utf8_at_end_of_file() -> None:
    with pytest.raises(DecodeError) as info:
        transcode(b"ab\xe1\xbb", "utf-8", chunk_size=1)
    assert info.value.offset == 2


def test_unknown_encoding_is_refused() -> None:
    with pytest.raises(ValueError, match="Unsupported encoding"):
        transcode(b"a", "shift_jis")


# --- delimiter ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (SAMPLE, ";"),
        ("ma,ten,dien_tich\n1,Phường Bến Nghé,2.5\n2,Đa Kao,1.1\n", ","),
        ("ma\tten\n1\tA, B\n2\tC; D\n", "\t"),
        ("ma|ten|so\n1|A|2\n3|B|4\n", "|"),
        ('"Diện tích, km2";"Dân số, người"\n"12,5";"1.234"\n"7,25";"99"\n', ";"),
        ('"Tên, đơn vị";Số\n"A, B";1,5\n"C";2,5\n', ";"),
        ("Tên;Giá\nA;1,5\nB;2,5\nC;3", ";"),  # the cut-off last line is ignored
        ('ten,ghi_chu\nA,"dòng 1\ndòng 2; vẫn trong ngoặc"\nB,x\n', ","),
        ("chi_mot_cot\nA\nB\n", ","),
        ("", ","),
    ],
)
def test_sniff_delimiter(sample: str, expected: str) -> None:
    assert sniff_delimiter(sample) == expected


# --- files ----------------------------------------------------------------------------------


def test_open_as_utf8_keeps_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(SAMPLE.encode())
    assert open_as_utf8(path, None, tmp_path / "tmp") == (path, "utf-8")
    assert open_as_utf8(path, "utf-8", tmp_path / "tmp") == (path, "utf-8")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "windows-1258", "tcvn3"])
def test_open_as_utf8_transcodes(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "don_vi.csv"
    path.write_bytes(encode(SAMPLE, encoding))
    for chosen in (None, encoding):
        new_path, used = open_as_utf8(path, chosen, tmp_path / "tmp")
        assert used == encoding
        assert new_path.parent == tmp_path / "tmp" and new_path != path
        assert new_path.read_bytes().decode("utf-8") == SAMPLE


def test_open_as_utf8_removes_partial_file_on_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(codecs.BOM_UTF8 + b"a;b\n\xff\n")
    with pytest.raises(DecodeError):
        open_as_utf8(path, None, tmp_path / "tmp")
    assert list((tmp_path / "tmp").iterdir()) == []
