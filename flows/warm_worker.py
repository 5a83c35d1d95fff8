"""Imported once by the worker pool's fork server (flows/workers.py): every worker forked
from it starts with the transforms imported and warmed up."""

from flows.workers import load_language_model
from settings import SETTINGS
from transforms.pipeline import warm_up

load_language_model(SETTINGS)
warm_up()
