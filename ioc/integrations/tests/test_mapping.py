"""Mapping and validation on real DuckDB: Vietnamese formats, rules, and every row accounted for."""

from __future__ import annotations

import datetime as dt
import random

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from ioc.integrations.mapping import (
    FieldMap,
    Mapper,
    Mapping,
    MappingError,
    RowRule,
    _untrimmed,
)
from ioc.integrations.pipeline import lookup_units
from ioc.warehouse.schema import parse_schema


def schema(*columns: dict, key: list[str] | None = None):
    return parse_schema({"columns": list(columns), "key": key or []})


def run(sch, mapping, data: dict, first_row: int = 1, lookup=None):
    result = Mapper(sch, mapping, unit_lookup=lookup).map(pa.table(data), first_row)
    assert result.accepted.num_rows + result.rejected.num_rows == len(next(iter(data.values())))
    return result


def test_vietnamese_and_english_numbers_auto():
    sch = schema({"name": "v", "type": "decimal"})
    values = ["1.234,5", "12,5", "1.500", "0.125", "1,234.5", "12.5", "-3", "1.234.567", " 7 "]
    r = run(sch, Mapping(fields=[FieldMap(column="v", source="x")]), {"x": values})
    assert r.accepted.column("v").to_pylist() == [
        1234.5,
        12.5,
        1500.0,
        0.125,
        1234.5,
        12.5,
        -3.0,
        1234567.0,
        7.0,
    ]


def test_explicit_number_formats():
    sch = schema({"name": "v", "type": "decimal"})
    vi = run(
        sch,
        Mapping(fields=[FieldMap(column="v", source="x", number_format="vi")]),
        {"x": ["1.234", "2,5"]},
    )
    en = run(
        sch,
        Mapping(fields=[FieldMap(column="v", source="x", number_format="en")]),
        {"x": ["1.234", "2,500"]},
    )
    assert vi.accepted.column("v").to_pylist() == [1234.0, 2.5]
    assert en.accepted.column("v").to_pylist() == [1.234, 2500.0]


def test_integers_refuse_fractions_and_text_with_bilingual_reasons():
    sch = schema({"name": "n", "type": "integer"})
    r = run(
        sch, Mapping(fields=[FieldMap(column="n", source="x")]), {"x": ["3", "4,5", "abc", "1.000"]}
    )
    assert r.accepted.column("n").to_pylist() == [3, 1000]
    reasons = r.rejected.column("_reason").to_pylist()
    assert reasons[0] == "n: «4,5» không phải số nguyên / is not a whole number"
    assert "«abc» không phải số nguyên / is not a whole number" in reasons[1]
    assert r.rejected.column("_row").to_pylist() == [2, 3]


def test_dates_in_vietnamese_order_and_iso():
    sch = schema({"name": "d", "type": "date", "role": "time", "required": True})
    r = run(
        sch,
        Mapping(fields=[FieldMap(column="d", source="x")]),
        {"x": ["05/01/2026", "2026-01-06", "7/1/2026", "10/2026", "32/01/2026", None]},
    )
    assert r.accepted.column("d").to_pylist() == [
        dt.date(2026, 1, 5),
        dt.date(2026, 1, 6),
        dt.date(2026, 1, 7),
        dt.date(2026, 10, 1),
    ]
    assert r.rejected.column("_reason").to_pylist() == [
        "d: «32/01/2026» không phải ngày / is not a date",
        "dòng không có giá trị nào / the row has no values; d: thiếu giá trị / missing value",
    ]


def test_explicit_date_format_and_timestamps():
    sch = schema({"name": "t", "type": "timestamp"}, {"name": "d", "type": "date"})
    r = run(
        sch,
        Mapping(
            fields=[
                FieldMap(column="t", source="t"),
                FieldMap(column="d", source="d", date_format="%m-%d-%Y"),
            ]
        ),
        {"t": ["05/01/2026 08:30", "2026-01-05T09:00:00"], "d": ["01-31-2026", "02-01-2026"]},
    )
    assert r.accepted.column("t").to_pylist() == [
        dt.datetime(2026, 1, 5, 8, 30),
        dt.datetime(2026, 1, 5, 9, 0),
    ]
    assert r.accepted.column("d").to_pylist() == [dt.date(2026, 1, 31), dt.date(2026, 2, 1)]


def test_booleans_in_vietnamese():
    sch = schema({"name": "b", "type": "boolean"})
    r = run(
        sch,
        Mapping(fields=[FieldMap(column="b", source="x")]),
        {"x": ["Có", "không", "x", "Đạt", "maybe"]},
    )
    assert r.accepted.column("b").to_pylist() == [True, False, True, True]
    assert r.rejected.num_rows == 1


def test_value_maps_scale_default_and_computed_columns():
    sch = schema(
        {"name": "loai", "type": "text", "role": "dimension"},
        {"name": "mm", "type": "decimal", "role": "measure"},
        {"name": "tong", "type": "integer", "role": "measure"},
        {"name": "ten", "type": "text"},
        {"name": "nguon", "type": "text"},
    )
    mapping = Mapping(
        fields=[
            FieldMap(column="loai", source="loai", values={"NT": "Nội trú", "it's": "ngoại 'trú'"}),
            FieldMap(column="mm", source="cm", scale=10),
            FieldMap(column="tong", compute="sum", sources=["nam", "nu"]),
            FieldMap(column="ten", compute="concat", sources=["ho", "ten"]),
            FieldMap(column="nguon", default="báo cáo tay"),
        ]
    )
    r = run(
        sch,
        mapping,
        {
            "loai": ["NT", "it's"],
            "cm": ["1,5", "2"],
            "nam": ["1.200", "3"],
            "nu": ["800", "4"],
            "ho": ["Nguyễn", "Trần"],
            "ten": ["An", None],
        },
    )
    assert r.accepted.to_pydict() | {"_row": None} == {
        "loai": ["Nội trú", "ngoại 'trú'"],
        "mm": [15.0, 20.0],
        "tong": [2000, 7],
        "ten": ["Nguyễn An", "Trần"],
        "nguon": ["báo cáo tay", "báo cáo tay"],
        "_row": None,
    }


def test_row_rules_ranges_allowed_values_and_cross_field():
    sch = schema(
        {"name": "a", "type": "integer"},
        {"name": "b", "type": "integer"},
        {"name": "k", "type": "text"},
    )
    mapping = Mapping(
        fields=[FieldMap(column=c, source=c) for c in "abk"],
        rules=[
            RowRule(column="a", min=0, max=100),
            RowRule(column="k", allowed=["x", "y"]),
            RowRule(column="a", op="<=", other="b"),
        ],
    )
    r = run(
        sch,
        mapping,
        {"a": ["5", "-1", "500", "7"], "b": ["10", "10", "1000", "6"], "k": ["x", "y", "x", "z"]},
    )
    assert r.accepted.column("a").to_pylist() == [5]
    reasons = r.rejected.column("_reason").to_pylist()
    assert reasons[0] == "a: -1 nhỏ hơn 0 / below 0"
    assert reasons[1] == "a: 500 lớn hơn 100 / above 100"
    assert "k: «z» không nằm trong danh sách cho phép / is not an allowed value" in reasons[2]
    assert "không thoả a <= b / fails a <= b" in reasons[2]


def test_missing_source_fields_reject_every_row_and_keep_raw_values():
    sch = schema({"name": "a", "type": "text"}, {"name": "b", "type": "text"})
    r = run(
        sch,
        Mapping(fields=[FieldMap(column="a", source="A"), FieldMap(column="b", source="B")]),
        {"A": ["1", "2"], "C": ["x", "y"]},
        first_row=10,
    )
    assert r.accepted.num_rows == 0
    assert r.missing_sources == ["B"]
    assert r.rejected.column("_row").to_pylist() == [10, 11]
    assert r.rejected.column("_raw").to_pylist()[0] == '{"A":"1","C":"x"}'
    assert "source field «B» is missing" in r.rejected.column("_reason").to_pylist()[0]


def test_typed_sources_cast_directly():
    sch = schema({"name": "n", "type": "integer"}, {"name": "d", "type": "date"})
    r = run(
        sch,
        Mapping(fields=[FieldMap(column="n", source="n"), FieldMap(column="d", source="d")]),
        {"n": pa.array([1, 2], pa.int32()), "d": pa.array([dt.date(2026, 1, 1), None])},
    )
    assert r.accepted.column("n").to_pylist() == [1, 2]


def test_mapping_naming_unknown_columns_is_refused():
    sch = schema({"name": "a", "type": "text"})
    with pytest.raises(MappingError, match="the dataset does not have: zzz"):
        Mapper(sch, Mapping(fields=[FieldMap(column="zzz", source="a")]))


def test_by_name_matches_headers_without_diacritics():
    sch = schema(
        {"name": "so_luong", "type": "integer", "label": "Số lượng"},
        {"name": "don_vi", "type": "text", "label": "Đơn vị"},
    )
    m = Mapping.by_name(sch, ["SỐ LƯỢNG", "Don vi"])
    assert [f.source for f in m.fields] == ["SỐ LƯỢNG", "Don vi"]


def test_a_mapping_names_only_what_differs_the_rest_is_matched_by_name():
    sch = schema(
        {"name": "so_luong", "type": "integer", "label": "Số lượng"},
        {"name": "don_vi", "type": "text", "label": "Đơn vị"},
        {"name": "ghi_chu", "type": "text"},
    )
    given = Mapping(fields=[FieldMap(column="so_luong", source="SL", number_format="vi")])
    done = given.completed(sch, ["SL", "Don vi"])
    # don_vi found by its label; ghi_chu has no field in the source and stays unnamed (NULL).
    assert [(f.column, f.source) for f in done.fields] == [("so_luong", "SL"), ("don_vi", "Don vi")]
    result = run(sch, done, {"SL": ["1.234"], "Don vi": ["Hộp"]})
    assert result.accepted.to_pylist()[0] | {"_row": 1} == {
        "so_luong": 1234,
        "don_vi": "Hộp",
        "ghi_chu": None,
        "_row": 1,
    }
    assert given.completed(sch, ["SL"]) is given  # nothing to add


def test_unit_names_become_official_codes(units):
    sch = schema({"name": "xa", "type": "text", "role": "unit"}, {"name": "n", "type": "integer"})
    r = run(
        sch,
        Mapping(fields=[FieldMap(column="xa", source="xa"), FieldMap(column="n", source="n")]),
        {
            "xa": ["P. Phú Lợi", "phuong phu tho", "25756", "Phường Không Tồn Tại", "99999"],
            "n": ["1", "2", "3", "4", "5"],
        },
        lookup=lookup_units,
    )
    assert r.accepted.column("xa").to_pylist()[1:] == ["25753", "25756"]
    assert r.accepted.column("xa").to_pylist()[0] in {"25744", "25750"}  # old and new Phú Lợi
    assert r.rejected.column("_reason").to_pylist() == [
        "xa: «Phường Không Tồn Tại» không khớp đơn vị hành chính nào"
        " / matches no administrative unit",
        "xa: «99999» không khớp đơn vị hành chính nào / matches no administrative unit",
    ]


def _trim_changes(values: list[str | None]) -> bool:
    """What the quick check must agree with: some value is empty or padded (Arrow's trim)."""
    present = [v for v in values if v is not None]
    trimmed = pc.utf8_trim_whitespace(pa.array(present, pa.string())).to_pylist()
    return any(v == "" or v != t for v, t in zip(present, trimmed, strict=True))


def test_the_padding_check_finds_every_whitespace_character_at_either_end():
    # Every code point Arrow trims (DuckDB's trim removes fewer), before and after text that
    # starts and ends in multi-byte letters; Vietnamese letters alone must pass.
    chars = pa.array([chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF])
    spaces = chars.filter(pc.equal(pc.utf8_trim_whitespace(chars), "")).to_pylist()
    assert {" ", "\t", "\xa0", "\u3000", "\u2028"} <= set(spaces)
    for text in ["Ấp Đông", "Khám ngoại trú", "kỳ", "à", "a", "Phường X7"]:
        for space in spaces:
            for value in (space + text, text + space, space):
                column = pa.chunked_array([pa.array(["x", value, None])])
                assert _untrimmed(pa.table({"c": column}), {"c": pa.string()}) == frozenset()
        assert _untrimmed(pa.table({"c": [text, None, "ơ"]}), {"c": pa.string()}) == {"c"}


def test_the_padding_check_agrees_with_trimming_on_random_text():
    rng = random.Random(7)
    alphabet = ["a", "Đ", "ấ", "ỳ", "à", "°", "–", "\u1680", "\u2003", "\u3000", " ", "\t", "中"]
    for _ in range(300):
        values = [
            None if rng.random() < 0.2 else "".join(rng.choices(alphabet, k=rng.randint(0, 4)))
            for _ in range(rng.randint(1, 6))
        ]
        expected = frozenset() if _trim_changes(values) else {"c"}  # with a "b" chunk after
        for kind in (pa.string(), pa.large_string()):
            array = pa.array(["pad", *values], kind).slice(1)  # an offset into the buffers
            table = pa.table({"c": pa.chunked_array([array, pa.array(["b"], kind)])})
            assert _untrimmed(table, {"c": kind}) == expected, values
            alone = pa.table({"c": pa.chunked_array([array])})
            if all(v is None for v in values):
                assert _untrimmed(alone, {"c": kind}) == frozenset()
            else:
                assert _untrimmed(alone, {"c": kind}) == expected, values
