"""The whole load path on the real warehouse: files in, rows or quarantine out, counts exact."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ioc.integrations.models import Connection, ConnectionState, RunStatus
from ioc.integrations.services import (
    BREAKER_THRESHOLD,
    IngestError,
    ingest_file,
    replay_quarantine,
    run_connection,
)
from ioc.integrations.tests.test_textcodecs import encode
from ioc.warehouse import quarantine, writer
from ioc.warehouse.models import Dataset
from ioc.warehouse.schema import parse_schema
from ioc.warehouse.services import change_schema, dataset_changed

CSV = (
    "Ngày;Phường/xã;Số ca khám;Chi phí (triệu đồng);Loại hình\n"
    "05/01/2026;P. Phú Cường;1.234;12,5;Ngoại trú\n"
    "06/01/2026;Phu Loi;800;1.500,25;Nội trú\n"
    "07/01/2026;Xã Không Có;10;1;Nội trú\n"
    "32/01/2026;Phú Thọ;abc;2;Ngoại trú\n"
    "08/01/2026;Phú Cường;5\n"
)


def rows(slug: str, order: str = "_row") -> list[tuple]:
    cols = ", ".join(f'"{c}"' for c in Dataset.objects.get(slug=slug).parsed_schema.names)
    return writer.execute(f"SELECT {cols} FROM data.{slug} ORDER BY {order}")


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "kham_benh.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


@pytest.fixture
def created(csv_file, warehouse, agencies, sectors):
    return ingest_file(
        csv_file,
        dataset="kham_benh",
        create=True,
        name="Khám bệnh",
        sector=sectors["health"],
        owner=agencies["health"],
    )


def test_create_infers_a_vietnamese_schema(created):
    dataset = Dataset.objects.get(slug="kham_benh")
    assert [
        (c.name, c.type.value, c.role.value, c.label) for c in dataset.parsed_schema.columns
    ] == [
        ("ngay", "date", "time", "Ngày"),
        ("phuong_xa", "text", "unit", "Phường/xã"),
        ("so_ca_kham", "integer", "measure", "Số ca khám"),
        ("chi_phi_trieu_dong", "decimal", "measure", "Chi phí (triệu đồng)"),
        ("loai_hinh", "text", "dimension", "Loại hình"),
    ]
    assert dataset.versions.count() == 1


def test_every_row_is_accepted_or_quarantined(created):
    assert (created.rows_read, created.rows_accepted, created.rows_rejected) == (6 - 1, 2, 3)
    assert created.status == RunStatus.SUCCEEDED
    assert rows("kham_benh") == [
        (dt.date(2026, 1, 5), "25747", 1234, 12.5, "Ngoại trú"),
        (dt.date(2026, 1, 6), rows("kham_benh")[1][1], 800, 1500.25, "Nội trú"),
    ]
    kept = quarantine.rows("kham_benh")
    assert len(kept) == 3 == quarantine.count("kham_benh")
    reasons = sorted(r.reason for r in kept)
    assert reasons[0].startswith("dòng 6: thiếu cột / line 6: missing columns")
    assert kept[0].raw["Phường/xã"] == "Xã Không Có"
    assert Dataset.objects.get(slug="kham_benh").row_count == 2


def test_loading_the_same_file_again_changes_nothing(created, csv_file):
    before = rows("kham_benh")
    again = ingest_file(csv_file, dataset="kham_benh")
    assert (again.rows_read, again.rows_accepted, again.rows_rejected) == (5, 2, 3)
    assert rows("kham_benh") == before
    assert quarantine.count("kham_benh") == 3


def test_a_dedup_key_replaces_rows_and_keeps_the_last_of_a_batch(make_dataset, tmp_path):
    make_dataset(
        "gia",
        [
            {"name": "ngay", "type": "date", "role": "time"},
            {"name": "mat_hang", "type": "text", "role": "dimension"},
            {"name": "gia", "type": "decimal", "role": "measure"},
        ],
        key=["ngay", "mat_hang"],
    )
    first = tmp_path / "a.csv"
    first.write_text("ngay,mat_hang,gia\n2026-01-01,gạo,15000\n2026-01-01,thịt,120000\n")
    second = tmp_path / "b.csv"
    second.write_text(
        "ngay,mat_hang,gia\n2026-01-01,gạo,16000\n2026-01-02,gạo,1\n2026-01-02,gạo,17000\n"
    )
    ingest_file(first, dataset="gia")
    run = ingest_file(second, dataset="gia")
    assert run.rows_accepted == 3
    assert rows("gia", "ngay, mat_hang") == [
        (dt.date(2026, 1, 1), "gạo", 16000.0),
        (dt.date(2026, 1, 1), "thịt", 120000.0),
        (dt.date(2026, 1, 2), "gạo", 17000.0),
    ]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "windows-1258", "tcvn3"])
def test_legacy_encodings_load_the_same_rows(
    units, warehouse, agencies, sectors, tmp_path, encoding
):
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes(encode(CSV.replace("\n", "\r\n"), encoding))
    run = ingest_file(
        path, dataset="kb", create=True, sector=sectors["health"], owner=agencies["health"]
    )
    assert f"encoding: {encoding}" in run.log
    assert (run.rows_read, run.rows_accepted, run.rows_rejected) == (5, 2, 3), run.log
    assert [r[2:5] for r in rows("kb", "ngay")] == [
        (1234, 12.5, "Ngoại trú"),
        (800, 1500.25, "Nội trú"),
    ]
    assert Dataset.objects.get(slug="kb").parsed_schema.column("phuong_xa").label == "Phường/xã"


def test_json_ndjson_and_parquet(make_dataset, tmp_path):
    make_dataset(
        "aqi",
        [
            {"name": "tram", "type": "text", "role": "dimension"},
            {"name": "luc", "type": "timestamp", "role": "time"},
            {"name": "pm25", "type": "decimal", "role": "measure"},
        ],
        key=["tram", "luc"],
    )
    records = [
        {"tram": "TDM-01", "luc": "2026-01-05T08:00:00", "pm25": 35.5},
        {"tram": "TDM-02", "luc": "2026-01-05T08:00:00", "pm25": "40,1"},
        {"tram": "TDM-03", "luc": "không rõ", "pm25": 1},
    ]
    (tmp_path / "a.json").write_text(json.dumps(records))
    (tmp_path / "a.ndjson").write_text("\n".join(json.dumps(r) for r in records))
    pq.write_table(
        pa.Table.from_pylist([{**r, "pm25": str(r["pm25"])} for r in records]),
        tmp_path / "a.parquet",
    )
    for name in ("a.json", "a.ndjson", "a.parquet"):
        run = ingest_file(tmp_path / name, dataset="aqi")
        assert (run.rows_read, run.rows_accepted, run.rows_rejected) == (3, 2, 1), (name, run.error)
    assert len(rows("aqi")) == 2  # the same records three times: upserted by key


def test_typed_parquet_over_several_row_groups_keeps_values_and_quarantines_one_row(
    make_dataset, tmp_path
):
    """Columns already of the dataset's types go through as they are; the batches of the
    reader (row groups) are mapped together; one padded text is trimmed; the one bad row is
    quarantined with its reason and raw values; a re-run gives the same table."""
    make_dataset(
        "typed",
        [
            {"name": "ngay", "type": "date", "role": "time", "required": True},
            {"name": "loai", "type": "text", "role": "dimension"},
            {"name": "so_ca", "type": "integer", "role": "measure"},
            {"name": "chi_phi", "type": "decimal", "role": "measure"},
        ],
    )
    n = 300_000
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=i % 365) for i in range(n)]
    days[250_000] = None  # required: the one rejected row
    kinds = ["Nội trú"] * n
    kinds[7] = "  Ngoại trú "
    table = pa.table(
        {
            "ngay": pa.array(days, pa.date32()),
            "loai": pa.array(kinds, pa.string()),
            "so_ca": pa.array(range(n), pa.int64()),
            "chi_phi": pa.array([i / 4 for i in range(n)], pa.float64()),
        }
    )
    path = tmp_path / "typed.parquet"
    pq.write_table(table, path, row_group_size=100_000)
    for _ in range(2):
        run = ingest_file(path, dataset="typed")
        assert (run.rows_read, run.rows_accepted, run.rows_rejected) == (n, n - 1, 1), run.error
        stored = writer.execute(
            "SELECT count(*), count(DISTINCT _row), sum(so_ca), sum(chi_phi),"
            " count(*) FILTER (WHERE loai = 'Ngoại trú') FROM data.typed"
        )
        assert stored == [(n - 1, n - 1, sum(range(n)) - 250_000, (sum(range(n)) - 250_000) / 4, 1)]
        assert rows("typed")[0] == (dt.date(2026, 1, 1), "Nội trú", 0, 0.0)
        held = writer.execute(
            "SELECT row_no, reason, raw FROM meta.quarantine WHERE dataset = 'typed'"
        )
        assert len(held) == 1
        row_no, reason, raw = held[0]
        assert row_no == 250_001
        assert reason == "ngay: thiếu giá trị / missing value"
        assert json.loads(raw) == {
            "ngay": None,
            "loai": "Nội trú",
            "so_ca": 250_000,
            "chi_phi": 62_500.0,
        }


def test_invalid_json_fails_the_run_with_a_bilingual_error(make_dataset, tmp_path):
    make_dataset("x", [{"name": "a", "type": "text"}])
    bad = tmp_path / "bad.json"
    bad.write_text('[{"a": 1}, {"a": ')
    run = ingest_file(bad, dataset="x")
    assert run.status == RunStatus.FAILED
    assert "không đọc được tệp 'bad.json'" in run.error.lower()
    assert "the file 'bad.json' cannot be read" in run.error


def test_a_very_long_line_is_a_clear_error_not_a_memory_blow_up(make_dataset, tmp_path):
    make_dataset("x", [{"name": "a", "type": "text"}, {"name": "b", "type": "text"}])
    path = tmp_path / "long.csv"
    with path.open("w") as fh:
        fh.write("a,b\n1,2\n")
        fh.write("3," + "x" * (50 * 1024 * 1024) + "\n")
        fh.write("4,5\n")
    run = ingest_file(path, dataset="x")
    assert run.rows_accepted + run.rows_rejected == run.rows_read
    text = run.error + " ".join(r.reason for r in quarantine.rows("x"))
    assert "line too long" in text or "cannot be read" in text, text


def test_a_source_that_drops_a_column_sends_rows_to_quarantine(created, tmp_path):
    changed = tmp_path / "changed.csv"
    changed.write_text("Ngày;Phường/xã;Số ca khám;Loại hình\n09/01/2026;Phú Thọ;3;Nội trú\n")
    run = ingest_file(changed, dataset="kham_benh")
    # The dataset's columns are all optional: a missing source field is still a rejection,
    # because the mapping expects it (a silent NULL would hide a broken source).
    assert (run.rows_read, run.rows_accepted, run.rows_rejected) == (1, 0, 1)
    assert "nguồn không có cột / source field missing: Chi phí (triệu đồng)" in run.log
    assert any(
        "«Chi phí (triệu đồng)» is missing" in r.reason for r in quarantine.rows("kham_benh")
    )


def test_unknown_dataset_without_create_is_refused(db, warehouse, csv_file):
    with pytest.raises(IngestError, match="no dataset 'nope' \\(use --create to make it\\)"):
        ingest_file(csv_file, dataset="nope")


def test_schema_migration_adds_a_column_then_loads_it(created, tmp_path):
    dataset = Dataset.objects.get(slug="kham_benh")
    data = dataset.parsed_schema.as_json()
    data["columns"].append({"name": "ghi_chu", "type": "text", "label": "Ghi chú"})
    changes = change_schema(dataset, parse_schema(data), actor=None)
    assert [c.describe() for c in changes] == ["add ghi_chu text"]
    dataset.refresh_from_db()
    assert dataset.schema_version == 2
    more = tmp_path / "more.csv"
    more.write_text(
        "Ngày;Phường/xã;Số ca khám;Chi phí (triệu đồng);Loại hình;Ghi chú\n"
        "10/01/2026;Phú Thọ;3;1;Nội trú;cấp cứu\n"
    )
    ingest_file(more, dataset="kham_benh")
    assert rows("kham_benh", "ngay")[-1][-1] == "cấp cứu"


def test_dataset_changed_is_announced_with_range_and_units(created, csv_file):
    seen = []

    def receiver(sender, dataset, time_min, time_max, units, rows, **kw):
        seen.append((dataset.slug, time_min, time_max, units, rows))

    dataset_changed.connect(receiver)
    try:
        ingest_file(csv_file, dataset="kham_benh")
    finally:
        dataset_changed.disconnect(receiver)
    assert seen[0][:3] == ("kham_benh", dt.date(2026, 1, 5), dt.date(2026, 1, 6))
    assert "25747" in seen[0][3] and seen[0][4] == 2


def test_fixing_the_mapping_and_replaying_moves_rows_out_of_quarantine(make_dataset, tmp_path):
    dataset = make_dataset(
        "mua",
        [
            {"name": "ngay", "type": "date", "role": "time"},
            {"name": "luong_mua", "type": "decimal", "role": "measure"},
        ],
    )
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "a.csv").write_text("date,rain_mm\n01-31-2026,12\n02-15-2026,3\n2026-02-02,1\n")
    conn = Connection.objects.create(
        name="Trạm mưa",
        kind="file",
        dataset=dataset,
        config={"path": str(folder)},
        mapping={
            "fields": [
                {"column": "ngay", "source": "date"},
                {"column": "luong_mua", "source": "rain_mm"},
            ]
        },
    )
    run = run_connection(conn)
    assert (run.rows_read, run.rows_accepted, run.rows_rejected) == (3, 1, 2)
    assert (folder / "done" / "a.csv").exists()
    conn.mapping["fields"][0]["date_format"] = "%m-%d-%Y"
    conn.save()
    replay = replay_quarantine(dataset, connection=conn)
    assert (replay.rows_read, replay.rows_accepted, replay.rows_rejected) == (2, 2, 0)
    assert quarantine.count("mua") == 0
    assert sorted(r[0] for r in rows("mua")) == [
        dt.date(2026, 1, 31),
        dt.date(2026, 2, 2),
        dt.date(2026, 2, 15),
    ]


def test_a_failing_source_trips_the_circuit_breaker(make_dataset, tmp_path):
    dataset = make_dataset("x", [{"name": "a", "type": "text"}])
    conn = Connection.objects.create(
        name="hỏng", kind="file", dataset=dataset, config={"path": str(tmp_path / "missing")}
    )
    for _ in range(BREAKER_THRESHOLD):
        run = run_connection(conn)
        assert run.status == RunStatus.FAILED
        assert "no such file or folder" in run.error
    conn.refresh_from_db()
    assert conn.state == ConnectionState.BROKEN
    assert conn.failures == BREAKER_THRESHOLD


def test_excel_with_a_title_merged_headers_and_two_sheets(warehouse, agencies, sectors, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    for index, (title, month) in enumerate((("Tháng 10", 10), ("Tháng 11", 11))):
        sheet = book.active if index == 0 else book.create_sheet()
        sheet.title = title
        sheet.append([f"BÁO CÁO DÂN SỐ THÁNG {month}/2026"])
        sheet.merge_cells("A1:D1")
        sheet.append([])
        sheet.append(["Đơn vị", "Ngày", "Dân số", None])
        sheet.append([None, None, "Nam", "Nữ"])
        sheet.merge_cells("A3:A4")
        sheet.merge_cells("B3:B4")
        sheet.merge_cells("C3:D3")
        sheet.append(["Phường Phú Cường", f"01/{month}/2026", 1200, "1.300"])
        sheet.append(["Phường Phú Thọ", f"01/{month}/2026", 900, 950])
    path = tmp_path / "dan_so.xlsx"
    book.save(path)
    run = ingest_file(
        path, dataset="dan_so", create=True, sector=sectors["health"], owner=agencies["health"]
    )
    assert (run.rows_read, run.rows_accepted, run.rows_rejected) == (4, 4, 0), run.error
    schema = Dataset.objects.get(slug="dan_so").parsed_schema
    assert [(c.name, c.type.value, c.role.value) for c in schema.columns] == [
        ("don_vi", "text", "unit"),
        ("ngay", "date", "time"),
        ("dan_so_nam", "integer", "measure"),
        ("dan_so_nu", "integer", "measure"),
    ]
    assert rows("dan_so", "ngay, don_vi")[0] == ("25747", dt.date(2026, 10, 1), 1200, 1300)


def test_a_file_from_an_http_address_through_the_hardened_client(make_dataset, tmp_path):
    import http.server
    import threading

    make_dataset("tu_url", [{"name": "a", "type": "text"}, {"name": "b", "type": "integer"}])
    (tmp_path / "so_lieu.csv").write_text("a;b\nx;1\ny;2\n")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/so_lieu.csv"
    try:
        dataset = Dataset.objects.get(slug="tu_url")
        refused = Connection.objects.create(
            name="u1", kind="file", dataset=dataset, config={"url": url}
        )
        run = run_connection(refused)
        assert run.status == RunStatus.FAILED and "private" in run.error.lower()
        allowed = Connection.objects.create(
            name="u2", kind="file", dataset=dataset, config={"url": url, "allow_private": True}
        )
        run = run_connection(allowed)
        assert (run.rows_read, run.rows_accepted) == (2, 2), run.error
    finally:
        server.shutdown()


def test_a_failed_create_leaves_nothing_behind_so_it_can_be_retried(
    warehouse, agencies, sectors, tmp_path
):
    bad = tmp_path / "bad.json"
    bad.write_text('[{"a": 1}, {"a": ')
    run = ingest_file(
        bad, dataset="moi", create=True, sector=sectors["health"], owner=agencies["health"]
    )
    assert run.status == RunStatus.FAILED and run.dataset is None
    assert not Dataset.objects.filter(slug="moi").exists()
    good = tmp_path / "good.csv"
    good.write_text("Mã xã;Số ca\n25747;3\n25750;4\n")
    again = ingest_file(
        good, dataset="moi", create=True, sector=sectors["health"], owner=agencies["health"]
    )
    assert again.rows_accepted == 2
    # Commune codes written as numbers are read as the unit column, not as a measure.
    column = Dataset.objects.get(slug="moi").parsed_schema.column("ma_xa")
    assert (column.type.value, column.role.value) == ("text", "unit")


def test_mapping_as_the_writer_inserts_stores_what_mapping_apart_stores(
    csv_file, warehouse, agencies, sectors, monkeypatch
):
    """Keyless datasets on DuckDB are mapped by the write connection as rows are inserted;
    the same file mapped apart (as keyed datasets are) gives the same rows, quarantine,
    counts and change (time range, units), loaded and loaded again."""
    from ioc.integrations import pipeline
    from ioc.warehouse.models import DataChange

    def load(slug: str) -> list:
        runs = [
            ingest_file(
                csv_file,
                dataset=slug,
                create=True,
                sector=sectors["health"],
                owner=agencies["health"],
            ),
            ingest_file(csv_file, dataset=slug),
        ]
        held = writer.execute(
            "SELECT row_no, reason, raw FROM meta.quarantine WHERE dataset = ? ORDER BY id", [slug]
        )
        changes = DataChange.objects.filter(dataset__slug=slug).order_by("pk")
        return [
            [(r.rows_read, r.rows_accepted, r.rows_rejected, r.error) for r in runs],
            rows(slug),
            writer.execute(f"SELECT _source, _row FROM data.{slug} ORDER BY _row"),
            held,
            [(c.time_min, c.time_max, c.units, c.rows) for c in changes],
        ]

    together = load("together")
    monkeypatch.setattr(pipeline._Loader, "maps_as_it_writes", lambda *args: False)
    apart = load("apart")
    assert together == apart
    assert together[0][0] == (5, 2, 3, "")


def test_a_file_load_holds_the_writer_only_while_it_loads(
    csv_file, warehouse, agencies, sectors, monkeypatch, tmp_path
):
    """ingest_file keeps the write connection across its batches and hands it back at the
    end, when a batch has held it too long, and when the load fails."""
    from ioc.integrations import pipeline
    from ioc.warehouse import db

    held: list[bool] = []
    write = writer.write_batch

    def watched(*args, **kwargs):
        held.append(getattr(writer._local, "connection", None) is not None)
        return write(*args, **kwargs)

    monkeypatch.setattr(pipeline.writer, "write_batch", watched)
    ingest_file(
        csv_file, dataset="giu", create=True, sector=sectors["health"], owner=agencies["health"]
    )
    assert held and all(held)  # taken before the batch's own write
    assert getattr(writer._local, "connection", None) is None
    db.read_connection().close()  # the file is free
    monkeypatch.setattr(pipeline, "HOLD_SECONDS", 0.0)
    assert ingest_file(csv_file, dataset="giu").rows_accepted == 2
    assert getattr(writer._local, "connection", None) is None
    bad = tmp_path / "bad.json"
    bad.write_text('[{"a": 1}, {"a": ')
    assert ingest_file(bad, dataset="giu").status == RunStatus.FAILED
    assert getattr(writer._local, "connection", None) is None


def test_rows_the_writer_maps_replace_and_keep_what_rows_mapped_apart_do(warehouse):
    """One source written three times (its first and last rows rejected after the first time;
    the third time in the same run, as a folder holding the same file twice): the writer
    mapping rows as it inserts them keeps, replaces and counts the same rows as writes of
    rows mapped apart (older rows outside the accepted range stay), with the same summary."""
    from ioc.integrations.mapping import FieldMap, Mapper, Mapping
    from ioc.warehouse import db

    if db.engine() != "duckdb":
        pytest.skip("the writer maps rows as it inserts them on DuckDB only")
    sch = parse_schema(
        {
            "columns": [
                {"name": "ngay", "type": "date", "role": "time"},
                {"name": "so", "type": "integer", "role": "measure"},
            ]
        }
    )
    mapping = Mapping(
        fields=[FieldMap(column="ngay", source="d"), FieldMap(column="so", source="n")]
    )
    first = pa.table({"d": ["01/11/2026", "02/11/2026", "03/11/2026"], "n": ["1", "2", "3"]})
    again = pa.table(
        {"d": ["x", "02/11/2026", "05/11/2026", "6/11/2026"], "n": ["9", "8", "7", "y"]}
    )
    outcomes = []
    for slug, together in (("cung", True), ("rieng", False)):
        writer.create_table(slug, sch)
        mapper = Mapper(sch, mapping)
        results = []
        for run_id, data in ((1, first), (2, again), (2, again)):
            options = {"run_id": run_id, "source": "s", "fresh_source": run_id == 1}
            if together:
                rows, _ = mapper.to_write(data, 1)
                result = writer.write_batch(slug, sch, rows, **options)
            else:
                mapped = mapper.map(data, 1)
                result = writer.write_batch(slug, sch, mapped.accepted, mapped.rejected, **options)
            results.append(
                (
                    result.accepted,
                    result.rejected,
                    result.replaced,
                    result.time_min,
                    result.time_max,
                )
            )
        table = writer.execute(
            f"SELECT ngay, so, _run, _source, _row FROM data.{slug} ORDER BY _row"
        )
        held = writer.execute(
            "SELECT row_no, reason FROM meta.quarantine WHERE dataset = ? ORDER BY id", [slug]
        )
        outcomes.append((results, table, held))
    assert outcomes[0] == outcomes[1]
    results, table, held = outcomes[0]
    assert [r[:3] for r in results] == [(3, 0, 0), (2, 2, 2), (2, 2, 2)]
    assert [(row[1], row[2], row[4]) for row in table] == [(1, 1, 1), (8, 2, 2), (7, 2, 3)]
    assert [row_no for row_no, _ in held] == [1, 4, 1, 4]
