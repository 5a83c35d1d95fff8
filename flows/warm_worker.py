"""Imported once by the worker pool's fork server (flows/workers.py): every worker forked
from it starts with the transforms imported and warmed up."""

import gc

from flows.workers import load_language_model, watch_parent
from settings import SETTINGS
from transforms.pipeline import warm_up

watch_parent()  # a killed run takes the fork server (and so its workers) with it
load_language_model(SETTINGS)
warm_up()
# What the warm-up made is never collected in a worker: a worker's first collections would otherwise
# visit (and so copy, page by page) the fork server's objects it shares until then.
gc.freeze()
