"""Paging raw responses through ``/api/v1/responses`` against reading them all in one query.

Builds a throwaway SQLite database with ``--answers`` answers (10 per response) in one
practitioners round, then reads every response through the API a page of ``--limit`` at
a time, as Power BI's paging query does. The baseline, measured in the same run, is the
same reading in one go (``responses_page`` with no limit): the API's peak memory per page
and its time per answer are printed as ratios against it, with the first and last page
compared (keyset paging: the last page should cost what the first does).

    python bench/api_paging.py
    python bench/api_paging.py --answers 1000000 --limit 1000

Target: peak memory per page <= 0.25 x reading everything; last page <= 1.5 x the first.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

KEYS = ["agency", "role", "strategy_knowledge", "strategy_knowledge_comments", "tools_barriers",
        "howe_model_barriers", "intervention_barriers", "operational_changes", "confidence_recognising",
        "confidence_responding"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=100_000)
    parser.add_argument("--limit", type=int, default=1000)
    args = parser.parse_args()

    from feedback_app import create_app, migrate
    from feedback_app.api.raw import responses_page
    from feedback_app.api_tokens import create_api_token
    from feedback_app.db import db
    from feedback_app.definitions import sync_questionnaires
    from feedback_app.models import Answer, Response
    from feedback_app.rounds import create_round, find_version

    folder = Path(tempfile.mkdtemp(prefix="fb_bench_api_"))
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
                      "API_REQUESTS_PER_MINUTE": 10**6}, instance_path=str(folder / "instance"))
    with app.app_context():
        migrate.upgrade(db.engine)
        sync_questionnaires(db.session)
        round_ = create_round(db.session, find_version(db.session, "practitioners", 1), "Bench",
                              date(2020, 1, 1), date(2099, 12, 31))
        now = datetime.now(timezone.utc)
        db.session.execute(insert(Response), [{"round_id": round_.id, "source": "web", "submitted_at": now}
                                              for _ in range(args.answers // len(KEYS))])
        ids = db.session.scalars(select(Response.id)).all()
        db.session.execute(insert(Answer), [{"response_id": rid, "question_key": key, "value": f"{key} {rid}"}
                                            for rid in ids for key in KEYS])
        db.session.commit()
        _token, secret = create_api_token(db.session, "admin", "bench", "bench")
        tracemalloc.start()
        started = time.perf_counter()
        everything, _last = responses_page(db.session, round_id=None, since=None, after=0, limit=len(ids))
        baseline_time = time.perf_counter() - started
        baseline_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        total = sum(len(r["answers"]) for r in everything)
        del everything
        db.session.rollback()

    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    url, seen, times, peaks = f"/api/v1/responses?limit={args.limit}", 0, [], []
    while url:
        tracemalloc.start()
        started = time.perf_counter()
        body = client.get(url, headers=headers).get_json()
        times.append(time.perf_counter() - started)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        seen += sum(len(r["answers"]) for r in body["data"])
        url = body["next"]
    full = [i for i, _ in enumerate(times[:-1])] or [0]  # the last page may be short
    print(f"{seen:,} of {total:,} answers in {len(times)} pages of {args.limit} responses (SQLite)")
    print(f"baseline, all at once: {baseline_time:.2f} s, peak {baseline_peak / 1e6:.1f} MB")
    print(f"API: {sum(times):.2f} s in all ({sum(times) / baseline_time:.1f} x baseline, with a request, "
          f"token check and audit row per page); peak per page {max(peaks) / 1e6:.1f} MB "
          f"= {max(peaks) / baseline_peak:.2f} x baseline")
    print(f"last full page / first page: time {times[full[-1]] / times[0]:.2f} x, memory {peaks[full[-1]] / peaks[0]:.2f} x")


if __name__ == "__main__":
    main()
