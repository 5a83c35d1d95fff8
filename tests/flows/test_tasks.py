import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from flows.tasks import run_in_pool
from tests.conftest import SEEDS
from transforms.pipeline import process_batch
from transforms.records import RawDocument


def test_run_in_pool_keeps_input_order_and_matches_in_process_results():
    docs = [
        RawDocument(source_ref=f"{i}-{p.name}", data=p.read_bytes())
        for i in range(4)
        for p in sorted(SEEDS.glob("*.txt"))
    ]
    docs.append(RawDocument(source_ref="empty.txt", data=b""))
    parts = [docs[i : i + 3] for i in range(0, len(docs), 3)]
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        pooled = run_in_pool(parts, pool, 1_000_000)
    assert [r.source_ref for r in pooled] == [d.source_ref for d in docs]
    assert pooled == process_batch(docs, 1_000_000)
