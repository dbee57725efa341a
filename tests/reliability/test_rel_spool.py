"""The spool itself: durable lines, no record glued to a torn line, nothing lost while replays race appends."""

from __future__ import annotations

import threading

from conftest import build_app

from flask_consent.spool import SPOOL_NAME, Spool
from flask_consent.store import ConsentRecord, SQLStore


def _record(i: int) -> ConsentRecord:
    return ConsentRecord(subject_id=f"subject{i:04d}", consent_id=f"consent{i:04d}", policy_version="1",
                         banner_hash="h" * 64, granted={"necessary": 1}, denied={"analytics": 1},
                         method="banner_reject_all")


def test_spooled_record_reads_back_equal(tmp_path):  # C14
    spool = Spool(tmp_path)
    record = _record(1)
    spool.append(record)
    assert spool.pending()
    assert spool.records() == [record]


def test_a_line_torn_by_a_crash_does_not_swallow_the_next_record(tmp_path):  # C14
    spool = Spool(tmp_path)
    spool.append(_record(1))
    with open(tmp_path / SPOOL_NAME, "ab") as f:
        f.write(b'{"id": "torn-by-a-cra')
    spool.append(_record(2))
    assert [r.subject_id for r in spool.records()] == ["subject0001", "subject0002"]


def test_appends_racing_replays_lose_nothing_and_duplicate_nothing(tmp_path):  # C14
    store = SQLStore(f"sqlite:///{tmp_path / 'consent.db'}")
    store.init_db()
    spool = Spool(tmp_path / "instance")
    records = [_record(i) for i in range(400)]
    done = threading.Event()

    def writer(part: list[ConsentRecord]) -> None:
        for r in part:
            spool.append(r)

    def replayer() -> None:
        while not done.is_set():
            spool.replay(store)

    writers = [threading.Thread(target=writer, args=(records[i::4],)) for i in range(4)]
    replayers = [threading.Thread(target=replayer) for _ in range(2)]
    for t in writers + replayers:
        t.start()
    for t in writers:
        t.join(60)
    done.set()
    for t in replayers:
        t.join(60)
    spool.replay(store)
    assert store.count() == 400
    assert {r.id for r in store.iter_records()} == {r.id for r in records}
    assert not spool.pending()


def test_store_failure_outside_sqlalchemy_still_spools(tmp_path):  # C14
    app = build_app(f"sqlite:///{tmp_path / 'consent.db'}", str(tmp_path / "instance"), CONSENT_RATE_LIMIT=None)
    ext = app.extensions["consent"]

    class DiskFull(SQLStore):
        def append(self, record: ConsentRecord) -> None:
            raise OSError(28, "No space left on device")

    ext.store = DiskFull(ext.store.url)
    client = app.test_client()
    token = client.get("/consent/state").get_json()["csrf_token"]
    r = client.post("/consent", json={"action": "accept_all"}, headers={"X-CSRFToken": token})
    assert r.status_code == 200
    assert len(ext.spool.records()) == 1


def test_pending_sees_a_batch_left_aside_after_an_empty_check(tmp_path):  # C14
    spool = Spool(tmp_path)
    assert spool.pending() is False
    assert spool.pending() is False  # answered from the folder's unchanged mtime
    (tmp_path / f"{SPOOL_NAME}.0123.replaying").write_text("{}\n")
    assert spool.pending() is True, "a batch an interrupted replay left aside must be replayed"
    (tmp_path / f"{SPOOL_NAME}.0123.replaying").unlink()
    assert spool.pending() is False


