"""Imported once by the worker pool's fork server (flows/workers.py): every worker forked
from it starts with the transforms imported and warmed up."""

from flows.workers import load_language_model
from transforms.pipeline import warm_up
from wiretrace.config import SETTINGS

load_language_model(SETTINGS)
warm_up()
